//! The open-hours menu: one key, with a repeat key, the night switch's
//! feature code, and a bounded number of attempts.

use crate::night::{self, Attempt};
use crate::record;
use crate::route;
use crate::settings::Settings;
use pbx_flow_sdk::Collect;
use pbx_flow_sdk::prelude::*;

/// Repeats allowed before a repeat counts as a failed attempt, so that a
/// caller (or a stuck key) cannot hold a line forever.
const FREE_REPEATS: u32 = 5;

/// Run the menu until the caller is routed or the attempts run out.
pub fn run(call: &Call, s: &Settings) -> Result<(), Error> {
    let mut failures = 0;
    let mut repeats = 0;
    while failures < s.retries {
        let collected = Collect::new(1)
            .terminator(None)
            .first_digit_timeout(Duration::from_millis(u64::from(s.first_digit_timeout_ms)))
            .inter_digit_timeout(Duration::from_millis(u64::from(s.inter_digit_timeout_ms)))
            .prompt([s.prompts.menu.as_str()])
            .run()?;
        let attempt = (failures + 1).to_string();
        let Some(key) = collected.digits.chars().next() else {
            failures += 1;
            log::info("no-input", &[("attempt", &attempt)]);
            call.play([s.prompts.timeout.as_str()]).run()?;
            continue;
        };
        if Some(key) == s.repeat_key {
            repeats += 1;
            log::info("repeat", &[]);
            if repeats > FREE_REPEATS {
                failures += 1;
            }
            continue;
        }
        if night::starts_code(s, key) {
            match night::feature_code(call, s, key)? {
                Attempt::Toggled => return Ok(()),
                Attempt::WrongCode | Attempt::WrongPin => {
                    failures += 1;
                    call.play([s.prompts.invalid.as_str()]).run()?;
                    continue;
                }
            }
        }
        if let Some(target) = s.destination_of(key) {
            let key = key.to_string();
            log::info(
                "menu-choice",
                &[("key", &key), ("target", &target.to_string())],
            );
            record::set(call, "menu-choice", &key)?;
            return route::send(call, s, target);
        }
        failures += 1;
        log::info(
            "invalid-choice",
            &[("key", &key.to_string()), ("attempt", &attempt)],
        );
        call.play([s.prompts.invalid.as_str()]).run()?;
    }
    log::warn("retries-exhausted", &[("attempts", &s.retries.to_string())]);
    record::set(call, "menu-choice", "none")?;
    call.play([s.prompts.goodbye.as_str()]).run()?;
    call.hangup(HangupCause::Normal)
}
