//! `pbx:flow/log`: the flow's own events, straight into the trace. Not
//! traced as host calls: they are trace entries themselves.

use crate::bindings::log::{Host, Level};
use crate::state::FlowState;
use crate::trace::TraceEvent;

impl Host for FlowState {
    async fn event(&mut self, level: Level, name: String, fields: Vec<(String, String)>) {
        let at_ms = self.control.as_ref().map(|c| c.elapsed_ms()).unwrap_or(0);
        let level = match level {
            Level::Debug => "debug",
            Level::Info => "info",
            Level::Warn => "warn",
            Level::Error => "error",
        };
        self.trace
            .lock()
            .expect("trace lock")
            .push(TraceEvent::Log {
                at_ms,
                level,
                name,
                fields,
            });
    }
}
