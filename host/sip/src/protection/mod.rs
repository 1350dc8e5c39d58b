//! Cheap first-line defences applied to a request's source address before
//! any parsing or authentication work: network ACLs and per-source rate
//! limits. Pure logic; the transport layer calls it with the peer address
//! and the current time.

pub mod acl;
pub mod rate_limit;

pub use acl::{Acl, AclError, Network};
pub use rate_limit::{RateLimitConfig, RateLimitConfigError, RateLimiter, SourceKey};
