//! `pbx:flow/holidays`: holiday calendars, from the tenant's data.

use crate::bindings::holidays::{Holiday, Host};
use crate::bindings::{Date, Error};
use crate::state::FlowState;

impl Host for FlowState {
    async fn today(&mut self, calendar: String) -> Result<Option<Holiday>, Error> {
        let result = match self.tenant() {
            Ok(t) => {
                let today = t.now().date;
                t.holiday_on(&calendar, today).await
            }
            Err(e) => Err(e),
        };
        self.traced(
            "holidays",
            "today",
            format!("{calendar:?}"),
            format!("{result:?}"),
        );
        result
    }

    async fn on_date(&mut self, calendar: String, date: Date) -> Result<Option<Holiday>, Error> {
        let args = format!("{calendar:?}, {date:?}");
        let result = match self.tenant() {
            Ok(t) => t.holiday_on(&calendar, date).await,
            Err(e) => Err(e),
        };
        self.traced("holidays", "on-date", args, format!("{result:?}"));
        result
    }
}
