//! What a caller gets when their flow fails: the tenant's fallback.
//!
//! A trap, a deadline or a memory-limit hit in a flow must not leave the
//! caller in silence. The tenant admin chooses an apology prompt and a
//! destination (operator, voicemail) or a plain hang-up.

use crate::backend::CallControl;
use crate::bindings::call::{CallState, HangupCause, TransferTarget};
use crate::trace::{Trace, TraceEvent};

/// What to do with a call whose flow failed.
#[derive(Debug, Clone, PartialEq)]
pub struct Fallback {
    /// Prompt played first (after early media if the call was not
    /// answered), e.g. "technical-difficulties".
    pub apology_prompt: Option<String>,
    /// Where the call goes next; `None` hangs up.
    pub destination: Option<TransferTarget>,
}

impl Default for Fallback {
    /// Hang up with "unavailable", no prompt: safe for any tenant that has
    /// not configured one.
    fn default() -> Self {
        Fallback {
            apology_prompt: None,
            destination: None,
        }
    }
}

/// Apply `fallback` to a call that is still up. Every step is recorded in
/// the trace under the "fallback" interface.
pub(crate) async fn apply(fallback: &Fallback, control: &mut dyn CallControl, trace: &mut Trace) {
    let mut note =
        |control: &dyn CallControl, function: &'static str, args: String, result: String| {
            trace.push_host(TraceEvent::HostCall {
                at_ms: control.elapsed_ms(),
                interface: "fallback",
                function,
                args,
                result,
            });
        };
    if let Some(prompt) = &fallback.apology_prompt {
        if control.state() == CallState::Ringing {
            let r = control.pre_answer().await;
            note(control, "pre-answer", String::new(), format!("{r:?}"));
        }
        let r = control.play(vec![prompt.clone()], false).await;
        note(control, "play", format!("{prompt:?}"), format!("{r:?}"));
    }
    if control.state() == CallState::Ended {
        return;
    }
    match &fallback.destination {
        Some(target) => {
            let r = control.transfer(target.clone()).await;
            note(control, "transfer", format!("{target:?}"), format!("{r:?}"));
            if r.is_err() && control.state() != CallState::Ended {
                let r = control.hangup(HangupCause::Unavailable).await;
                note(control, "hangup", "Unavailable".into(), format!("{r:?}"));
            }
        }
        None => {
            let r = control.hangup(HangupCause::Unavailable).await;
            note(control, "hangup", "Unavailable".into(), format!("{r:?}"));
        }
    }
}
