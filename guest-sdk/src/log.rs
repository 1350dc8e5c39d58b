//! Events for the call's trace: the decisions a flow takes and why.

use crate::bindings::pbx::flow::log::{Level, event as wit_event};

fn emit(level: Level, name: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, String)> = fields
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    wit_event(level, name, &fields);
}

/// Debug-level event.
pub fn debug(name: &str, fields: &[(&str, &str)]) {
    emit(Level::Debug, name, fields)
}

/// Info-level event: a decision (`"menu-choice"`, `"closed"`).
pub fn info(name: &str, fields: &[(&str, &str)]) {
    emit(Level::Info, name, fields)
}

/// Warning: something unexpected the flow handled.
pub fn warn(name: &str, fields: &[(&str, &str)]) {
    emit(Level::Warn, name, fields)
}

/// Error: something the flow could not handle.
pub fn error(name: &str, fields: &[(&str, &str)]) {
    emit(Level::Error, name, fields)
}
