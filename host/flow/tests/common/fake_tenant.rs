//! The fake tenant.

use super::fake_call::test_now;
use async_trait::async_trait;
use pbx_flow::TenantData;
use pbx_flow::bindings::directory::{Contact, Extension};
use pbx_flow::bindings::holidays::Holiday;
use pbx_flow::bindings::incidents::Flag;
use pbx_flow::bindings::schedule::{ClosedReason, ScheduleStatus};
use pbx_flow::bindings::{Date, Datetime, Error};
use std::collections::HashMap;
use std::sync::Mutex;

/// A tenant in memory: schedules by name (open or closed), no holidays,
/// flags, a key-value map, a few extensions.
pub struct FakeTenant {
    schedules: Mutex<HashMap<String, bool>>,
    flags: Mutex<HashMap<String, bool>>,
    kv: Mutex<HashMap<String, String>>,
    extensions: Vec<Extension>,
    blocked: Vec<String>,
}

impl Default for FakeTenant {
    /// Schedule "office" open, extensions 101 and 102.
    fn default() -> Self {
        let ext = |number: &str, name: &str| Extension {
            number: number.into(),
            name: name.into(),
            registered: true,
            dnd: false,
            voicemail_box: Some(number.into()),
        };
        FakeTenant {
            schedules: Mutex::new(HashMap::from([("office".to_string(), true)])),
            flags: Mutex::new(HashMap::new()),
            kv: Mutex::new(HashMap::new()),
            extensions: vec![ext("101", "Alice Martin"), ext("102", "Bob Durand")],
            blocked: vec!["+33999".into()],
        }
    }
}

impl FakeTenant {
    /// Set schedule `name` open or closed.
    pub fn with_schedule(self, name: &str, open: bool) -> Self {
        self.schedules.lock().unwrap().insert(name.into(), open);
        self
    }
}

#[async_trait]
impl TenantData for FakeTenant {
    fn now(&self) -> Datetime {
        test_now()
    }

    async fn schedule_status(&self, name: &str) -> Result<ScheduleStatus, Error> {
        match self.schedules.lock().unwrap().get(name) {
            Some(&open) => Ok(ScheduleStatus {
                open,
                reason: (!open).then_some(ClosedReason::OutsideHours),
                next_change: None,
            }),
            None => Err(Error::NotFound(format!("schedule {name}"))),
        }
    }

    async fn holiday_on(&self, calendar: &str, _date: Date) -> Result<Option<Holiday>, Error> {
        match calendar {
            "holidays" => Ok(None),
            _ => Err(Error::NotFound(format!("calendar {calendar}"))),
        }
    }

    async fn flag(&self, name: &str) -> Result<Flag, Error> {
        match self.flags.lock().unwrap().get(name) {
            Some(&active) => Ok(Flag {
                name: name.into(),
                active,
                message: None,
                destination: None,
                changed_at: None,
            }),
            None => Err(Error::NotFound(format!("flag {name}"))),
        }
    }

    async fn active_flags(&self) -> Vec<Flag> {
        let flags = self.flags.lock().unwrap();
        let mut active: Vec<Flag> = flags
            .iter()
            .filter(|(_, a)| **a)
            .map(|(n, _)| Flag {
                name: n.clone(),
                active: true,
                message: None,
                destination: None,
                changed_at: None,
            })
            .collect();
        active.sort_by(|a, b| a.name.cmp(&b.name));
        active
    }

    async fn set_flag(&self, name: &str, active: bool, _call_id: &str) -> Result<(), Error> {
        self.flags.lock().unwrap().insert(name.into(), active);
        Ok(())
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self.kv.lock().unwrap().get(key).cloned())
    }

    async fn kv_set(&self, key: &str, value: &str, _ttl: Option<u32>) -> Result<(), Error> {
        self.kv.lock().unwrap().insert(key.into(), value.into());
        Ok(())
    }

    async fn kv_delete(&self, key: &str) -> Result<bool, Error> {
        Ok(self.kv.lock().unwrap().remove(key).is_some())
    }

    async fn kv_increment(&self, key: &str, delta: i64, _ttl: Option<u32>) -> Result<i64, Error> {
        let mut kv = self.kv.lock().unwrap();
        let current = match kv.get(key) {
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| Error::InvalidArgument(format!("{key} is not an integer")))?,
            None => 0,
        };
        let new = current + delta;
        kv.insert(key.into(), new.to_string());
        Ok(new)
    }

    async fn extension(&self, number: &str) -> Result<Option<Extension>, Error> {
        Ok(self.extensions.iter().find(|e| e.number == number).cloned())
    }

    async fn extensions_by_name(&self, query: &str, limit: u32) -> Result<Vec<Extension>, Error> {
        let query = query.to_lowercase();
        Ok(self
            .extensions
            .iter()
            .filter(|e| {
                e.name
                    .to_lowercase()
                    .split_whitespace()
                    .any(|w| w.starts_with(&query))
            })
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn is_blocked(&self, number: &str) -> Result<bool, Error> {
        Ok(self.blocked.iter().any(|b| number.starts_with(b.as_str())))
    }

    async fn contact(&self, _number: &str) -> Result<Option<Contact>, Error> {
        Ok(None)
    }
}
