//! The call model: where SIP, media, flows and storage meet. Only this
//! crate (and the `pbx` binary built from it) sees all of them.
//!
//! [`call`] runs flow-driven calls; [`registrations`] keeps the SIP
//! registrations in the store.

pub mod call;
pub mod registrations;
