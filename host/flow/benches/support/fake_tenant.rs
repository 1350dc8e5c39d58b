//! A trivial in-memory tenant.

use async_trait::async_trait;
use pbx_flow::TenantData;
use pbx_flow::bindings::directory::{Contact, Extension};
use pbx_flow::bindings::holidays::Holiday;
use pbx_flow::bindings::incidents::Flag;
use pbx_flow::bindings::schedule::{ClosedReason, ScheduleStatus};
use pbx_flow::bindings::{Date, Datetime, Error};

/// A tenant with no data: every schedule is closed (outside hours), nothing
/// else exists.
pub struct FakeTenant;

#[async_trait]
impl TenantData for FakeTenant {
    fn now(&self) -> Datetime {
        pbx_flow::tenant_time::epoch_datetime()
    }

    async fn schedule_status(&self, _name: &str) -> Result<ScheduleStatus, Error> {
        Ok(ScheduleStatus {
            open: false,
            reason: Some(ClosedReason::OutsideHours),
            next_change: None,
        })
    }

    async fn holiday_on(&self, _calendar: &str, _date: Date) -> Result<Option<Holiday>, Error> {
        Ok(None)
    }

    async fn flag(&self, name: &str) -> Result<Flag, Error> {
        Err(Error::NotFound(name.to_string()))
    }

    async fn active_flags(&self) -> Vec<Flag> {
        Vec::new()
    }

    async fn set_flag(&self, _name: &str, _active: bool, _call_id: &str) -> Result<(), Error> {
        Ok(())
    }

    async fn kv_get(&self, _key: &str) -> Result<Option<String>, Error> {
        Ok(None)
    }

    async fn kv_set(&self, _key: &str, _value: &str, _ttl: Option<u32>) -> Result<(), Error> {
        Ok(())
    }

    async fn kv_delete(&self, _key: &str) -> Result<bool, Error> {
        Ok(false)
    }

    async fn kv_increment(&self, _key: &str, delta: i64, _ttl: Option<u32>) -> Result<i64, Error> {
        Ok(delta)
    }

    async fn extension(&self, _number: &str) -> Result<Option<Extension>, Error> {
        Ok(None)
    }

    async fn extensions_by_name(&self, _query: &str, _limit: u32) -> Result<Vec<Extension>, Error> {
        Ok(Vec::new())
    }

    async fn is_blocked(&self, _number: &str) -> Result<bool, Error> {
        Ok(false)
    }

    async fn contact(&self, _number: &str) -> Result<Option<Contact>, Error> {
        Ok(None)
    }
}
