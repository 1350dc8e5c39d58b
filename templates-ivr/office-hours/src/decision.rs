//! What the template does with a call, decided before it is answered, in a
//! fixed order where the first match wins:
//!
//! 1. the night switch (key-value entry, `on`);
//! 2. incident flags named by the `incidents` parameter, first active in
//!    list order;
//! 3. the closures calendar (today is an exceptional closure);
//! 4. the holiday calendar (today is a holiday);
//! 5. the weekly schedule (open now? if not, why: outside hours, or a
//!    holiday or closure of the schedule's own calendars);
//! 6. otherwise the menu.
//!
//! Manual switches come first because a person set them for now; calendars
//! before the schedule because a holiday closes a day that the weekly hours
//! would open. Each step leaves an event in the call's trace.

use crate::incident::{IncidentRule, first_active};
use crate::settings::Settings;
use pbx_flow_sdk::prelude::*;
use pbx_flow_sdk::{Datetime, Error};

/// The branch a call takes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Branch {
    /// The night switch is on.
    Night,
    /// An incident flag of the list is active.
    Incident(IncidentRule),
    /// An exceptional closure, with its name (or the schedule's message).
    Closure(String),
    /// A holiday, with its name.
    Holiday(String),
    /// Outside the weekly hours; when the schedule opens again, if known.
    Closed {
        /// The schedule's next opening, local `YYYY-MM-DD HH:MM`.
        reopens_at: Option<String>,
    },
    /// Open: the menu.
    Open,
}

impl Branch {
    /// The value of the call record's `branch` field.
    pub fn record_value(&self) -> String {
        match self {
            Branch::Night => "night".to_string(),
            Branch::Incident(rule) => format!("incident:{}", rule.flag),
            Branch::Closure(_) => "closure".to_string(),
            Branch::Holiday(_) => "holiday".to_string(),
            Branch::Closed { .. } => "closed".to_string(),
            Branch::Open => "open-menu".to_string(),
        }
    }
}

/// Local date and time as `YYYY-MM-DD HH:MM`, for traces and call records.
pub fn local_minute(t: &Datetime) -> String {
    format!(
        "{:04}-{:02}-{:02} {:02}:{:02}",
        t.date.year, t.date.month, t.date.day, t.hour, t.minute
    )
}

/// Is the night switch on? An unreadable store counts as off (with a
/// warning): the calendars and the schedule still decide, which is better
/// than failing every call while storage is down.
pub fn night_switch_on(key: &str) -> bool {
    match kv::get(key) {
        Ok(value) => value.as_deref() == Some("on"),
        Err(e) => {
            log::warn(
                "night-switch-unreadable",
                &[("key", key), ("error", &format!("{e:?}"))],
            );
            false
        }
    }
}

/// Today's entry of calendar `name`, if any. A missing calendar is
/// reported in the trace and skipped, so that a tenant who has no closures
/// yet is still served.
fn calendar_today(role: &str, name: &str) -> Option<String> {
    match holidays::today(name) {
        Ok(day) => day.map(|h| h.name),
        Err(e) => {
            log::warn(
                "calendar-unavailable",
                &[
                    ("calendar", name),
                    ("role", role),
                    ("error", &format!("{e:?}")),
                ],
            );
            None
        }
    }
}

/// Decide, in the documented order.
pub fn decide(s: &Settings) -> Result<Branch, Error> {
    if night_switch_on(&s.night_kv_key) {
        log::info("night-switch", &[("state", "on"), ("key", &s.night_kv_key)]);
        return Ok(Branch::Night);
    }

    if !s.incidents.is_empty() {
        let active: Vec<String> = incidents::active()
            .into_iter()
            .filter(|f| f.active)
            .map(|f| f.name)
            .collect();
        if let Some(rule) = first_active(&s.incidents, &active) {
            log::info(
                "incident",
                &[("flag", &rule.flag), ("target", &rule.target.to_string())],
            );
            return Ok(Branch::Incident(rule.clone()));
        }
    }

    if let Some(calendar) = &s.closures
        && let Some(name) = calendar_today("closures", calendar)
    {
        log::info("closure", &[("calendar", calendar), ("name", &name)]);
        return Ok(Branch::Closure(name));
    }

    if let Some(calendar) = &s.holidays
        && let Some(name) = calendar_today("holidays", calendar)
    {
        log::info("holiday", &[("calendar", calendar), ("name", &name)]);
        return Ok(Branch::Holiday(name));
    }

    let status = schedule::status(&s.schedule).inspect_err(|e| {
        log::error(
            "schedule-unavailable",
            &[("schedule", &s.schedule), ("error", &format!("{e:?}"))],
        );
    })?;
    let reopens = status
        .next_change
        .as_ref()
        .map(local_minute)
        .unwrap_or_default();
    let branch = match status.reason {
        _ if status.open => Branch::Open,
        Some(schedule::ClosedReason::Holiday(name)) => Branch::Holiday(name),
        Some(schedule::ClosedReason::Closure(message)) => Branch::Closure(message),
        Some(schedule::ClosedReason::OutsideHours) | None => Branch::Closed {
            reopens_at: status.next_change.as_ref().map(local_minute),
        },
    };
    let now = local_minute(&schedule::now());
    log::info(
        "schedule",
        &[
            ("schedule", &s.schedule),
            ("now", &now),
            ("branch", &branch.record_value()),
            (
                if status.open {
                    "closes-at"
                } else {
                    "reopens-at"
                },
                &reopens,
            ),
        ],
    );
    Ok(branch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::target::Target;
    use pbx_flow_sdk::{Date, Weekday};

    #[test]
    fn record_values_name_the_branch() {
        let rule = IncidentRule {
            flag: "outage".into(),
            target: Target::Prompt("office-incident".into()),
        };
        assert_eq!(Branch::Incident(rule).record_value(), "incident:outage");
        assert_eq!(Branch::Night.record_value(), "night");
        assert_eq!(Branch::Open.record_value(), "open-menu");
        assert_eq!(Branch::Closed { reopens_at: None }.record_value(), "closed");
        assert_eq!(Branch::Holiday("x".into()).record_value(), "holiday");
        assert_eq!(Branch::Closure("x".into()).record_value(), "closure");
    }

    #[test]
    fn local_minute_pads_every_field() {
        let t = Datetime {
            unix_seconds: 0,
            timezone: "Europe/London".into(),
            utc_offset_seconds: 0,
            date: Date {
                year: 2026,
                month: 4,
                day: 6,
            },
            hour: 9,
            minute: 5,
            second: 59,
            weekday: Weekday::Monday,
        };
        assert_eq!(local_minute(&t), "2026-04-06 09:05");
    }
}
