//! Office-hours schedules and their evaluation at a given instant.

use std::fmt;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, NaiveTime};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use crate::closure::Closure;
use crate::error::CalendarError;
use crate::lookup::CalendarLookup;
use crate::next_change::next_change;
use crate::time_range::TimeRange;
use crate::weekly::WeeklyHours;

/// An office-hours schedule: weekly hours, the holiday calendars that close
/// the office, and exceptional closures.
///
/// Serde form: the weekday keys of [`WeeklyHours`] flattened next to
/// `holidays` (calendar names) and `closures`; every key is optional and
/// unknown keys are rejected. Deserialization runs the name-independent part
/// of [`Schedule::validate`].
///
/// ```toml
/// [schedule]
/// monday = ["08:00-12:00", "13:30-18:00"]
/// tue = ["08:00-12:00"]
/// holidays = ["national"]
/// closures = [
///   { from = "2026-08-10", to = "2026-08-14", message = "closed for inventory" },
/// ]
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ScheduleRepr", into = "ScheduleRepr")]
pub struct Schedule {
    /// Regular opening hours.
    pub hours: WeeklyHours,
    /// Names of holiday calendars; the office is closed all day on any of
    /// their holidays. Resolved through a [`CalendarLookup`].
    pub holiday_calendars: Vec<String>,
    /// Exceptional closures; they take precedence over everything else.
    pub closures: Vec<Closure>,
}

/// Why a schedule is closed, in priority order: a closure beats a holiday,
/// which beats being outside office hours, so callers can pick the most
/// specific announcement.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ClosedReason {
    /// No weekly range covers the current time.
    OutsideHours,
    /// The day is a holiday in one of the schedule's calendars.
    Holiday {
        /// The holiday's name, e.g. "Christmas".
        name: String,
    },
    /// The day is inside an exceptional closure.
    Closure {
        /// The closure's message, e.g. "closed for inventory".
        message: String,
    },
}

impl fmt::Display for ClosedReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClosedReason::OutsideHours => f.write_str("outside office hours"),
            ClosedReason::Holiday { name } => write!(f, "holiday: {name}"),
            ClosedReason::Closure { message } => write!(f, "closed: {message}"),
        }
    }
}

/// The result of evaluating a schedule at one instant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScheduleStatus {
    /// Whether calls should be treated as during office hours.
    pub open: bool,
    /// Why it is closed; `None` exactly when `open` is true.
    pub reason: Option<ClosedReason>,
    /// The next instant at which `open` flips (e.g. to announce "we open at
    /// 08:00 on Monday"), searched up to 370 days ahead; `None` if the state
    /// never changes within that horizon. Boundaries that do not change the
    /// state (a range ending at 24:00 followed by one starting at 00:00, a
    /// holiday on a closed day) are skipped.
    pub next_change: Option<DateTime<Tz>>,
}

impl Schedule {
    /// Checks the weekly hours and closures, and reports the first holiday
    /// calendar name for which `known` returns false, so configuration
    /// errors surface at load time instead of as silently ignored holidays.
    pub fn validate(&self, known: impl Fn(&str) -> bool) -> Result<(), CalendarError> {
        self.validate_structure()?;
        match self.holiday_calendars.iter().find(|name| !known(name)) {
            Some(name) => Err(CalendarError::UnknownCalendar { name: name.clone() }),
            None => Ok(()),
        }
    }

    /// The checks that do not need to know which calendars exist.
    fn validate_structure(&self) -> Result<(), CalendarError> {
        self.hours.validate()?;
        self.closures.iter().try_for_each(Closure::validate)
    }

    /// Evaluates the schedule at `at`, which must already be in the
    /// tenant's time zone (convert with `with_timezone`): hours, holidays and
    /// closures are all interpreted in that zone's wall-clock time.
    ///
    /// Holiday calendar names are resolved through `calendars`; unknown
    /// names are ignored here (use [`Schedule::validate`] to report them).
    pub fn status_at<L: CalendarLookup + ?Sized>(
        &self,
        at: DateTime<Tz>,
        calendars: &L,
    ) -> ScheduleStatus {
        let reason = self.closed_reason(at.naive_local(), calendars);
        let next_change = next_change(
            at,
            |date| self.candidate_times(date),
            |local| self.closed_reason(local, calendars).is_none(),
        );
        ScheduleStatus {
            open: reason.is_none(),
            reason,
            next_change,
        }
    }

    /// Convenience for `status_at(...).open`, skipping the search for the
    /// next change.
    pub fn is_open_at<L: CalendarLookup + ?Sized>(&self, at: DateTime<Tz>, calendars: &L) -> bool {
        self.closed_reason(at.naive_local(), calendars).is_none()
    }

    /// Why the schedule is closed at the wall-clock time `local`, or `None`
    /// if it is open; applies the priority closure > holiday > hours.
    fn closed_reason<L: CalendarLookup + ?Sized>(
        &self,
        local: NaiveDateTime,
        calendars: &L,
    ) -> Option<ClosedReason> {
        let date = local.date();
        if let Some(closure) = self.closures.iter().find(|closure| closure.contains(date)) {
            return Some(ClosedReason::Closure {
                message: closure.message.clone(),
            });
        }
        let holiday = self
            .holiday_calendars
            .iter()
            .filter_map(|name| calendars.calendar(name))
            .find_map(|calendar| calendar.holiday_on(date));
        if let Some(holiday) = holiday {
            return Some(ClosedReason::Holiday {
                name: holiday.name.clone(),
            });
        }
        if self.hours.is_open_at(date.weekday(), local.time()) {
            None
        } else {
            Some(ClosedReason::OutsideHours)
        }
    }

    /// Times of day on `date` at which the state may change: midnight
    /// (holidays and closures are per day) and every range boundary.
    fn candidate_times(&self, date: NaiveDate) -> Vec<NaiveTime> {
        let ranges = self.hours.ranges(date.weekday());
        let mut times = Vec::with_capacity(1 + 2 * ranges.len());
        times.push(NaiveTime::MIN);
        for range in ranges {
            times.push(range.start);
            times.extend(range.end);
        }
        times
    }
}

/// The on-disk shape of [`Schedule`]; weekday fields are repeated here
/// (instead of `#[serde(flatten)]`) so unknown keys can still be rejected.
#[derive(Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ScheduleRepr {
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    holidays: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    closures: Vec<Closure>,
}

impl TryFrom<ScheduleRepr> for Schedule {
    type Error = CalendarError;

    fn try_from(repr: ScheduleRepr) -> Result<Self, Self::Error> {
        let hours = WeeklyHours::from_days([
            repr.monday,
            repr.tuesday,
            repr.wednesday,
            repr.thursday,
            repr.friday,
            repr.saturday,
            repr.sunday,
        ])?;
        let schedule = Schedule {
            hours,
            holiday_calendars: repr.holidays,
            closures: repr.closures,
        };
        schedule.validate_structure()?;
        Ok(schedule)
    }
}

impl From<Schedule> for ScheduleRepr {
    fn from(schedule: Schedule) -> Self {
        let [
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
        ] = schedule.hours.into_days();
        Self {
            monday,
            tuesday,
            wednesday,
            thursday,
            friday,
            saturday,
            sunday,
            holidays: schedule.holiday_calendars,
            closures: schedule.closures,
        }
    }
}
