//! Outbound routes: which trunks carry a dialled number, and how the number
//! and the caller id are rewritten for the carrier.
//!
//! Users dial in their local habit (`0` for an outside line, national
//! format...) while carriers want a specific format and only accept caller
//! ids they assigned to the customer; the route bridges the two.

use super::pattern::DialPattern;

/// What to present as the caller's number on the trunk.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CallerIdNumber {
    /// Present the caller's own number unchanged (e.g. their DID).
    #[default]
    Keep,
    /// Present this number instead (the trunk's main number / a DID), because
    /// carriers reject or rewrite caller ids they did not assign.
    Replace(String),
}

/// Caller-id policy of a route.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CallerIdRule {
    /// Which number to present.
    pub number: CallerIdNumber,
    /// Ask for the number to be withheld from the callee (anonymous call,
    /// `Privacy: id`). The number is still computed: carriers need it for
    /// billing and emergency services in a P-Asserted-Identity.
    pub anonymous: bool,
}

/// The caller identity to send on the trunk, result of [`CallerIdRule::apply`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerId {
    /// Number to assert to the carrier.
    pub number: String,
    /// Whether the callee must not see it (privacy requested).
    pub anonymous: bool,
}

impl CallerIdRule {
    /// Computes the identity for a caller whose own number is `caller`.
    pub fn apply(&self, caller: &str) -> CallerId {
        let number = match &self.number {
            CallerIdNumber::Keep => caller.to_string(),
            CallerIdNumber::Replace(n) => n.clone(),
        };
        CallerId {
            number,
            anonymous: self.anonymous,
        }
    }
}

/// One outbound route: a pattern, how to rewrite matching numbers and which
/// trunks to try (in order).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRoute {
    /// Numbers this route applies to.
    pub pattern: DialPattern,
    /// Tie-break between routes whose patterns are equally specific: lower
    /// value wins. Specificity comes first so that a broad catch-all can never
    /// shadow a precise route by accident of configuration order.
    pub priority: u32,
    /// Number of leading characters removed from the dialled number (e.g. 1
    /// for the `0` outside-line prefix).
    pub strip: usize,
    /// Prepended after stripping (e.g. `+33`).
    pub prefix: String,
    /// Trunk names, preferred first.
    pub trunks: Vec<String>,
    /// Caller-id policy for calls on this route.
    pub caller_id: CallerIdRule,
}

impl OutboundRoute {
    /// Applies strip then prefix. `strip` saturates at the number's length.
    pub fn rewrite(&self, number: &str) -> String {
        let rest: String = number.chars().skip(self.strip).collect();
        format!("{}{}", self.prefix, rest)
    }
}

/// Outcome of [`route`]: what to dial, where, and with which identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutedCall {
    /// The rewritten number to put in the Request-URI.
    pub number: String,
    /// Trunks to try, preferred first (before health filtering, see
    /// [`super::selection::pick_trunks`]).
    pub trunks: Vec<String>,
    /// Caller-id policy; apply it to the caller's number with
    /// [`CallerIdRule::apply`].
    pub caller_id: CallerIdRule,
}

/// Chooses the route for `number`: among routes whose pattern matches, the
/// most specific pattern wins ([`DialPattern::cmp_specificity`]), then the
/// lowest `priority`, then the earliest in the slice.
///
/// A route whose rewrite would produce an empty number (strip removes
/// everything and there is no prefix) is skipped as if it did not match:
/// dialling an empty number can only fail, and a less specific route may still
/// carry the call. Routes with no trunks are returned as-is; the caller
/// decides how to fail the call.
pub fn route(routes: &[OutboundRoute], number: &str) -> Option<RoutedCall> {
    let best = routes
        .iter()
        .filter(|r| r.pattern.matches(number))
        .filter(|r| {
            let empty = r.rewrite(number).is_empty();
            if empty {
                tracing::warn!(
                    pattern = r.pattern.as_str(),
                    number,
                    "outbound route skipped: rewrite yields an empty number"
                );
            }
            !empty
        })
        // min_by keeps the first of equal elements: slice order is the last
        // tie-break.
        .min_by(|a, b| {
            a.pattern
                .cmp_specificity(&b.pattern)
                .then(a.priority.cmp(&b.priority))
        })?;
    Some(RoutedCall {
        number: best.rewrite(number),
        trunks: best.trunks.clone(),
        caller_id: best.caller_id.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(pattern: &str, priority: u32, strip: usize, prefix: &str, trunk: &str) -> OutboundRoute {
        OutboundRoute {
            pattern: DialPattern::parse(pattern).unwrap(),
            priority,
            strip,
            prefix: prefix.into(),
            trunks: vec![trunk.into()],
            caller_id: CallerIdRule::default(),
        }
    }

    #[test]
    fn strip_and_prefix() {
        let routes = [r("_0ZXXXXXXXX", 0, 1, "+33", "fr")];
        let call = route(&routes, "0142345678").unwrap();
        assert_eq!(call.number, "+33142345678");
        assert_eq!(call.trunks, vec!["fr".to_string()]);
        assert!(route(&routes, "0042345678").is_none());
    }

    #[test]
    fn most_specific_wins_over_priority() {
        let routes = [
            r("_X.", 0, 0, "", "default"),
            r("_00.", 5, 2, "+", "intl"),
            r("112", 9, 0, "", "emergency"),
        ];
        assert_eq!(route(&routes, "112").unwrap().trunks[0], "emergency");
        let intl = route(&routes, "0033123").unwrap();
        assert_eq!(intl.trunks[0], "intl");
        assert_eq!(intl.number, "+33123");
        assert_eq!(route(&routes, "0142").unwrap().trunks[0], "default");
        assert!(route(&routes, "5").is_none());
    }

    #[test]
    fn priority_breaks_specificity_ties_then_order() {
        let routes = [
            r("_0X.", 10, 0, "", "b"),
            r("_0X.", 1, 0, "", "a"),
            r("_0X.", 1, 0, "", "c"),
        ];
        assert_eq!(route(&routes, "0123").unwrap().trunks[0], "a");
    }

    #[test]
    fn empty_rewrite_falls_back_to_other_route() {
        let routes = [r("_9!", 0, 1, "", "strip-all"), r("_X!", 5, 0, "", "other")];
        assert_eq!(route(&routes, "91").unwrap().trunks[0], "strip-all");
        // "9" would become empty on the specific route.
        assert_eq!(route(&routes, "9").unwrap().trunks[0], "other");
        // Strip larger than the number saturates.
        let big = r("_X.", 0, 10, "+", "t");
        assert_eq!(big.rewrite("0123"), "+");
    }

    #[test]
    fn caller_id_rules() {
        let keep = CallerIdRule::default();
        assert_eq!(
            keep.apply("+33100000001"),
            CallerId {
                number: "+33100000001".into(),
                anonymous: false
            }
        );
        let replace = CallerIdRule {
            number: CallerIdNumber::Replace("+33199999999".into()),
            anonymous: true,
        };
        let id = replace.apply("201");
        assert_eq!(id.number, "+33199999999");
        assert!(id.anonymous);

        let mut route_cfg = r("_X.", 0, 0, "", "t");
        route_cfg.caller_id = replace.clone();
        assert_eq!(route(&[route_cfg], "0123").unwrap().caller_id, replace);
    }
}
