//! The @@name@@ call flow.
//!
//! Answers, plays a greeting, then a two-key menu: 1 rings an extension
//! (its voicemail when nobody answers or it is busy), 2 goes straight to
//! its voicemail; no key or another key also ends in voicemail. Each
//! decision is logged to the call's trace.

use pbx_flow_sdk::prelude::*;

struct @@Camel@@Flow;

impl Flow for @@Camel@@Flow {
    fn describe() -> Description {
        Description::new("@@name@@", "0.1.0")
            .summary("Greets callers; key 1 rings an extension, key 2 leaves a message.")
            .param(Param::prompt("greeting").label("Greeting").default_text("welcome"))
            .param(Param::extension("extension").label("Extension").default_text("101"))
            .param(Param::integer("ring-seconds").label("Ring time").default_integer(20))
    }

    fn handle_call(call: &Call) -> Result<(), Error> {
        let info = call.info();
        log::info("call", &[("caller", &info.caller_number)]);
        call.answer()?;
        call.play([text("greeting")]).run()?;
        let digits = call.play(["menu"]).collect(1)?;
        let extension = text("extension");
        match digits.as_str() {
            "1" => {
                log::info("menu-choice", &[("key", "1")]);
                let ring = config::integer("ring-seconds").unwrap_or(20).clamp(5, 120) as u64;
                let outcome = call
                    .dial(DialTarget::Extension(extension.clone()))
                    .ring_for(Duration::from_secs(ring))
                    .run()?;
                log::info("dial-outcome", &[("outcome", &format!("{outcome:?}"))]);
                match outcome {
                    DialOutcome::Answered(_) => return Ok(()),
                    DialOutcome::Busy => call.voicemail(&extension, VoicemailGreeting::Busy)?,
                    _ => call.voicemail(&extension, VoicemailGreeting::Unavailable)?,
                };
            }
            "2" => {
                log::info("menu-choice", &[("key", "2")]);
                call.voicemail(&extension, VoicemailGreeting::Unavailable)?;
            }
            other => {
                log::info("no-choice", &[("digits", other)]);
                call.voicemail(&extension, VoicemailGreeting::None)?;
            }
        }
        call.hangup(HangupCause::Normal)
    }
}

/// A text parameter; the schema gives every one used here a default.
fn text(name: &str) -> String {
    config::text(name).unwrap_or_default()
}

pbx_flow_sdk::export_flow!(@@Camel@@Flow);
