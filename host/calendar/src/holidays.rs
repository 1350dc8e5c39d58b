//! Holidays and named holiday calendars.

use std::ops::RangeInclusive;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::date_text;
use crate::easter::easter_sunday;
use crate::error::CalendarError;

/// How a holiday's date is found in a given year.
///
/// Three kinds cover virtually all public and company holidays: one-off
/// dates, the same day every year, and feasts that move with Easter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HolidayRule {
    /// A single date, e.g. a company event on 2026-05-15.
    Fixed {
        /// The only day this holiday happens.
        date: NaiveDate,
    },
    /// The same month and day every year, e.g. Christmas on 12-25.
    /// February 29 only occurs in leap years.
    Yearly {
        /// Month, 1-12.
        month: u32,
        /// Day of the month, 1-31 (must exist in that month).
        day: u32,
    },
    /// A movable feast a fixed number of days from Easter Sunday:
    /// Good Friday = -2, Easter Monday = 1, Ascension = 39,
    /// Whit Monday = 50, Corpus Christi = 60.
    Easter {
        /// Days after Easter Sunday (negative for days before); limited to
        /// [`HolidayRule::EASTER_OFFSETS`] so the feast stays in the same
        /// calendar year as its Easter.
        offset_days: i32,
    },
}

impl HolidayRule {
    /// Allowed Easter offsets: with Easter between March 22 and April 25,
    /// these keep every feast inside the calendar year of its Easter, which
    /// makes "the holiday in year Y" unambiguous.
    pub const EASTER_OFFSETS: RangeInclusive<i32> = -80..=250;

    /// The date this rule yields in `year`, or `None` if it does not occur
    /// that year (a one-off date of another year, or February 29 in a
    /// common year).
    pub fn date_in(&self, year: i32) -> Option<NaiveDate> {
        match *self {
            HolidayRule::Fixed { date } => (date.year() == year).then_some(date),
            HolidayRule::Yearly { month, day } => NaiveDate::from_ymd_opt(year, month, day),
            HolidayRule::Easter { offset_days } => {
                easter_sunday(year).checked_add_signed(Duration::days(i64::from(offset_days)))
            }
        }
    }

    /// Checks that the rule can ever produce a date; returns the reason
    /// otherwise so [`Holiday::validate`] can name the holiday.
    fn problem(&self) -> Option<String> {
        match *self {
            HolidayRule::Fixed { .. } => None,
            HolidayRule::Yearly { month, day } => {
                // 2000 is a leap year, so February 29 is accepted.
                NaiveDate::from_ymd_opt(2000, month, day).is_none().then(|| {
                    format!("{month:02}-{day:02} is not a day of the year; use \"MM-DD\", e.g. \"12-25\"")
                })
            }
            HolidayRule::Easter { offset_days } => (!Self::EASTER_OFFSETS.contains(&offset_days))
                .then(|| {
                    format!(
                        "easter offset {offset_days} is out of range ({}..={}); \
                         it counts days after Easter Sunday, e.g. 1 for Easter Monday",
                        Self::EASTER_OFFSETS.start(),
                        Self::EASTER_OFFSETS.end()
                    )
                }),
        }
    }
}

/// A named day on which offices following this calendar are closed.
///
/// Serde form, exactly one of `date` or `easter`:
///
/// ```toml
/// { name = "Christmas", date = "12-25" }            # every year
/// { name = "Company day", date = "2026-05-15" }     # once
/// { name = "Easter Monday", easter = 1 }            # days after Easter Sunday
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "HolidayRepr", into = "HolidayRepr")]
pub struct Holiday {
    /// Human-readable name, reported as the reason for being closed.
    pub name: String,
    /// How the date is found each year.
    pub rule: HolidayRule,
}

impl Holiday {
    /// A holiday with an arbitrary rule, validated.
    pub fn new(name: impl Into<String>, rule: HolidayRule) -> Result<Self, CalendarError> {
        let holiday = Self {
            name: name.into(),
            rule,
        };
        holiday.validate()?;
        Ok(holiday)
    }

    /// The date of this holiday in `year`, if it occurs that year.
    pub fn date_in(&self, year: i32) -> Option<NaiveDate> {
        self.rule.date_in(year)
    }

    /// Checks the name is present and the rule can produce a date; needed
    /// because the fields are public.
    pub fn validate(&self) -> Result<(), CalendarError> {
        let reason = if self.name.trim().is_empty() {
            Some("the name is empty; give the holiday a name, it is reported as the reason for being closed".to_owned())
        } else {
            self.rule.problem()
        };
        match reason {
            Some(reason) => Err(CalendarError::InvalidHoliday {
                name: self.name.clone(),
                reason,
            }),
            None => Ok(()),
        }
    }
}

/// A named set of holidays (e.g. "national", "alsace-moselle",
/// "company"), shared by any number of schedules.
///
/// Serde form: simply the list of holidays (no wrapping table), e.g. in TOML
///
/// ```toml
/// national = [
///   { name = "New Year", date = "01-01" },
///   { name = "Easter Monday", easter = 1 },
/// ]
/// ```
///
/// iCalendar files are imported separately with
/// [`HolidayCalendar::from_ical`] so that configuration parsing never reads
/// files or guesses whether a string is a path.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct HolidayCalendar {
    /// The holidays, in configuration order (the first match wins when two
    /// fall on the same day).
    pub holidays: Vec<Holiday>,
}

impl HolidayCalendar {
    /// A calendar with the given holidays.
    pub fn new(holidays: Vec<Holiday>) -> Self {
        Self { holidays }
    }

    /// The holiday falling on `date`, if any; the first one in
    /// configuration order wins when several coincide.
    pub fn holiday_on(&self, date: NaiveDate) -> Option<&Holiday> {
        self.holidays
            .iter()
            .find(|holiday| holiday.date_in(date.year()) == Some(date))
    }

    /// All holiday dates of `year`, sorted by date; for listings in an
    /// admin UI and for checking imports.
    pub fn holidays_in(&self, year: i32) -> Vec<(NaiveDate, &Holiday)> {
        let mut dates: Vec<_> = self
            .holidays
            .iter()
            .filter_map(|holiday| holiday.date_in(year).map(|date| (date, holiday)))
            .collect();
        dates.sort_by_key(|(date, _)| *date);
        dates
    }

    /// Validates every holiday (reports the first problem).
    pub fn validate(&self) -> Result<(), CalendarError> {
        self.holidays.iter().try_for_each(Holiday::validate)
    }
}

/// The on-disk shape of [`Holiday`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct HolidayRepr {
    name: String,
    #[serde(
        default,
        deserialize_with = "date_text::deserialize_option",
        skip_serializing_if = "Option::is_none"
    )]
    date: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    easter: Option<i32>,
}

impl TryFrom<HolidayRepr> for Holiday {
    type Error = CalendarError;

    fn try_from(repr: HolidayRepr) -> Result<Self, Self::Error> {
        let invalid = |reason: String| CalendarError::InvalidHoliday {
            name: repr.name.clone(),
            reason,
        };
        let rule = match (&repr.date, repr.easter) {
            (Some(_), Some(_)) => {
                return Err(invalid(
                    "both `date` and `easter` are set; keep only one".to_owned(),
                ));
            }
            (None, None) => {
                return Err(invalid(
                    "missing `date` (\"MM-DD\" for every year, \"YYYY-MM-DD\" for once) \
                     or `easter` (days after Easter Sunday)"
                        .to_owned(),
                ));
            }
            (Some(text), None) => parse_date_rule(text.trim()).ok_or_else(|| {
                invalid(format!(
                    "date \"{text}\" is neither \"MM-DD\" (every year, e.g. \"12-25\") \
                     nor \"YYYY-MM-DD\" (once, e.g. \"2026-05-15\")"
                ))
            })?,
            (None, Some(offset_days)) => HolidayRule::Easter { offset_days },
        };
        Holiday::new(repr.name, rule)
    }
}

/// Parses `YYYY-MM-DD` into a fixed rule or `MM-DD` into a yearly one
/// (the yearly day is checked later by validation).
fn parse_date_rule(text: &str) -> Option<HolidayRule> {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(HolidayRule::Fixed { date });
    }
    let (month, day) = text.split_once('-')?;
    let number = |part: &str| {
        (part.len() == 2 && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse::<u32>().ok())
            .flatten()
    };
    Some(HolidayRule::Yearly {
        month: number(month)?,
        day: number(day)?,
    })
}

impl From<Holiday> for HolidayRepr {
    fn from(holiday: Holiday) -> Self {
        let (date, easter) = match holiday.rule {
            HolidayRule::Fixed { date } => (Some(date.format("%Y-%m-%d").to_string()), None),
            HolidayRule::Yearly { month, day } => (Some(format!("{month:02}-{day:02}")), None),
            HolidayRule::Easter { offset_days } => (None, Some(offset_days)),
        };
        Self {
            name: holiday.name,
            date,
            easter,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn national() -> HolidayCalendar {
        toml::from_str::<std::collections::BTreeMap<String, HolidayCalendar>>(
            r#"national = [
                { name = "Christmas", date = "12-25" },
                { name = "Good Friday", easter = -2 },
                { name = "Easter Monday", easter = 1 },
                { name = "Ascension", easter = 39 },
                { name = "Whit Monday", easter = 50 },
                { name = "Company day", date = "2026-05-15" },
                { name = "Leap day", date = 2028-02-29 },
            ]"#,
        )
        .unwrap()
        .remove("national")
        .unwrap()
    }

    fn name_on(calendar: &HolidayCalendar, day: NaiveDate) -> Option<&str> {
        calendar
            .holiday_on(day)
            .map(|holiday| holiday.name.as_str())
    }

    #[test]
    fn yearly_fixed_and_easter_rules() {
        let calendar = national();
        assert_eq!(name_on(&calendar, date(2026, 12, 25)), Some("Christmas"));
        assert_eq!(name_on(&calendar, date(2031, 12, 25)), Some("Christmas"));
        assert_eq!(name_on(&calendar, date(2026, 12, 24)), None);
        assert_eq!(name_on(&calendar, date(2026, 4, 3)), Some("Good Friday"));
        assert_eq!(name_on(&calendar, date(2026, 4, 6)), Some("Easter Monday"));
        assert_eq!(name_on(&calendar, date(2026, 5, 14)), Some("Ascension"));
        assert_eq!(name_on(&calendar, date(2026, 5, 25)), Some("Whit Monday"));
        assert_eq!(name_on(&calendar, date(2025, 4, 21)), Some("Easter Monday"));
        assert_eq!(name_on(&calendar, date(2026, 5, 15)), Some("Company day"));
        assert_eq!(name_on(&calendar, date(2027, 5, 15)), None);
        assert_eq!(name_on(&calendar, date(2028, 2, 29)), Some("Leap day"));
    }

    #[test]
    fn february_29_yearly_only_in_leap_years() {
        let holiday = Holiday::new("Leap", HolidayRule::Yearly { month: 2, day: 29 }).unwrap();
        assert_eq!(holiday.date_in(2028), Some(date(2028, 2, 29)));
        assert_eq!(holiday.date_in(2027), None);
    }

    #[test]
    fn holidays_in_lists_sorted_dates() {
        let calendar = national();
        let listed: Vec<_> = calendar
            .holidays_in(2026)
            .into_iter()
            .map(|(day, holiday)| (day, holiday.name.as_str()))
            .collect();
        assert_eq!(listed.first(), Some(&(date(2026, 4, 3), "Good Friday")));
        assert_eq!(listed.last(), Some(&(date(2026, 12, 25), "Christmas")));
        assert_eq!(listed.len(), 6);
    }

    #[test]
    fn invalid_holidays_are_rejected_with_hints() {
        let cases = [
            (r#"{ name = "X", date = "13-01" }"#, "not a day of the year"),
            (r#"{ name = "X", date = "02-30" }"#, "not a day of the year"),
            (r#"{ name = "X", date = "Dec 25" }"#, "neither \"MM-DD\""),
            (r#"{ name = "X", easter = 400 }"#, "out of range"),
            (r#"{ name = "X" }"#, "missing `date`"),
            (
                r#"{ name = "X", date = "12-25", easter = 1 }"#,
                "keep only one",
            ),
            (r#"{ name = "", date = "12-25" }"#, "name is empty"),
        ];
        for (holiday, expected) in cases {
            let text = format!("h = {holiday}");
            let err = toml::from_str::<std::collections::BTreeMap<String, Holiday>>(&text)
                .unwrap_err()
                .to_string();
            assert!(err.contains(expected), "{holiday}: {err}");
        }
    }

    #[test]
    fn serializes_back_to_the_same_form() {
        let calendar = national();
        #[derive(Serialize, Deserialize)]
        struct Wrapper {
            national: HolidayCalendar,
        }
        let text = toml::to_string(&Wrapper {
            national: calendar.clone(),
        })
        .unwrap();
        assert!(text.contains(r#"date = "12-25""#), "{text}");
        assert!(text.contains("easter = 39"), "{text}");
        let back: Wrapper = toml::from_str(&text).unwrap();
        assert_eq!(back.national, calendar);
    }
}
