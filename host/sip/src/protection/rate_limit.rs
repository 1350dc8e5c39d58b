//! Per-source request-rate limiting (token bucket).
//!
//! Each source may send `burst` requests at once and then `rate_per_sec` on
//! average; beyond that requests are refused before any parsing or digest
//! work. IPv6 sources are counted per /64, because a single host usually owns
//! a whole /64 and could otherwise rotate addresses to dodge the limit.
//! Memory is bounded: at `max_entries` sources the least recently seen one
//! is forgotten (it starts again with a full bucket if it returns, which only
//! favours sources that were quiet the longest).

use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, Ipv4Addr};
use std::time::Instant;

/// Rate-limit settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimitConfig {
    /// Sustained requests per second per source (must be > 0 and finite).
    pub rate_per_sec: f64,
    /// Bucket size: requests allowed back to back (must be >= 1).
    pub burst: u32,
    /// Maximum number of sources tracked (must be >= 1).
    pub max_entries: usize,
}

impl Default for RateLimitConfig {
    /// 20 requests/s with bursts of 50, tracking up to 65 536 sources:
    /// ample for phones re-registering and calling, tight for floods.
    fn default() -> Self {
        RateLimitConfig {
            rate_per_sec: 20.0,
            burst: 50,
            max_entries: 65_536,
        }
    }
}

/// Invalid [`RateLimitConfig`].
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RateLimitConfigError {
    /// `rate_per_sec` is zero, negative, NaN or infinite.
    #[error("rate_per_sec must be a positive finite number, got {0}")]
    InvalidRate(f64),
    /// `burst` is zero: nothing could ever pass.
    #[error("burst must be at least 1")]
    ZeroBurst,
    /// `max_entries` is zero: no source could be tracked.
    #[error("max_entries must be at least 1")]
    ZeroCapacity,
}

/// The unit a limit applies to: an IPv4 address or an IPv6 /64.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKey {
    /// An IPv4 source (including IPv4-mapped IPv6).
    V4(Ipv4Addr),
    /// The upper 64 bits of an IPv6 source.
    V6Prefix64(u64),
}

impl SourceKey {
    /// The key for `ip` (IPv4-mapped IPv6 counts as the IPv4 address).
    pub fn of(ip: IpAddr) -> SourceKey {
        match ip.to_canonical() {
            IpAddr::V4(v4) => SourceKey::V4(v4),
            IpAddr::V6(v6) => SourceKey::V6Prefix64((u128::from(v6) >> 64) as u64),
        }
    }
}

#[derive(Debug, Clone)]
struct Bucket {
    tokens: f64,
    last: Instant,
    /// Position in the recency index.
    seq: u64,
}

/// Token-bucket limiter keyed by [`SourceKey`].
#[derive(Debug)]
pub struct RateLimiter {
    config: RateLimitConfig,
    buckets: HashMap<SourceKey, Bucket>,
    /// Recency index: sequence number of last access -> key; the first entry
    /// is the least recently seen. Gives O(log n) eviction, so a flood of
    /// spoofed sources cannot make each insertion scan the whole table.
    recency: BTreeMap<u64, SourceKey>,
    next_seq: u64,
}

impl RateLimiter {
    /// Creates a limiter after validating `config`.
    pub fn new(config: RateLimitConfig) -> Result<Self, RateLimitConfigError> {
        if !(config.rate_per_sec.is_finite() && config.rate_per_sec > 0.0) {
            return Err(RateLimitConfigError::InvalidRate(config.rate_per_sec));
        }
        if config.burst == 0 {
            return Err(RateLimitConfigError::ZeroBurst);
        }
        if config.max_entries == 0 {
            return Err(RateLimitConfigError::ZeroCapacity);
        }
        Ok(RateLimiter {
            config,
            buckets: HashMap::new(),
            recency: BTreeMap::new(),
            next_seq: 0,
        })
    }

    /// Accounts one request from `ip` at `now`; returns whether it may be
    /// processed. `now` going backwards (caller's clock quirk) adds no tokens.
    pub fn check(&mut self, ip: IpAddr, now: Instant) -> bool {
        let key = SourceKey::of(ip);
        let seq = self.next_seq;
        self.next_seq += 1;
        let burst = f64::from(self.config.burst);
        let rate = self.config.rate_per_sec;

        if let Some(bucket) = self.buckets.get_mut(&key) {
            let elapsed = now.saturating_duration_since(bucket.last).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * rate).min(burst);
            if now > bucket.last {
                bucket.last = now;
            }
            self.recency.remove(&bucket.seq);
            bucket.seq = seq;
            self.recency.insert(seq, key);
            return if bucket.tokens >= 1.0 {
                bucket.tokens -= 1.0;
                true
            } else {
                false
            };
        }

        while self.buckets.len() >= self.config.max_entries {
            let Some((_, oldest)) = self.recency.pop_first() else {
                break;
            };
            self.buckets.remove(&oldest);
        }
        self.buckets.insert(
            key,
            Bucket {
                tokens: burst - 1.0,
                last: now,
                seq,
            },
        );
        self.recency.insert(seq, key);
        true
    }

    /// Number of sources currently tracked (never above `max_entries`).
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether no source is tracked.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }

    /// Whether `ip`'s source is currently tracked (for diagnostics).
    pub fn is_tracked(&self, ip: IpAddr) -> bool {
        self.buckets.contains_key(&SourceKey::of(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn limiter(rate: f64, burst: u32, max: usize) -> RateLimiter {
        RateLimiter::new(RateLimitConfig {
            rate_per_sec: rate,
            burst,
            max_entries: max,
        })
        .unwrap()
    }

    #[test]
    fn burst_then_refill_at_rate() {
        let t0 = Instant::now();
        let mut rl = limiter(2.0, 3, 10);
        let a = ip("192.0.2.1");
        assert!(rl.check(a, t0));
        assert!(rl.check(a, t0));
        assert!(rl.check(a, t0));
        assert!(!rl.check(a, t0), "burst of 3 exhausted");
        // 2 tokens/s: after 0.5 s exactly one more.
        let t1 = t0 + Duration::from_millis(500);
        assert!(rl.check(a, t1));
        assert!(!rl.check(a, t1));
        // Refill caps at burst.
        let t2 = t1 + Duration::from_secs(100);
        for _ in 0..3 {
            assert!(rl.check(a, t2));
        }
        assert!(!rl.check(a, t2));
    }

    #[test]
    fn sources_are_independent() {
        let t0 = Instant::now();
        let mut rl = limiter(1.0, 1, 10);
        assert!(rl.check(ip("192.0.2.1"), t0));
        assert!(!rl.check(ip("192.0.2.1"), t0));
        assert!(rl.check(ip("192.0.2.2"), t0));
    }

    #[test]
    fn ipv6_counted_per_64_and_mapped_as_v4() {
        let t0 = Instant::now();
        let mut rl = limiter(1.0, 2, 10);
        assert!(rl.check(ip("2001:db8:1:2::1"), t0));
        assert!(rl.check(ip("2001:db8:1:2:ffff::9"), t0));
        assert!(
            !rl.check(ip("2001:db8:1:2::77"), t0),
            "same /64 shares the bucket"
        );
        assert!(rl.check(ip("2001:db8:1:3::1"), t0), "other /64 is separate");

        assert!(rl.check(ip("198.51.100.7"), t0));
        assert!(rl.check(ip("::ffff:198.51.100.7"), t0));
        assert!(
            !rl.check(ip("198.51.100.7"), t0),
            "mapped form shares the v4 bucket"
        );
    }

    #[test]
    fn bounded_memory_evicts_least_recently_seen() {
        let t0 = Instant::now();
        let mut rl = limiter(1.0, 1, 2);
        let (a, b, c) = (ip("192.0.2.1"), ip("192.0.2.2"), ip("192.0.2.3"));
        assert!(rl.check(a, t0));
        assert!(rl.check(b, t0));
        // Touch a so that b is the least recently seen.
        assert!(!rl.check(a, t0));
        assert!(rl.check(c, t0));
        assert_eq!(rl.len(), 2);
        assert!(rl.is_tracked(a));
        assert!(!rl.is_tracked(b));
        assert!(rl.is_tracked(c));
        // a is still limited: its state survived the eviction.
        assert!(!rl.check(a, t0));
    }

    #[test]
    fn clock_going_backwards_adds_nothing() {
        let t0 = Instant::now() + Duration::from_secs(10);
        let mut rl = limiter(1.0, 1, 4);
        let a = ip("192.0.2.1");
        assert!(rl.check(a, t0));
        assert!(!rl.check(a, t0 - Duration::from_secs(5)));
        assert!(!rl.check(a, t0 + Duration::from_millis(500)));
        assert!(rl.check(a, t0 + Duration::from_secs(1)));
    }

    #[test]
    fn config_validation() {
        let ok = RateLimitConfig::default();
        assert!(RateLimiter::new(ok).is_ok());
        for rate in [0.0, -1.0, f64::NAN, f64::INFINITY] {
            assert!(matches!(
                RateLimiter::new(RateLimitConfig {
                    rate_per_sec: rate,
                    ..ok
                }),
                Err(RateLimitConfigError::InvalidRate(_))
            ));
        }
        assert_eq!(
            RateLimiter::new(RateLimitConfig { burst: 0, ..ok }).unwrap_err(),
            RateLimitConfigError::ZeroBurst
        );
        assert_eq!(
            RateLimiter::new(RateLimitConfig {
                max_entries: 0,
                ..ok
            })
            .unwrap_err(),
            RateLimitConfigError::ZeroCapacity
        );
    }
}
