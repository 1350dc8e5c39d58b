//! Resolving holiday calendar names to calendars.

use std::collections::{BTreeMap, HashMap};
use std::hash::BuildHasher;

use crate::holidays::HolidayCalendar;

/// Resolves the holiday calendar names a [`Schedule`](crate::Schedule)
/// refers to.
///
/// Schedules name calendars instead of embedding them so that one national
/// calendar can be shared by many schedules and tenants, and stored wherever
/// the caller likes. Implemented for `BTreeMap`/`HashMap` keyed by name, for
/// [`HolidayCalendar`] itself (a single calendar answering every name) and
/// for [`NoCalendars`]; implement it for your own registry if needed.
pub trait CalendarLookup {
    /// The calendar called `name`, or `None` if there is none; unknown names
    /// are ignored during evaluation (see
    /// [`Schedule::validate`](crate::Schedule::validate) to catch them).
    fn calendar(&self, name: &str) -> Option<&HolidayCalendar>;
}

impl<S: BuildHasher> CalendarLookup for HashMap<String, HolidayCalendar, S> {
    fn calendar(&self, name: &str) -> Option<&HolidayCalendar> {
        self.get(name)
    }
}

impl CalendarLookup for BTreeMap<String, HolidayCalendar> {
    fn calendar(&self, name: &str) -> Option<&HolidayCalendar> {
        self.get(name)
    }
}

/// A single calendar used for whatever name the schedule lists; handy when
/// a tenant has exactly one calendar.
impl CalendarLookup for HolidayCalendar {
    fn calendar(&self, _name: &str) -> Option<&HolidayCalendar> {
        Some(self)
    }
}

impl<T: CalendarLookup + ?Sized> CalendarLookup for &T {
    fn calendar(&self, name: &str) -> Option<&HolidayCalendar> {
        (**self).calendar(name)
    }
}

/// A lookup that knows no calendars, for schedules evaluated without
/// holidays (e.g. in tests or before calendars are loaded).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoCalendars;

impl CalendarLookup for NoCalendars {
    fn calendar(&self, _name: &str) -> Option<&HolidayCalendar> {
        None
    }
}
