//! Counters for monitoring the transports.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Messages dropped without an answer (unparseable, or a malformed
    /// response, or no channel room).
    pub dropped: u64,
    /// Malformed requests answered with an error status.
    pub rejected: u64,
    /// TCP, TLS and WebSocket connections closed because of bad or
    /// oversize input.
    pub closed_on_error: u64,
    /// TCP, TLS and WebSocket connections closed for being idle.
    pub closed_idle: u64,
    /// WebSocket connections refused before the upgrade completed: no
    /// `sip` subprotocol, an origin not allowed, not a WebSocket request,
    /// a failed `WSS` TLS handshake, or too slow.
    pub ws_refused: u64,
}

/// The live counters behind [`TransportStats`].
#[derive(Default)]
pub(super) struct Counters {
    pub(super) dropped: AtomicU64,
    pub(super) rejected: AtomicU64,
    pub(super) closed_on_error: AtomicU64,
    pub(super) closed_idle: AtomicU64,
    pub(super) ws_refused: AtomicU64,
}

impl Counters {
    /// A snapshot.
    pub(super) fn snapshot(&self) -> TransportStats {
        TransportStats {
            dropped: self.dropped.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            closed_on_error: self.closed_on_error.load(Ordering::Relaxed),
            closed_idle: self.closed_idle.load(Ordering::Relaxed),
            ws_refused: self.ws_refused.load(Ordering::Relaxed),
        }
    }
}

/// Add one to a counter.
pub(super) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}
