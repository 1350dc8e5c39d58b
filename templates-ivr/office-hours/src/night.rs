//! The manual night switch: a key-value entry (`on` / `off`) that closes
//! the line whatever the schedule says, toggled from the phone with a
//! feature code and a PIN.
//!
//! The code is heard in the menu (open hours) and during the night message
//! (switch on), so staff can turn the switch on at the end of the day and
//! off in the morning from any phone. A wrong code or PIN is an invalid
//! choice: it uses up one of the menu's attempts, which bounds guessing to
//! `menu-retries` tries per call. The PIN never enters the trace.

use crate::closed;
use crate::record;
use crate::settings::{NightCode, Settings};
use pbx_flow_sdk::Collect;
use pbx_flow_sdk::prelude::*;

/// How a feature-code attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// The switch changed; the call is over.
    Toggled,
    /// The keys after the first were not the code.
    WrongCode,
    /// The code was right, the PIN was not.
    WrongPin,
}

/// Does `first` start the feature code?
pub fn starts_code(s: &Settings, first: char) -> bool {
    s.night.as_ref().is_some_and(|n| n.code.starts_with(first))
}

/// The caller pressed `first`, the code's first key: collect the rest of
/// the code and the PIN, and toggle the switch if both are right.
pub fn feature_code(call: &Call, s: &Settings, first: char) -> Result<Attempt, Error> {
    let Some(night) = &s.night else {
        return Ok(Attempt::WrongCode);
    };
    if !code_matches(s, night, first)? {
        log::info("night-code-wrong", &[]);
        return Ok(Attempt::WrongCode);
    }
    let between = Duration::from_millis(u64::from(s.inter_digit_timeout_ms));
    let pin = Collect::new(night.pin.len() as u8)
        .terminator('#')
        .first_digit_timeout(Duration::from_millis(u64::from(s.first_digit_timeout_ms)))
        .inter_digit_timeout(between)
        .prompt([s.prompts.pin.as_str()])
        .run()?;
    if pin.digits != night.pin {
        log::warn("night-pin-wrong", &[("key", &s.night_kv_key)]);
        return Ok(Attempt::WrongPin);
    }
    toggle(call, s)?;
    Ok(Attempt::Toggled)
}

/// Collect the keys of the code after `first` and compare.
fn code_matches(s: &Settings, night: &NightCode, first: char) -> Result<bool, Error> {
    let rest = night.code.len() - first.len_utf8();
    let mut entered = first.to_string();
    if rest > 0 {
        // Staff type the code in one go: every key, the first after the
        // one that started it included, gets the short inter-digit wait.
        let between = Duration::from_millis(u64::from(s.inter_digit_timeout_ms));
        let more = Collect::new(rest as u8)
            .terminator(None)
            .first_digit_timeout(between)
            .inter_digit_timeout(between)
            .run()?;
        entered.push_str(&more.digits);
    }
    Ok(entered == night.code)
}

/// Flip the switch, confirm, say goodbye and hang up.
fn toggle(call: &Call, s: &Settings) -> Result<(), Error> {
    let now_on = !crate::decision::night_switch_on(&s.night_kv_key);
    let state = if now_on { "on" } else { "off" };
    kv::set(&s.night_kv_key, state, None)?;
    log::info(
        "night-switch-set",
        &[("key", &s.night_kv_key), ("state", state)],
    );
    record::set(call, "night-switch", state)?;
    let confirmation = if now_on {
        &s.prompts.night_on
    } else {
        &s.prompts.night_off
    };
    call.play([confirmation.as_str(), s.prompts.goodbye.as_str()])
        .run()?;
    call.hangup(HangupCause::Normal)
}

/// The night branch: the night message, during which staff may enter the
/// feature code to switch back to day mode; otherwise the closed action.
pub fn night_mode(call: &Call, s: &Settings) -> Result<(), Error> {
    let key = call.play([s.prompts.night.as_str()]).interruptible()?;
    if let Some(first) = key
        && starts_code(s, first)
    {
        match feature_code(call, s, first)? {
            Attempt::Toggled => return Ok(()),
            Attempt::WrongCode | Attempt::WrongPin => {
                call.play([s.prompts.invalid.as_str()]).run()?;
            }
        }
    }
    closed::action(call, s)
}
