//! Temporary bans for sources that keep failing authentication.
//!
//! A PBX on the internet is scanned for extensions and passwords all day;
//! each guess costs the attacker one request. Counting failures per source
//! and refusing a source for a while once it crosses a threshold turns a
//! brute force into a crawl. Memory is capped because the attacker picks
//! the source addresses; time is passed in so tests can simulate it.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Thresholds and bounds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BanConfig {
    /// Failures within `window` that trigger a ban.
    pub threshold: u32,
    /// The sliding window failures are counted in.
    pub window: Duration,
    /// How long a ban lasts.
    pub ban_duration: Duration,
    /// Maximum number of sources remembered. When full, idle entries go
    /// first, then the longest-idle unbanned sources, then the bans that
    /// end soonest.
    pub max_entries: usize,
}

impl Default for BanConfig {
    fn default() -> Self {
        BanConfig {
            threshold: 10,
            window: Duration::from_secs(60),
            ban_duration: Duration::from_secs(600),
            max_entries: 10_000,
        }
    }
}

#[derive(Debug)]
struct Entry {
    /// Failure times within the window, oldest first (at most threshold).
    failures: VecDeque<SystemTime>,
    banned_until: Option<SystemTime>,
    last_seen: SystemTime,
}

impl Entry {
    fn banned_at(&self, now: SystemTime) -> Option<SystemTime> {
        self.banned_until.filter(|&until| now < until)
    }

    /// Whether the entry still means anything at `now`.
    fn is_live(&self, now: SystemTime, window: Duration) -> bool {
        self.banned_at(now).is_some()
            || self
                .failures
                .back()
                .is_some_and(|&t| now < t.checked_add(window).unwrap_or(t))
    }
}

/// Failure counts and bans per source; shareable between tasks.
#[derive(Debug)]
pub struct BanList {
    config: BanConfig,
    entries: Mutex<HashMap<IpAddr, Entry>>,
}

/// The key a source is counted under: IPv4-mapped IPv6 addresses as IPv4,
/// other IPv6 addresses by their /64, since one subscriber usually holds a
/// whole /64 and could otherwise rotate through it.
pub fn ban_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

impl BanList {
    /// An empty list.
    pub fn new(config: BanConfig) -> Self {
        BanList {
            config,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &BanConfig {
        &self.config
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, Entry>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// When `ip` is banned at `now`, the end of the ban.
    pub fn banned_until(&self, ip: IpAddr, now: SystemTime) -> Option<SystemTime> {
        self.lock().get(&ban_key(ip)).and_then(|e| e.banned_at(now))
    }

    /// Count one failed authentication from `ip`. Returns the end of the
    /// ban when the source is (now) banned.
    pub fn record_failure(&self, ip: IpAddr, now: SystemTime) -> Option<SystemTime> {
        let key = ban_key(ip);
        let mut entries = self.lock();
        if !entries.contains_key(&key) && entries.len() >= self.config.max_entries.max(1) {
            self.make_room(&mut entries, now);
        }
        let entry = entries.entry(key).or_insert_with(|| Entry {
            failures: VecDeque::new(),
            banned_until: None,
            last_seen: now,
        });
        entry.last_seen = now;
        if let Some(until) = entry.banned_at(now) {
            return Some(until);
        }
        let window = self.config.window;
        while entry
            .failures
            .front()
            .is_some_and(|&t| t.checked_add(window).is_none_or(|end| end <= now))
        {
            entry.failures.pop_front();
        }
        entry.failures.push_back(now);
        if entry.failures.len() >= self.config.threshold.max(1) as usize {
            entry.failures.clear();
            let until = now + self.config.ban_duration;
            entry.banned_until = Some(until);
            tracing::warn!(source = %key, "banned after repeated authentication failures");
            return Some(until);
        }
        None
    }

    /// Lift any ban and forget the failures of `ip` (operator action).
    pub fn unban(&self, ip: IpAddr) {
        self.lock().remove(&ban_key(ip));
    }

    /// Sources currently remembered.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no source is remembered.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Drop entries that no longer matter; if that is not enough, evict an
    /// eighth of the table at once so the scan cost is amortised.
    fn make_room(&self, entries: &mut HashMap<IpAddr, Entry>, now: SystemTime) {
        let window = self.config.window;
        entries.retain(|_, e| e.is_live(now, window));
        let cap = self.config.max_entries.max(1);
        if entries.len() < cap {
            return;
        }
        let evict = (cap / 8).max(1).min(entries.len());
        // Unbanned sources (0) go before banned ones (1); within each, the
        // least recently active or soonest-ending first.
        let mut order: Vec<((u8, SystemTime), IpAddr)> = entries
            .iter()
            .map(|(ip, e)| match e.banned_at(now) {
                Some(until) => ((1, until), *ip),
                None => ((0, e.last_seen), *ip),
            })
            .collect();
        order.select_nth_unstable_by_key(evict - 1, |(k, _)| *k);
        for (_, ip) in &order[..evict] {
            entries.remove(ip);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::time::UNIX_EPOCH;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn ip(n: u32) -> IpAddr {
        IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + n))
    }

    #[test]
    fn ban_after_threshold_and_lifted_after_duration() {
        let bans = BanList::new(BanConfig::default());
        for i in 0..9 {
            assert_eq!(bans.record_failure(ip(1), at(1_000 + i)), None);
        }
        assert_eq!(bans.banned_until(ip(1), at(1_009)), None);
        assert_eq!(bans.record_failure(ip(1), at(1_009)), Some(at(1_609)));
        assert_eq!(bans.banned_until(ip(1), at(1_010)), Some(at(1_609)));
        assert_eq!(bans.banned_until(ip(2), at(1_010)), None, "per source");
        assert_eq!(bans.banned_until(ip(1), at(1_608)), Some(at(1_609)));
        assert_eq!(bans.banned_until(ip(1), at(1_609)), None);
        // After the ban the count starts again from zero.
        assert_eq!(bans.record_failure(ip(1), at(1_610)), None);
    }

    #[test]
    fn failures_outside_the_window_do_not_count() {
        let bans = BanList::new(BanConfig::default());
        for i in 0..30 {
            // One failure every 7 s: never 10 within 60 s.
            assert_eq!(bans.record_failure(ip(1), at(1_000 + 7 * i)), None);
        }
    }

    #[test]
    fn ipv6_counted_per_64_and_mapped_v4_as_v4() {
        let bans = BanList::new(BanConfig {
            threshold: 2,
            ..BanConfig::default()
        });
        let a: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        bans.record_failure(a, at(10));
        assert!(bans.record_failure(b, at(11)).is_some());
        let mapped = IpAddr::V6(Ipv4Addr::new(192, 0, 2, 1).to_ipv6_mapped());
        bans.record_failure(mapped, at(10));
        assert!(
            bans.record_failure(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), at(11))
                .is_some()
        );
        let other: IpAddr = IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 1, 3, 0, 0, 0, 1));
        assert_eq!(bans.banned_until(other, at(12)), None);
    }

    #[test]
    fn memory_is_capped_and_bans_survive_a_flood() {
        let bans = BanList::new(BanConfig {
            threshold: 3,
            max_entries: 64,
            ..BanConfig::default()
        });
        for i in 0..3 {
            bans.record_failure(ip(0), at(100 + i));
        }
        assert!(bans.banned_until(ip(0), at(103)).is_some());
        // A flood of single failures from fresh addresses.
        for n in 1..10_000 {
            bans.record_failure(ip(n), at(104));
            assert!(bans.len() <= 64);
        }
        assert!(
            bans.banned_until(ip(0), at(105)).is_some(),
            "unbanned entries are evicted before bans"
        );
        bans.unban(ip(0));
        assert_eq!(bans.banned_until(ip(0), at(105)), None);
    }
}
