//! Recurring weekly office hours.

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::error::CalendarError;
use crate::time_range::TimeRange;

/// Opening hours for each day of the week: zero or more disjoint
/// [`TimeRange`]s per weekday; a weekday without ranges is closed all day.
///
/// Serde form: a table with optional keys `monday` … `sunday` (the short
/// forms `mon` … `sun` are accepted too), each a list of `"HH:MM-HH:MM"`
/// strings. Unknown keys are rejected so that a misspelt weekday does not
/// silently close the office. Deserialization runs [`WeeklyHours::validate`].
///
/// ```toml
/// monday = ["08:00-12:00", "13:30-18:00"]
/// sat = ["09:00-12:00"]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "WeekRepr", into = "WeekRepr")]
pub struct WeeklyHours {
    /// Indexed by `Weekday::num_days_from_monday`.
    days: [Vec<TimeRange>; 7],
}

impl WeeklyHours {
    /// An always-closed week, the starting point for building hours in code.
    pub fn new() -> Self {
        Self::default()
    }

    /// Builder-style variant of [`WeeklyHours::set`], convenient in code and
    /// tests; call [`WeeklyHours::validate`] afterwards.
    #[must_use]
    pub fn with(mut self, weekday: Weekday, ranges: impl IntoIterator<Item = TimeRange>) -> Self {
        self.set(weekday, ranges);
        self
    }

    /// Replaces the ranges of one weekday. Not validated here so that
    /// several edits can be made before checking with
    /// [`WeeklyHours::validate`].
    pub fn set(&mut self, weekday: Weekday, ranges: impl IntoIterator<Item = TimeRange>) {
        self.days[day_index(weekday)] = ranges.into_iter().collect();
    }

    /// The ranges of one weekday, in configuration order.
    pub fn ranges(&self, weekday: Weekday) -> &[TimeRange] {
        &self.days[day_index(weekday)]
    }

    /// Whether the week has no opening time at all; useful to warn about a
    /// schedule that would always be closed.
    pub fn is_always_closed(&self) -> bool {
        self.days.iter().all(Vec::is_empty)
    }

    /// Whether the office is open at `time` on `weekday` according to the
    /// weekly hours alone (holidays and closures are the schedule's job).
    pub fn is_open_at(&self, weekday: Weekday, time: NaiveTime) -> bool {
        self.ranges(weekday)
            .iter()
            .any(|range| range.contains(time))
    }

    /// Checks that every range is non-empty and that no two ranges of the
    /// same day overlap, which would indicate a configuration mistake.
    pub fn validate(&self) -> Result<(), CalendarError> {
        for weekday in WEEK {
            let mut ranges = self.ranges(weekday).to_vec();
            for range in &ranges {
                range.check()?;
            }
            ranges.sort();
            for pair in ranges.windows(2) {
                if pair[0].overlaps(&pair[1]) {
                    return Err(CalendarError::OverlappingRanges {
                        weekday,
                        first: pair[0],
                        second: pair[1],
                    });
                }
            }
        }
        Ok(())
    }

    /// Builds from per-day lists (Monday first) and validates; shared with
    /// the schedule's flattened serde form.
    pub(crate) fn from_days(days: [Vec<TimeRange>; 7]) -> Result<Self, CalendarError> {
        let hours = Self { days };
        hours.validate()?;
        Ok(hours)
    }

    /// Per-day lists, Monday first; shared with the schedule's serde form.
    pub(crate) fn into_days(self) -> [Vec<TimeRange>; 7] {
        self.days
    }
}

/// All weekdays, Monday first, for iteration.
pub(crate) const WEEK: [Weekday; 7] = [
    Weekday::Mon,
    Weekday::Tue,
    Weekday::Wed,
    Weekday::Thu,
    Weekday::Fri,
    Weekday::Sat,
    Weekday::Sun,
];

fn day_index(weekday: Weekday) -> usize {
    weekday.num_days_from_monday() as usize
}

/// The on-disk shape of [`WeeklyHours`].
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct WeekRepr {
    #[serde(default, alias = "mon", skip_serializing_if = "Vec::is_empty")]
    monday: Vec<TimeRange>,
    #[serde(default, alias = "tue", skip_serializing_if = "Vec::is_empty")]
    tuesday: Vec<TimeRange>,
    #[serde(default, alias = "wed", skip_serializing_if = "Vec::is_empty")]
    wednesday: Vec<TimeRange>,
    #[serde(default, alias = "thu", skip_serializing_if = "Vec::is_empty")]
    thursday: Vec<TimeRange>,
    #[serde(default, alias = "fri", skip_serializing_if = "Vec::is_empty")]
    friday: Vec<TimeRange>,
    #[serde(default, alias = "sat", skip_serializing_if = "Vec::is_empty")]
    saturday: Vec<TimeRange>,
    #[serde(default, alias = "sun", skip_serializing_if = "Vec::is_empty")]
    sunday: Vec<TimeRange>,
}

impl TryFrom<WeekRepr> for WeeklyHours {
    type Error = CalendarError;

    fn try_from(repr: WeekRepr) -> Result<Self, Self::Error> {
        WeeklyHours::from_days([
            repr.monday,
            repr.tuesday,
            repr.wednesday,
            repr.thursday,
            repr.friday,
            repr.saturday,
            repr.sunday,
        ])
    }
}

impl From<WeeklyHours> for WeekRepr {
    fn from(hours: WeeklyHours) -> Self {
        let [
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
        ] = hours.into_days();
        Self {
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(text: &str) -> TimeRange {
        text.parse().unwrap()
    }

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn open_only_inside_the_ranges_of_that_weekday() {
        let hours = WeeklyHours::new().with(Weekday::Mon, [r("08:00-12:00"), r("13:30-18:00")]);
        assert!(hours.is_open_at(Weekday::Mon, t(9, 0)));
        assert!(!hours.is_open_at(Weekday::Mon, t(12, 30)));
        assert!(hours.is_open_at(Weekday::Mon, t(13, 30)));
        assert!(!hours.is_open_at(Weekday::Tue, t(9, 0)));
        assert!(!hours.is_always_closed());
        assert!(WeeklyHours::new().is_always_closed());
    }

    #[test]
    fn overlapping_ranges_are_rejected() {
        let hours = WeeklyHours::new().with(Weekday::Wed, [r("13:00-18:00"), r("08:00-13:30")]);
        let err = hours.validate().unwrap_err();
        assert_eq!(
            err,
            CalendarError::OverlappingRanges {
                weekday: Weekday::Wed,
                first: r("08:00-13:30"),
                second: r("13:00-18:00"),
            }
        );
        assert!(err.to_string().starts_with("wednesday:"), "{err}");

        let touching = WeeklyHours::new().with(Weekday::Wed, [r("13:00-18:00"), r("08:00-13:00")]);
        assert!(touching.validate().is_ok());
    }

    #[test]
    fn deserializes_long_and_short_keys_and_rejects_overlaps() {
        let hours: WeeklyHours = toml::from_str(
            r#"
            monday = ["08:00-12:00"]
            sat = ["09:00-12:00"]
            "#,
        )
        .unwrap();
        assert!(hours.is_open_at(Weekday::Mon, t(8, 0)));
        assert!(hours.is_open_at(Weekday::Sat, t(9, 0)));
        assert!(!hours.is_open_at(Weekday::Sun, t(9, 0)));

        let err = toml::from_str::<WeeklyHours>(r#"tue = ["08:00-12:00", "11:00-14:00"]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("overlap"), "{err}");

        let err = toml::from_str::<WeeklyHours>(r#"mondey = ["08:00-12:00"]"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("mondey"), "{err}");
    }

    #[test]
    fn serializes_only_open_days_with_long_keys() {
        let hours = WeeklyHours::new().with(Weekday::Fri, [r("08:00-16:00")]);
        let text = toml::to_string(&hours).unwrap();
        assert_eq!(text.trim(), r#"friday = ["08:00-16:00"]"#);
        assert_eq!(toml::from_str::<WeeklyHours>(&text).unwrap(), hours);
    }
}
