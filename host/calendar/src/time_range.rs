//! A half-open span of wall-clock time within one day, e.g. `08:00-12:00`.

use std::fmt;
use std::str::FromStr;

use chrono::{NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use crate::error::CalendarError;

/// A time range within one day, `[start, end)`, such as `08:00-12:00`.
///
/// Ranges are half-open so that `08:00-12:00` and `12:00-18:00` touch without
/// overlapping, and a call at exactly 12:00 belongs to the afternoon range.
/// The end of the day cannot be written as a [`NaiveTime`], so it is
/// represented by `end == None` and written as `24:00`.
///
/// The configuration form is the string `"HH:MM-HH:MM"` (seconds are
/// accepted as `HH:MM:SS` but rarely useful); it is used for both `FromStr`
/// and serde.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TimeRange {
    /// First instant of the day that is inside the range.
    pub start: NaiveTime,
    /// First instant after the range, or `None` for "until midnight"
    /// (written `24:00`).
    pub end: Option<NaiveTime>,
}

impl TimeRange {
    /// Builds a range, rejecting empty or inverted ones so that a schedule
    /// never contains a range that can silently never match.
    pub fn new(start: NaiveTime, end: Option<NaiveTime>) -> Result<Self, CalendarError> {
        let range = Self { start, end };
        range.check()?;
        Ok(range)
    }

    /// Checks the invariant `start < end`; needed because the fields are
    /// public and may have been set directly.
    pub fn check(&self) -> Result<(), CalendarError> {
        match self.end {
            Some(end) if end <= self.start => Err(CalendarError::InvalidTimeRange {
                input: self.to_string(),
                reason: if end == NaiveTime::MIN {
                    "the end is 00:00; write 24:00 to mean the end of the day".to_owned()
                } else {
                    "the start is not before the end".to_owned()
                },
            }),
            _ => Ok(()),
        }
    }

    /// Whether `time` falls inside `[start, end)`.
    pub fn contains(&self, time: NaiveTime) -> bool {
        time >= self.start && self.end.is_none_or(|end| time < end)
    }

    /// Whether two ranges share at least one instant; touching ranges
    /// (`08:00-12:00`, `12:00-13:00`) do not overlap.
    pub fn overlaps(&self, other: &TimeRange) -> bool {
        let starts_before_other_ends = other.end.is_none_or(|end| self.start < end);
        let other_starts_before_self_ends = self.end.is_none_or(|end| other.start < end);
        starts_before_other_ends && other_starts_before_self_ends
    }
}

impl fmt::Display for TimeRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_time(f, self.start)?;
        f.write_str("-")?;
        match self.end {
            Some(end) => write_time(f, end),
            None => f.write_str("24:00"),
        }
    }
}

fn write_time(f: &mut fmt::Formatter<'_>, time: NaiveTime) -> fmt::Result {
    if time.second() == 0 {
        write!(f, "{:02}:{:02}", time.hour(), time.minute())
    } else {
        write!(
            f,
            "{:02}:{:02}:{:02}",
            time.hour(),
            time.minute(),
            time.second()
        )
    }
}

impl FromStr for TimeRange {
    type Err = CalendarError;

    fn from_str(input: &str) -> Result<Self, Self::Err> {
        let invalid = |reason: String| CalendarError::InvalidTimeRange {
            input: input.to_owned(),
            reason,
        };
        let (start, end) = input
            .split_once('-')
            .ok_or_else(|| invalid("missing '-' between start and end".to_owned()))?;
        let start = match parse_clock(start.trim()).map_err(&invalid)? {
            Clock::Time(time) => time,
            Clock::EndOfDay => return Err(invalid("24:00 can only be used as the end".to_owned())),
        };
        let end = match parse_clock(end.trim()).map_err(&invalid)? {
            Clock::Time(time) => Some(time),
            Clock::EndOfDay => None,
        };
        let range = Self { start, end };
        range.check().map_err(|err| match err {
            CalendarError::InvalidTimeRange { reason, .. } => invalid(reason),
            other => other,
        })?;
        Ok(range)
    }
}

impl TryFrom<String> for TimeRange {
    type Error = CalendarError;

    fn try_from(value: String) -> Result<Self, Self::Error> {
        value.parse()
    }
}

impl From<TimeRange> for String {
    fn from(range: TimeRange) -> Self {
        range.to_string()
    }
}

/// A parsed clock reading: a real time of day or the `24:00` end-of-day mark.
enum Clock {
    Time(NaiveTime),
    EndOfDay,
}

/// Parses `H:MM`, `HH:MM` or `HH:MM:SS` strictly (no signs, no spaces inside)
/// so that typos are reported instead of being guessed at.
fn parse_clock(text: &str) -> Result<Clock, String> {
    let parts: Vec<&str> = text.split(':').collect();
    let well_formed = (2..=3).contains(&parts.len())
        && (1..=2).contains(&parts[0].len())
        && parts[1..].iter().all(|part| part.len() == 2)
        && parts
            .iter()
            .all(|part| part.bytes().all(|b| b.is_ascii_digit()));
    if !well_formed {
        return Err(format!("\"{text}\" is not a time of day in HH:MM form"));
    }
    let number = |part: &str| part.parse::<u32>().unwrap_or(u32::MAX);
    let hour = number(parts[0]);
    let minute = number(parts[1]);
    let second = parts.get(2).map_or(0, |part| number(part));
    if hour == 24 && minute == 0 && second == 0 {
        return Ok(Clock::EndOfDay);
    }
    if hour > 23 {
        return Err(format!(
            "hour {hour} in \"{text}\" is out of range (00-23, or 24:00 for the end of the day)"
        ));
    }
    if minute > 59 {
        return Err(format!(
            "minute {minute} in \"{text}\" is out of range (00-59)"
        ));
    }
    if second > 59 {
        return Err(format!(
            "second {second} in \"{text}\" is out of range (00-59)"
        ));
    }
    NaiveTime::from_hms_opt(hour, minute, second)
        .map(Clock::Time)
        .ok_or_else(|| format!("\"{text}\" is not a valid time of day"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn parses_plain_and_end_of_day_ranges() {
        let range: TimeRange = "08:00-12:00".parse().unwrap();
        assert_eq!(range.start, t(8, 0));
        assert_eq!(range.end, Some(t(12, 0)));

        let range: TimeRange = "13:30 - 24:00".parse().unwrap();
        assert_eq!(range.start, t(13, 30));
        assert_eq!(range.end, None);
        assert!(range.contains(t(23, 59)));
        assert_eq!(range.to_string(), "13:30-24:00");
    }

    #[test]
    fn contains_is_half_open() {
        let range: TimeRange = "08:00-12:00".parse().unwrap();
        assert!(!range.contains(t(7, 59)));
        assert!(range.contains(t(8, 0)));
        assert!(range.contains(t(11, 59)));
        assert!(!range.contains(t(12, 0)));
    }

    #[test]
    fn rejects_out_of_range_hours_with_a_helpful_message() {
        let err = "25:00-26:00".parse::<TimeRange>().unwrap_err();
        let message = err.to_string();
        assert!(matches!(err, CalendarError::InvalidTimeRange { .. }));
        assert!(message.contains("25:00-26:00"), "{message}");
        assert!(message.contains("hour 25"), "{message}");
        assert!(message.contains("out of range"), "{message}");
    }

    #[test]
    fn rejects_inverted_empty_and_malformed_ranges() {
        for bad in [
            "12:00-08:00",
            "08:00-08:00",
            "24:00-24:00",
            "08:00",
            "8h-12h",
            "08:60-09:00",
        ] {
            assert!(bad.parse::<TimeRange>().is_err(), "{bad} was accepted");
        }
        let message = "22:00-00:00".parse::<TimeRange>().unwrap_err().to_string();
        assert!(message.contains("write 24:00"), "{message}");
    }

    #[test]
    fn overlap_treats_touching_ranges_as_disjoint() {
        let morning: TimeRange = "08:00-12:00".parse().unwrap();
        let noon: TimeRange = "12:00-13:00".parse().unwrap();
        let late: TimeRange = "11:00-24:00".parse().unwrap();
        assert!(!morning.overlaps(&noon));
        assert!(morning.overlaps(&late));
        assert!(late.overlaps(&noon));
    }

    #[test]
    fn serde_uses_the_string_form() {
        #[derive(Debug, Deserialize, Serialize)]
        struct Wrapper {
            range: TimeRange,
        }
        let parsed: Wrapper = toml::from_str(r#"range = "09:15-17:45""#).unwrap();
        assert_eq!(parsed.range.start, t(9, 15));
        assert_eq!(
            toml::to_string(&parsed).unwrap().trim(),
            r#"range = "09:15-17:45""#
        );
        let err = toml::from_str::<Wrapper>(r#"range = "17:00-09:00""#).unwrap_err();
        assert!(err.to_string().contains("start is not before the end"));
    }
}
