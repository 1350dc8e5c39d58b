//! The steps every flow-driven call test takes: registered phones of the
//! demo tenant, a call to a number that must connect, and checks on what
//! the caller heard, each failing with the phones' and the PBX's logs.

use super::PATIENCE;
use super::api::Api;
use super::audio::{self, MATCH_THRESHOLD, Wav};
use super::baresip::{Baresip, BaresipOptions};
use super::pbx_proc::{PROMPTS, Pbx, flows_dir, prompt};
use super::pjsua2::{Pjsua2, Pjsua2Options};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A pjsua2 phone registered as extension `number` of the demo tenant;
/// `options` adds playing and recording.
pub async fn pjsua2_phone(
    pbx: &Pbx,
    number: &str,
    options: impl FnOnce(Pjsua2Options) -> Pjsua2Options,
) -> Pjsua2 {
    let options = options(Pjsua2Options::new(number, pbx.creds.password(number)));
    let phone = Pjsua2::start(pbx.sip, &options, PATIENCE).await;
    let reg = phone.wait_event("REG ").await;
    assert!(
        reg.as_deref().is_some_and(|r| r.starts_with("REG 200")),
        "{number} did not register ({reg:?})\n{}\n{}",
        phone.log(),
        pbx.log()
    );
    phone
}

/// A baresip phone registered as extension `number`, answering calls at
/// once, playing `play` into them and recording what it hears.
pub async fn baresip_answering(pbx: &Pbx, number: &str, play: &Path) -> Baresip {
    let options = BaresipOptions {
        user: number.into(),
        password: pbx.creds.password(number).into(),
        answermode: "auto",
        play: Some(play.to_path_buf()),
        record: true,
    };
    let phone = Baresip::start(pbx.sip, &options).await;
    assert!(
        phone.wait_registered(number).await,
        "baresip {number} did not register\n{}\n{}",
        phone.log(),
        pbx.log()
    );
    phone
}

/// `caller` dials `number` at the PBX; the call must be answered (by the
/// flow) with audio flowing.
pub async fn dial_answered(pbx: &Pbx, caller: &mut Pjsua2, number: &str) -> usize {
    let mark = caller.mark();
    dial(pbx, caller, number);
    let up = caller.wait_since(mark, "CONFIRMED").await.is_some()
        && caller.wait_since(mark, "MEDIA ACTIVE").await.is_some();
    assert!(
        up,
        "the call from {} to {number} was not answered with media\n{}\n{}",
        caller.user,
        caller.log(),
        pbx.log()
    );
    mark
}

/// `caller` dials `number` at the PBX (no wait).
pub fn dial(pbx: &Pbx, caller: &mut Pjsua2, number: &str) {
    caller.command(&format!("dial sip:{number}@{}", pbx.sip));
}

/// Sleep `seconds`.
pub async fn listen(seconds: f64) {
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
}

/// The length of prompt `name`, seconds.
pub fn prompt_seconds(name: &str) -> f64 {
    load(&prompt(name)).seconds()
}

/// Read a WAV file or fail saying which.
pub fn load(path: &Path) -> Wav {
    audio::read_wav(path).unwrap_or_else(|e| panic!("{e}"))
}

/// What the phone's call from event `mark` on heard (the call ended),
/// read.
pub async fn recording_of(pbx: &Pbx, phone: &Pjsua2, mark: usize) -> (PathBuf, Wav) {
    let path = phone.recording(mark).await.unwrap_or_else(|| {
        panic!(
            "{}'s recording did not complete\n{}\n{}",
            phone.user,
            phone.log(),
            pbx.log()
        )
    });
    let wav = load(&path);
    (path, wav)
}

/// Assert that `recording` contains prompt `name`; where it starts.
pub fn assert_heard(pbx: &Pbx, recording: &Wav, name: &str) -> f64 {
    let p = load(&prompt(name));
    let m = audio::find_prompt(recording, &p);
    eprintln!("heard? {}", audio::describe_match(name, recording, &p));
    assert!(
        m.score >= MATCH_THRESHOLD,
        "the caller did not hear {name}: {}\nwhat it heard instead:\n{}\nthe recording, kept: {}\n{}",
        audio::describe_match(name, recording, &p),
        what_was_heard(recording),
        keep_recording(recording, name).display(),
        pbx.log()
    );
    m.at
}

/// A copy of `recording` outside the test's temp dirs (which are
/// removed), for a failure to be looked into; its path.
fn keep_recording(recording: &Wav, name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "pbx-e2e-failed-{name}-{}-{}.wav",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis())
    ));
    audio::write_wav(&path, recording.rate, &recording.samples);
    path
}

/// Which of the known prompts a recording holds, where, for failure
/// messages.
pub fn what_was_heard(recording: &Wav) -> String {
    let mut found: Vec<(f64, String)> = PROMPTS
        .iter()
        .filter_map(|name| {
            let m = audio::find_prompt(recording, &load(&prompt(name)));
            (m.score >= MATCH_THRESHOLD).then(|| {
                (
                    m.at,
                    format!("  {name} at {:.2} s (score {:.3})", m.at, m.score),
                )
            })
        })
        .collect();
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    if found.is_empty() {
        return "  none of the known prompts".into();
    }
    found
        .into_iter()
        .map(|(_, l)| l)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Assert that `recording` does not contain prompt `name`.
pub fn assert_not_heard(pbx: &Pbx, recording: &Wav, name: &str) {
    let p = load(&prompt(name));
    let m = audio::find_prompt(recording, &p);
    eprintln!("not heard? {}", audio::describe_match(name, recording, &p));
    assert!(
        m.score < MATCH_THRESHOLD,
        "the caller heard {name}, which it should not: {}\nwhat it heard:\n{}\nthe recording, kept: {}\n{}",
        audio::describe_match(name, recording, &p),
        what_was_heard(recording),
        keep_recording(recording, name).display(),
        pbx.log()
    );
}

/// The newest call record dialled to or from `number` (with its legs and
/// trace), waiting for the PBX to write it after the call ended.
pub async fn finished_record(pbx: &Pbx, api: &Api, number: &str) -> Value {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let records = api.call_records(number).await;
        if let Some(id) = records.first().and_then(|r| r["id"].as_str()) {
            return api.call_record(id).await;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no call record for {number} after the call ended\n{}",
            pbx.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Every call record dialled to or from `number`, newest first, once
/// there are at least `n` (waiting for the PBX to write them).
pub async fn records_at_least(pbx: &Pbx, api: &Api, number: &str, n: usize) -> Vec<Value> {
    let deadline = std::time::Instant::now() + PATIENCE;
    loop {
        let records = api.call_records(number).await;
        if records.len() >= n {
            return records;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} call records for {number}, expected {n}: {records:#?}\n{}",
            records.len(),
            pbx.log()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// `caller` hangs up its live call; waits for the end of the call that
/// began at event `mark`.
pub async fn hang_up(pbx: &Pbx, caller: &mut Pjsua2, mark: usize) {
    // The media statistics first, in the test's output (shown when it
    // fails): loss and jitter explain a poorly matching recording.
    let before = caller.mark();
    caller.command("stats");
    if caller.wait_since(before, "OK stats").await.is_some() {
        let stats: Vec<String> = caller
            .events()
            .into_iter()
            .skip(before)
            .filter_map(|e| e.strip_prefix("STATS ").map(str::to_string))
            .collect();
        eprintln!(
            "{}'s media before hanging up:\n{}",
            caller.user,
            stats.join("\n")
        );
    }
    caller.command("hangup");
    assert!(
        caller.wait_since(mark, "DISCONNECTED").await.is_some(),
        "{}'s call did not end after its BYE\n{}\n{}",
        caller.user,
        caller.log(),
        pbx.log()
    );
}

/// `caller` dials `number`, listens `seconds` and hangs up: what it heard.
pub async fn call_and_listen(pbx: &Pbx, caller: &mut Pjsua2, number: &str, seconds: f64) -> Wav {
    let mark = dial_answered(pbx, caller, number).await;
    listen(seconds).await;
    hang_up(pbx, caller, mark).await;
    recording_of(pbx, caller, mark).await.1
}

/// A guest flow built by `scripts/build-flows.sh`
/// (`$CARGO_TARGET_DIR/wasm32-wasip2/flow/NAME.wasm`), read.
pub fn flow_wasm(name: &str) -> Vec<u8> {
    let path = flows_dir().join(format!("{name}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run scripts/build-flows.sh (with the same CARGO_TARGET_DIR)",
            path.display()
        )
    })
}

/// `component` with a custom section `name` holding `data` appended: the
/// same behaviour, other bytes (another hash, so another version).
pub fn with_custom_section(component: &[u8], name: &str, data: &[u8]) -> Vec<u8> {
    fn leb128(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                return;
            }
            out.push(byte | 0x80);
        }
    }
    let mut payload = Vec::new();
    leb128(name.len(), &mut payload);
    payload.extend_from_slice(name.as_bytes());
    payload.extend_from_slice(data);
    let mut out = component.to_vec();
    out.push(0); // custom section id
    leb128(payload.len(), &mut out);
    out.extend_from_slice(&payload);
    out
}

/// A field the flow set on its call record (`trace.fields.NAME`).
pub fn field<'a>(record: &'a Value, name: &str) -> Option<&'a str> {
    record["trace"]["fields"][name].as_str()
}
