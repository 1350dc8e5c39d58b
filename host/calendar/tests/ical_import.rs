//! Importing holiday calendars from iCalendar text.

use chrono::NaiveDate;
use pbx_calendar::{CalendarError, Holiday, HolidayCalendar, HolidayRule};

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn names_on(calendar: &HolidayCalendar, day: NaiveDate) -> Option<&str> {
    calendar
        .holiday_on(day)
        .map(|holiday| holiday.name.as_str())
}

/// CRLF line endings, a folded SUMMARY, a yearly rule, a three-day event,
/// a date-time event, an alarm with its own SUMMARY and a cancelled event.
const FEED: &str = "BEGIN:VCALENDAR\r\n\
VERSION:2.0\r\n\
PRODID:-//Example//Holidays//EN\r\n\
BEGIN:VEVENT\r\n\
UID:1@example\r\n\
DTSTART;VALUE=DATE:20261225\r\n\
DTEND;VALUE=DATE:20261226\r\n\
RRULE:FREQ=YEARLY\r\n\
SUMMARY:Christmas\r\n\
BEGIN:VALARM\r\n\
ACTION:DISPLAY\r\n\
SUMMARY:Reminder\r\n\
END:VALARM\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:2@example\r\n\
DTSTART;VALUE=DATE:20260810\r\n\
DTEND;VALUE=DATE:20260813\r\n\
SUMMARY:Summer shutdown\\, plant\r\n \\; warehouse\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:3@example\r\n\
DTSTART:20260515T090000Z\r\n\
DTEND:20260515T170000Z\r\n\
SUMMARY:Company day\r\n\
END:VEVENT\r\n\
BEGIN:VEVENT\r\n\
UID:4@example\r\n\
DTSTART;VALUE=DATE:20260601\r\n\
STATUS:CANCELLED\r\n\
SUMMARY:Cancelled party\r\n\
END:VEVENT\r\n\
END:VCALENDAR\r\n";

#[test]
fn imports_yearly_multi_day_folded_and_timed_events() {
    let calendar = HolidayCalendar::from_ical(FEED).unwrap();

    // RRULE:FREQ=YEARLY -> every year, and the VALARM's SUMMARY is ignored.
    assert_eq!(
        calendar.holidays[0],
        Holiday {
            name: "Christmas".into(),
            rule: HolidayRule::Yearly { month: 12, day: 25 }
        }
    );
    assert_eq!(names_on(&calendar, date(2030, 12, 25)), Some("Christmas"));
    assert_eq!(names_on(&calendar, date(2026, 12, 26)), None);

    // Three days (DTEND exclusive), with the folded and escaped name.
    let shutdown = "Summer shutdown, plant; warehouse";
    assert_eq!(names_on(&calendar, date(2026, 8, 9)), None);
    assert_eq!(names_on(&calendar, date(2026, 8, 10)), Some(shutdown));
    assert_eq!(names_on(&calendar, date(2026, 8, 11)), Some(shutdown));
    assert_eq!(names_on(&calendar, date(2026, 8, 12)), Some(shutdown));
    assert_eq!(names_on(&calendar, date(2026, 8, 13)), None);
    assert_eq!(names_on(&calendar, date(2027, 8, 10)), None, "not yearly");

    // Date-time start: the date is taken; one day only.
    assert_eq!(names_on(&calendar, date(2026, 5, 15)), Some("Company day"));
    assert_eq!(names_on(&calendar, date(2026, 5, 16)), None);

    // The cancelled event is skipped.
    assert_eq!(names_on(&calendar, date(2026, 6, 1)), None);
    assert_eq!(calendar.holidays.len(), 1 + 3 + 1);
}

#[test]
fn lf_endings_tab_folding_newline_escape_and_bounded_rules() {
    let text = "BEGIN:VCALENDAR\n\
BEGIN:VEVENT\n\
DTSTART;VALUE=DATE:20260101\n\
RRULE:FREQ=YEARLY;COUNT=3\n\
SUMMARY:New\n\tYear\\nDay\n\
END:VEVENT\n\
BEGIN:VEVENT\n\
DTSTART;VALUE=DATE:20261224\n\
DURATION:P2D\n\
RRULE:FREQ=YEARLY;BYMONTH=12;UNTIL=20271231\n\
SUMMARY:Christmas break\n\
END:VEVENT\n\
END:VCALENDAR";
    let calendar = HolidayCalendar::from_ical(text).unwrap();
    assert_eq!(names_on(&calendar, date(2026, 1, 1)), Some("NewYear\nDay"));
    assert_eq!(names_on(&calendar, date(2028, 1, 1)), Some("NewYear\nDay"));
    assert_eq!(names_on(&calendar, date(2029, 1, 1)), None, "COUNT=3");
    assert_eq!(
        names_on(&calendar, date(2027, 12, 25)),
        Some("Christmas break")
    );
    assert_eq!(names_on(&calendar, date(2027, 12, 26)), None, "P2D");
    assert_eq!(names_on(&calendar, date(2028, 12, 24)), None, "UNTIL");
}

#[test]
fn rejects_text_that_is_not_icalendar() {
    let err = HolidayCalendar::from_ical("SUMMARY:Christmas\nDTSTART:20261225\n").unwrap_err();
    assert_eq!(err, CalendarError::NotICalendar);
    assert!(err.to_string().contains("BEGIN:VCALENDAR"));
}

#[test]
fn unsupported_recurrence_is_rejected_not_misplaced() {
    let text = "BEGIN:VCALENDAR\n\
BEGIN:VEVENT\n\
DTSTART;VALUE=DATE:20261126\n\
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=4TH\n\
SUMMARY:Thanksgiving\n\
END:VEVENT\n\
END:VCALENDAR\n";
    let err = HolidayCalendar::from_ical(text).unwrap_err();
    assert!(matches!(err, CalendarError::Ical { line: 4, .. }), "{err}");
    let message = err.to_string();
    assert!(
        message.contains("Thanksgiving") && message.contains("BYDAY"),
        "{message}"
    );
}

#[test]
fn structural_errors_name_the_line() {
    let missing_start = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:X\nEND:VEVENT\nEND:VCALENDAR\n";
    let err = HolidayCalendar::from_ical(missing_start).unwrap_err();
    assert!(matches!(err, CalendarError::Ical { line: 2, .. }), "{err}");
    assert!(err.to_string().contains("no DTSTART"));

    let unclosed = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20261225\n";
    let err = HolidayCalendar::from_ical(unclosed).unwrap_err();
    assert!(err.to_string().contains("never closed"), "{err}");

    let bad_date = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026-12-25\nEND:VEVENT\nEND:VCALENDAR";
    let err = HolidayCalendar::from_ical(bad_date).unwrap_err();
    assert!(matches!(err, CalendarError::Ical { line: 3, .. }), "{err}");
}
