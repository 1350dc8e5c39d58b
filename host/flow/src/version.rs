//! A compiled, validated flow component ready to serve calls.

use crate::bindings::{FlowDescription, FlowPre};
use crate::quarantine::{Breaker, BreakerStatus};
use crate::state::FlowState;
use std::time::Instant;

/// A flow component after upload checks: compiled once, pre-linked
/// (`InstancePre`), described. Cheap to share (`Arc`) between calls; each
/// call instantiates its own instance from it.
pub struct PreparedFlow {
    /// SHA-256 of the component bytes (hex).
    pub hash: String,
    /// Size of the component in bytes.
    pub size: usize,
    /// What `describe` returned.
    pub description: FlowDescription,
    /// Whether the compiled code came from the on-disk cache.
    pub from_cache: bool,
    pub(crate) pre: FlowPre<FlowState>,
    /// Quarantines this version when it keeps exhausting its resources.
    pub(crate) breaker: Breaker,
}

impl PreparedFlow {
    /// Whether the version is quarantined now, and how often it was.
    pub fn quarantine(&self) -> BreakerStatus {
        self.breaker.status(Instant::now())
    }
}

impl std::fmt::Debug for PreparedFlow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PreparedFlow")
            .field("hash", &self.hash)
            .field("size", &self.size)
            .field("name", &self.description.name)
            .field("version", &self.description.version)
            .finish()
    }
}
