//! The single error type of the crate.
//!
//! Every message is written for the person editing the tenant configuration:
//! it names the offending value and says what a valid value looks like, so the
//! message can be shown verbatim in an admin UI or a config-check log.

use chrono::{NaiveDate, Weekday};

use crate::time_range::TimeRange;

/// Everything that can be wrong with calendar configuration or an imported
/// iCalendar file.
///
/// Evaluating a valid schedule never fails; errors only arise while parsing
/// or validating configuration, so callers can reject bad input up front.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CalendarError {
    /// A `"HH:MM-HH:MM"` string could not be parsed or describes an empty or
    /// inverted range.
    #[error(
        "invalid time range \"{input}\": {reason} (expected \"HH:MM-HH:MM\" with start before end, \
         e.g. \"08:00-12:00\"; use \"24:00\" as the end to mean end of day)"
    )]
    InvalidTimeRange {
        /// The text as written in the configuration.
        input: String,
        /// What exactly is wrong with it.
        reason: String,
    },

    /// Two ranges of the same weekday overlap, which almost always means a
    /// typo; the user should merge them or fix the boundaries.
    #[error(
        "{}: time ranges {first} and {second} overlap; merge them into one range or make them disjoint",
        weekday_name(*weekday)
    )]
    OverlappingRanges {
        /// The weekday whose ranges overlap.
        weekday: Weekday,
        /// The earlier-starting range.
        first: TimeRange,
        /// The range that starts before `first` ends.
        second: TimeRange,
    },

    /// A holiday definition is incomplete, ambiguous or names an impossible
    /// date.
    #[error("holiday \"{name}\": {reason}")]
    InvalidHoliday {
        /// The holiday's name (may be empty if the name itself is missing).
        name: String,
        /// What exactly is wrong and how to fix it.
        reason: String,
    },

    /// A closure ends before it starts.
    #[error(
        "closure \"{message}\": end date {to} is before start date {from}; \
         swap the dates (both ends are inclusive)"
    )]
    InvalidClosure {
        /// First closed day as configured.
        from: NaiveDate,
        /// Last closed day as configured.
        to: NaiveDate,
        /// The closure's message, to identify it.
        message: String,
    },

    /// A schedule refers to a holiday calendar that does not exist.
    #[error(
        "unknown holiday calendar \"{name}\": define a calendar with that name \
         or remove it from the schedule's `holidays` list"
    )]
    UnknownCalendar {
        /// The name as written in the schedule.
        name: String,
    },

    /// The text handed to the iCalendar importer is not an iCalendar file.
    #[error(
        "not an iCalendar file: no BEGIN:VCALENDAR line found; \
         export the calendar in iCalendar (.ics) format and import that text"
    )]
    NotICalendar,

    /// The iCalendar file is malformed or uses a feature the importer cannot
    /// represent faithfully.
    #[error("iCalendar line {line}: {reason}")]
    Ical {
        /// 1-based line number in the original (folded) text.
        line: usize,
        /// What exactly is wrong and how to fix it.
        reason: String,
    },
}

/// Lower-case English weekday name as used for the configuration keys, so
/// error messages match what the user typed.
pub(crate) fn weekday_name(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}
