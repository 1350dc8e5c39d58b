//! The TOML configuration forms of schedules and calendars.

mod common;

use chrono::{NaiveDate, NaiveTime, Weekday};
use common::{Config, OFFICE, office};
use pbx_calendar::{HolidayRule, Schedule};

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

#[test]
fn full_schedule_deserializes() {
    let config = office();
    let schedule = &config.schedule;

    let monday: Vec<String> = schedule
        .hours
        .ranges(Weekday::Mon)
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(monday, ["08:00-12:00", "13:30-18:00"]);
    // Short keys (`wed`, `fri`) map to their weekdays.
    assert!(schedule.hours.is_open_at(Weekday::Wed, t(8, 0)));
    assert!(schedule.hours.is_open_at(Weekday::Fri, t(16, 59)));
    assert!(!schedule.hours.is_open_at(Weekday::Fri, t(17, 0)));
    assert!(schedule.hours.ranges(Weekday::Sat).is_empty());

    assert_eq!(schedule.holiday_calendars, ["national"]);
    assert_eq!(schedule.closures.len(), 2);
    assert_eq!(
        schedule.closures[0].from,
        NaiveDate::from_ymd_opt(2026, 8, 10).unwrap()
    );
    assert_eq!(schedule.closures[1].message, "year-end closure");

    let national = &config.calendars["national"];
    assert_eq!(national.holidays.len(), 6);
    assert_eq!(
        national.holidays[2].rule,
        HolidayRule::Easter { offset_days: 1 }
    );
    assert_eq!(
        national.holidays[5].rule,
        HolidayRule::Yearly { month: 12, day: 25 }
    );
    schedule
        .validate(|name| config.calendars.contains_key(name))
        .unwrap();
}

#[test]
fn schedule_round_trips_through_toml() {
    let config = office();
    let text = toml::to_string(&config).unwrap();
    assert!(text.contains("wednesday = ["), "{text}");
    let back: Config = toml::from_str(&text).unwrap();
    assert_eq!(back, config);
    assert_ne!(OFFICE.trim(), text.trim(), "short keys are normalised");
}

fn schedule_error(body: &str) -> String {
    toml::from_str::<Schedule>(body).unwrap_err().to_string()
}

#[test]
fn bad_schedules_are_rejected_with_clear_messages() {
    let message = schedule_error(r#"monday = ["25:00-26:00"]"#);
    assert!(message.contains("hour 25"), "{message}");
    assert!(message.contains("HH:MM-HH:MM"), "{message}");

    let message = schedule_error(r#"monday = ["08:00-12:00", "11:30-14:00"]"#);
    assert!(message.contains("monday"), "{message}");
    assert!(message.contains("overlap"), "{message}");

    let message = schedule_error(
        r#"closures = [{ from = "2026-08-14", to = "2026-08-10", message = "inventory" }]"#,
    );
    assert!(message.contains("swap the dates"), "{message}");

    let message = schedule_error(r#"holiday = ["national"]"#);
    assert!(message.contains("unknown field `holiday`"), "{message}");
}

#[test]
fn empty_table_is_an_always_closed_schedule() {
    let schedule: Schedule = toml::from_str("").unwrap();
    assert!(schedule.hours.is_always_closed());
    assert!(schedule.holiday_calendars.is_empty());
    assert!(schedule.closures.is_empty());
}
