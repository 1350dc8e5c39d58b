//! The reference auto-attendant.
//!
//! Greeting; when the office is closed (outside the schedule's hours, or a
//! holiday of the calendar) a closed message and the general voicemail box;
//! otherwise a one-key menu whose keys lead to extensions, queues or
//! voicemail boxes, with a repeat key and a bounded number of retries on
//! invalid or missing input. Every decision is logged to the call's trace.

use pbx_flow_sdk::prelude::*;

struct AutoAttendant;

impl Flow for AutoAttendant {
    fn describe() -> Description {
        Description::new("auto-attendant", "1.0.0")
            .summary("Greets callers, sends them to voicemail when the office is closed, and offers a one-key menu when it is open.")
            .param(Param::schedule("schedule").label("Office hours").default_text("office"))
            .param(
                Param::holiday_calendar("holidays")
                    .label("Holiday calendar")
                    .help("Closed all day on these holidays.")
                    .optional(),
            )
            .param(Param::prompt("greeting").label("Greeting").default_text("welcome"))
            .param(Param::prompt("closed-prompt").label("Closed message").default_text("closed"))
            .param(Param::prompt("menu-prompt").label("Menu prompt").default_text("menu"))
            .param(Param::prompt("invalid-prompt").label("Invalid choice prompt").default_text("invalid"))
            .param(
                Param::text_list("menu")
                    .label("Menu keys")
                    .help("One entry per key: 1=ext:101, 2=queue:sales, 9=vm:100.")
                    .default_list(["1=ext:101", "2=ext:102", "9=vm:100"]),
            )
            .param(Param::text("repeat-key").label("Repeat key").default_text("*"))
            .param(Param::voicemail_box("voicemail-box").label("General voicemail").default_text("100"))
            .param(Param::integer("retries").label("Attempts").default_integer(3))
            .param(Param::integer("ring-seconds").label("Ring time").default_integer(20))
    }

    fn handle_call(call: &Call) -> Result<(), Error> {
        let info = call.info();
        log::info(
            "call",
            &[
                ("caller", &info.caller_number),
                ("dialled", &info.dialled_number),
            ],
        );
        call.answer()?;
        call.play([text("greeting")]).run()?;

        if let Some(why) = closed_reason()? {
            log::info("closed", &[("reason", &why)]);
            call.set_field("outcome", "closed")?;
            call.play([text("closed-prompt")]).run()?;
            call.voicemail(&text("voicemail-box"), VoicemailGreeting::None)?;
            return call.hangup(HangupCause::Normal);
        }

        menu(call)
    }
}

/// Why the office is closed right now, or `None` when it is open.
fn closed_reason() -> Result<Option<String>, Error> {
    if let Some(calendar) = config::text("holidays")
        && let Some(h) = holidays::today(&calendar)?
    {
        return Ok(Some(format!("holiday: {}", h.name)));
    }
    let status = schedule::status(&text("schedule"))?;
    Ok(match (status.open, status.reason) {
        (true, _) => None,
        (false, Some(schedule::ClosedReason::Holiday(name))) => Some(format!("holiday: {name}")),
        (false, Some(schedule::ClosedReason::Closure(msg))) => Some(format!("closure: {msg}")),
        (false, _) => Some("outside hours".to_string()),
    })
}

/// The open-hours menu, with retries.
fn menu(call: &Call) -> Result<(), Error> {
    let keys = config::key_map(&config::list("menu"));
    let repeat = text("repeat-key").chars().next();
    let attempts = config::integer("retries").unwrap_or(3).clamp(1, 10);
    let mut failures = 0;
    let mut repeats = 0;
    while failures < attempts && repeats < 10 {
        let digits = call.play([text("menu-prompt")]).collect(1)?;
        let Some(key) = digits.chars().next() else {
            failures += 1;
            log::info("no-input", &[("attempt", &failures.to_string())]);
            continue;
        };
        if Some(key) == repeat {
            repeats += 1;
            log::info("repeat", &[]);
            continue;
        }
        match keys.iter().find(|(k, _)| *k == key) {
            Some((_, destination)) => {
                log::info(
                    "menu-choice",
                    &[
                        ("key", &key.to_string()),
                        ("destination", &destination.to_string()),
                    ],
                );
                call.set_field("menu-choice", &key.to_string())?;
                return route(call, destination);
            }
            None => {
                failures += 1;
                log::info(
                    "invalid-choice",
                    &[
                        ("key", &key.to_string()),
                        ("attempt", &failures.to_string()),
                    ],
                );
                call.play([text("invalid-prompt")]).run()?;
            }
        }
    }
    log::warn("retries-exhausted", &[]);
    call.set_field("outcome", "retries-exhausted")?;
    call.voicemail(&text("voicemail-box"), VoicemailGreeting::None)?;
    call.hangup(HangupCause::Normal)
}

/// Send the caller to the destination they chose.
fn route(call: &Call, destination: &Destination) -> Result<(), Error> {
    match destination {
        Destination::Extension(number) => {
            let ring = Duration::from_secs(
                config::integer("ring-seconds").unwrap_or(20).clamp(5, 120) as u64,
            );
            let outcome = call
                .dial(DialTarget::Extension(number.clone()))
                .ring_for(ring)
                .run()?;
            log::info(
                "dial-outcome",
                &[("extension", number), ("outcome", &format!("{outcome:?}"))],
            );
            match outcome {
                DialOutcome::Answered(_) => return Ok(()),
                DialOutcome::Busy => {
                    call.voicemail(number, VoicemailGreeting::Busy)?;
                }
                _ => {
                    call.voicemail(number, VoicemailGreeting::Unavailable)?;
                }
            }
        }
        Destination::Voicemail(mailbox) => {
            call.voicemail(mailbox, VoicemailGreeting::Unavailable)?;
        }
        Destination::Queue(queue) => {
            let exit = call
                .enqueue(queue)
                .max_wait(Duration::from_secs(300))
                .run()?;
            log::info(
                "queue-exit",
                &[("queue", queue), ("exit", &format!("{exit:?}"))],
            );
            if !matches!(exit, QueueExit::Answered(_)) {
                call.voicemail(&text("voicemail-box"), VoicemailGreeting::Unavailable)?;
            }
        }
        Destination::External(number) => {
            call.dial(DialTarget::External(number.clone())).run()?;
        }
        Destination::Hangup => {}
    }
    call.hangup(HangupCause::Normal)
}

/// A text parameter; the schema gives every one used here a default.
fn text(name: &str) -> String {
    config::text(name).unwrap_or_default()
}

pbx_flow_sdk::export_flow!(AutoAttendant);
