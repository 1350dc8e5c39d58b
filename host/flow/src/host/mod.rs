//! The host side of the `pbx:flow` contract: one module per WIT interface,
//! each implementing that interface's generated `Host` trait on
//! [`FlowState`](crate::state::FlowState) by recording the call in the
//! trace and delegating to the [backend traits](crate::backend).
//!
//! Nothing outside this module implements WIT traits.

mod call;
mod config;
mod directory;
mod holidays;
mod incidents;
mod kv;
mod log;
mod schedule;
mod types;
