//! The demo IVR's routing decisions end to end, heard by a real phone
//! (pjsua2, recording what it hears): closed hours, bank holidays, an
//! incident flag switched through the admin API, a blocked caller.
//! Each test runs its own `pbx serve` with its own clock.
//!
//! Needs the peers (`scripts/install-test-peers.sh`) and the prompts
//! (`scripts/build-sounds.sh`); fails, never skips, without them.

mod common;

use common::audio::{Wav, any_tone_seconds};
use common::calls::*;
use common::pbx_proc::{OPEN, Pbx, PbxOptions};
use serde_json::Value;

/// One test at a time: phones on ports picked just before, two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Call 5000 at `clock` from 1001 and listen to the greeting, the
/// announcement `expected` and `then` seconds more; what the caller
/// heard and the call record.
async fn call_ivr_at(clock: &str, expected: &str, then: f64) -> (Pbx, Wav, Value) {
    let pbx = Pbx::start(&PbxOptions::at(clock));
    let api = pbx.api().await;
    let mut caller = pjsua2_phone(&pbx, "1001", |o| o.recording()).await;
    let seconds = prompt_seconds("office-welcome") + prompt_seconds(expected) + then;
    let heard = call_and_listen(&pbx, &mut caller, "5000", seconds).await;
    let record = finished_record(&pbx, &api, "5000").await;
    drop(caller);
    (pbx, heard, record)
}

/// Assert the caller heard the greeting, then `announcement`, and not
/// the menu; where the announcement ended.
fn greeting_then(pbx: &Pbx, heard: &Wav, announcement: &str, clock: &str) -> f64 {
    let welcome_at = assert_heard(pbx, heard, "office-welcome");
    let at = assert_heard(pbx, heard, announcement);
    assert!(
        at >= welcome_at + prompt_seconds("office-welcome") - 0.3,
        "at {clock}: {announcement} ({at:.2} s) did not follow the greeting ({welcome_at:.2} s)\n{}",
        pbx.log()
    );
    assert_not_heard(pbx, heard, "office-menu");
    at + prompt_seconds(announcement)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn out_of_hours_callers_hear_closed_then_reach_voicemail() {
    let _serial = SERIAL.lock().await;
    // A Saturday morning, and a Tuesday at 19:00 (London is on GMT).
    for clock in ["2026-11-28T11:00:00Z", "2026-11-24T19:00:00Z"] {
        let (pbx, heard, record) = call_ivr_at(clock, "office-closed", 3.0).await;
        let end = greeting_then(&pbx, &heard, "office-closed", clock);
        // The closed action: voicemail, straight to the beep.
        let beep = any_tone_seconds(&heard.slice(end - 0.2, end + 2.0), 300.0, 2000.0);
        assert!(
            beep >= 0.1,
            "at {clock}: no voicemail beep after the closed message\n{}",
            pbx.log()
        );
        assert_eq!(field(&record, "branch"), Some("closed"), "{record:#}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bank_holidays_announce_the_holiday() {
    let _serial = SERIAL.lock().await;
    // Christmas Day 2026 (a Friday) and Easter Monday 2027, both in
    // office hours of an ordinary week (11:00 BST on 29 March 2027).
    for (clock, holiday) in [
        ("2026-12-25T10:00:00Z", "Christmas Day"),
        ("2027-03-29T10:00:00Z", "Easter Monday"),
    ] {
        let (pbx, heard, record) = call_ivr_at(clock, "office-holiday", 1.0).await;
        greeting_then(&pbx, &heard, "office-holiday", clock);
        assert_not_heard(&pbx, &heard, "office-closed");
        assert_eq!(field(&record, "branch"), Some("holiday"), "{record:#}");
        assert_eq!(field(&record, "holiday"), Some(holiday), "{record:#}");
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
        prompt_seconds("office-incident") + 1.5,
    )
    .await;
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
    let records = records_at_least(&pbx, &api, "5000", 2).await;
    assert_eq!(
        field(&records[0], "branch"),
        Some("open-menu"),
        "{records:#?}"
    );
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
    // 603 Decline (host/pbx/src/call/router.rs, BLOCKED_STATUS).
    assert_eq!(
        code,
        Some(603),
        "the blocked caller's INVITE ended with {ended:?}, expected 603 Decline\n{}\n{}",
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
