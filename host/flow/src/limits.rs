//! The limits a flow runs under, and their defaults.

use crate::quarantine::QuarantinePolicy;
use std::time::Duration;

/// Limits applied to every flow instance. Defaults suit a PBX where flows
/// are small programs that mostly wait on the caller.
#[derive(Debug, Clone)]
pub struct FlowLimits {
    /// Guest execution allowed between two host calls. A flow that computes
    /// longer is stopped: a loop must not hold a core another call needs.
    pub cpu_per_step: Duration,
    /// Guest execution allowed over the whole call. Host calls reset the
    /// per-step allowance, so without this a flow looping on a cheap host
    /// call (`call.state`) would hold a core for the whole call.
    pub cpu_per_call: Duration,
    /// Wall-clock time one call may spend in its flow, waits included.
    pub wall_clock_per_call: Duration,
    /// Linear memory per instance, in bytes, all its memories together.
    pub memory_bytes: usize,
    /// Live instances per tenant; calls over it get the tenant's fallback.
    pub instances_per_tenant: u32,
    /// Live instances in the whole process: the pooling allocator reserves
    /// slots (memory, tables, fiber stacks) for this many up front.
    pub instances_total: u32,
    /// Largest component accepted at upload, in bytes.
    pub upload_bytes: usize,
    /// Time `describe` may run at upload.
    pub describe_timeout: Duration,
    /// When a version whose runs keep being stopped for CPU or memory is
    /// quarantined.
    pub quarantine: QuarantinePolicy,
}

impl Default for FlowLimits {
    fn default() -> Self {
        FlowLimits {
            cpu_per_step: Duration::from_millis(50),
            cpu_per_call: Duration::from_secs(2),
            wall_clock_per_call: Duration::from_secs(4 * 3600),
            memory_bytes: 32 << 20,
            instances_per_tenant: 1_000,
            instances_total: 2_000,
            upload_bytes: 50 << 20,
            describe_timeout: Duration::from_secs(2),
            quarantine: QuarantinePolicy::default(),
        }
    }
}

/// How often the engine's epoch advances; the CPU deadline is measured in
/// these ticks. One millisecond keeps the overshoot of a deadline small
/// while the ticker thread costs next to nothing.
pub const EPOCH_TICK: Duration = Duration::from_millis(1);
