//! `pbx:flow/config`: the route's parameters, resolved at route set-up.

use crate::bindings::Value;
use crate::bindings::pbx::flow::config::Host;
use crate::state::FlowState;

impl Host for FlowState {
    async fn get(&mut self, name: String) -> Option<Value> {
        let value = self.params.get(&name).cloned();
        self.traced("config", "get", format!("{name:?}"), format!("{value:?}"));
        value
    }

    async fn all(&mut self) -> Vec<(String, Value)> {
        let all = self.params.all().to_vec();
        self.traced(
            "config",
            "all",
            String::new(),
            format!("{} values", all.len()),
        );
        all
    }
}
