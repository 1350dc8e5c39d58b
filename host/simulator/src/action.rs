//! What the flow did to the simulated call, one entry per call-control
//! action, in order; compared with the scenario's `[[expect]]` list.

use pbx_flow::bindings::call::{DialTarget, HangupCause, TransferTarget};
use std::fmt;

/// One action on the call.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// `answer`.
    Answer,
    /// `pre-answer`.
    PreAnswer,
    /// `play`, with the prompts.
    Play(Vec<String>),
    /// `say-digits`.
    SayDigits(String),
    /// `say-number`.
    SayNumber(i64),
    /// `collect`, with the digits collected.
    Collect(String),
    /// `dial`, with its targets in text form.
    Dial(Vec<String>),
    /// `transfer`, with its target in text form.
    Transfer(String),
    /// `enqueue`, with the queue.
    Enqueue(String),
    /// `voicemail`, with the box.
    Voicemail(String),
    /// `record-message`.
    Record,
    /// `music-on-hold`.
    MusicOnHold,
    /// `hangup`, with the cause.
    Hangup(String),
    /// `set-record-field`.
    SetField(String, String),
    /// `pause`.
    Pause,
}

impl Action {
    /// The action's name as `[[expect]]` writes it.
    pub fn name(&self) -> &'static str {
        match self {
            Action::Answer => "answer",
            Action::PreAnswer => "pre-answer",
            Action::Play(_) => "play",
            Action::SayDigits(_) => "say-digits",
            Action::SayNumber(_) => "say-number",
            Action::Collect(_) => "collect",
            Action::Dial(_) => "dial",
            Action::Transfer(_) => "transfer",
            Action::Enqueue(_) => "enqueue",
            Action::Voicemail(_) => "voicemail",
            Action::Record => "record",
            Action::MusicOnHold => "music-on-hold",
            Action::Hangup(_) => "hangup",
            Action::SetField(..) => "set-field",
            Action::Pause => "pause",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Action::Play(p) => write!(f, "play {p:?}"),
            Action::SayDigits(d) => write!(f, "say-digits {d:?}"),
            Action::SayNumber(n) => write!(f, "say-number {n}"),
            Action::Collect(d) => write!(f, "collect -> {d:?}"),
            Action::Dial(t) => write!(f, "dial {t:?}"),
            Action::Transfer(t) => write!(f, "transfer {t}"),
            Action::Enqueue(q) => write!(f, "enqueue {q:?}"),
            Action::Voicemail(b) => write!(f, "voicemail box {b:?}"),
            Action::Hangup(c) => write!(f, "hangup {c}"),
            Action::SetField(n, v) => write!(f, "set-field {n}={v:?}"),
            other => f.write_str(other.name()),
        }
    }
}

/// "ext:101" / "tel:+33..." for a dial target.
pub fn dial_target_text(t: &DialTarget) -> String {
    match t {
        DialTarget::Extension(n) => format!("ext:{n}"),
        DialTarget::External(n) => format!("tel:{n}"),
    }
}

/// "ext:101" / "queue:x" / "vm:100" / "tel:..." for a transfer target.
pub fn transfer_target_text(t: &TransferTarget) -> String {
    match t {
        TransferTarget::Extension(n) => format!("ext:{n}"),
        TransferTarget::Queue(n) => format!("queue:{n}"),
        TransferTarget::Voicemail(n) => format!("vm:{n}"),
        TransferTarget::External(n) => format!("tel:{n}"),
    }
}

/// Parse "ext:101" etc. back into a transfer target.
pub fn parse_transfer_target(s: &str) -> Option<TransferTarget> {
    let (kind, rest) = s.split_once(':')?;
    let rest = rest.to_string();
    Some(match kind {
        "ext" => TransferTarget::Extension(rest),
        "queue" => TransferTarget::Queue(rest),
        "vm" => TransferTarget::Voicemail(rest),
        "tel" => TransferTarget::External(rest),
        _ => return None,
    })
}

/// "normal", "busy", ... for a hang-up cause.
pub fn cause_text(c: HangupCause) -> &'static str {
    match c {
        HangupCause::Normal => "normal",
        HangupCause::Busy => "busy",
        HangupCause::Rejected => "rejected",
        HangupCause::Unavailable => "unavailable",
        HangupCause::NotFound => "not-found",
        HangupCause::Congestion => "congestion",
    }
}
