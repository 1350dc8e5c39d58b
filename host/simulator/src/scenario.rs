//! The scenario file: a scripted call, the tenant's data around it, and
//! what the flow is expected to do. TOML; every table but `[call]` is
//! optional. See docs/simulator.md for the full reference.

use pbx_calendar::{HolidayCalendar, Schedule};
use serde::Deserialize;
use std::collections::BTreeMap;

/// A whole scenario file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Scenario {
    /// A base scenario file (relative to this one) whose tables this file
    /// extends: shared tenant data lives there, each branch's file adds
    /// the call, presses and expectations.
    #[serde(default)]
    pub extends: Option<String>,
    /// Free text shown in the report.
    #[serde(default)]
    pub description: String,
    /// The call.
    pub call: CallSpec,
    /// Route parameters (the flow's `config`).
    #[serde(default)]
    pub params: toml::Table,
    /// Route permissions and the tenant's fallback.
    #[serde(default)]
    pub route: RouteSpec,
    /// Office-hours schedules by name.
    #[serde(default)]
    pub schedules: BTreeMap<String, Schedule>,
    /// Holiday calendars by name.
    #[serde(default)]
    pub calendars: BTreeMap<String, HolidayCalendar>,
    /// Incident flags.
    #[serde(default)]
    pub flags: Vec<FlagSpec>,
    /// Key-value store contents at the start.
    #[serde(default)]
    pub kv: BTreeMap<String, String>,
    /// Extensions of the tenant.
    #[serde(default)]
    pub extensions: Vec<ExtensionSpec>,
    /// Blocked numbers; an entry ending in `*` is a prefix.
    #[serde(default)]
    pub blocked: Vec<String>,
    /// Contacts.
    #[serde(default)]
    pub contacts: Vec<ContactSpec>,
    /// Prompt lengths in milliseconds (default 2000 each).
    #[serde(default)]
    pub prompts: BTreeMap<String, u32>,
    /// Keys the caller presses.
    #[serde(default)]
    pub press: Vec<PressSpec>,
    /// Results of successive `dial`s.
    #[serde(default)]
    pub dial: Vec<DialSpec>,
    /// Results of successive `enqueue`s.
    #[serde(default)]
    pub queue: Vec<QueueSpec>,
    /// Results of successive `voicemail`s.
    #[serde(default)]
    pub voicemail: Vec<VoicemailSpec>,
    /// Expected actions, in order.
    #[serde(default)]
    pub expect: Vec<Expect>,
    /// Expected log event names, in order (other events may come between).
    #[serde(default)]
    pub expect_logs: Vec<String>,
    /// Expected end of the flow: "completed", "caller-hung-up", "flow-error",
    /// "trapped", "cpu-deadline", "memory-limit", ...
    #[serde(default)]
    pub expect_outcome: Option<String>,
}

/// The call itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct CallSpec {
    /// Caller's number.
    pub caller: String,
    /// Caller's display name.
    #[serde(default)]
    pub caller_name: Option<String>,
    /// Dialled number.
    pub dialled: String,
    /// The DID, for trunk calls.
    #[serde(default)]
    pub did: Option<String>,
    /// "trunk:NAME" or "extension:NUMBER" (default "trunk:default").
    #[serde(default = "default_origin")]
    pub origin: String,
    /// Prompt language.
    #[serde(default = "default_language")]
    pub language: String,
    /// Local date and time the call arrives, e.g. "2026-12-25T10:30:00".
    pub at: chrono::NaiveDateTime,
    /// The tenant's IANA time zone.
    #[serde(default = "default_timezone")]
    pub timezone: String,
    /// Tenant id.
    #[serde(default = "default_tenant")]
    pub tenant: String,
    /// The caller hangs up this many milliseconds after the call starts.
    #[serde(default)]
    pub hangup_at_ms: Option<u64>,
}

fn default_origin() -> String {
    "trunk:default".into()
}
fn default_language() -> String {
    "en".into()
}
fn default_timezone() -> String {
    "UTC".into()
}
fn default_tenant() -> String {
    "demo".into()
}

/// Route permissions and fallback.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RouteSpec {
    /// The flow may set incident flags.
    #[serde(default)]
    pub allow_set_flags: bool,
    /// Fallback prompt when the flow fails.
    #[serde(default)]
    pub fallback_prompt: Option<String>,
    /// Fallback destination ("ext:100", "vm:100", ...); none hangs up.
    #[serde(default)]
    pub fallback_destination: Option<String>,
}

/// An incident flag.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct FlagSpec {
    /// Name.
    pub name: String,
    /// On?
    #[serde(default)]
    pub active: bool,
    /// Prompt it selects.
    #[serde(default)]
    pub message: Option<String>,
    /// Destination it selects.
    #[serde(default)]
    pub destination: Option<String>,
}

/// An extension.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ExtensionSpec {
    /// Number.
    pub number: String,
    /// Name.
    pub name: String,
    /// A phone is registered.
    #[serde(default = "yes")]
    pub registered: bool,
    /// Do not disturb.
    #[serde(default)]
    pub dnd: bool,
    /// Voicemail box.
    #[serde(default)]
    pub voicemail_box: Option<String>,
}

fn yes() -> bool {
    true
}

/// A contact.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct ContactSpec {
    /// Their number.
    pub number: String,
    /// Name.
    pub name: String,
    /// Company.
    #[serde(default)]
    pub company: Option<String>,
    /// Tags, e.g. "priority".
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Keys the caller presses: at a fixed time, or a delay after a prompt
/// starts playing.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct PressSpec {
    /// The keys, e.g. "1" or "1234#".
    pub keys: String,
    /// Milliseconds after the call starts.
    #[serde(default)]
    pub at_ms: Option<u64>,
    /// Or: when this prompt starts playing...
    #[serde(default)]
    pub during: Option<String>,
    /// ...the nth time (1 = first).
    #[serde(default = "one")]
    pub occurrence: u32,
    /// ...plus this delay (default 500 ms).
    #[serde(default = "half_second")]
    pub delay_ms: u64,
    /// Gap between successive keys (default 300 ms).
    #[serde(default = "gap")]
    pub gap_ms: u64,
}

fn one() -> u32 {
    1
}
fn half_second() -> u64 {
    500
}
fn gap() -> u64 {
    300
}

/// Result of one dial.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct DialSpec {
    /// "answered", "busy", "no-answer", "unavailable", "rejected", "failed".
    pub outcome: String,
    /// For answered: how long they talk (default 30 s).
    #[serde(default)]
    pub talk_ms: Option<u32>,
    /// For answered: who hangs up, "callee" (default) or "caller".
    #[serde(default)]
    pub ended_by: Option<String>,
    /// Ring time before the outcome (default 4 s; no-answer uses the timeout).
    #[serde(default)]
    pub ring_ms: Option<u32>,
}

/// Result of one enqueue.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct QueueSpec {
    /// "answered", "timeout", "exit-key", "no-agents", "full", "unavailable".
    pub exit: String,
    /// Wait before leaving (default 10 s).
    #[serde(default)]
    pub wait_ms: Option<u32>,
    /// The key for exit-key.
    #[serde(default)]
    pub key: Option<char>,
}

/// Result of one voicemail deposit.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct VoicemailSpec {
    /// "left" (default), "nothing-left", "box-full".
    #[serde(default = "left")]
    pub outcome: String,
    /// Message length for left (default 10 s).
    #[serde(default)]
    pub length_ms: Option<u32>,
}

fn left() -> String {
    "left".into()
}

/// One expected action. `action` names it; the other fields, when given,
/// must match.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct Expect {
    /// "answer", "pre-answer", "play", "say-digits", "say-number",
    /// "collect", "dial", "transfer", "enqueue", "voicemail", "record",
    /// "music-on-hold", "hangup", "set-field", "pause".
    pub action: String,
    /// play: the prompts.
    #[serde(default)]
    pub prompts: Option<Vec<String>>,
    /// collect: the digits collected; say-digits: the digits said.
    #[serde(default)]
    pub digits: Option<String>,
    /// say-number: the number.
    #[serde(default)]
    pub number: Option<i64>,
    /// dial: the targets ("ext:101", "tel:+33...").
    #[serde(default)]
    pub targets: Option<Vec<String>>,
    /// transfer: the target ("ext:101", "queue:x", "vm:100", "tel:...").
    #[serde(default)]
    pub target: Option<String>,
    /// enqueue: the queue.
    #[serde(default)]
    pub queue: Option<String>,
    /// voicemail: the box.
    #[serde(default, rename = "box")]
    pub mailbox: Option<String>,
    /// hangup: the cause ("normal", "busy", ...).
    #[serde(default)]
    pub cause: Option<String>,
    /// set-field: name.
    #[serde(default)]
    pub name: Option<String>,
    /// set-field: value.
    #[serde(default)]
    pub value: Option<String>,
}

/// A scenario that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// TOML syntax or schema error.
    #[error("scenario file is not valid: {0}")]
    Toml(#[from] toml::de::Error),
    /// Something else, described.
    #[error("scenario: {0}")]
    Invalid(String),
}

impl Scenario {
    /// Parse and check a scenario.
    pub fn parse(text: &str) -> Result<Self, ScenarioError> {
        // Through a table, so TOML dates and quoted dates both work.
        let table: toml::Table = toml::from_str(text)?;
        if table.contains_key("extends") {
            return Err(ScenarioError::Invalid(
                "`extends` needs a file: use Scenario::load".into(),
            ));
        }
        let s: Scenario = table.try_into()?;
        s.check()?;
        Ok(s)
    }

    /// Read a scenario file, following `extends`: tables are merged key by
    /// key, this file's values win, lists are replaced, not appended.
    pub fn load(path: &std::path::Path) -> Result<Self, ScenarioError> {
        let table = load_table(path, 0)?;
        let s: Scenario = table.try_into()?;
        s.check()?;
        Ok(s)
    }

    fn check(&self) -> Result<(), ScenarioError> {
        let bad = |m: String| Err(ScenarioError::Invalid(m));
        if self.call.timezone.parse::<chrono_tz::Tz>().is_err() {
            return bad(format!(
                "unknown time zone `{}`: use an IANA name such as Europe/Paris",
                self.call.timezone
            ));
        }
        for (name, schedule) in &self.schedules {
            if let Err(e) = schedule.validate(|c| self.calendars.contains_key(c)) {
                return bad(format!("schedule `{name}`: {e}"));
            }
        }
        for p in &self.press {
            if p.at_ms.is_none() == p.during.is_none() {
                return bad(format!(
                    "press `{}`: give exactly one of at-ms or during",
                    p.keys
                ));
            }
            if let Some(k) = p.keys.chars().find(|c| !"0123456789*#ABCD".contains(*c)) {
                return bad(format!(
                    "press `{}`: `{k}` is not a DTMF key (0-9 * # A-D)",
                    p.keys
                ));
            }
        }
        let one_of = |what: &str, value: &str, allowed: &[&str]| {
            if allowed.contains(&value) {
                Ok(())
            } else {
                Err(ScenarioError::Invalid(format!(
                    "{what} `{value}`: use one of {}",
                    allowed.join(", ")
                )))
            }
        };
        for d in &self.dial {
            one_of("dial outcome", &d.outcome, DIAL_OUTCOMES)?;
            if let Some(by) = &d.ended_by {
                one_of("dial ended-by", by, &["caller", "callee"])?;
            }
        }
        for q in &self.queue {
            one_of("queue exit", &q.exit, QUEUE_EXITS)?;
        }
        for v in &self.voicemail {
            one_of(
                "voicemail outcome",
                &v.outcome,
                &["left", "nothing-left", "box-full"],
            )?;
        }
        for e in &self.expect {
            if !ACTIONS.contains(&e.action.as_str()) {
                return bad(format!(
                    "expect: unknown action `{}`; known: {}",
                    e.action,
                    ACTIONS.join(", ")
                ));
            }
        }
        Ok(())
    }
}

/// Dial outcomes a `[[dial]]` may give.
pub const DIAL_OUTCOMES: &[&str] = &[
    "answered",
    "busy",
    "no-answer",
    "unavailable",
    "rejected",
    "failed",
];

/// Queue exits a `[[queue]]` may give.
pub const QUEUE_EXITS: &[&str] = &[
    "answered",
    "timeout",
    "exit-key",
    "no-agents",
    "full",
    "unavailable",
];

/// The action names an `[[expect]]` may use.
pub const ACTIONS: &[&str] = &[
    "answer",
    "pre-answer",
    "play",
    "say-digits",
    "say-number",
    "collect",
    "dial",
    "transfer",
    "enqueue",
    "voicemail",
    "record",
    "music-on-hold",
    "hangup",
    "set-field",
    "pause",
];

fn load_table(path: &std::path::Path, depth: u32) -> Result<toml::Table, ScenarioError> {
    if depth > 8 {
        return Err(ScenarioError::Invalid(format!(
            "{}: `extends` nests too deep",
            path.display()
        )));
    }
    let text = std::fs::read_to_string(path)
        .map_err(|e| ScenarioError::Invalid(format!("cannot read {}: {e}", path.display())))?;
    let mut table: toml::Table = toml::from_str(&text)?;
    match table.remove("extends") {
        Some(toml::Value::String(base)) => {
            let base_path = path
                .parent()
                .unwrap_or(std::path::Path::new("."))
                .join(base);
            let mut merged = load_table(&base_path, depth + 1)?;
            merge(&mut merged, table);
            Ok(merged)
        }
        Some(_) => Err(ScenarioError::Invalid(
            "`extends` must be a file name".into(),
        )),
        None => Ok(table),
    }
}

fn merge(base: &mut toml::Table, over: toml::Table) {
    for (k, v) in over {
        match (base.get_mut(&k), v) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, v) => {
                base.insert(k, v);
            }
        }
    }
}
