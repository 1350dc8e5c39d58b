//! Server nonces and nonce-count replay protection.
//!
//! Nonces are stateless: `hex(timestamp ‖ random ‖ HMAC-SHA256(secret,
//! timestamp ‖ random)[..16])`. Any process holding the secret can check
//! one without having stored it, so challenges survive a restart (with a
//! persisted secret) and memory does not grow with unanswered challenges,
//! which anyone on the network can provoke.
//!
//! Replay protection needs state, but only for nonces that were answered
//! with a correct digest: the highest `nc` seen per nonce is kept until the
//! nonce expires, in a map with a hard cap. Time is always passed in, so
//! tests drive it.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::{BTreeSet, HashMap};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

type HmacSha256 = Hmac<Sha256>;

/// Bytes of timestamp, random and MAC in a nonce.
const TS_LEN: usize = 8;
const RAND_LEN: usize = 8;
const MAC_LEN: usize = 16;
const NONCE_HEX_LEN: usize = 2 * (TS_LEN + RAND_LEN + MAC_LEN);

/// How far in the future a nonce's timestamp may be (clock steps between
/// cluster nodes) before it is treated as forged.
const FUTURE_SKEW_SECS: u64 = 5;

/// Nonce lifetime and the bound on replay-tracking memory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NonceConfig {
    /// How long a nonce is accepted after being issued. Past this the
    /// client is re-challenged with `stale=true`.
    pub validity: Duration,
    /// Maximum number of nonces whose nonce-count is remembered. When
    /// full, the oldest is forgotten and every nonce at least that old is
    /// treated as used, so the cap never reopens a replay window.
    pub max_tracked: usize,
}

impl Default for NonceConfig {
    fn default() -> Self {
        NonceConfig {
            validity: Duration::from_secs(300),
            max_tracked: 65_536,
        }
    }
}

/// The outcome of checking a nonce's integrity and age.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceStatus {
    /// Issued by us and still within its validity window.
    Valid(NonceId),
    /// Issued by us but expired: re-challenge with `stale=true`.
    Stale,
    /// Not ours (bad MAC, bad format, or issued in the future).
    Invalid,
}

/// A nonce that passed its MAC check; the only thing replay tracking
/// accepts, so forged nonces can never occupy tracking memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct NonceId {
    issued: u64,
    id: [u8; TS_LEN + RAND_LEN],
}

impl NonceId {
    /// When the nonce was issued, in seconds since the Unix epoch.
    pub fn issued_at(&self) -> u64 {
        self.issued
    }
}

/// Whether a nonce-count is new.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonceCount {
    /// Higher than any seen for this nonce; now recorded.
    Fresh,
    /// Not higher than one already accepted (or the nonce was forgotten
    /// under memory pressure): a replay.
    Replayed,
}

/// Issues and checks nonces; shareable between tasks.
pub struct NonceManager {
    key: Vec<u8>,
    opaque: String,
    config: NonceConfig,
    tracker: Mutex<Tracker>,
}

impl std::fmt::Debug for NonceManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("NonceManager")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Seconds since the Unix epoch (0 for times before it).
pub(crate) fn unix_secs(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

impl NonceManager {
    /// A manager keyed by `secret`. Use at least 32 random bytes, and the
    /// same secret on every node and across restarts so outstanding
    /// challenges stay answerable.
    pub fn new(secret: &[u8], config: NonceConfig) -> Self {
        let key = secret.to_vec();
        let mut mac = HmacSha256::new_from_slice(&key).expect("HMAC accepts any key length");
        mac.update(b"pbx-sip opaque");
        let opaque = hex::encode(&mac.finalize().into_bytes()[..8]);
        NonceManager {
            key,
            opaque,
            config,
            tracker: Mutex::new(Tracker::default()),
        }
    }

    /// A manager with a fresh random secret: nonces die with the process.
    pub fn with_random_secret(config: NonceConfig) -> Self {
        let secret: [u8; 32] = rand::random();
        NonceManager::new(&secret, config)
    }

    /// The configuration in force.
    pub fn config(&self) -> &NonceConfig {
        &self.config
    }

    /// The `opaque` value to put in challenges: derived from the secret,
    /// so it is stable and needs no storage, yet means nothing to clients.
    pub fn opaque(&self) -> &str {
        &self.opaque
    }

    /// A fresh nonce issued at `now`.
    pub fn issue(&self, now: SystemTime) -> String {
        self.issue_with(now, rand::random())
    }

    fn issue_with(&self, now: SystemTime, random: [u8; RAND_LEN]) -> String {
        let mut body = [0u8; TS_LEN + RAND_LEN];
        body[..TS_LEN].copy_from_slice(&unix_secs(now).to_be_bytes());
        body[TS_LEN..].copy_from_slice(&random);
        let mut out = Vec::with_capacity(TS_LEN + RAND_LEN + MAC_LEN);
        out.extend_from_slice(&body);
        out.extend_from_slice(&self.mac(&body)[..MAC_LEN]);
        hex::encode(out)
    }

    fn mac(&self, body: &[u8]) -> Vec<u8> {
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(body);
        mac.finalize().into_bytes().to_vec()
    }

    /// Check a nonce's MAC and age.
    pub fn validate(&self, nonce: &str, now: SystemTime) -> NonceStatus {
        // Only the canonical lowercase form: one nonce, one tracking key.
        if nonce.len() != NONCE_HEX_LEN
            || !nonce
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        {
            return NonceStatus::Invalid;
        }
        let Ok(raw) = hex::decode(nonce) else {
            return NonceStatus::Invalid;
        };
        let (body, tag) = raw.split_at(TS_LEN + RAND_LEN);
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC accepts any key length");
        mac.update(body);
        if mac.verify_truncated_left(tag).is_err() {
            return NonceStatus::Invalid;
        }
        let mut ts = [0u8; TS_LEN];
        ts.copy_from_slice(&body[..TS_LEN]);
        let issued = u64::from_be_bytes(ts);
        let now = unix_secs(now);
        if issued > now.saturating_add(FUTURE_SKEW_SECS) {
            return NonceStatus::Invalid;
        }
        if now >= issued.saturating_add(self.config.validity.as_secs()) {
            return NonceStatus::Stale;
        }
        let mut id = [0u8; TS_LEN + RAND_LEN];
        id.copy_from_slice(body);
        NonceStatus::Valid(NonceId { issued, id })
    }

    /// Record `nc` for a validated nonce; [`NonceCount::Replayed`] when it
    /// is not higher than the last one accepted. `nc` 0 is never valid
    /// (counts start at 1).
    pub fn record_nc(&self, nonce: &NonceId, nc: u32, now: SystemTime) -> NonceCount {
        let mut tracker = self.tracker.lock().unwrap_or_else(|e| e.into_inner());
        tracker.record(
            nonce,
            nc,
            unix_secs(now),
            self.config.validity.as_secs(),
            self.config.max_tracked,
        )
    }

    /// How many nonces are tracked now (for metrics and tests).
    pub fn tracked(&self) -> usize {
        self.tracker
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .seen
            .len()
    }
}

/// Highest nc per nonce, indexed by issue time for cheap expiry.
#[derive(Default)]
struct Tracker {
    seen: HashMap<[u8; TS_LEN + RAND_LEN], u32>,
    by_issue: BTreeSet<(u64, [u8; TS_LEN + RAND_LEN])>,
    /// Nonces issued at or before this were evicted while still valid;
    /// any such nonce not in `seen` counts as used.
    forgotten_up_to: Option<u64>,
}

impl Tracker {
    fn record(&mut self, n: &NonceId, nc: u32, now: u64, validity: u64, cap: usize) -> NonceCount {
        self.expire(now, validity);
        if nc == 0 {
            return NonceCount::Replayed;
        }
        if let Some(last) = self.seen.get_mut(&n.id) {
            if nc <= *last {
                return NonceCount::Replayed;
            }
            *last = nc;
            return NonceCount::Fresh;
        }
        if self.forgotten_up_to.is_some_and(|t| n.issued <= t) {
            return NonceCount::Replayed;
        }
        while self.seen.len() >= cap.max(1) {
            let Some(oldest) = self.by_issue.pop_first() else {
                break;
            };
            self.seen.remove(&oldest.1);
            self.forgotten_up_to = Some(self.forgotten_up_to.map_or(oldest.0, |t| t.max(oldest.0)));
            if n.issued <= oldest.0 {
                return NonceCount::Replayed;
            }
        }
        self.seen.insert(n.id, nc);
        self.by_issue.insert((n.issued, n.id));
        NonceCount::Fresh
    }

    /// Drop nonces past their validity: they can no longer be accepted,
    /// so their counts are no longer needed.
    fn expire(&mut self, now: u64, validity: u64) {
        while let Some(&(issued, id)) = self.by_issue.first() {
            if now < issued.saturating_add(validity) {
                break;
            }
            self.by_issue.pop_first();
            self.seen.remove(&id);
        }
        if self
            .forgotten_up_to
            .is_some_and(|t| now >= t.saturating_add(validity))
        {
            self.forgotten_up_to = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(secs: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(secs)
    }

    fn manager(cap: usize) -> NonceManager {
        NonceManager::new(
            b"0123456789abcdef0123456789abcdef",
            NonceConfig {
                validity: Duration::from_secs(300),
                max_tracked: cap,
            },
        )
    }

    fn valid(m: &NonceManager, nonce: &str, now: u64) -> NonceId {
        match m.validate(nonce, at(now)) {
            NonceStatus::Valid(id) => id,
            other => panic!("expected valid, got {other:?}"),
        }
    }

    #[test]
    fn fresh_nonce_is_valid_until_window_ends() {
        let m = manager(16);
        let n = m.issue(at(1_000));
        assert_eq!(n.len(), NONCE_HEX_LEN);
        assert_eq!(valid(&m, &n, 1_000).issued_at(), 1_000);
        valid(&m, &n, 1_299);
        assert_eq!(m.validate(&n, at(1_300)), NonceStatus::Stale);
    }

    #[test]
    fn tampered_or_foreign_nonce_is_invalid() {
        let m = manager(16);
        let n = m.issue(at(1_000));
        // Flip one hex digit in each part: timestamp, random, MAC.
        for pos in [15, 20, 50] {
            let mut bytes = n.clone().into_bytes();
            bytes[pos] = if bytes[pos] == b'0' { b'1' } else { b'0' };
            let tampered = String::from_utf8(bytes).unwrap();
            assert_eq!(m.validate(&tampered, at(1_000)), NonceStatus::Invalid);
        }
        assert_eq!(
            m.validate(&n.to_ascii_uppercase(), at(1_000)),
            NonceStatus::Invalid
        );
        assert_eq!(m.validate("abc", at(1_000)), NonceStatus::Invalid);
        let other = NonceManager::new(b"another secret", NonceConfig::default());
        assert_eq!(other.validate(&n, at(1_000)), NonceStatus::Invalid);
        // Issued in the future (beyond skew): forged or a broken clock.
        let future = m.issue(at(2_000));
        assert_eq!(m.validate(&future, at(1_000)), NonceStatus::Invalid);
    }

    #[test]
    fn same_secret_validates_across_instances() {
        let a = manager(16);
        let b = manager(16);
        let n = a.issue(at(5_000));
        valid(&b, &n, 5_010);
        assert_eq!(a.opaque(), b.opaque());
    }

    #[test]
    fn nonce_count_must_increase() {
        let m = manager(16);
        let n = m.issue(at(1_000));
        let id = valid(&m, &n, 1_001);
        assert_eq!(m.record_nc(&id, 1, at(1_001)), NonceCount::Fresh);
        assert_eq!(m.record_nc(&id, 1, at(1_002)), NonceCount::Replayed);
        assert_eq!(m.record_nc(&id, 3, at(1_003)), NonceCount::Fresh);
        assert_eq!(m.record_nc(&id, 2, at(1_004)), NonceCount::Replayed);
        assert_eq!(m.record_nc(&id, 0, at(1_004)), NonceCount::Replayed);
    }

    #[test]
    fn tracking_expires_with_the_nonce() {
        let m = manager(16);
        let id = valid(&m, &m.issue(at(1_000)), 1_000);
        m.record_nc(&id, 1, at(1_000));
        assert_eq!(m.tracked(), 1);
        let later = valid(&m, &m.issue(at(1_400)), 1_400);
        m.record_nc(&later, 1, at(1_400));
        assert_eq!(m.tracked(), 1, "the expired nonce was dropped");
    }

    #[test]
    fn tracking_memory_is_capped_without_reopening_replays() {
        let m = manager(4);
        let ids: Vec<NonceId> = (0..10)
            .map(|i| valid(&m, &m.issue_with(at(1_000 + i), [i as u8; 8]), 1_010))
            .collect();
        for id in &ids {
            assert_eq!(m.record_nc(id, 1, at(1_010)), NonceCount::Fresh);
            assert!(m.tracked() <= 4);
        }
        // The evicted (oldest) nonces cannot be replayed from nc 1 again.
        for id in &ids[..6] {
            assert_eq!(m.record_nc(id, 1, at(1_011)), NonceCount::Replayed);
        }
        // The newest ones are still tracked and still advance.
        assert_eq!(m.record_nc(&ids[9], 2, at(1_011)), NonceCount::Fresh);
    }
}
