//! Exceptional, one-off closures such as "closed for inventory".

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::date_text;
use crate::error::CalendarError;

/// A period during which the office is closed regardless of its weekly
/// hours, with a message explaining why (e.g. for an announcement or the
/// admin UI).
///
/// Both ends are inclusive whole days in the tenant's time zone, because
/// that is how people describe closures ("10 to 14 August").
///
/// Serde form (dates as strings or TOML dates):
///
/// ```toml
/// { from = "2026-08-10", to = "2026-08-14", message = "closed for inventory" }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Closure {
    /// First closed day.
    #[serde(deserialize_with = "date_text::deserialize_date")]
    pub from: NaiveDate,
    /// Last closed day (inclusive).
    #[serde(deserialize_with = "date_text::deserialize_date")]
    pub to: NaiveDate,
    /// Why the office is closed; reported back in
    /// [`ClosedReason::Closure`](crate::ClosedReason::Closure).
    #[serde(default)]
    pub message: String,
}

impl Closure {
    /// A closure from `from` to `to` inclusive; rejects inverted ranges so a
    /// typo cannot produce a closure that never applies.
    pub fn new(
        from: NaiveDate,
        to: NaiveDate,
        message: impl Into<String>,
    ) -> Result<Self, CalendarError> {
        let closure = Self {
            from,
            to,
            message: message.into(),
        };
        closure.validate()?;
        Ok(closure)
    }

    /// Checks `from <= to`; needed because the fields are public.
    pub fn validate(&self) -> Result<(), CalendarError> {
        if self.to < self.from {
            return Err(CalendarError::InvalidClosure {
                from: self.from,
                to: self.to,
                message: self.message.clone(),
            });
        }
        Ok(())
    }

    /// Whether `date` is one of the closed days.
    pub fn contains(&self, date: NaiveDate) -> bool {
        self.from <= date && date <= self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn both_ends_are_inclusive() {
        let closure = Closure::new(date(2026, 8, 10), date(2026, 8, 14), "inventory").unwrap();
        assert!(!closure.contains(date(2026, 8, 9)));
        assert!(closure.contains(date(2026, 8, 10)));
        assert!(closure.contains(date(2026, 8, 14)));
        assert!(!closure.contains(date(2026, 8, 15)));
    }

    #[test]
    fn inverted_closure_is_rejected() {
        let err = Closure::new(date(2026, 8, 14), date(2026, 8, 10), "inventory").unwrap_err();
        assert!(err.to_string().contains("swap the dates"), "{err}");
    }

    #[test]
    fn deserializes_string_and_native_toml_dates() {
        let closure: Closure = toml::from_str(
            r#"from = "2026-08-10"
to = 2026-08-14
message = "closed for inventory""#,
        )
        .unwrap();
        assert_eq!(closure.from, date(2026, 8, 10));
        assert_eq!(closure.to, date(2026, 8, 14));
        assert_eq!(closure.message, "closed for inventory");

        let err = toml::from_str::<Closure>(
            r#"from = "2026-13-01"
to = "2026-08-14""#,
        )
        .unwrap_err()
        .to_string();
        assert!(err.contains("expected YYYY-MM-DD"), "{err}");
    }
}
