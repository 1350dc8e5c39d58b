//! The simulated tenant: [`TenantData`] from the scenario's schedules,
//! calendars, flags, key-value store and directory, on the call's virtual
//! clock.

use crate::scenario::Scenario;
use async_trait::async_trait;
use chrono::{DateTime, TimeZone};
use chrono_tz::Tz;
use pbx_calendar::{HolidayCalendar, Schedule};
use pbx_flow::TenantData;
use pbx_flow::bindings::directory::{Contact, Extension};
use pbx_flow::bindings::holidays::Holiday;
use pbx_flow::bindings::incidents::Flag;
use pbx_flow::bindings::schedule::ScheduleStatus;
use pbx_flow::bindings::{Date, Datetime, Error};
use pbx_flow::tenant_time::{date_from_wit, date_to_wit, schedule_status_to_wit, to_wit};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// A key-value entry with its expiry (virtual ms since call start).
#[derive(Debug, Clone)]
struct Entry {
    value: String,
    expires_at: Option<u64>,
}

/// The tenant as the scenario describes it.
pub struct SimTenant {
    start: DateTime<Tz>,
    now: Arc<AtomicU64>,
    schedules: BTreeMap<String, Schedule>,
    calendars: BTreeMap<String, HolidayCalendar>,
    /// Flags can be set by the flow, hence the mutex (never held across await).
    flags: Mutex<Vec<Flag>>,
    kv: Mutex<BTreeMap<String, Entry>>,
    extensions: Vec<Extension>,
    blocked: Vec<String>,
    contacts: Vec<(String, Contact)>,
}

impl SimTenant {
    /// From the scenario; `start` is the call's arrival in the tenant's zone.
    pub fn new(s: &Scenario, start: DateTime<Tz>, now: Arc<AtomicU64>) -> Self {
        SimTenant {
            start,
            now,
            schedules: s.schedules.clone(),
            calendars: s.calendars.clone(),
            flags: Mutex::new(
                s.flags
                    .iter()
                    .map(|f| Flag {
                        name: f.name.clone(),
                        active: f.active,
                        message: f.message.clone(),
                        destination: f.destination.clone(),
                        changed_at: None,
                    })
                    .collect(),
            ),
            kv: Mutex::new(
                s.kv.iter()
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            Entry {
                                value: v.clone(),
                                expires_at: None,
                            },
                        )
                    })
                    .collect(),
            ),
            extensions: s
                .extensions
                .iter()
                .map(|e| Extension {
                    number: e.number.clone(),
                    name: e.name.clone(),
                    registered: e.registered,
                    dnd: e.dnd,
                    voicemail_box: e.voicemail_box.clone(),
                })
                .collect(),
            blocked: s.blocked.clone(),
            contacts: s
                .contacts
                .iter()
                .map(|c| {
                    (
                        c.number.clone(),
                        Contact {
                            name: c.name.clone(),
                            company: c.company.clone(),
                            tags: c.tags.clone(),
                        },
                    )
                })
                .collect(),
        }
    }

    fn elapsed(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }

    fn now_local(&self) -> DateTime<Tz> {
        self.start + chrono::Duration::milliseconds(self.elapsed() as i64)
    }

    /// The flags as they are now (after any the flow set).
    pub fn flags(&self) -> Vec<Flag> {
        self.flags.lock().expect("flags").clone()
    }

    fn live_entry(&self, kv: &mut BTreeMap<String, Entry>, key: &str) -> Option<Entry> {
        let now = self.elapsed();
        match kv.get(key) {
            Some(e) if e.expires_at.is_some_and(|t| t <= now) => {
                kv.remove(key);
                None
            }
            other => other.cloned(),
        }
    }
}

/// The local start time of a scenario in its zone; the earliest instant if
/// the wall time is ambiguous (DST), an error if it does not exist.
pub fn start_time(tz: Tz, at: chrono::NaiveDateTime) -> Result<DateTime<Tz>, String> {
    tz.from_local_datetime(&at)
        .earliest()
        .ok_or_else(|| format!("{at} does not exist in {tz} (a DST gap): pick another time"))
}

#[async_trait]
impl TenantData for SimTenant {
    fn now(&self) -> Datetime {
        to_wit(&self.now_local())
    }

    async fn schedule_status(&self, name: &str) -> Result<ScheduleStatus, Error> {
        let schedule = self
            .schedules
            .get(name)
            .ok_or_else(|| Error::NotFound(format!("schedule `{name}`")))?;
        Ok(schedule_status_to_wit(
            schedule.status_at(self.now_local(), &self.calendars),
        ))
    }

    async fn holiday_on(&self, calendar: &str, date: Date) -> Result<Option<Holiday>, Error> {
        let cal = self
            .calendars
            .get(calendar)
            .ok_or_else(|| Error::NotFound(format!("holiday calendar `{calendar}`")))?;
        let day = date_from_wit(&date)
            .ok_or_else(|| Error::InvalidArgument(format!("{date:?} is not a date")))?;
        Ok(cal.holiday_on(day).map(|h| Holiday {
            name: h.name.clone(),
            date: date_to_wit(day),
        }))
    }

    async fn flag(&self, name: &str) -> Result<Flag, Error> {
        self.flags
            .lock()
            .expect("flags")
            .iter()
            .find(|f| f.name == name)
            .cloned()
            .ok_or_else(|| Error::NotFound(format!("incident flag `{name}`")))
    }

    async fn active_flags(&self) -> Vec<Flag> {
        self.flags
            .lock()
            .expect("flags")
            .iter()
            .filter(|f| f.active)
            .cloned()
            .collect()
    }

    async fn set_flag(&self, name: &str, active: bool, _call_id: &str) -> Result<(), Error> {
        let now = self.now();
        let mut flags = self.flags.lock().expect("flags");
        let flag = flags
            .iter_mut()
            .find(|f| f.name == name)
            .ok_or_else(|| Error::NotFound(format!("incident flag `{name}`")))?;
        flag.active = active;
        flag.changed_at = Some(now);
        Ok(())
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, Error> {
        let mut kv = self.kv.lock().expect("kv");
        Ok(self.live_entry(&mut kv, key).map(|e| e.value))
    }

    async fn kv_set(&self, key: &str, value: &str, ttl: Option<u32>) -> Result<(), Error> {
        let expires_at = ttl.map(|s| self.elapsed() + u64::from(s) * 1000);
        self.kv.lock().expect("kv").insert(
            key.to_string(),
            Entry {
                value: value.to_string(),
                expires_at,
            },
        );
        Ok(())
    }

    async fn kv_delete(&self, key: &str) -> Result<bool, Error> {
        let mut kv = self.kv.lock().expect("kv");
        let existed = self.live_entry(&mut kv, key).is_some();
        kv.remove(key);
        Ok(existed)
    }

    async fn kv_increment(&self, key: &str, delta: i64, ttl: Option<u32>) -> Result<i64, Error> {
        let mut kv = self.kv.lock().expect("kv");
        let (current, expires_at) = match self.live_entry(&mut kv, key) {
            Some(e) => (
                e.value.trim().parse::<i64>().map_err(|_| {
                    Error::InvalidArgument(format!("value of `{key}` is not an integer"))
                })?,
                e.expires_at,
            ),
            None => (0, ttl.map(|s| self.elapsed() + u64::from(s) * 1000)),
        };
        let next = current.saturating_add(delta);
        kv.insert(
            key.to_string(),
            Entry {
                value: next.to_string(),
                expires_at,
            },
        );
        Ok(next)
    }

    async fn extension(&self, number: &str) -> Result<Option<Extension>, Error> {
        Ok(self.extensions.iter().find(|e| e.number == number).cloned())
    }

    async fn extensions_by_name(&self, query: &str, limit: u32) -> Result<Vec<Extension>, Error> {
        let q = query.to_lowercase();
        Ok(self
            .extensions
            .iter()
            .filter(|e| {
                e.name
                    .to_lowercase()
                    .split_whitespace()
                    .any(|w| w.starts_with(&q))
            })
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn is_blocked(&self, number: &str) -> Result<bool, Error> {
        Ok(self.blocked.iter().any(|b| match b.strip_suffix('*') {
            Some(prefix) => number.starts_with(prefix),
            None => b == number,
        }))
    }

    async fn contact(&self, number: &str) -> Result<Option<Contact>, Error> {
        Ok(self
            .contacts
            .iter()
            .find(|(n, _)| n == number)
            .map(|(_, c)| c.clone()))
    }
}
