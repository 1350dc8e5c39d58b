//! Holiday calendars and schedules round-trip through the pbx_calendar
//! types, and iCalendar files import.

use chrono::{NaiveDate, NaiveTime, Weekday};
use pbx_calendar::{
    Closure, Holiday, HolidayCalendar, HolidayRule, Schedule, TimeRange, WeeklyHours,
};
use pbx_store::{CalendarSpec, Page, ScheduleSpec, StoreError};

use crate::common::{on_each, tenant};

fn t(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

pub fn national() -> HolidayCalendar {
    HolidayCalendar::new(vec![
        Holiday::new("New Year", HolidayRule::Yearly { month: 1, day: 1 }).unwrap(),
        Holiday::new("Easter Monday", HolidayRule::Easter { offset_days: 1 }).unwrap(),
        Holiday::new("Ascension", HolidayRule::Easter { offset_days: 39 }).unwrap(),
        Holiday::new("Whit Monday", HolidayRule::Easter { offset_days: 50 }).unwrap(),
        Holiday::new(
            "Inventory",
            HolidayRule::Fixed {
                date: NaiveDate::from_ymd_opt(2026, 5, 15).unwrap(),
            },
        )
        .unwrap(),
    ])
}

pub fn office() -> Schedule {
    let split = [
        TimeRange::new(t(8, 0), Some(t(12, 0))).unwrap(),
        TimeRange::new(t(13, 30), Some(t(18, 0))).unwrap(),
    ];
    let mut hours = WeeklyHours::new();
    for d in [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ] {
        hours.set(d, split);
    }
    hours.set(Weekday::Sat, [TimeRange::new(t(9, 0), None).unwrap()]);
    Schedule {
        hours,
        holiday_calendars: vec!["national".into()],
        closures: vec![Closure {
            from: NaiveDate::from_ymd_opt(2026, 8, 10).unwrap(),
            to: NaiveDate::from_ymd_opt(2026, 8, 14).unwrap(),
            message: "closed for inventory".into(),
        }],
    }
}

#[tokio::test]
async fn calendars_keep_every_kind_of_holiday() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let spec = CalendarSpec {
            name: "national".into(),
            holidays: national(),
        };
        let c = store.create_calendar("admin", a, &spec).await.unwrap();
        assert_eq!(c.spec, spec);
        assert_eq!(store.get_calendar(a, c.id).await.unwrap(), c);
        let whit = c
            .spec
            .holidays
            .holiday_on(NaiveDate::from_ymd_opt(2026, 5, 25).unwrap())
            .unwrap();
        assert_eq!(whit.name, "Whit Monday");
        let smaller = CalendarSpec {
            name: "national".into(),
            holidays: HolidayCalendar::new(national().holidays[..1].to_vec()),
        };
        let up = store
            .update_calendar("admin", a, c.id, &smaller)
            .await
            .unwrap();
        assert_eq!(up.spec.holidays.holidays.len(), 1);
        let dup = store.create_calendar("admin", a, &spec).await.unwrap_err();
        assert!(matches!(dup, StoreError::Conflict { .. }));
        let b = tenant(&store, "b").await;
        assert!(matches!(
            store.get_calendar(b, c.id).await,
            Err(StoreError::NotFound { .. })
        ));
        store.delete_calendar("admin", a, c.id).await.unwrap();
        assert_eq!(
            store
                .list_calendars(a, Page::default())
                .await
                .unwrap()
                .total,
            0
        );
    })
    .await;
}

#[tokio::test]
async fn ical_files_import_into_a_calendar() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n\
                   BEGIN:VEVENT\r\nUID:1@test\r\nDTSTART;VALUE=DATE:20261225\r\nSUMMARY:Christmas\r\n\
                   RRULE:FREQ=YEARLY\r\nEND:VEVENT\r\n\
                   BEGIN:VEVENT\r\nUID:2@test\r\nDTSTART;VALUE=DATE:20260714\r\nSUMMARY:Fete nationale\r\nEND:VEVENT\r\n\
                   END:VCALENDAR\r\n";
        let c = store.import_calendar_ical("admin", a, "imported", ics).await.unwrap();
        assert_eq!(c.spec.holidays.holidays.len(), 2);
        assert!(c.spec.holidays.holiday_on(NaiveDate::from_ymd_opt(2030, 12, 25).unwrap()).is_some());
        let again = store.get_calendar(a, c.id).await.unwrap();
        assert_eq!(again.spec.holidays, c.spec.holidays);
        let err = store.import_calendar_ical("admin", a, "bad", "not a calendar").await.unwrap_err();
        assert!(matches!(&err, StoreError::Invalid { field, .. } if field == "ical"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn schedules_round_trip_split_days_calendars_and_closures() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let spec = ScheduleSpec {
            name: "switchboard".into(),
            schedule: office(),
        };
        let s = store.create_schedule("admin", a, &spec).await.unwrap();
        assert_eq!(s.spec, spec);
        assert_eq!(store.get_schedule(a, s.id).await.unwrap().spec, spec);
        let mut changed = office();
        changed.closures.clear();
        changed.hours.set(Weekday::Sat, []);
        let up = store
            .update_schedule(
                "admin",
                a,
                s.id,
                &ScheduleSpec {
                    name: "switchboard".into(),
                    schedule: changed.clone(),
                },
            )
            .await
            .unwrap();
        assert_eq!(up.spec.schedule, changed);
        let listed = store.list_schedules(a, Page::default()).await.unwrap();
        assert_eq!(listed.items[0].spec.schedule, changed);
        store.delete_schedule("admin", a, s.id).await.unwrap();
        assert!(matches!(
            store.get_schedule(a, s.id).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}
