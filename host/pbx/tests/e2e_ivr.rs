//! A flow-driven call end to end with real soft phones: extension 1001
//! (pjsua2) dials the demo IVR (5000) in office hours, hears the greeting,
//! presses 2 (RFC 4733) and is put through to 1002 (baresip, answering by
//! itself); each side hears the other's tone through the PBX's media;
//! the call record tells the path the flow took.
//!
//! Needs the peers (`scripts/install-test-peers.sh`), the prompts
//! (`scripts/build-sounds.sh`); fails, never skips, without them.

mod common;

use common::audio::{tone_seconds, write_tone_wav};
use common::calls::*;
use common::pbx_proc::{OPEN, Pbx, PbxOptions};

/// What the caller plays, and what 1002 plays.
const CALLER_HZ: f64 = 600.0;
const CALLEE_HZ: f64 = 1000.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ivr_greets_routes_on_a_digit_and_bridges_the_media() {
    let pbx = Pbx::start(&PbxOptions::at(OPEN));
    let api = pbx.api().await;
    let caller_tone = pbx.dir.join("caller-600.wav");
    let callee_tone = pbx.dir.join("callee-1000.wav");
    write_tone_wav(&caller_tone, CALLER_HZ, 120.0);
    write_tone_wav(&callee_tone, CALLEE_HZ, 120.0);

    let mut callee = baresip_answering(&pbx, "1002", &callee_tone).await;
    let mut caller = pjsua2_phone(&pbx, "1001", |o| o.playing(&caller_tone).recording()).await;

    let mark = dial_answered(&pbx, &mut caller, "5000").await;
    // The greeting, then into the menu before pressing 2.
    listen(prompt_seconds("office-welcome") + 2.0).await;
    caller.command("dtmf 2 rfc2833");
    assert!(
        caller.wait_since(mark, "OK dtmf").await.is_some(),
        "{}",
        caller.log()
    );
    assert!(
        callee.wait_event("CALL_ESTABLISHED").await,
        "1002 was not called after the caller pressed 2\n{}\n{}\n{}",
        callee.log(),
        caller.log(),
        pbx.log()
    );
    // Both talk for a while.
    listen(4.0).await;
    caller.command("hangup");
    assert!(
        caller.wait_since(mark, "DISCONNECTED").await.is_some(),
        "{}",
        caller.log()
    );
    assert!(
        callee.wait_event("CALL_CLOSED").await,
        "1002's leg did not end when the caller hung up\n{}\n{}",
        callee.log(),
        pbx.log()
    );

    // What the caller heard: the greeting (not the closed message), then
    // 1002's tone.
    let (_, heard) = recording_of(&pbx, &caller, mark).await;
    let greeting_at = assert_heard(&pbx, &heard, "office-welcome");
    assert_not_heard(&pbx, &heard, "office-closed");
    let after_greeting = heard.slice(greeting_at + prompt_seconds("office-welcome"), 1e9);
    let callee_heard_by_caller = tone_seconds(&after_greeting, CALLEE_HZ);
    assert!(
        callee_heard_by_caller >= 2.0,
        "the caller heard 1002's {CALLEE_HZ} Hz tone for {callee_heard_by_caller} s only\n{}",
        pbx.log()
    );
    assert!(
        tone_seconds(&heard, CALLER_HZ) < 0.5,
        "the caller heard its own tone back (echo or loop)\n{}",
        pbx.log()
    );
    // What 1002 heard: the caller's tone.
    let callee_wav = callee
        .heard()
        .unwrap_or_else(|| panic!("baresip 1002 recorded nothing (sndfile)\n{}", callee.log()));
    let callee_heard = load(&callee_wav);
    let caller_heard_by_callee = tone_seconds(&callee_heard, CALLER_HZ);
    assert!(
        caller_heard_by_callee >= 2.0,
        "1002 heard the caller's {CALLER_HZ} Hz tone for {caller_heard_by_callee} s only ({})\n{}",
        callee_wav.display(),
        pbx.log()
    );

    // The call record: the flow and its version, the digit, the leg to
    // 1002 answered.
    let record = finished_record(&pbx, &api, "5000").await;
    assert_eq!(record["caller"], "1001", "{record:#}");
    assert_eq!(record["dialled"], "5000", "{record:#}");
    assert!(
        record["flow_name"].as_str().is_some_and(|n| !n.is_empty())
            && record["flow_version"].as_i64().is_some_and(|v| v >= 1),
        "no flow name/version in the record: {record:#}"
    );
    assert_eq!(record["outcome"], "answered", "{record:#}");
    let legs = record["legs"].as_array().unwrap();
    assert!(
        legs.iter()
            .any(|l| l["target"].as_str().is_some_and(|t| t.contains("1002"))
                && !l["answered_at"].is_null()
                && l["outcome"] == "answered"),
        "no answered leg to 1002: {record:#}"
    );
    let trace = record["trace"].to_string();
    assert!(
        trace.contains('2')
            && (trace.contains("menu") || trace.contains("digit") || trace.contains("dtmf")),
        "the trace does not show the menu choice 2: {record:#}"
    );
}
