//! The PBX's SIP stack.
//!
//! This crate owns the wire protocol: messages (parsed through `rsip`,
//! kept behind [`message`] so the parser can be replaced), transactions
//! (RFC 3261 section 17, sans-IO with simulated time), digest
//! authentication and the registrar. It knows nothing of call flows, media
//! or the database: the call model drives it through its types and traits.

pub mod auth;
pub mod dialog;
pub mod message;
pub mod protection;
pub mod registrar;
pub mod service;
pub mod transaction;
pub mod transport;
pub mod trunk;
