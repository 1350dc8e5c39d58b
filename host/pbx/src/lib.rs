//! The call model: where SIP, media, flows and storage meet. Only this
//! crate (and the `pbx` binary built from it) sees all of them.
//!
//! [`call`] runs flow-driven calls, [`prompts`] finds their prompts;
//! [`registrations`] keeps the SIP registrations in the store; [`live`],
//! [`metrics`] and [`control`] show what runs.

pub mod call;
pub mod control;
pub mod credentials;
pub mod demo;
pub mod live;
pub mod metrics;
pub mod prompts;
pub mod registrations;
