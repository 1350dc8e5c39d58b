//! `pbx status` against a control socket served in-process with a fake
//! status source: the built binary connects, prints the rows, and says
//! what to do when no PBX is running.

use pbx::control::{self, RegistrationRow, StatusSource};
use pbx::live::{CallPhase, CallSnapshot, LiveCalls};
use std::path::Path;
use std::process::Output;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Registrations are fixed; calls come from a real [`LiveCalls`], so the
/// test sees what the call model's registry would show.
struct Fake {
    registrations: Vec<RegistrationRow>,
    live: LiveCalls,
}

impl StatusSource for Fake {
    fn registrations(&self) -> Vec<RegistrationRow> {
        self.registrations.clone()
    }
    fn calls(&self) -> Vec<CallSnapshot> {
        self.live.snapshot()
    }
}

fn registration(aor: &str, contact: &str, expires: u64) -> RegistrationRow {
    RegistrationRow {
        aor: aor.into(),
        contact: contact.into(),
        transport: "udp".into(),
        source: "127.0.0.1:5062".into(),
        expires_in_s: expires,
        user_agent: Some("test-phone/1.0".into()),
    }
}

/// Run the built `pbx status` with `args` off the async runtime, so the
/// in-process server keeps answering meanwhile.
async fn pbx_status(data_dir: &Path, extra: &[&str]) -> Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_pbx"));
    cmd.arg("status")
        .arg("--data-dir")
        .arg(data_dir)
        .args(extra);
    tokio::task::spawn_blocking(move || cmd.output().expect("run pbx status"))
        .await
        .expect("join")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_lists_registrations_and_calls() {
    let dir = tempfile::tempdir().expect("temp dir");
    let live = LiveCalls::new();
    let source = Arc::new(Fake {
        registrations: vec![
            registration("sip:1001@pbx", "sip:1001@127.0.0.1:5062;ob", 3542),
            registration("sip:1002@pbx", "sip:1002@127.0.0.1:5064", 61),
        ],
        live: live.clone(),
    });
    let _socket = control::serve(control::socket_path(dir.path()), source)
        .await
        .expect("serve the control socket");

    let call = live.insert(CallSnapshot {
        id: "call-7f3a".into(),
        tenant: "demo".into(),
        caller: "1001".into(),
        callee: "200".into(),
        state: CallPhase::Ringing,
        flow: None,
        started: SystemTime::now() - Duration::from_secs(75),
    });
    call.set_flow("office-hours v2".into());
    call.set_state(CallPhase::Flow {
        label: "menu".into(),
    });

    let out = pbx_status(dir.path(), &[]).await;
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", text(&out.stderr));
    let row = |needle: &str| {
        stdout
            .lines()
            .find(|l| l.starts_with(needle))
            .unwrap_or_else(|| panic!("no row {needle} in:\n{stdout}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        row("sip:1001@pbx"),
        [
            "sip:1001@pbx",
            "sip:1001@127.0.0.1:5062;ob",
            "udp",
            "127.0.0.1:5062",
            "3542s"
        ]
    );
    assert_eq!(row("sip:1002@pbx")[4], "61s");
    let call_row = row("call-7f3a");
    assert_eq!(&call_row[..4], ["call-7f3a", "demo", "1001", "200"]);
    assert!(stdout.contains("in flow: menu"), "{stdout}");
    assert!(stdout.contains("office-hours v2"), "{stdout}");
    // 75 s plus however long the test took to get here.
    assert!(call_row.last().unwrap().starts_with("1m1"), "{stdout}");
    assert!(
        stdout.contains("2 registrations, 1 call in progress"),
        "{stdout}"
    );

    // The call ends: the next status no longer lists it.
    drop(call);
    let stdout = text(&pbx_status(dir.path(), &[]).await.stdout);
    assert!(!stdout.contains("call-7f3a"), "{stdout}");
    assert!(stdout.contains("0 calls in progress"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_json_is_the_report() {
    let dir = tempfile::tempdir().expect("temp dir");
    let live = LiveCalls::new();
    let source = Arc::new(Fake {
        registrations: vec![registration("sip:1003@pbx", "sip:1003@127.0.0.1:5070", 30)],
        live: live.clone(),
    });
    let _socket = control::serve(control::socket_path(dir.path()), source)
        .await
        .expect("serve");
    let _call = live.insert(CallSnapshot {
        id: "c-json".into(),
        tenant: "acme".into(),
        caller: "+441234".into(),
        callee: "1003".into(),
        state: CallPhase::Bridged {
            peer: "1003".into(),
        },
        flow: None,
        started: SystemTime::now(),
    });
    let out = pbx_status(dir.path(), &["--json"]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: control::StatusReport =
        serde_json::from_slice(&out.stdout).expect("--json prints a status report");
    assert_eq!(
        report.registrations[0].user_agent.as_deref(),
        Some("test-phone/1.0")
    );
    assert_eq!(report.calls.len(), 1);
    assert_eq!(report.calls[0].id, "c-json");
    assert_eq!(
        report.calls[0].state,
        CallPhase::Bridged {
            peer: "1003".into()
        }
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_pbx_status_says_how_to_start_one() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = pbx_status(dir.path(), &[]).await;
    assert_eq!(out.status.code(), Some(1));
    let stderr = text(&out.stderr);
    assert!(stderr.contains("no PBX is running"), "{stderr}");
    assert!(
        stderr.contains(&format!("pbx serve --data-dir {}", dir.path().display())),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    // A socket file left by a PBX that died: same answer, not an error
    // about the socket.
    let path = control::socket_path(dir.path());
    drop(std::os::unix::net::UnixListener::bind(&path).expect("bind"));
    let out = pbx_status(dir.path(), &[]).await;
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("no PBX is running"));

    // Once a PBX serves the directory (replacing the stale file), status
    // works.
    let _socket = control::serve(
        &path,
        Arc::new(Fake {
            registrations: Vec::new(),
            live: LiveCalls::new(),
        }),
    )
    .await
    .expect("serve over a stale socket");
    let out = pbx_status(dir.path(), &[]).await;
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("0 registrations, 0 calls in progress"));
}
