//! The demo tenant's call flow set-up: the office-hours IVR template on
//! number 5000, with its schedule (Mon-Fri 09:00-12:00 and 13:30-17:30),
//! bank holidays of England and Wales, an empty closures calendar and the
//! "outage" incident flag.

use chrono::{NaiveTime, Weekday};
use pbx_calendar::{Holiday, HolidayCalendar, HolidayRule, Schedule, TimeRange, WeeklyHours};
use pbx_flow::FlowEngine;
use pbx_store::{
    CalendarSpec, FlagSpec, FlowSpec, InboundRouteSpec, RouteTarget, ScheduleSpec, Store, TenantId,
};
use std::path::Path;

/// The number that reaches the demo IVR.
pub const IVR_NUMBER: &str = "5000";

const ACTOR: &str = "serve";

fn at(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("a valid time")
}

fn office_hours() -> Result<Schedule, String> {
    let ranges = || -> Result<Vec<TimeRange>, String> {
        Ok(vec![
            TimeRange::new(at(9, 0), Some(at(12, 0))).map_err(|e| e.to_string())?,
            TimeRange::new(at(13, 30), Some(at(17, 30))).map_err(|e| e.to_string())?,
        ])
    };
    let mut hours = WeeklyHours::new();
    for day in [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ] {
        hours.set(day, ranges()?);
    }
    Ok(Schedule {
        hours,
        holiday_calendars: Vec::new(),
        closures: Vec::new(),
    })
}

fn bank_holidays() -> Result<HolidayCalendar, String> {
    let rules = [
        ("New Year's Day", HolidayRule::Yearly { month: 1, day: 1 }),
        ("Good Friday", HolidayRule::Easter { offset_days: -2 }),
        ("Easter Monday", HolidayRule::Easter { offset_days: 1 }),
        ("Christmas Day", HolidayRule::Yearly { month: 12, day: 25 }),
        ("Boxing Day", HolidayRule::Yearly { month: 12, day: 26 }),
    ];
    let holidays = rules
        .into_iter()
        .map(|(name, rule)| Holiday::new(name, rule).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(HolidayCalendar::new(holidays))
}

/// Create the demo IVR for `tenant` from the office-hours component at
/// `component`.
pub async fn seed_ivr(
    store: &Store,
    engine: &FlowEngine,
    tenant: TenantId,
    component: &Path,
) -> Result<(), String> {
    let fail = |e: pbx_store::StoreError| e.to_string();
    let bytes = std::fs::read(component).map_err(|e| {
        format!(
            "cannot read the office-hours template at {}: {e}; build it with scripts/build-flows.sh or pass --templates",
            component.display()
        )
    })?;
    let prepared = engine
        .prepare(&bytes)
        .await
        .map_err(|e| format!("the office-hours template does not load: {e}"))?;
    store
        .create_schedule(
            ACTOR,
            tenant,
            &ScheduleSpec {
                name: "office-hours".into(),
                schedule: office_hours()?,
            },
        )
        .await
        .map_err(fail)?;
    for (name, holidays) in [
        ("holidays", bank_holidays()?),
        ("closures", HolidayCalendar::new(Vec::new())),
    ] {
        store
            .create_calendar(
                ACTOR,
                tenant,
                &CalendarSpec {
                    name: name.into(),
                    holidays,
                },
            )
            .await
            .map_err(fail)?;
    }
    store
        .create_flag(
            ACTOR,
            tenant,
            &FlagSpec {
                name: "outage".into(),
                active: false,
                message: Some("office-incident".into()),
                destination: None,
            },
        )
        .await
        .map_err(fail)?;
    let flow = store
        .create_flow(
            ACTOR,
            tenant,
            &FlowSpec {
                name: "office-hours".into(),
                description: prepared.description.description.clone(),
            },
        )
        .await
        .map_err(fail)?;
    let describe = serde_json::to_value(pbx_api::flows::describe::FlowDescriptionDto::from(
        &prepared.description,
    ))
    .map_err(|e| e.to_string())?;
    let version = store
        .create_flow_version(ACTOR, tenant, flow.id, &bytes, &describe)
        .await
        .map_err(fail)?;
    store
        .activate_flow_version(ACTOR, tenant, flow.id, Some(version.id))
        .await
        .map_err(fail)?;
    store
        .create_inbound_route(
            ACTOR,
            tenant,
            &InboundRouteSpec {
                name: "Demo IVR".into(),
                pattern: IVR_NUMBER.into(),
                priority: 10,
                target: RouteTarget::Flow {
                    flow_id: flow.id,
                    version: None,
                },
                params: serde_json::json!({}),
            },
        )
        .await
        .map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn demo_schedule_has_a_lunch_break_and_holidays_include_easter_monday() {
        let s = office_hours().unwrap();
        assert!(s.hours.is_open_at(Weekday::Mon, at(10, 0)));
        assert!(!s.hours.is_open_at(Weekday::Mon, at(12, 30)));
        assert!(!s.hours.is_open_at(Weekday::Sat, at(10, 0)));
        let cal = bank_holidays().unwrap();
        let easter_monday = chrono::NaiveDate::from_ymd_opt(2027, 3, 29).unwrap();
        assert_eq!(cal.holiday_on(easter_monday).unwrap().name, "Easter Monday");
    }
}
