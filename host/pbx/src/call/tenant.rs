//! A tenant's data as its flows see it ([`TenantData`]): schedules,
//! calendars and flags from the routing cache (always the newest snapshot,
//! so a flag switched on in the API counts for the very next look-up),
//! the key-value store and contacts from the store, the time from the
//! PBX's clock in the tenant's zone.

use super::clock::Clock;
use async_trait::async_trait;
use chrono::DateTime;
use chrono_tz::Tz;
use pbx_flow::TenantData;
use pbx_flow::bindings::directory::{Contact, Extension};
use pbx_flow::bindings::holidays::Holiday;
use pbx_flow::bindings::incidents::Flag;
use pbx_flow::bindings::schedule::ScheduleStatus;
use pbx_flow::bindings::{Date, Datetime, Error};
use pbx_flow::tenant_time::{date_from_wit, date_to_wit, schedule_status_to_wit, to_wit};
use pbx_store::{IncidentFlag, RoutingCache, Store, StoreError, TenantId, TenantRouting};
use std::sync::Arc;

/// Whether an extension (by SIP user name) has a registered phone.
pub type RegisteredCheck = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// One tenant's data for its calls.
pub struct StoreTenant {
    id: TenantId,
    cache: RoutingCache,
    store: Store,
    clock: Clock,
    registered: RegisteredCheck,
    /// The snapshot the call started with, if the tenant vanished since.
    start: Arc<TenantRouting>,
}

/// The contract's error for a store failure.
pub fn store_error(e: StoreError) -> Error {
    match e {
        StoreError::NotFound { what } => Error::NotFound(what),
        StoreError::Invalid { field, reason } => {
            Error::InvalidArgument(format!("{field}: {reason}"))
        }
        StoreError::LimitReached { what, limit } => {
            Error::LimitExceeded(format!("at most {limit} {what}"))
        }
        other => Error::Unavailable(other.to_string()),
    }
}

fn flag_to_wit(f: &IncidentFlag, tz: Tz) -> Flag {
    Flag {
        name: f.spec.name.clone(),
        active: f.spec.active,
        message: f.spec.message.clone(),
        destination: f.spec.destination.clone(),
        changed_at: Some(to_wit(&f.updated_at.with_timezone(&tz))),
    }
}

impl StoreTenant {
    /// The data of the tenant in `start`.
    pub fn new(
        start: Arc<TenantRouting>,
        cache: RoutingCache,
        store: Store,
        clock: Clock,
        registered: RegisteredCheck,
    ) -> StoreTenant {
        StoreTenant {
            id: start.tenant.id,
            cache,
            store,
            clock,
            registered,
            start,
        }
    }

    fn routing(&self) -> Arc<TenantRouting> {
        self.cache
            .tenant(self.id)
            .unwrap_or_else(|| self.start.clone())
    }

    fn now_local(&self, routing: &TenantRouting) -> DateTime<Tz> {
        self.clock.now().with_timezone(&routing.time_zone)
    }

    fn extension_to_wit(&self, e: &pbx_store::Extension) -> Extension {
        Extension {
            number: e.spec.number.clone(),
            name: e.spec.display_name.clone(),
            registered: (self.registered)(&e.spec.sip_username),
            dnd: false,
            voicemail_box: Some(e.spec.number.clone()),
        }
    }
}

#[async_trait]
impl TenantData for StoreTenant {
    fn now(&self) -> Datetime {
        to_wit(&self.now_local(&self.routing()))
    }

    async fn schedule_status(&self, name: &str) -> Result<ScheduleStatus, Error> {
        let routing = self.routing();
        routing
            .schedule_status(name, self.clock.now())
            .map(schedule_status_to_wit)
            .ok_or_else(|| Error::NotFound(format!("schedule `{name}`")))
    }

    async fn holiday_on(&self, calendar: &str, date: Date) -> Result<Option<Holiday>, Error> {
        let routing = self.routing();
        let cal = routing
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
        let routing = self.routing();
        routing
            .flag(name)
            .map(|f| flag_to_wit(f, routing.time_zone))
            .ok_or_else(|| Error::NotFound(format!("incident flag `{name}`")))
    }

    async fn active_flags(&self) -> Vec<Flag> {
        let routing = self.routing();
        let mut flags: Vec<Flag> = routing
            .flags
            .values()
            .filter(|f| f.spec.active)
            .map(|f| flag_to_wit(f, routing.time_zone))
            .collect();
        flags.sort_by(|a, b| a.name.cmp(&b.name));
        flags
    }

    async fn set_flag(&self, name: &str, active: bool, call_id: &str) -> Result<(), Error> {
        self.store
            .set_flag_active(&format!("call {call_id}"), self.id, name, active)
            .await
            .map_err(store_error)?;
        // The change feed reloads the cache; do it now too, so the same
        // call reads what it wrote.
        let _ = self.cache.reload_tenant(self.id).await;
        Ok(())
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, Error> {
        self.store.kv_get(self.id, key).await.map_err(store_error)
    }

    async fn kv_set(&self, key: &str, value: &str, ttl_seconds: Option<u32>) -> Result<(), Error> {
        self.store
            .kv_set(self.id, key, value, ttl_seconds)
            .await
            .map_err(store_error)
    }

    async fn kv_delete(&self, key: &str) -> Result<bool, Error> {
        self.store
            .kv_delete(self.id, key)
            .await
            .map_err(store_error)
    }

    async fn kv_increment(
        &self,
        key: &str,
        delta: i64,
        ttl_seconds: Option<u32>,
    ) -> Result<i64, Error> {
        self.store
            .kv_increment(self.id, key, delta, ttl_seconds)
            .await
            .map_err(store_error)
    }

    async fn extension(&self, number: &str) -> Result<Option<Extension>, Error> {
        let routing = self.routing();
        Ok(routing.extension(number).map(|e| self.extension_to_wit(e)))
    }

    async fn extensions_by_name(&self, query: &str, limit: u32) -> Result<Vec<Extension>, Error> {
        let routing = self.routing();
        let query = query.to_lowercase();
        let mut found: Vec<&pbx_store::Extension> = routing
            .extensions
            .values()
            .filter(|e| {
                e.spec
                    .display_name
                    .to_lowercase()
                    .split_whitespace()
                    .any(|w| w.starts_with(&query))
            })
            .collect();
        found.sort_by(|a, b| a.spec.display_name.cmp(&b.spec.display_name));
        Ok(found
            .into_iter()
            .take(limit as usize)
            .map(|e| self.extension_to_wit(e))
            .collect())
    }

    async fn is_blocked(&self, number: &str) -> Result<bool, Error> {
        Ok(self.routing().is_blocked(number))
    }

    async fn contact(&self, number: &str) -> Result<Option<Contact>, Error> {
        let found = self
            .store
            .find_contact_by_number(self.id, number)
            .await
            .map_err(store_error)?;
        Ok(found.map(|c| Contact {
            name: c.spec.name,
            company: c.spec.company,
            tags: c.spec.tags,
        }))
    }
}
