//! No answer -> voicemail, end to end: 1001 (pjsua2) calls the demo IVR
//! in office hours and presses 2; 1002 (pjsua2) rings and never answers;
//! after the ring time the caller hears 1002's voicemail greeting, speaks
//! (a tone) and presses #; the admin API then lists a message in 1002's
//! box, as long as what was said.
//!
//! Needs the peers (`scripts/install-test-peers.sh`) and the prompts
//! (`scripts/build-sounds.sh`); fails, never skips, without them.

mod common;

use common::PATIENCE;
use common::audio::{any_tone_seconds, write_tone_wav};
use common::calls::*;
use common::pbx_proc::{OPEN, Pbx, PbxOptions};
use std::time::Duration;

/// The demo's ring time before voicemail, seconds.
const RING_SECONDS: u64 = 20;
/// How long the caller speaks.
const MESSAGE_SECONDS: f64 = 3.0;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_extension_takes_a_voicemail_message() {
    let pbx = Pbx::start(&PbxOptions::at(OPEN));
    let api = pbx.api().await;
    let speech = pbx.dir.join("speech-700.wav");
    write_tone_wav(&speech, 700.0, 60.0);
    // 1002 rings (180) and never answers.
    let callee = pjsua2_phone(&pbx, "1002", |o| o).await;
    let mut caller = pjsua2_phone(&pbx, "1001", |o| o.recording()).await;
    assert!(
        api.voicemail("1002").await.is_empty(),
        "1002's box is not empty at the start"
    );

    let mark = dial_answered(&pbx, &mut caller, "5000").await;
    listen(prompt_seconds("office-welcome") + 1.5).await;
    caller.command("dtmf 2 rfc2833");
    let rang = callee.wait_event("INCOMING").await;
    assert!(
        rang.is_some(),
        "1002 did not ring after the caller pressed 2\n{}\n{}",
        caller.log(),
        pbx.log()
    );
    // The PBX gives up after the ring time: 1002's INVITE is cancelled.
    let patience = Duration::from_secs(RING_SECONDS) + PATIENCE;
    let stopped = callee.wait_since_within(0, "DISCONNECTED", patience).await;
    assert!(
        stopped.is_some(),
        "1002 still rang {} s after the caller pressed 2\n{}\n{}",
        patience.as_secs(),
        callee.log(),
        pbx.log()
    );
    assert!(
        caller
            .events()
            .iter()
            .skip(mark)
            .all(|e| !e.starts_with("DISCONNECTED")),
        "the caller was hung up instead of reaching voicemail\n{}\n{}",
        caller.log(),
        pbx.log()
    );
    // The greeting and the beep, then the message and #.
    listen(prompt_seconds("vm-unavailable") + 1.5).await;
    caller.command(&format!("play {}", speech.display()));
    listen(MESSAGE_SECONDS).await;
    caller.command("play none");
    caller.command("dtmf # rfc2833");
    // The box may say goodbye and hang up, or wait for the caller.
    let ended = caller
        .wait_since_within(mark, "DISCONNECTED", Duration::from_secs(8))
        .await;
    if ended.is_none() {
        hang_up(&pbx, &mut caller, mark).await;
    }
    let (_, heard) = recording_of(&pbx, &caller, mark).await;
    let greeting_at = assert_heard(&pbx, &heard, "vm-unavailable");
    // The beep: a pure tone of any pitch right after the greeting,
    // before the caller spoke.
    let end = greeting_at + prompt_seconds("vm-unavailable");
    let beep = any_tone_seconds(&heard.slice(end - 0.2, end + 1.5), 300.0, 2000.0);
    assert!(
        beep >= 0.1,
        "no beep after the voicemail greeting\n{}",
        pbx.log()
    );

    // The message, in 1002's box, about as long as what was said.
    let deadline = std::time::Instant::now() + PATIENCE;
    let messages = loop {
        let messages = api.voicemail("1002").await;
        if !messages.is_empty() || std::time::Instant::now() > deadline {
            break messages;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        messages.len(),
        1,
        "1002's box: {messages:#?}\n{}",
        pbx.log()
    );
    let message = &messages[0];
    assert_eq!(message["caller"], "1001", "{message:#}");
    let ms = message["duration_ms"].as_i64().unwrap_or(-1);
    let said = (MESSAGE_SECONDS * 1000.0) as i64;
    assert!(
        (said - 1000..=said + 3000).contains(&ms),
        "a {said} ms message was stored as {ms} ms: {message:#}\n{}",
        pbx.log()
    );
    assert!(
        message["size"].as_i64().unwrap_or(0) > 8000,
        "the stored message is nearly empty: {message:#}"
    );
    let record = finished_record(&pbx, &api, "5000").await;
    assert_eq!(record["outcome"], "voicemail", "{record:#}");
}
