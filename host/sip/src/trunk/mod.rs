//! SIP trunks: outbound routing by dial pattern, number and caller-id
//! rewriting, keep-alive health with failover ordering, and inbound DID to
//! tenant mapping.
//!
//! All of it is pure logic (no I/O, no clock reads) so the call model can
//! drive it and tests can exercise it deterministically.

pub mod health;
pub mod pattern;
pub mod registration;
pub mod rewrite;
pub mod selection;

pub use health::{HealthConfig, TrunkHealth};
pub use pattern::{DialPattern, PatternError};
pub use rewrite::{CallerId, CallerIdNumber, CallerIdRule, OutboundRoute, RoutedCall, route};
pub use selection::{DidError, DidTable, DownTrunks, TenantId, normalize_did, pick_trunks};
