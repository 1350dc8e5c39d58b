//! Choosing trunks for an outbound call, and mapping inbound DIDs to tenants.

use std::collections::HashMap;
use std::fmt;

use super::health::TrunkHealth;
use super::pattern::{DialPattern, PatternError};

/// What to do with trunks currently marked down.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DownTrunks {
    /// Never try them: fail fast when no trunk is up.
    Exclude,
    /// Try them after every up trunk, in priority order (the default).
    ///
    /// Chosen as default because keep-alive health is only an estimate:
    /// some carriers ignore or rate-limit OPTIONS while still accepting
    /// INVITEs, and a network blip may have just cleared. Trying a down
    /// trunk last costs only a transaction timeout when every up trunk has
    /// already failed, whereas excluding it fails the call for certain.
    #[default]
    LastResort,
}

/// Orders `candidates` (given in route priority order) for trying: up trunks
/// first keeping their relative order, then down ones if `down` is
/// [`DownTrunks::LastResort`].
///
/// A trunk without an entry in `health` is treated as up: unmonitored trunks
/// (keep-alives disabled) must remain usable. Duplicate names are kept only
/// once (first occurrence), so a call never tries the same trunk twice.
pub fn pick_trunks<'a, S: AsRef<str>>(
    candidates: &'a [S],
    health: &HashMap<String, TrunkHealth>,
    down: DownTrunks,
) -> Vec<&'a str> {
    let mut up = Vec::with_capacity(candidates.len());
    let mut down_list = Vec::new();
    for name in candidates.iter().map(AsRef::as_ref) {
        if up.contains(&name) || down_list.contains(&name) {
            continue;
        }
        if health.get(name).is_none_or(TrunkHealth::is_up) {
            up.push(name);
        } else {
            down_list.push(name);
        }
    }
    if down == DownTrunks::LastResort {
        up.extend(down_list);
    }
    up
}

/// Identifier of the tenant owning a DID.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(pub String);

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a DID table entry was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DidError {
    /// The pattern did not parse.
    #[error(transparent)]
    Pattern(#[from] PatternError),
    /// A pattern starting with `+` could never match, since numbers are
    /// normalised without it before matching.
    #[error(
        "DID pattern {0:?} starts with '+': DIDs are matched without '+' or leading 00 (write e.g. _33X.)"
    )]
    PlusInPattern(String),
    /// An exact DID that is empty after normalisation.
    #[error("DID {0:?} is empty after normalisation")]
    EmptyDid(String),
}

/// Normalises a DID for lookup: surrounding whitespace is trimmed, then a
/// leading `+` is removed, or else a leading `00` (the international access
/// prefix) is removed. Nothing else changes, so `+33142345678`,
/// `0033142345678` and `33142345678` are the same DID, while a national
/// `0142345678` (single leading 0) stays distinct: we cannot know which
/// country it belongs to.
pub fn normalize_did(did: &str) -> &str {
    let did = did.trim();
    if let Some(rest) = did.strip_prefix('+') {
        rest
    } else if let Some(rest) = did.strip_prefix("00") {
        rest
    } else {
        did
    }
}

/// Maps inbound called numbers (DIDs) to the tenant that owns them.
///
/// Exact DIDs are checked first; otherwise the most specific matching
/// pattern wins ([`DialPattern::cmp_specificity`]). Both exact entries and
/// looked-up numbers are normalised with [`normalize_did`]; patterns are
/// matched against the normalised number, so they must be written without
/// `+` or `00` (a pattern starting with `+` is rejected).
#[derive(Debug, Clone, Default)]
pub struct DidTable {
    exact: HashMap<String, TenantId>,
    /// Kept sorted most specific first, so lookup returns the first match.
    patterns: Vec<(DialPattern, TenantId)>,
}

impl DidTable {
    /// An empty table (every lookup misses).
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an exact DID. Returns the tenant it previously mapped to, if any.
    pub fn insert_exact(
        &mut self,
        did: &str,
        tenant: TenantId,
    ) -> Result<Option<TenantId>, DidError> {
        let key = normalize_did(did);
        if key.is_empty() {
            return Err(DidError::EmptyDid(did.to_string()));
        }
        Ok(self.exact.insert(key.to_string(), tenant))
    }

    /// Adds a DID pattern (e.g. `_3314234XXXX` for a number block), replacing
    /// an identical pattern's tenant.
    pub fn insert_pattern(&mut self, pattern: &str, tenant: TenantId) -> Result<(), DidError> {
        let pat = DialPattern::parse(pattern)?;
        if pat.starts_with_plus() {
            return Err(DidError::PlusInPattern(pattern.to_string()));
        }
        if let Some(slot) = self.patterns.iter_mut().find(|(p, _)| *p == pat) {
            slot.1 = tenant;
            return Ok(());
        }
        let at = self
            .patterns
            .partition_point(|(p, _)| p.cmp_specificity(&pat).is_lt());
        self.patterns.insert(at, (pat, tenant));
        Ok(())
    }

    /// The tenant owning `did`, if any.
    pub fn lookup(&self, did: &str) -> Option<&TenantId> {
        let key = normalize_did(did);
        if let Some(t) = self.exact.get(key) {
            return Some(t);
        }
        self.patterns
            .iter()
            .find(|(p, _)| p.matches(key))
            .map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trunk::health::HealthConfig;
    use std::time::Instant;

    fn down_health(names: &[&str]) -> HashMap<String, TrunkHealth> {
        let now = Instant::now();
        names
            .iter()
            .map(|n| {
                let mut h = TrunkHealth::new(HealthConfig::default(), now);
                for _ in 0..3 {
                    h.record_failure(now);
                }
                (n.to_string(), h)
            })
            .collect()
    }

    #[test]
    fn up_first_then_down_as_last_resort() {
        let mut health = down_health(&["a", "c"]);
        health.insert(
            "b".into(),
            TrunkHealth::new(HealthConfig::default(), Instant::now()),
        );
        let cands = ["a", "b", "c", "d"];
        assert_eq!(
            pick_trunks(&cands, &health, DownTrunks::LastResort),
            vec!["b", "d", "a", "c"]
        );
        assert_eq!(
            pick_trunks(&cands, &health, DownTrunks::Exclude),
            vec!["b", "d"]
        );
        assert_eq!(DownTrunks::default(), DownTrunks::LastResort);
    }

    #[test]
    fn pick_dedupes_and_accepts_strings() {
        let health = down_health(&["x"]);
        let cands = vec![
            "x".to_string(),
            "y".to_string(),
            "x".to_string(),
            "y".to_string(),
        ];
        assert_eq!(
            pick_trunks(&cands, &health, DownTrunks::LastResort),
            vec!["y", "x"]
        );
    }

    #[test]
    fn normalisation() {
        assert_eq!(normalize_did("+33142345678"), "33142345678");
        assert_eq!(normalize_did("0033142345678"), "33142345678");
        assert_eq!(normalize_did(" 33142345678 "), "33142345678");
        assert_eq!(normalize_did("0142345678"), "0142345678");
    }

    #[test]
    fn did_exact_and_patterns() {
        let mut t = DidTable::new();
        let acme = TenantId("acme".into());
        let globex = TenantId("globex".into());
        let block = TenantId("block".into());
        t.insert_exact("+33142345678", acme.clone()).unwrap();
        t.insert_pattern("_331423456XX", block.clone()).unwrap();
        t.insert_pattern("_33X.", globex.clone()).unwrap();

        assert_eq!(t.lookup("0033142345678"), Some(&acme));
        assert_eq!(t.lookup("33142345678"), Some(&acme));
        assert_eq!(t.lookup("+33142345699"), Some(&block));
        assert_eq!(t.lookup("+33999"), Some(&globex));
        assert_eq!(t.lookup("+44123"), None);
        assert_eq!(t.lookup("0142345678"), None);
    }

    #[test]
    fn did_pattern_specificity_independent_of_insert_order() {
        let mut t = DidTable::new();
        t.insert_pattern("_33X.", TenantId("broad".into())).unwrap();
        t.insert_pattern("_331X.", TenantId("narrow".into()))
            .unwrap();
        t.insert_pattern("_3[0-9]X.", TenantId("broader".into()))
            .unwrap();
        assert_eq!(t.lookup("+33123").unwrap().0, "narrow");
        assert_eq!(t.lookup("+33923").unwrap().0, "broad");
        assert_eq!(t.lookup("+34923").unwrap().0, "broader");
        t.insert_pattern("_331X.", TenantId("replaced".into()))
            .unwrap();
        assert_eq!(t.lookup("+33123").unwrap().0, "replaced");
    }

    #[test]
    fn did_errors() {
        let mut t = DidTable::new();
        assert!(matches!(
            t.insert_pattern("_+33X.", TenantId("x".into())),
            Err(DidError::PlusInPattern(_))
        ));
        assert!(matches!(
            t.insert_pattern("_3[", TenantId("x".into())),
            Err(DidError::Pattern(_))
        ));
        assert!(matches!(
            t.insert_exact("+", TenantId("x".into())),
            Err(DidError::EmptyDid(_))
        ));
        let prev = t.insert_exact("+331", TenantId("a".into())).unwrap();
        assert_eq!(prev, None);
        let prev = t.insert_exact("00331", TenantId("b".into())).unwrap();
        assert_eq!(prev, Some(TenantId("a".into())));
    }
}
