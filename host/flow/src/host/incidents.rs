//! `pbx:flow/incidents`: incident flags, from the tenant's data. Setting a
//! flag needs the route's permission.

use crate::bindings::Error;
use crate::bindings::incidents::{Flag, Host};
use crate::state::FlowState;

impl Host for FlowState {
    async fn get(&mut self, name: String) -> Result<Flag, Error> {
        let result = match self.tenant() {
            Ok(t) => t.flag(&name).await,
            Err(e) => Err(e),
        };
        self.traced(
            "incidents",
            "get",
            format!("{name:?}"),
            format!("{result:?}"),
        );
        result
    }

    async fn active(&mut self) -> Vec<Flag> {
        let result = match self.tenant() {
            Ok(t) => t.active_flags().await,
            Err(_) => Vec::new(),
        };
        self.traced("incidents", "active", String::new(), format!("{result:?}"));
        result
    }

    async fn set(&mut self, name: String, active: bool) -> Result<(), Error> {
        let args = format!("{name:?}, {active}");
        let result = if !self.permissions.set_flags {
            Err(Error::PermissionDenied(
                "this route does not allow its flow to set incident flags; an admin can allow it on the route".into(),
            ))
        } else {
            let call_id = self
                .control
                .as_ref()
                .map(|c| c.info().call_id)
                .unwrap_or_default();
            match self.tenant() {
                Ok(t) => t.set_flag(&name, active, &call_id).await,
                Err(e) => Err(e),
            }
        };
        self.traced("incidents", "set", args, format!("{result:?}"));
        result
    }
}
