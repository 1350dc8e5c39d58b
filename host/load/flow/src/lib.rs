//! The call flow of the load generator's scenarios (`pbx-load bench`).
//!
//! The `mode` parameter picks what a call does:
//! - `answer` (default): answer, then wait (up to `wait-seconds`) for the
//!   caller to hang up.
//! - `prompt`: answer, play `prompt` once, hang up.
//! - `ivr`: answer, play `prompt` in a loop while collecting `digits`
//!   digits; hang up at once when they equal `expect`, else after
//!   `wait-seconds` (so the load generator can tell the digits arrived
//!   from when the PBX hangs up).
//! - `bridge`: dial the extension named by the dialled number without its
//!   first `strip` characters, and hang up when the conversation ends.

use pbx_flow_sdk::prelude::*;

struct LoadFlow;

impl Flow for LoadFlow {
    fn describe() -> Description {
        Description::new("load-flow", "1.0.0")
            .summary("What the load generator's calls run: answer, prompt, IVR or bridge.")
            .param(Param::text("mode").default_text("answer"))
            .param(Param::prompt("prompt").default_text("office-welcome"))
            .param(Param::integer("digits").default_integer(2))
            .param(Param::text("expect").default_text("12"))
            .param(Param::integer("wait-seconds").default_integer(30))
            .param(Param::integer("strip").default_integer(1))
    }

    fn handle_call(call: &Call) -> Result<(), Error> {
        let mode = config::text("mode").unwrap_or_default();
        let wait = Duration::from_secs(
            config::integer("wait-seconds").unwrap_or(30).clamp(1, 3600) as u64,
        );
        match mode.as_str() {
            "prompt" => {
                call.answer()?;
                call.play([prompt()]).run()?;
                call.hangup(HangupCause::Normal)
            }
            "ivr" => ivr(call, wait),
            "bridge" => bridge(call),
            _ => {
                call.answer()?;
                call.pause(wait)?;
                call.hangup(HangupCause::Normal)
            }
        }
    }
}

/// The prompt to play.
fn prompt() -> String {
    config::text("prompt").unwrap_or_else(|| "office-welcome".to_string())
}

/// Collect digits over a looping prompt; hang up at once on the expected
/// digits, after `wait` otherwise.
fn ivr(call: &Call, wait: Duration) -> Result<(), Error> {
    call.answer()?;
    let want = config::integer("digits").unwrap_or(2).clamp(1, 20) as u8;
    let expect = config::text("expect").unwrap_or_default();
    let mut digits = String::new();
    for _ in 0..10 {
        let got = call
            .collect(want - digits.len() as u8)
            .prompt([prompt()])
            .terminator(None)
            .first_digit_timeout(Duration::from_secs(5))
            .inter_digit_timeout(Duration::from_secs(3))
            .run()?;
        digits.push_str(&got.digits);
        if digits.len() >= want as usize {
            break;
        }
    }
    call.set_field("digits", &digits)?;
    if digits != expect {
        log::info(
            "unexpected-digits",
            &[("digits", &digits), ("expected", &expect)],
        );
        call.pause(wait)?;
    }
    call.hangup(HangupCause::Normal)
}

/// Dial the extension the dialled number names.
fn bridge(call: &Call) -> Result<(), Error> {
    let dialled = call.info().dialled_number;
    let strip = config::integer("strip").unwrap_or(1).clamp(0, 10) as usize;
    let extension: String = dialled.chars().skip(strip).collect();
    let outcome = call
        .dial(DialTarget::Extension(extension))
        .ring_for(Duration::from_secs(20))
        .run()?;
    match outcome {
        DialOutcome::Answered(_) => call.hangup(HangupCause::Normal),
        DialOutcome::Busy => call.hangup(HangupCause::Busy),
        _ => call.hangup(HangupCause::Unavailable),
    }
}

pbx_flow_sdk::export_flow!(LoadFlow);
