//! End-to-end evaluation of schedules: open/closed, reasons and next change.

mod common;

use std::collections::HashMap;

use chrono::Weekday;
use chrono_tz::Europe::Paris;
use common::{office, paris, utc};
use pbx_calendar::{
    CalendarError, ClosedReason, HolidayCalendar, NoCalendars, Schedule, TimeRange, WeeklyHours,
};

fn holiday(name: &str) -> Option<ClosedReason> {
    Some(ClosedReason::Holiday { name: name.into() })
}

#[test]
fn monday_lunch_break_is_closed_until_13_30() {
    let config = office();
    let status = config
        .schedule
        .status_at(paris(2026, 3, 2, 12, 30), &config.calendars);
    assert!(!status.open);
    assert_eq!(status.reason, Some(ClosedReason::OutsideHours));
    assert_eq!(status.next_change, Some(paris(2026, 3, 2, 13, 30)));
}

#[test]
fn monday_morning_is_open_until_noon() {
    let config = office();
    let status = config
        .schedule
        .status_at(paris(2026, 3, 2, 9, 0), &config.calendars);
    assert!(status.open);
    assert_eq!(status.reason, None);
    assert_eq!(status.next_change, Some(paris(2026, 3, 2, 12, 0)));
}

#[test]
fn friday_evening_reopens_monday_morning() {
    let config = office();
    let status = config
        .schedule
        .status_at(paris(2026, 3, 6, 17, 30), &config.calendars);
    assert_eq!(status.reason, Some(ClosedReason::OutsideHours));
    assert_eq!(status.next_change, Some(paris(2026, 3, 9, 8, 0)));
}

#[test]
fn christmas_is_a_holiday_by_name() {
    // 2026-12-25 is a Friday inside the year-end closure; drop the closures
    // to see the holiday itself.
    let mut config = office();
    config.schedule.closures.clear();
    let status = config
        .schedule
        .status_at(paris(2026, 12, 25, 10, 0), &config.calendars);
    assert!(!status.open);
    assert_eq!(status.reason, holiday("Christmas"));
    // Saturday and Sunday stay closed: the next change is Monday 08:00.
    assert_eq!(status.next_change, Some(paris(2026, 12, 28, 8, 0)));
}

#[test]
fn easter_based_holidays_2026() {
    let config = office();
    let cases = [
        (paris(2026, 4, 3, 10, 0), "Good Friday"),
        (paris(2026, 4, 6, 10, 0), "Easter Monday"),
        (paris(2026, 5, 14, 10, 0), "Ascension"),
        (paris(2026, 5, 25, 10, 0), "Whit Monday"),
    ];
    for (at, name) in cases {
        let status = config.schedule.status_at(at, &config.calendars);
        assert_eq!(status.reason, holiday(name), "{at}");
        assert!(!status.open);
    }
    // The day after Easter Monday is a normal Tuesday.
    let status = config
        .schedule
        .status_at(paris(2026, 4, 6, 10, 0), &config.calendars);
    assert_eq!(status.next_change, Some(paris(2026, 4, 7, 8, 0)));
    assert!(
        config
            .schedule
            .status_at(paris(2026, 4, 7, 10, 0), &config.calendars)
            .open
    );
}

#[test]
fn closure_beats_holiday_and_reports_its_message() {
    let config = office();
    let status = config
        .schedule
        .status_at(paris(2026, 12, 25, 10, 0), &config.calendars);
    assert_eq!(
        status.reason,
        Some(ClosedReason::Closure {
            message: "year-end closure".into()
        })
    );
    // Closed through New Year's Day 2027 (a holiday) and the weekend.
    assert_eq!(status.next_change, Some(paris(2027, 1, 4, 8, 0)));

    let inventory = config
        .schedule
        .status_at(paris(2026, 8, 12, 9, 0), &config.calendars);
    assert_eq!(
        inventory.reason,
        Some(ClosedReason::Closure {
            message: "closed for inventory".into()
        })
    );
    assert_eq!(inventory.next_change, Some(paris(2026, 8, 17, 8, 0)));
}

#[test]
fn next_change_crosses_the_spring_dst_change() {
    // Europe/Paris switches from UTC+1 to UTC+2 on Sunday 2026-03-29.
    let config = office();
    let status = config
        .schedule
        .status_at(paris(2026, 3, 27, 19, 0), &config.calendars);
    let next = status.next_change.expect("opens on Monday");
    assert_eq!(next, paris(2026, 3, 30, 8, 0));
    assert_eq!(next.to_utc(), utc("2026-03-30T06:00:00Z"));
}

#[test]
fn opening_inside_the_dst_gap_happens_when_the_clock_jumps() {
    let r = |s: &str| s.parse::<TimeRange>().unwrap();
    let schedule = Schedule {
        hours: WeeklyHours::new().with(Weekday::Sun, [r("02:30-05:00")]),
        ..Schedule::default()
    };
    // 01:30 CET; 02:30 local does not exist that night.
    let status = schedule.status_at(paris(2026, 3, 29, 1, 30), &NoCalendars);
    assert!(!status.open);
    let next = status.next_change.unwrap();
    assert_eq!(next.to_utc(), utc("2026-03-29T01:00:00Z")); // 03:00 CEST
    let after = schedule.status_at(next, &NoCalendars);
    assert!(after.open);
    assert_eq!(
        after.next_change.unwrap().to_utc(),
        utc("2026-03-29T03:00:00Z")
    );
}

#[test]
fn autumn_repeated_hour_is_handled() {
    let r = |s: &str| s.parse::<TimeRange>().unwrap();
    let schedule = Schedule {
        hours: WeeklyHours::new().with(Weekday::Sun, [r("00:00-02:15")]),
        ..Schedule::default()
    };
    // First 02:00-03:00 (CEST) on 2026-10-25: open until 02:15 CEST.
    let first = utc("2026-10-25T00:05:00Z").with_timezone(&Paris);
    let status = schedule.status_at(first, &NoCalendars);
    assert!(status.open);
    assert_eq!(
        status.next_change.unwrap().to_utc(),
        utc("2026-10-25T00:15:00Z")
    );
    // Closed at 02:30 CEST, but the clock falls back to 02:00 CET: open again.
    let closed = utc("2026-10-25T00:30:00Z").with_timezone(&Paris);
    let status = schedule.status_at(closed, &NoCalendars);
    assert!(!status.open);
    assert_eq!(
        status.next_change.unwrap().to_utc(),
        utc("2026-10-25T01:00:00Z")
    );
}

#[test]
fn midnight_between_24_00_and_00_00_is_not_a_change() {
    let r = |s: &str| s.parse::<TimeRange>().unwrap();
    let schedule = Schedule {
        hours: WeeklyHours::new()
            .with(Weekday::Sat, [r("20:00-24:00")])
            .with(Weekday::Sun, [r("00:00-02:00")]),
        ..Schedule::default()
    };
    let status = schedule.status_at(paris(2026, 6, 6, 21, 0), &NoCalendars);
    assert!(status.open);
    assert_eq!(status.next_change, Some(paris(2026, 6, 7, 2, 0)));
}

#[test]
fn never_open_schedule_has_no_next_change() {
    let status = Schedule::default().status_at(paris(2026, 6, 6, 21, 0), &NoCalendars);
    assert!(!status.open);
    assert_eq!(status.reason, Some(ClosedReason::OutsideHours));
    assert_eq!(status.next_change, None);
}

#[test]
fn unknown_calendars_are_ignored_at_runtime_but_reported_by_validate() {
    let mut config = office();
    config.schedule.holiday_calendars = vec!["national".into(), "regional".into()];
    let err = config
        .schedule
        .validate(|name| config.calendars.contains_key(name))
        .unwrap_err();
    assert_eq!(
        err,
        CalendarError::UnknownCalendar {
            name: "regional".into()
        }
    );
    assert!(err.to_string().contains("regional"));
    // Evaluation still applies the known calendar.
    let status = config
        .schedule
        .status_at(paris(2026, 4, 6, 10, 0), &config.calendars);
    assert_eq!(status.reason, holiday("Easter Monday"));
}

#[test]
fn lookups_hashmap_and_single_calendar_work_too() {
    let config = office();
    let national: &HolidayCalendar = &config.calendars["national"];
    let map: HashMap<String, HolidayCalendar> =
        HashMap::from([("national".to_owned(), national.clone())]);
    let at = paris(2026, 5, 14, 10, 0);
    assert_eq!(
        config.schedule.status_at(at, &map).reason,
        holiday("Ascension")
    );
    assert_eq!(
        config.schedule.status_at(at, national).reason,
        holiday("Ascension")
    );
    assert!(config.schedule.status_at(at, &NoCalendars).open);
    assert!(!config.schedule.is_open_at(at, &config.calendars));
}
