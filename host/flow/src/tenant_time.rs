//! Conversions between `chrono` times in a tenant's zone and the
//! contract's `datetime`/`date`, for every backend to share.

use crate::bindings::schedule::{self as wit_schedule, ScheduleStatus};
use crate::bindings::{Date, Datetime, Weekday};
use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Timelike};
use chrono_tz::Tz;

/// The contract's datetime for `at`, with local fields in `at`'s zone.
pub fn to_wit(at: &DateTime<Tz>) -> Datetime {
    Datetime {
        unix_seconds: at.timestamp(),
        timezone: at.timezone().name().to_string(),
        utc_offset_seconds: at.offset().fix().local_minus_utc(),
        date: date_to_wit(at.date_naive()),
        hour: at.hour() as u8,
        minute: at.minute() as u8,
        second: at.second() as u8,
        weekday: match at.weekday() {
            chrono::Weekday::Mon => Weekday::Monday,
            chrono::Weekday::Tue => Weekday::Tuesday,
            chrono::Weekday::Wed => Weekday::Wednesday,
            chrono::Weekday::Thu => Weekday::Thursday,
            chrono::Weekday::Fri => Weekday::Friday,
            chrono::Weekday::Sat => Weekday::Saturday,
            chrono::Weekday::Sun => Weekday::Sunday,
        },
    }
}

/// The contract's schedule status for a status the calendar computed.
pub fn schedule_status_to_wit(status: pbx_calendar::ScheduleStatus) -> ScheduleStatus {
    use pbx_calendar::ClosedReason;
    ScheduleStatus {
        open: status.open,
        reason: status.reason.map(|r| match r {
            ClosedReason::OutsideHours => wit_schedule::ClosedReason::OutsideHours,
            ClosedReason::Holiday { name } => wit_schedule::ClosedReason::Holiday(name),
            ClosedReason::Closure { message } => wit_schedule::ClosedReason::Closure(message),
        }),
        next_change: status.next_change.as_ref().map(to_wit),
    }
}

/// The contract's date.
pub fn date_to_wit(d: NaiveDate) -> Date {
    Date {
        year: d.year(),
        month: d.month() as u8,
        day: d.day() as u8,
    }
}

/// A chrono date from the contract's, if valid.
pub fn date_from_wit(d: &Date) -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(d.year, d.month.into(), d.day.into())
}

/// 1970-01-01T00:00:00 UTC, for when there is no call (describe).
pub fn epoch_datetime() -> Datetime {
    to_wit(&Tz::UTC.timestamp_opt(0, 0).single().expect("epoch"))
}

/// "2026-12-25 09:30:00 Europe/Paris friday", for traces.
pub fn render(d: &Datetime) -> String {
    let weekday = match d.weekday {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    };
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}:{:02} {} {weekday}",
        d.date.year, d.date.month, d.date.day, d.hour, d.minute, d.second, d.timezone
    )
}
