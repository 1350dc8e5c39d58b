//! Sending the caller to a target: an extension (its voicemail when it does
//! not answer), a queue (voicemail when the queue cannot take the call), a
//! voicemail box, or an incident message.

use crate::record;
use crate::settings::Settings;
use crate::target::Target;
use pbx_flow_sdk::prelude::*;

/// Send the caller to `target` and end the call once it is handled.
pub fn send(call: &Call, s: &Settings, target: &Target) -> Result<(), Error> {
    match target {
        Target::Extension(number) => extension(call, s, number),
        Target::Queue(queue) => self::queue(call, s, queue),
        Target::Voicemail(mailbox) => {
            leave_message(call, mailbox, VoicemailGreeting::Unavailable)?;
            call.hangup(HangupCause::Normal)
        }
        Target::Prompt(prompt) => {
            call.play([prompt.as_str(), s.prompts.goodbye.as_str()])
                .run()?;
            call.hangup(HangupCause::Normal)
        }
    }
}

/// Ring an extension; if it does not answer, its voicemail.
fn extension(call: &Call, s: &Settings, number: &str) -> Result<(), Error> {
    call.play([s.prompts.transfer.as_str()]).run()?;
    let outcome = call
        .dial(DialTarget::Extension(number.to_string()))
        .ring_for(Duration::from_millis(u64::from(s.ring_timeout_ms)))
        .run()?;
    let (name, greeting) = match &outcome {
        DialOutcome::Answered(_) => ("answered", None),
        DialOutcome::Busy => ("busy", Some(VoicemailGreeting::Busy)),
        DialOutcome::NoAnswer => ("no-answer", Some(VoicemailGreeting::Unavailable)),
        DialOutcome::Unavailable => ("unavailable", Some(VoicemailGreeting::Unavailable)),
        DialOutcome::Rejected => ("rejected", Some(VoicemailGreeting::Unavailable)),
        DialOutcome::Failed(_) => ("failed", Some(VoicemailGreeting::Unavailable)),
    };
    log::info("dial-outcome", &[("extension", number), ("outcome", name)]);
    record::set(call, "dial-outcome", name)?;
    let Some(greeting) = greeting else {
        // The conversation took place; the host ends the call.
        return Ok(());
    };
    let mailbox = mailbox_of(number, s);
    leave_message(call, &mailbox, greeting)?;
    call.hangup(HangupCause::Normal)
}

/// The voicemail box of extension `number`, or the general box when it has
/// none (or the directory cannot say).
fn mailbox_of(number: &str, s: &Settings) -> String {
    match directory::by_number(number) {
        Ok(Some(ext)) => {
            if let Some(mailbox) = ext.voicemail_box {
                return mailbox;
            }
        }
        Ok(None) => {}
        Err(e) => log::warn(
            "directory-unavailable",
            &[("extension", number), ("error", &format!("{e:?}"))],
        ),
    }
    s.voicemail_box.clone()
}

/// Wait in a queue; unless an agent answered, the general voicemail.
///
/// Until the PBX has a queue engine, `enqueue` answers `unavailable` at
/// once, and callers get the general box: the honest outcome.
fn queue(call: &Call, s: &Settings, queue: &str) -> Result<(), Error> {
    call.play([s.prompts.transfer.as_str()]).run()?;
    let exit = call.enqueue(queue).run()?;
    let name = match &exit {
        QueueExit::Answered(_) => "answered",
        QueueExit::Timeout => "timeout",
        QueueExit::ExitKey(_) => "exit-key",
        QueueExit::NoAgents => "no-agents",
        QueueExit::Full => "full",
        QueueExit::Unavailable => "unavailable",
    };
    log::info("queue-exit", &[("queue", queue), ("exit", name)]);
    record::set(call, "queue-exit", name)?;
    if matches!(exit, QueueExit::Answered(_)) {
        return Ok(());
    }
    leave_message(call, &s.voicemail_box, VoicemailGreeting::Unavailable)?;
    call.hangup(HangupCause::Normal)
}

/// Voicemail, with the outcome in the trace.
pub fn leave_message(call: &Call, mailbox: &str, greeting: VoicemailGreeting) -> Result<(), Error> {
    let outcome = call.voicemail(mailbox, greeting)?;
    let outcome = match outcome {
        VoicemailOutcome::Left(_) => "left",
        VoicemailOutcome::NothingLeft => "nothing-left",
        VoicemailOutcome::BoxFull => "box-full",
    };
    log::info("voicemail", &[("box", mailbox), ("outcome", outcome)]);
    Ok(())
}
