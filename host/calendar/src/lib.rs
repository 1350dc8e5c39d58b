//! Tenant calendar logic for the PBX: weekly office hours, holiday calendars
//! and exceptional closures, evaluated in the tenant's time zone.
//!
//! Call flows need to answer "are we open right now, and if not, why and
//! until when?". This crate answers exactly that and nothing else: it knows
//! nothing about SIP, WebAssembly or storage, so it can be tested in
//! isolation and reused by the configuration checker and the runtime alike.
//!
//! * [`WeeklyHours`] — opening ranges per weekday (`"08:00-12:00"`).
//! * [`HolidayCalendar`] — named sets of [`Holiday`]s: fixed dates, yearly
//!   dates and Easter-relative feasts ([`easter_sunday`]); importable from
//!   iCalendar with [`HolidayCalendar::from_ical`].
//! * [`Closure`] — one-off closed periods with a message.
//! * [`Schedule`] — the three combined; [`Schedule::status_at`] gives a
//!   [`ScheduleStatus`] with the [`ClosedReason`] and the next instant the
//!   state flips, correct across daylight-saving changes.
//!
//! All configuration types deserialize from TOML-friendly forms (see each
//! type) and validate on the way in; errors are [`CalendarError`]s whose
//! messages tell the user what to fix.
//!
//! ```
//! use std::collections::BTreeMap;
//! use pbx_calendar::{ClosedReason, HolidayCalendar, Schedule};
//!
//! #[derive(serde::Deserialize)]
//! struct Config {
//!     schedule: Schedule,
//!     calendars: BTreeMap<String, HolidayCalendar>,
//! }
//!
//! let config: Config = toml::from_str(r#"
//!     [schedule]
//!     monday = ["08:00-12:00", "13:30-18:00"]
//!     holidays = ["national"]
//!
//!     [calendars]
//!     national = [{ name = "Easter Monday", easter = 1 }]
//! "#).unwrap();
//! config.schedule.validate(|name| config.calendars.contains_key(name)).unwrap();
//!
//! let tz = chrono_tz::Europe::Paris;
//! let at = "2026-04-06T09:00:00Z".parse::<chrono::DateTime<chrono::Utc>>().unwrap();
//! let status = config.schedule.status_at(at.with_timezone(&tz), &config.calendars);
//! assert!(!status.open);
//! assert_eq!(status.reason, Some(ClosedReason::Holiday { name: "Easter Monday".into() }));
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod closure;
mod date_text;
mod easter;
mod error;
mod holidays;
mod ical;
mod ical_import;
mod lookup;
mod next_change;
mod schedule;
mod time_range;
mod weekly;

pub use closure::Closure;
pub use easter::easter_sunday;
pub use error::CalendarError;
pub use holidays::{Holiday, HolidayCalendar, HolidayRule};
pub use lookup::{CalendarLookup, NoCalendars};
pub use schedule::{ClosedReason, Schedule, ScheduleStatus};
pub use time_range::TimeRange;
pub use weekly::WeeklyHours;
