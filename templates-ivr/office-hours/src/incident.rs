//! The `incidents` parameter: which incident flags this route obeys, and
//! what each one does while it is active.
//!
//! One entry per flag, `FLAG=KIND:NAME`, for example
//! `outage=prompt:office-incident` or `fire-drill=extension:1003`. The list
//! order is the priority: when several flags are active, the first listed
//! wins. Flags the tenant has but the list does not name are ignored by
//! this route.

use crate::target::{Allowed, Target, TargetError};
use std::fmt;

/// One entry of the `incidents` list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentRule {
    /// Name of the tenant's incident flag.
    pub flag: String,
    /// What happens while it is active.
    pub target: Target,
}

/// An `incidents` entry that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentError {
    /// Not `FLAG=KIND:NAME`, or the flag name has other characters.
    Syntax {
        /// The entry as given.
        entry: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// The part after `=` is not a target.
    Target(TargetError),
    /// The same flag is listed twice; only one rule can apply.
    Duplicate(String),
}

impl fmt::Display for IncidentError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IncidentError::Syntax { entry, reason } => write!(
                f,
                "incident entry `{entry}`: {reason}; write FLAG=prompt:NAME, FLAG=extension:NUMBER, FLAG=queue:NAME or FLAG=voicemail:BOX"
            ),
            IncidentError::Target(e) => write!(f, "incident entry target {e}"),
            IncidentError::Duplicate(flag) => write!(
                f,
                "incident flag `{flag}` is listed twice; keep one entry per flag"
            ),
        }
    }
}

impl std::error::Error for IncidentError {}

impl IncidentRule {
    /// Read one entry.
    pub fn parse(entry: &str) -> Result<IncidentRule, IncidentError> {
        let syntax = |reason| IncidentError::Syntax {
            entry: entry.to_string(),
            reason,
        };
        let (flag, target) = entry.split_once('=').ok_or_else(|| syntax("no `=`"))?;
        if flag.is_empty() || flag.len() > 64 {
            return Err(syntax("the flag name must be 1-64 characters"));
        }
        if !flag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(syntax(
                "the flag name has a character other than letters, digits, - _ . (no spaces)",
            ));
        }
        let target =
            Target::parse(target, Allowed::DestinationsOrPrompt).map_err(IncidentError::Target)?;
        Ok(IncidentRule {
            flag: flag.to_string(),
            target,
        })
    }

    /// Read the whole list, in order; the first bad entry is the error.
    pub fn parse_list(entries: &[String]) -> Result<Vec<IncidentRule>, IncidentError> {
        let mut rules: Vec<IncidentRule> = Vec::with_capacity(entries.len());
        for entry in entries {
            let rule = IncidentRule::parse(entry)?;
            if rules.iter().any(|r| r.flag == rule.flag) {
                return Err(IncidentError::Duplicate(rule.flag));
            }
            rules.push(rule);
        }
        Ok(rules)
    }
}

/// The rule that applies given the names of the tenant's active flags:
/// the first rule, in list order, whose flag is active.
pub fn first_active<'r>(rules: &'r [IncidentRule], active: &[String]) -> Option<&'r IncidentRule> {
    rules.iter().find(|r| active.iter().any(|a| a == &r.flag))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(entries: &[&str]) -> Vec<String> {
        entries.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn entries_select_a_prompt_or_a_destination() {
        let rules = IncidentRule::parse_list(&list(&[
            "outage=prompt:office-incident",
            "fire-drill=extension:1003",
            "snow=voicemail:2000",
            "strike=queue:skeleton",
        ]))
        .unwrap();
        assert_eq!(rules[0].flag, "outage");
        assert_eq!(rules[0].target, Target::Prompt("office-incident".into()));
        assert_eq!(rules[1].target, Target::Extension("1003".into()));
        assert_eq!(rules[2].target, Target::Voicemail("2000".into()));
        assert_eq!(rules[3].target, Target::Queue("skeleton".into()));
    }

    #[test]
    fn the_first_active_flag_in_list_order_wins() {
        let rules = IncidentRule::parse_list(&list(&[
            "outage=prompt:office-incident",
            "fire-drill=extension:1003",
        ]))
        .unwrap();
        // The tenant's order of active flags does not matter.
        let active = list(&["fire-drill", "outage"]);
        assert_eq!(first_active(&rules, &active).unwrap().flag, "outage");
        let active = list(&["fire-drill", "unrelated"]);
        assert_eq!(first_active(&rules, &active).unwrap().flag, "fire-drill");
        assert!(first_active(&rules, &list(&["unrelated"])).is_none());
        assert!(first_active(&[], &list(&["outage"])).is_none());
    }

    #[test]
    fn malformed_entries_are_refused() {
        for (entry, needle) in [
            ("outage", "no `=`"),
            ("=prompt:x", "1-64"),
            ("out age=prompt:x", "no spaces"),
            ("outage =prompt:x", "no spaces"),
            ("outage=office-incident", "no kind"),
            ("outage=prompt:", "nothing after"),
            ("outage=tel:+33123", "unknown kind"),
        ] {
            let e = IncidentRule::parse(entry).unwrap_err();
            assert!(e.to_string().contains(needle), "{entry}: {e}");
            assert!(e.to_string().contains("prompt:"), "{entry}: {e}");
        }
    }

    #[test]
    fn a_flag_listed_twice_is_refused() {
        let e = IncidentRule::parse_list(&list(&["outage=prompt:a", "outage=extension:1"]))
            .unwrap_err();
        assert_eq!(e, IncidentError::Duplicate("outage".into()));
    }
}
