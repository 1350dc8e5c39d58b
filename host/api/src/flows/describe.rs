//! The JSON form of a flow's `describe()` output and of route parameter
//! values, and the check of route parameters against a flow's schema.

use crate::error::ApiError;
use pbx_flow::Params;
use pbx_flow::bindings::{FlowDescription, ParamKind, ParamSpec, Value};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// What a flow says about itself: the form an admin fills in per route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FlowDescriptionDto {
    /// Name, e.g. "office-hours".
    pub name: String,
    /// The flow's own version (semver).
    pub version: String,
    /// One paragraph for admins.
    pub description: String,
    /// Parameters a route sets.
    pub params: Vec<ParamSpecDto>,
}

/// One parameter of a flow.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ParamSpecDto {
    /// Identifier: 1-64 characters of a-z, 0-9, '-'.
    pub name: String,
    /// Short label for forms.
    pub label: String,
    /// Help text for forms.
    pub help: String,
    /// Kind: text, integer, boolean, extension, queue, voicemail-box,
    /// prompt, schedule, holiday-calendar, flag, destination, text-list.
    pub kind: String,
    /// Whether a route must set it when there is no default.
    pub required: bool,
    /// Value used when the route does not set one.
    #[schema(value_type = Option<Object>)]
    pub default: Option<serde_json::Value>,
}

/// The API spelling of a parameter kind (the WIT enum case name).
pub fn kind_name(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Text => "text",
        ParamKind::Integer => "integer",
        ParamKind::Boolean => "boolean",
        ParamKind::Extension => "extension",
        ParamKind::Queue => "queue",
        ParamKind::VoicemailBox => "voicemail-box",
        ParamKind::Prompt => "prompt",
        ParamKind::Schedule => "schedule",
        ParamKind::HolidayCalendar => "holiday-calendar",
        ParamKind::Flag => "flag",
        ParamKind::Destination => "destination",
        ParamKind::TextList => "text-list",
    }
}

fn kind_from_name(name: &str) -> Option<ParamKind> {
    Some(match name {
        "text" => ParamKind::Text,
        "integer" => ParamKind::Integer,
        "boolean" => ParamKind::Boolean,
        "extension" => ParamKind::Extension,
        "queue" => ParamKind::Queue,
        "voicemail-box" => ParamKind::VoicemailBox,
        "prompt" => ParamKind::Prompt,
        "schedule" => ParamKind::Schedule,
        "holiday-calendar" => ParamKind::HolidayCalendar,
        "flag" => ParamKind::Flag,
        "destination" => ParamKind::Destination,
        "text-list" => ParamKind::TextList,
        _ => return None,
    })
}

/// A parameter value as JSON: text, integer, boolean or list of texts.
pub fn value_to_json(v: &Value) -> serde_json::Value {
    match v {
        Value::Text(s) => s.clone().into(),
        Value::Integer(i) => (*i).into(),
        Value::Boolean(b) => (*b).into(),
        Value::TextList(l) => l.clone().into(),
    }
}

/// A parameter value from JSON; `None` for shapes a parameter cannot take.
pub fn value_from_json(v: &serde_json::Value) -> Option<Value> {
    match v {
        serde_json::Value::String(s) => Some(Value::Text(s.clone())),
        serde_json::Value::Number(n) => n.as_i64().map(Value::Integer),
        serde_json::Value::Bool(b) => Some(Value::Boolean(*b)),
        serde_json::Value::Array(items) => items
            .iter()
            .map(|x| x.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()
            .map(Value::TextList),
        _ => None,
    }
}

impl From<&FlowDescription> for FlowDescriptionDto {
    fn from(d: &FlowDescription) -> Self {
        FlowDescriptionDto {
            name: d.name.clone(),
            version: d.version.clone(),
            description: d.description.clone(),
            params: d
                .params
                .iter()
                .map(|p| ParamSpecDto {
                    name: p.name.clone(),
                    label: p.label.clone(),
                    help: p.help.clone(),
                    kind: kind_name(p.kind).to_string(),
                    required: p.required,
                    default: p.default.as_ref().map(value_to_json),
                })
                .collect(),
        }
    }
}

impl FlowDescriptionDto {
    /// Back to the runtime's type (from stored JSON); `None` if the stored
    /// form is damaged.
    pub fn to_runtime(&self) -> Option<FlowDescription> {
        Some(FlowDescription {
            name: self.name.clone(),
            version: self.version.clone(),
            description: self.description.clone(),
            params: self
                .params
                .iter()
                .map(|p| {
                    Some(ParamSpec {
                        name: p.name.clone(),
                        label: p.label.clone(),
                        help: p.help.clone(),
                        kind: kind_from_name(&p.kind)?,
                        required: p.required,
                        default: match &p.default {
                            Some(v) => Some(value_from_json(v)?),
                            None => None,
                        },
                    })
                })
                .collect::<Option<Vec<_>>>()?,
        })
    }
}

/// Check route parameters (a JSON object) against a flow's schema: every
/// required parameter set, no unknown one, each of the right type.
pub fn check_params(
    description: &FlowDescription,
    params: &serde_json::Map<String, serde_json::Value>,
) -> Result<Params, ApiError> {
    let mut given = Vec::with_capacity(params.len());
    for (name, v) in params {
        let value = value_from_json(v).ok_or_else(|| {
            ApiError::invalid(
                format!("params.{name}"),
                format!(
                    "parameter `{name}` must be a string, an integer, a boolean or a list of strings"
                ),
            )
        })?;
        given.push((name.clone(), value));
    }
    Params::resolve(description, given).map_err(|e| {
        let field = match &e {
            pbx_flow::ParamError::Missing(n) | pbx_flow::ParamError::Unknown(n) => n.clone(),
            pbx_flow::ParamError::WrongType { name, .. } => name.clone(),
        };
        ApiError::invalid(format!("params.{field}"), e.to_string())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn description() -> FlowDescription {
        FlowDescription {
            name: "office-hours".into(),
            version: "1.0.0".into(),
            description: "Routes by office hours".into(),
            params: vec![
                ParamSpec {
                    name: "open-destination".into(),
                    label: "When open".into(),
                    help: String::new(),
                    kind: ParamKind::Destination,
                    required: true,
                    default: None,
                },
                ParamSpec {
                    name: "timeout".into(),
                    label: "Timeout".into(),
                    help: String::new(),
                    kind: ParamKind::Integer,
                    required: false,
                    default: Some(Value::Integer(20)),
                },
            ],
        }
    }

    #[test]
    fn description_round_trips_through_json() {
        let d = description();
        let dto = FlowDescriptionDto::from(&d);
        let json = serde_json::to_string(&dto).unwrap();
        let back: FlowDescriptionDto = serde_json::from_str(&json).unwrap();
        assert_eq!(back.to_runtime().unwrap(), d);
    }

    #[test]
    fn params_are_checked_against_the_schema() {
        let d = description();
        let ok: serde_json::Map<_, _> =
            serde_json::from_str(r#"{"open-destination":"ext:100"}"#).unwrap();
        let p = check_params(&d, &ok).unwrap();
        assert_eq!(p.get("timeout"), Some(&Value::Integer(20)));

        let missing = serde_json::Map::new();
        let e = check_params(&d, &missing).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("params.open-destination"));

        let wrong: serde_json::Map<_, _> =
            serde_json::from_str(r#"{"open-destination":"ext:100","timeout":"x"}"#).unwrap();
        let e = check_params(&d, &wrong).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("params.timeout"));

        let unknown: serde_json::Map<_, _> =
            serde_json::from_str(r#"{"open-destination":"ext:100","colour":"red"}"#).unwrap();
        let e = check_params(&d, &unknown).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("params.colour"));

        let object: serde_json::Map<_, _> =
            serde_json::from_str(r#"{"open-destination":{"a":1}}"#).unwrap();
        assert!(check_params(&d, &object).is_err());
    }
}
