//! The call-flow sandbox.
//!
//! This crate owns everything about running call flows: the wasmtime
//! engine and its limits, the compiled-code cache, upload validation, the
//! per-tenant flow registry with hot swap, and the host side of the
//! `pbx:flow` WIT contract (one module per interface under `host/`).
//!
//! It knows the WIT contract and nothing of SIP, media or the database:
//! everything beyond the sandbox is asked of the call model through the
//! [`CallControl`] and [`TenantData`] traits. The flow simulator and the
//! real call model are two implementations of those traits.

pub mod backend;
pub mod bindings;
pub mod cache;
pub mod engine;
pub mod error;
pub mod fallback;
mod host;
pub mod limits;
pub mod output;
pub mod params;
pub mod quarantine;
pub mod registry;
pub mod run;
pub mod state;
pub mod tenant_time;
pub mod trace;
pub mod validate;
pub mod version;

pub use backend::{CallControl, TenantData};
pub use engine::FlowEngine;
pub use error::{RegistryError, UploadError};
pub use fallback::Fallback;
pub use limits::FlowLimits;
pub use params::{ParamError, Params};
pub use quarantine::{BreakerStatus, QuarantinePolicy};
pub use registry::{FlowRegistry, FlowVersion};
pub use run::{CallReport, CallSetup, FlowOutcome};
pub use state::FlowPermissions;
pub use trace::{Trace, TraceEvent};
pub use version::PreparedFlow;
