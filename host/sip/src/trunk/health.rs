//! Trunk health from SIP OPTIONS keep-alives.
//!
//! A trunk is marked down after a configurable number of consecutive failed
//! probes (one lost UDP packet must not take a carrier out of service) and up
//! again after a single success (a carrier that answers is usable now).
//! The caller owns the clock: every method takes `now`, so the logic is
//! deterministic and testable without sleeping.

use std::time::{Duration, Instant};

/// Tuning of the keep-alive state machine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthConfig {
    /// Consecutive failures after which the trunk is down (default 3;
    /// values below 1 are treated as 1).
    pub failure_threshold: u32,
    /// Probe interval while up (default 30 s).
    pub interval: Duration,
    /// Probe interval while down (default 5 s): faster, so a recovered carrier
    /// is back in service quickly.
    pub down_interval: Duration,
}

impl Default for HealthConfig {
    fn default() -> Self {
        HealthConfig {
            failure_threshold: 3,
            interval: Duration::from_secs(30),
            down_interval: Duration::from_secs(5),
        }
    }
}

/// Health state of one trunk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrunkHealth {
    config: HealthConfig,
    up: bool,
    consecutive_failures: u32,
    next_probe_at: Instant,
}

impl TrunkHealth {
    /// A new trunk starts **up** (so it is usable before its first probe,
    /// like an unmonitored trunk) with a probe due immediately at `now`.
    pub fn new(config: HealthConfig, now: Instant) -> Self {
        TrunkHealth {
            config,
            up: true,
            consecutive_failures: 0,
            next_probe_at: now,
        }
    }

    /// Records an answered OPTIONS (any final response counts as alive: a 404
    /// or 405 still proves the carrier's SIP stack is reachable — deciding
    /// which responses count is the caller's job). Marks the trunk up.
    pub fn record_success(&mut self, now: Instant) {
        if !self.up {
            tracing::info!("trunk back up after successful keep-alive");
        }
        self.up = true;
        self.consecutive_failures = 0;
        self.next_probe_at = now + self.config.interval;
    }

    /// Records a failed probe (timeout, transport error). Marks the trunk down
    /// once `failure_threshold` consecutive failures are reached.
    pub fn record_failure(&mut self, now: Instant) {
        self.consecutive_failures = self.consecutive_failures.saturating_add(1);
        if self.up && self.consecutive_failures >= self.config.failure_threshold.max(1) {
            tracing::warn!(
                failures = self.consecutive_failures,
                "trunk marked down after failed keep-alives"
            );
            self.up = false;
        }
        self.next_probe_at = now + self.current_interval();
    }

    /// Whether calls should prefer this trunk.
    pub fn is_up(&self) -> bool {
        self.up
    }

    /// Failed probes since the last success.
    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// When the next OPTIONS should be sent.
    pub fn next_probe_at(&self) -> Instant {
        self.next_probe_at
    }

    /// Whether a probe is due at `now`.
    pub fn probe_due(&self, now: Instant) -> bool {
        now >= self.next_probe_at
    }

    /// A probe was sent at `now`: the next one is not due before the
    /// current interval has passed, whatever the answer (which
    /// [`record_success`](Self::record_success) or
    /// [`record_failure`](Self::record_failure) then reschedules from).
    pub fn defer_probe(&mut self, now: Instant) {
        self.next_probe_at = now + self.current_interval();
    }

    fn current_interval(&self) -> Duration {
        if self.up {
            self.config.interval
        } else {
            self.config.down_interval
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn down_after_threshold_up_after_one_success() {
        let t0 = Instant::now();
        let mut h = TrunkHealth::new(HealthConfig::default(), t0);
        assert!(h.is_up());
        assert!(h.probe_due(t0));
        h.record_failure(t0);
        h.record_failure(t0);
        assert!(h.is_up(), "two failures are below the default threshold");
        h.record_failure(t0);
        assert!(!h.is_up());
        assert_eq!(h.consecutive_failures(), 3);
        h.record_success(t0);
        assert!(h.is_up());
        assert_eq!(h.consecutive_failures(), 0);
    }

    #[test]
    fn success_resets_failure_count() {
        let t0 = Instant::now();
        let mut h = TrunkHealth::new(HealthConfig::default(), t0);
        h.record_failure(t0);
        h.record_failure(t0);
        h.record_success(t0);
        h.record_failure(t0);
        h.record_failure(t0);
        assert!(h.is_up());
    }

    #[test]
    fn configurable_threshold() {
        let t0 = Instant::now();
        let cfg = HealthConfig {
            failure_threshold: 1,
            ..HealthConfig::default()
        };
        let mut h = TrunkHealth::new(cfg, t0);
        h.record_failure(t0);
        assert!(!h.is_up());
        let zero = HealthConfig {
            failure_threshold: 0,
            ..HealthConfig::default()
        };
        let mut h = TrunkHealth::new(zero, t0);
        assert!(h.is_up(), "threshold 0 must not start down");
        h.record_failure(t0);
        assert!(!h.is_up());
    }

    #[test]
    fn probe_schedule_faster_while_down() {
        let t0 = Instant::now();
        let cfg = HealthConfig::default();
        let mut h = TrunkHealth::new(cfg, t0);
        h.record_success(t0);
        assert_eq!(h.next_probe_at(), t0 + Duration::from_secs(30));
        assert!(!h.probe_due(t0 + Duration::from_secs(29)));
        assert!(h.probe_due(t0 + Duration::from_secs(30)));
        let t1 = t0 + Duration::from_secs(30);
        h.record_failure(t1);
        assert_eq!(h.next_probe_at(), t1 + Duration::from_secs(30));
        h.record_failure(t1);
        h.record_failure(t1);
        assert!(!h.is_up());
        assert_eq!(h.next_probe_at(), t1 + Duration::from_secs(5));
        let t2 = t1 + Duration::from_secs(5);
        h.record_success(t2);
        assert_eq!(h.next_probe_at(), t2 + Duration::from_secs(30));
    }
}
