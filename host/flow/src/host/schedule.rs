//! `pbx:flow/schedule`: office-hours schedules, from the tenant's data.

use crate::bindings::schedule::{Host, ScheduleStatus};
use crate::bindings::{Datetime, Error};
use crate::state::FlowState;

impl Host for FlowState {
    async fn status(&mut self, name: String) -> Result<ScheduleStatus, Error> {
        let result = match self.tenant() {
            Ok(t) => t.schedule_status(&name).await,
            Err(e) => Err(e),
        };
        self.traced(
            "schedule",
            "status",
            format!("{name:?}"),
            format!("{result:?}"),
        );
        result
    }

    async fn is_open(&mut self, name: String) -> Result<bool, Error> {
        let result = match self.tenant() {
            Ok(t) => t.schedule_status(&name).await.map(|s| s.open),
            Err(e) => Err(e),
        };
        self.traced(
            "schedule",
            "is-open",
            format!("{name:?}"),
            format!("{result:?}"),
        );
        result
    }

    async fn now(&mut self) -> Datetime {
        let now = match &self.tenant {
            Some(t) => t.now(),
            None => crate::tenant_time::epoch_datetime(),
        };
        self.traced(
            "schedule",
            "now",
            String::new(),
            crate::tenant_time::render(&now),
        );
        now
    }
}
