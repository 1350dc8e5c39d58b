//! The call model: where SIP, media, flows and storage meet. Only this
//! crate (and the `pbx` binary built from it) sees all of them.
//!
//! Today it holds the glue between the SIP stack and the store
//! ([`registrations`]); the flow-driven call model grows here.

pub mod control;
pub mod live;
pub mod metrics;
pub mod registrations;
