//! The parameters an admin set on a route, resolved against the flow's
//! schema.

use crate::bindings::{FlowDescription, ParamKind, Value};

/// Parameter values for one route, in schema order, defaults applied.
/// Shared by every call on the route (`Arc`), read by the `config`
/// interface.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    values: Vec<(String, Value)>,
}

/// A route's parameters do not fit the flow's schema.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ParamError {
    /// A required parameter has no value and no default.
    #[error("parameter `{0}` is required by the flow and has no default: set it on the route")]
    Missing(String),
    /// The route sets a parameter the flow does not declare.
    #[error(
        "parameter `{0}` is not declared by the flow's describe(); remove it or check its spelling"
    )]
    Unknown(String),
    /// A value of the wrong type.
    #[error("parameter `{name}` must be {expected}, got {got}")]
    WrongType {
        /// Parameter name.
        name: String,
        /// Expected value type.
        expected: &'static str,
        /// What was given.
        got: &'static str,
    },
}

/// The value type a parameter kind takes.
pub fn value_type_of(kind: ParamKind) -> &'static str {
    match kind {
        ParamKind::Integer => "integer",
        ParamKind::Boolean => "boolean",
        ParamKind::TextList => "text-list",
        _ => "text",
    }
}

/// The value type of a value.
pub fn type_of(value: &Value) -> &'static str {
    match value {
        Value::Text(_) => "text",
        Value::Integer(_) => "integer",
        Value::Boolean(_) => "boolean",
        Value::TextList(_) => "text-list",
    }
}

impl Params {
    /// Parameters from literal values, without schema checks (tests, tools).
    pub fn from_values(values: Vec<(String, Value)>) -> Self {
        Params { values }
    }

    /// Check `given` against the schema in `description` and fill in
    /// defaults. The route's values win over defaults.
    pub fn resolve(
        description: &FlowDescription,
        given: Vec<(String, Value)>,
    ) -> Result<Self, ParamError> {
        for (name, _) in &given {
            if !description.params.iter().any(|p| &p.name == name) {
                return Err(ParamError::Unknown(name.clone()));
            }
        }
        let mut values = Vec::with_capacity(description.params.len());
        for spec in &description.params {
            let value = given
                .iter()
                .find(|(n, _)| n == &spec.name)
                .map(|(_, v)| v.clone())
                .or_else(|| spec.default.clone());
            match value {
                Some(v) => {
                    let expected = value_type_of(spec.kind);
                    if type_of(&v) != expected {
                        return Err(ParamError::WrongType {
                            name: spec.name.clone(),
                            expected,
                            got: type_of(&v),
                        });
                    }
                    values.push((spec.name.clone(), v));
                }
                None if spec.required => return Err(ParamError::Missing(spec.name.clone())),
                None => {}
            }
        }
        Ok(Params { values })
    }

    /// The value of `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// All values in schema order.
    pub fn all(&self) -> &[(String, Value)] {
        &self.values
    }
}
