//! Instants as stored: BIGINT milliseconds since the Unix epoch (UTC).
//!
//! Integers compare and index identically on both engines, unlike the
//! engines' own timestamp types.

use chrono::{DateTime, TimeZone, Utc};

use crate::error::{Result, StoreError};

/// An instant in UTC, as exposed by the store's types.
pub type Timestamp = DateTime<Utc>;

/// Now, truncated to the millisecond so a value read back equals the one
/// written.
pub fn now() -> Timestamp {
    from_ms(Utc::now().timestamp_millis()).unwrap_or_else(|_| Utc::now())
}

/// The stored form of `t`.
pub fn to_ms(t: &Timestamp) -> i64 {
    t.timestamp_millis()
}

/// Reads back a stored instant.
pub fn from_ms(ms: i64) -> Result<Timestamp> {
    Utc.timestamp_millis_opt(ms)
        .single()
        .ok_or_else(|| StoreError::Database(format!("stored instant {ms} ms is out of range")))
}
