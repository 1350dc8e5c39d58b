//! Shared fixtures for the integration tests.

#![allow(dead_code)]

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone};
use chrono_tz::{Europe::Paris, Tz};
use pbx_calendar::{HolidayCalendar, Schedule};

/// Wall-clock time in Paris; panics on gaps/ambiguities to keep tests honest.
pub fn paris(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Tz> {
    Paris
        .with_ymd_and_hms(y, mo, d, h, mi, 0)
        .single()
        .expect("unambiguous local time")
}

/// Parses a UTC instant such as `2026-03-30T06:00:00Z`.
pub fn utc(text: &str) -> DateTime<chrono::Utc> {
    text.parse().expect("RFC 3339 instant")
}

/// A typical office: weekdays 08:00-12:00 and 13:30-18:00 (Friday until
/// 17:00), national holidays, summer inventory and a year-end closure.
pub const OFFICE: &str = r#"
[schedule]
monday = ["08:00-12:00", "13:30-18:00"]
tuesday = ["08:00-12:00", "13:30-18:00"]
wed = ["08:00-12:00", "13:30-18:00"]
thu = ["08:00-12:00", "13:30-18:00"]
fri = ["08:00-12:00", "13:30-17:00"]
holidays = ["national"]
closures = [
  { from = "2026-08-10", to = "2026-08-14", message = "closed for inventory" },
  { from = 2026-12-24, to = 2026-12-31, message = "year-end closure" },
]

[calendars]
national = [
  { name = "New Year", date = "01-01" },
  { name = "Good Friday", easter = -2 },
  { name = "Easter Monday", easter = 1 },
  { name = "Ascension", easter = 39 },
  { name = "Whit Monday", easter = 50 },
  { name = "Christmas", date = "12-25" },
]
"#;

/// Top-level configuration shape used by the tests.
#[derive(Debug, serde::Deserialize, serde::Serialize, PartialEq)]
pub struct Config {
    pub schedule: Schedule,
    pub calendars: BTreeMap<String, HolidayCalendar>,
}

/// The [`OFFICE`] configuration, parsed.
pub fn office() -> Config {
    toml::from_str(OFFICE).expect("office fixture parses")
}
