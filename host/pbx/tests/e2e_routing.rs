//! The demo IVR's routing decisions end to end, heard by a real phone
//! (pjsua2, recording what it hears): closed hours, bank holidays, an
//! incident flag switched through the admin API, a blocked caller.
//! Each test runs its own `pbx serve` with its own clock.
//!
//! Needs the peers (`scripts/install-test-peers.sh`) and the prompts
//! (`scripts/build-sounds.sh`); fails, never skips, without them.

mod common;

use common::calls::*;
use common::pbx_proc::{OPEN, Pbx, PbxOptions};

/// One test at a time: phones on ports picked just before, two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Call 5000 at `clock` from 1001 and listen long enough for the
/// announcement `expected` and the start of what follows it.
async fn call_ivr_at(clock: &str, expected: &str, then: f64) -> (Pbx, common::audio::Wav) {
    let pbx = Pbx::start(&PbxOptions::at(clock));
    let mut caller = pjsua2_phone(&pbx, "1001", |o| o.recording()).await;
    // The template greets every caller, then announces why it is closed.
    let seconds = prompt_seconds("office-welcome") + prompt_seconds(expected) + then;
    let heard = call_and_listen(&pbx, &mut caller, "5000", seconds).await;
    drop(caller);
    (pbx, heard)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_hours_callers_hear_closed_then_reach_voicemail() {
    let _serial = SERIAL.lock().await;
    // A Saturday morning, and a Tuesday at 19:00 (London is on GMT).
    for clock in ["2026-11-28T11:00:00Z", "2026-11-24T19:00:00Z"] {
        let then = 3.0;
        let (pbx, heard) = call_ivr_at(clock, "office-closed", then).await;
        let welcome_at = assert_heard(&pbx, &heard, "office-welcome");
        let closed_at = assert_heard(&pbx, &heard, "office-closed");
        assert!(welcome_at < closed_at, "{}", pbx.log());
        assert_not_heard(&pbx, &heard, "office-menu");
        // The closed message is the voicemail greeting: the beep follows it.
        let end = closed_at + prompt_seconds("office-closed");
        let beep = common::audio::tone_seconds(&heard.slice(end - 0.2, end + 2.0), 1000.0);
        assert!(
            beep >= 0.15,
            "at {clock} no voicemail beep after the closed message ({closed_at:.2} s)\n{}",
            pbx.log()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_holidays_announce_the_holiday() {
    let _serial = SERIAL.lock().await;
    // Christmas Day 2026 (a Friday) and Easter Monday 2027, both at
    // office hours on an ordinary week (11:00 BST on 29 March 2027).
    for clock in ["2026-12-25T10:00:00Z", "2027-03-29T10:00:00Z"] {
        let (pbx, heard) = call_ivr_at(clock, "office-holiday", 1.5).await;
        let welcome_at = assert_heard(&pbx, &heard, "office-welcome");
        let holiday_at = assert_heard(&pbx, &heard, "office-holiday");
        assert!(welcome_at < holiday_at, "{}", pbx.log());
        assert_not_heard(&pbx, &heard, "office-menu");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_outage_flag_switches_the_ivr_to_the_incident_message_and_back() {
    let _serial = SERIAL.lock().await;
    let pbx = Pbx::start(&PbxOptions::at(OPEN));
    let api = pbx.api().await;
    let mut caller = pjsua2_phone(&pbx, "1001", |o| o.recording()).await;

    let flag = api.set_flag("outage", true).await;
    assert_eq!(flag["active"], true, "{flag}");
    let heard = call_and_listen(
        &pbx,
        &mut caller,
        "5000",
        prompt_seconds("office-welcome") + prompt_seconds("office-incident") + 1.5,
    )
    .await;
    assert_heard(&pbx, &heard, "office-welcome");
    assert_heard(&pbx, &heard, "office-incident");
    assert_not_heard(&pbx, &heard, "office-menu");

    // Cleared: the next call gets the greeting and the menu again.
    let flag = api.set_flag("outage", false).await;
    assert_eq!(flag["active"], false, "{flag}");
    let seconds = prompt_seconds("office-welcome") + prompt_seconds("office-menu") + 1.5;
    let heard = call_and_listen(&pbx, &mut caller, "5000", seconds).await;
    assert_heard(&pbx, &heard, "office-welcome");
    assert_heard(&pbx, &heard, "office-menu");
    assert_not_heard(&pbx, &heard, "office-incident");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_blocked_caller_is_refused_and_others_still_get_through() {
    let _serial = SERIAL.lock().await;
    let pbx = Pbx::start(&PbxOptions::at(OPEN));
    let api = pbx.api().await;
    api.block("1003").await;
    let mut blocked = pjsua2_phone(&pbx, "1003", |o| o.recording()).await;
    let mut caller = pjsua2_phone(&pbx, "1001", |o| o.recording()).await;

    let mark = blocked.mark();
    dial(&pbx, &mut blocked, "5000");
    let ended = blocked.wait_since(mark, "DISCONNECTED").await;
    let code = ended
        .as_deref()
        .and_then(|e| e.split_whitespace().nth(1))
        .and_then(|c| c.parse::<u16>().ok());
    assert!(
        matches!(code, Some(403 | 603)),
        "the blocked caller's INVITE ended with {ended:?}, expected a 403 or 603 refusal\n{}\n{}",
        blocked.log(),
        pbx.log()
    );
    assert!(
        blocked.events().iter().skip(mark).all(|e| e != "CONFIRMED"),
        "the blocked call was answered\n{}",
        blocked.log()
    );

    let heard = call_and_listen(
        &pbx,
        &mut caller,
        "5000",
        prompt_seconds("office-welcome") + 1.0,
    )
    .await;
    assert_heard(&pbx, &heard, "office-welcome");
}
