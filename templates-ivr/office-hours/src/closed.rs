//! What follows a closed message (outside hours, holiday, closure, night
//! switch): the general voicemail box, or goodbye.

use crate::route::leave_message;
use crate::settings::{ClosedAction, Settings};
use pbx_flow_sdk::prelude::*;

/// Play `message`, then the closed action.
pub fn message_then_action(call: &Call, s: &Settings, message: &str) -> Result<(), Error> {
    call.play([message]).run()?;
    action(call, s)
}

/// The closed action alone, once the message has played.
pub fn action(call: &Call, s: &Settings) -> Result<(), Error> {
    match s.closed_action {
        ClosedAction::Voicemail => {
            // The closed message already said why: straight to the beep.
            leave_message(call, &s.voicemail_box, VoicemailGreeting::None)?;
        }
        ClosedAction::Hangup => {
            call.play([s.prompts.goodbye.as_str()]).run()?;
        }
    }
    call.hangup(HangupCause::Normal)
}
