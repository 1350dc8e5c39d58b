//! The route's parameters, typed. A missing or mistyped parameter reads as
//! `None`; the PBX checks values against the schema when a route is saved.

use crate::bindings::pbx::flow::config as wit;
use crate::bindings::pbx::flow::config::Value;
use crate::destination::Destination;

/// Raw value of `name`.
pub fn get(name: &str) -> Option<Value> {
    wit::get(name)
}

/// A text-valued parameter (text, extension, prompt, schedule, ...).
pub fn text(name: &str) -> Option<String> {
    match wit::get(name) {
        Some(Value::Text(s)) => Some(s),
        _ => None,
    }
}

/// An integer parameter.
pub fn integer(name: &str) -> Option<i64> {
    match wit::get(name) {
        Some(Value::Integer(i)) => Some(i),
        _ => None,
    }
}

/// A boolean parameter.
pub fn boolean(name: &str) -> Option<bool> {
    match wit::get(name) {
        Some(Value::Boolean(b)) => Some(b),
        _ => None,
    }
}

/// A text-list parameter.
pub fn list(name: &str) -> Vec<String> {
    match wit::get(name) {
        Some(Value::TextList(l)) => l,
        _ => Vec::new(),
    }
}

/// A destination parameter, parsed; `None` if absent or unreadable.
pub fn destination(name: &str) -> Option<Destination> {
    text(name).and_then(|t| t.parse().ok())
}

/// Parse a key map such as `["1=ext:101", "2=queue:sales", "9=vm:100"]`
/// into (key, destination) pairs, skipping unreadable entries.
///
/// ```
/// use pbx_flow_sdk::{config::key_map, Destination};
/// let m = key_map(&["1=ext:101".to_string(), "x".to_string(), "9 = vm:100".to_string()]);
/// assert_eq!(m, vec![('1', Destination::Extension("101".into())), ('9', Destination::Voicemail("100".into()))]);
/// ```
pub fn key_map(entries: &[String]) -> Vec<(char, Destination)> {
    entries
        .iter()
        .filter_map(|e| {
            let (k, d) = e.split_once('=')?;
            let mut keys = k.trim().chars();
            let key = keys.next()?;
            if keys.next().is_some() {
                return None;
            }
            Some((key, d.trim().parse().ok()?))
        })
        .collect()
}
