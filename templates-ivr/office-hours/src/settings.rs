//! The route's parameters, read once per call and checked together.
//!
//! The PBX checks only value types when a route is saved; what the values
//! mean (a destination's syntax, a timeout's range, a key used twice) is
//! the template's business. A bad value stops the call with an error that
//! names the parameter and says what to write, so the tenant's fallback
//! takes the caller and the trace tells the admin what to fix, instead of
//! a menu key quietly turning into "invalid choice".

use crate::incident::IncidentRule;
use crate::params::{MENU_KEYS, PROMPTS};
use crate::target::{Allowed, Target};
use pbx_flow_sdk::Value;
use std::fmt;

/// What to do after a closed message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClosedAction {
    /// Leave a message in the general box, then hang up.
    Voicemail,
    /// Say goodbye and hang up.
    Hangup,
}

/// The night switch's feature code and PIN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NightCode {
    /// Keys that start the toggle, first one `*` or `#`.
    pub code: String,
    /// Digits that must follow.
    pub pin: String,
}

/// The prompt names, by role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompts {
    /// `greeting-prompt`.
    pub greeting: String,
    /// `menu-prompt`.
    pub menu: String,
    /// `closed-prompt`.
    pub closed: String,
    /// `holiday-prompt`.
    pub holiday: String,
    /// `closure-prompt`.
    pub closure: String,
    /// `night-prompt`.
    pub night: String,
    /// `invalid-prompt`.
    pub invalid: String,
    /// `timeout-prompt`.
    pub timeout: String,
    /// `goodbye-prompt`.
    pub goodbye: String,
    /// `transfer-prompt`.
    pub transfer: String,
    /// `pin-prompt`.
    pub pin: String,
    /// `night-on-prompt`.
    pub night_on: String,
    /// `night-off-prompt`.
    pub night_off: String,
}

/// Everything the template reads from the route, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Office-hours schedule name.
    pub schedule: String,
    /// Holiday calendar; `None` when the parameter is empty.
    pub holidays: Option<String>,
    /// Calendar of exceptional closures; `None` when empty.
    pub closures: Option<String>,
    /// Prompt names.
    pub prompts: Prompts,
    /// Incident rules, in priority order.
    pub incidents: Vec<IncidentRule>,
    /// Menu keys with a destination.
    pub keys: Vec<(char, Target)>,
    /// Key that plays the menu again.
    pub repeat_key: Option<char>,
    /// Failed attempts allowed in the menu.
    pub retries: u32,
    /// Wait for the first key after the menu prompt.
    pub first_digit_timeout_ms: u32,
    /// Wait between keys of the feature code and PIN.
    pub inter_digit_timeout_ms: u32,
    /// Ring time of an extension.
    pub ring_timeout_ms: u32,
    /// What happens after a closed message.
    pub closed_action: ClosedAction,
    /// The general voicemail box.
    pub voicemail_box: String,
    /// The night switch's feature code; `None` when `night-code` is empty
    /// (the switch can then only be set through the key-value store).
    pub night: Option<NightCode>,
    /// Key-value entry holding the night switch, `on` or `off`.
    pub night_kv_key: String,
}

/// A parameter value the template cannot use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SettingsError {
    /// The parameter.
    pub param: String,
    /// What is wrong and what to write instead.
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "parameter `{}`: {}", self.param, self.message)
    }
}

impl std::error::Error for SettingsError {}

fn bad(param: &str, message: impl Into<String>) -> SettingsError {
    SettingsError {
        param: param.to_string(),
        message: message.into(),
    }
}

/// The keys a caller can press.
fn is_dtmf(c: char) -> bool {
    c.is_ascii_digit() || c == '*' || c == '#'
}

/// Reads parameters through a look-up (the `config` interface on the PBX, a
/// map in tests).
struct Reader<F> {
    get: F,
}

impl<F: Fn(&str) -> Option<Value>> Reader<F> {
    /// A text parameter, `None` when unset.
    fn text_opt(&self, name: &str) -> Result<Option<String>, SettingsError> {
        match (self.get)(name) {
            None => Ok(None),
            Some(Value::Text(t)) => Ok(Some(t)),
            Some(_) => Err(bad(name, "must be text")),
        }
    }

    /// A text parameter that must be set and not empty.
    fn text(&self, name: &str) -> Result<String, SettingsError> {
        match self.text_opt(name)? {
            Some(t) if !t.trim().is_empty() => Ok(t),
            _ => Err(bad(name, "is empty; set it on the route")),
        }
    }

    /// A text parameter where empty means "none".
    fn text_or_none(&self, name: &str) -> Result<Option<String>, SettingsError> {
        Ok(self.text_opt(name)?.filter(|t| !t.is_empty()))
    }

    /// An integer within `min..=max`.
    fn integer(&self, name: &str, min: u32, max: u32) -> Result<u32, SettingsError> {
        let out_of_range = || bad(name, format!("must be between {min} and {max}"));
        match (self.get)(name) {
            Some(Value::Integer(i)) => {
                let v = u32::try_from(i).map_err(|_| out_of_range())?;
                if (min..=max).contains(&v) {
                    Ok(v)
                } else {
                    Err(out_of_range())
                }
            }
            Some(_) => Err(bad(name, "must be an integer")),
            None => Err(bad(name, "is not set; set it on the route")),
        }
    }

    /// A text-list parameter; unset reads as empty.
    fn list(&self, name: &str) -> Result<Vec<String>, SettingsError> {
        match (self.get)(name) {
            None => Ok(Vec::new()),
            Some(Value::TextList(l)) => Ok(l),
            Some(_) => Err(bad(name, "must be a list of texts")),
        }
    }
}

impl Settings {
    /// Read and check every parameter through `get`.
    pub fn load(get: impl Fn(&str) -> Option<Value>) -> Result<Settings, SettingsError> {
        let r = Reader { get };

        let prompt = |i: usize| r.text(PROMPTS[i].0);
        let prompts = Prompts {
            greeting: prompt(0)?,
            menu: prompt(1)?,
            closed: prompt(2)?,
            holiday: prompt(3)?,
            closure: prompt(4)?,
            night: prompt(5)?,
            invalid: prompt(6)?,
            timeout: prompt(7)?,
            goodbye: prompt(8)?,
            transfer: prompt(9)?,
            pin: prompt(10)?,
            night_on: prompt(11)?,
            night_off: prompt(12)?,
        };

        let incidents = IncidentRule::parse_list(&r.list("incidents")?)
            .map_err(|e| bad("incidents", e.to_string()))?;

        let mut keys = Vec::new();
        for key in MENU_KEYS {
            let name = format!("key-{key}");
            if let Some(text) = r.text_or_none(&name)? {
                let target = Target::parse(&text, Allowed::Destinations)
                    .map_err(|e| bad(&name, e.to_string()))?;
                keys.push((key, target));
            }
        }

        let repeat_key = match r.text_or_none("repeat-key")? {
            None => None,
            Some(t) => {
                let mut chars = t.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) if is_dtmf(c) => Some(c),
                    _ => {
                        return Err(bad(
                            "repeat-key",
                            format!(
                                "`{t}` is not one key; write one of 0-9 * #, or leave it empty"
                            ),
                        ));
                    }
                }
            }
        };
        if let Some(c) = repeat_key
            && keys.iter().any(|(k, _)| *k == c)
        {
            return Err(bad(
                "repeat-key",
                format!("key {c} also has a destination in `key-{c}`; empty one of the two"),
            ));
        }

        let closed_action = match r.text("closed-action")?.as_str() {
            "voicemail" => ClosedAction::Voicemail,
            "hangup" => ClosedAction::Hangup,
            other => {
                return Err(bad(
                    "closed-action",
                    format!("`{other}` is not an action; write voicemail or hangup"),
                ));
            }
        };

        let night = match r.text_or_none("night-code")? {
            None => None,
            Some(code) => {
                if code.len() > 8 || !code.starts_with(['*', '#']) || !code.chars().all(is_dtmf) {
                    return Err(bad(
                        "night-code",
                        format!(
                            "`{code}` is not a feature code; write * or # followed by up to 7 of 0-9 * #, e.g. *0, or leave it empty"
                        ),
                    ));
                }
                if repeat_key.is_some_and(|k| code.starts_with(k)) {
                    return Err(bad(
                        "night-code",
                        "starts with the repeat key, so the menu could not tell them apart; change one",
                    ));
                }
                let pin = r.text("night-pin")?;
                if pin.len() > 16 || !pin.chars().all(|c| c.is_ascii_digit()) {
                    return Err(bad("night-pin", "must be 1-16 digits"));
                }
                Some(NightCode { code, pin })
            }
        };
        let night_kv_key = r.text("night-switch-key")?;
        if night_kv_key.len() > 256 {
            return Err(bad("night-switch-key", "must be at most 256 bytes"));
        }

        Ok(Settings {
            schedule: r.text("schedule")?,
            holidays: r.text_or_none("holidays")?,
            closures: r.text_or_none("closures")?,
            prompts,
            incidents,
            keys,
            repeat_key,
            retries: r.integer("menu-retries", 1, 10)?,
            first_digit_timeout_ms: r.integer("first-digit-timeout-ms", 1_000, 60_000)?,
            inter_digit_timeout_ms: r.integer("inter-digit-timeout-ms", 500, 30_000)?,
            ring_timeout_ms: r.integer("ring-timeout-ms", 1_000, 600_000)?,
            closed_action,
            voicemail_box: r.text("voicemail-box")?,
            night,
            night_kv_key,
        })
    }

    /// Where `key` leads, if anywhere.
    pub fn destination_of(&self, key: char) -> Option<&Target> {
        self.keys.iter().find(|(k, _)| *k == key).map(|(_, t)| t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::description;

    /// Look-up with the schema's defaults, overridden by `route`, the way
    /// the PBX resolves a route's parameters.
    fn load(route: &[(&str, Value)]) -> Result<Settings, SettingsError> {
        let specs = description().into_wit().params;
        Settings::load(|name| {
            if let Some((_, v)) = route.iter().find(|(n, _)| *n == name) {
                return Some(v.clone());
            }
            specs
                .iter()
                .find(|p| p.name == name)
                .and_then(|p| p.default.clone())
        })
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    #[test]
    fn the_defaults_describe_a_working_route() {
        let s = load(&[]).unwrap();
        assert_eq!(s.schedule, "office-hours");
        assert_eq!(s.holidays.as_deref(), Some("holidays"));
        assert_eq!(s.closures.as_deref(), Some("closures"));
        assert_eq!(s.prompts.greeting, "office-welcome");
        assert_eq!(s.prompts.night_off, "night-switch-off");
        assert_eq!(
            s.keys,
            vec![
                ('0', Target::Extension("1003".into())),
                ('1', Target::Extension("1001".into())),
                ('2', Target::Extension("1002".into())),
                ('3', Target::Queue("support".into())),
                ('8', Target::Voicemail("1001".into())),
            ]
        );
        assert_eq!(s.destination_of('5'), None);
        assert_eq!(s.repeat_key, Some('9'));
        assert_eq!(s.retries, 3);
        assert_eq!(s.first_digit_timeout_ms, 5000);
        assert_eq!(s.inter_digit_timeout_ms, 3000);
        assert_eq!(s.ring_timeout_ms, 20000);
        assert_eq!(s.closed_action, ClosedAction::Voicemail);
        assert_eq!(s.voicemail_box, "1001");
        assert_eq!(
            s.night,
            Some(NightCode {
                code: "*0".into(),
                pin: "1234".into()
            })
        );
        assert_eq!(s.night_kv_key, "office-hours/night");
        assert_eq!(s.incidents.len(), 1);
        assert_eq!(s.incidents[0].flag, "outage");
    }

    #[test]
    fn empty_values_switch_features_off() {
        let s = load(&[
            ("holidays", text("")),
            ("closures", text("")),
            ("night-code", text("")),
            ("repeat-key", text("")),
            ("key-3", text("")),
            ("incidents", Value::TextList(vec![])),
        ])
        .unwrap();
        assert_eq!(s.holidays, None);
        assert_eq!(s.closures, None);
        assert_eq!(s.night, None);
        assert_eq!(s.repeat_key, None);
        assert_eq!(s.destination_of('3'), None);
        assert!(s.incidents.is_empty());
        // The switch is still read from its entry.
        assert_eq!(s.night_kv_key, "office-hours/night");
    }

    #[test]
    fn bad_values_name_the_parameter_and_the_fix() {
        let cases: [(&str, Value, &str); 12] = [
            ("key-1", text("1001"), "extension:NUMBER"),
            ("key-4", text("prompt:x"), "cannot just play"),
            (
                "incidents",
                Value::TextList(vec!["outage".into()]),
                "FLAG=prompt:NAME",
            ),
            ("repeat-key", text("99"), "not one key"),
            ("repeat-key", text("1"), "key-1"),
            ("closed-action", text("voicemal"), "voicemail or hangup"),
            ("night-code", text("0*"), "feature code"),
            ("night-code", text("*01234567"), "feature code"),
            ("night-pin", text("12a4"), "1-16 digits"),
            ("menu-retries", Value::Integer(0), "between 1 and 10"),
            (
                "ring-timeout-ms",
                Value::Integer(-5),
                "between 1000 and 600000",
            ),
            ("schedule", Value::Integer(3), "must be text"),
        ];
        for (name, value, needle) in cases {
            let e = load(&[(name, value.clone())]).unwrap_err();
            assert_eq!(e.param, name, "{value:?}: {e}");
            assert!(e.to_string().contains(needle), "{name}={value:?}: {e}");
        }
        let e = load(&[("repeat-key", text("*"))]).unwrap_err();
        assert_eq!(e.param, "night-code");
        // An empty PIN while the feature code is on.
        let e = load(&[("night-pin", text(""))]).unwrap_err();
        assert_eq!(e.param, "night-pin");
        // A PIN is not needed without the feature code.
        assert!(load(&[("night-code", text("")), ("night-pin", text(""))]).is_ok());
    }

    #[test]
    fn a_route_can_remap_every_key() {
        let s = load(&[
            ("key-9", text("ext:2009")),
            ("repeat-key", text("*")),
            ("night-code", text("#77")),
            ("key-0", text("")),
        ])
        .unwrap();
        assert_eq!(
            s.destination_of('9'),
            Some(&Target::Extension("2009".into()))
        );
        assert_eq!(s.destination_of('0'), None);
        assert_eq!(s.repeat_key, Some('*'));
        assert_eq!(s.night.unwrap().code, "#77");
    }
}
