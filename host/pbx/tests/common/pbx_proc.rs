//! `pbx serve` as the end-to-end tests run it: the built binary on free
//! loopback ports, a fresh data directory, a chosen clock and the built
//! prompts; its credentials parsed from what it prints, its log
//! (`RUST_LOG=info`) kept in a file for failure messages; killed on drop.

use super::api::Api;
use super::{PATIENCE, TempDir, free_port, free_rtp_range, workspace};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;

/// Where `scripts/build-flows.sh` put the guest flows and templates:
/// `wasm32-wasip2/flow` in the target directory of the built `pbx`
/// binary (`TARGET/debug/pbx`).
pub fn flows_dir() -> PathBuf {
    Path::new(env!("CARGO_BIN_EXE_pbx"))
        .parent()
        .and_then(Path::parent)
        .expect("the pbx binary is in TARGET/PROFILE")
        .join("wasm32-wasip2/flow")
}

/// The prompts the tests compare recordings against.
pub const PROMPTS: &[&str] = &[
    "office-welcome",
    "office-menu",
    "office-closed",
    "office-holiday",
    "office-incident",
    "office-goodbye",
    "office-transfer",
    "office-invalid",
    "office-timeout",
    "vm-unavailable",
    "technical-difficulties",
];

/// The built prompts: `PBX_SOUNDS_DIR`, else `<workspace>/sounds`.
/// Panics, saying how to build them, when any of [`PROMPTS`] is missing:
/// the tests need them and never skip.
pub fn sounds_dir() -> PathBuf {
    let dir = std::env::var_os("PBX_SOUNDS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("sounds"));
    let missing: Vec<_> = PROMPTS
        .iter()
        .filter(|p| !dir.join("en").join(format!("{p}.wav")).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "the prompts {missing:?} are missing from {}/en: run scripts/build-sounds.sh \
         (or point PBX_SOUNDS_DIR at a directory holding en/<name>.wav)",
        dir.display()
    );
    dir
}

/// A prompt's WAV file.
pub fn prompt(name: &str) -> PathBuf {
    sounds_dir().join("en").join(format!("{name}.wav"))
}

/// What the tests set on `pbx serve`.
#[derive(Debug, Clone)]
pub struct PbxOptions {
    /// `--clock`: the instant the PBX's clock starts at (RFC 3339).
    pub clock: Option<String>,
}

impl PbxOptions {
    /// The PBX's clock starting at `instant` (RFC 3339, e.g.
    /// `2026-11-23T10:00:00Z`).
    pub fn at(instant: &str) -> PbxOptions {
        PbxOptions {
            clock: Some(instant.to_string()),
        }
    }
}

/// Monday 23 November 2026, 10:00 London (GMT): the office is open.
pub const OPEN: &str = "2026-11-23T10:00:00Z";

/// The credentials the demo tenant was created with.
#[derive(Debug, Clone, Default)]
pub struct Credentials {
    /// API bearer token.
    pub token: String,
    /// SIP passwords by extension number.
    pub sip: HashMap<String, String>,
    /// Every line printed or saved, for failure messages.
    pub lines: Vec<String>,
}

impl Credentials {
    /// Parse lines like `  API token: TOKEN` and `  SIP extension 1001
    /// password SECRET`.
    pub fn parse(lines: &[String]) -> Credentials {
        let mut creds = Credentials {
            lines: lines.to_vec(),
            ..Credentials::default()
        };
        for line in lines {
            let line = line.trim();
            if let Some(token) = line.strip_prefix("API token:") {
                creds.token = token.trim().to_string();
            } else if let Some(rest) = line.strip_prefix("SIP extension ") {
                let mut words = rest.split_whitespace();
                if let (Some(number), Some("password"), Some(secret)) =
                    (words.next(), words.next(), words.next())
                {
                    creds.sip.insert(number.to_string(), secret.to_string());
                }
            }
        }
        creds
    }

    /// The SIP password of extension `number`.
    pub fn password(&self, number: &str) -> &str {
        self.sip.get(number).unwrap_or_else(|| {
            panic!(
                "no SIP password for extension {number} in the demo credentials:\n{}",
                self.lines.join("\n")
            )
        })
    }
}

/// A running `pbx serve`, killed on drop.
pub struct Pbx {
    child: Child,
    /// Its SIP address (UDP).
    pub sip: SocketAddr,
    /// Its admin API address.
    pub api_addr: SocketAddr,
    /// The demo tenant's credentials.
    pub creds: Credentials,
    /// The directory holding its data and its log files.
    pub dir: TempDir,
}

/// The flags the tests need from `pbx serve`; the ones its `--help` does
/// not list.
fn missing_flags() -> Vec<&'static str> {
    let out = Command::new(env!("CARGO_BIN_EXE_pbx"))
        .args(["serve", "--help"])
        .output()
        .expect("pbx runs");
    let help = String::from_utf8_lossy(&out.stdout).into_owned();
    [
        "--clock",
        "--sounds",
        "--rtp-ports",
        "--templates",
        "--md5-only",
    ]
    .into_iter()
    .filter(|f| !help.contains(f))
    .collect()
}

impl Pbx {
    /// Start `pbx serve` on free loopback ports in a fresh data directory
    /// and wait for it to print `ready`.
    pub fn start(options: &PbxOptions) -> Pbx {
        let missing = missing_flags();
        assert!(
            missing.is_empty(),
            "`pbx serve` does not take {missing:?} yet: the flow-driven call model is not there"
        );
        let sounds = sounds_dir();
        let templates = flows_dir();
        assert!(
            templates.join("office_hours.wasm").is_file(),
            "no office-hours template in {}: run scripts/build-flows.sh (with the same CARGO_TARGET_DIR)",
            templates.display()
        );
        let dir = TempDir::new("pbx-e2e", "serve");
        let data = dir.join("data");
        let (sip, api) = (free_port(), free_port());
        let sip: SocketAddr = format!("127.0.0.1:{sip}").parse().unwrap();
        let api_addr: SocketAddr = format!("127.0.0.1:{api}").parse().unwrap();
        let (rtp_min, rtp_max) = free_rtp_range(200);
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_pbx"));
        cmd.args(["serve", "--md5-only", "--data-dir"])
            .arg(&data)
            .args(["--sip", &sip.to_string(), "--api", &api_addr.to_string()])
            .args(["--rtp-ports", &format!("{rtp_min}-{rtp_max}")])
            .arg("--sounds")
            .arg(&sounds)
            .arg("--templates")
            .arg(&templates);
        if let Some(clock) = &options.clock {
            cmd.args(["--clock", clock]);
        }
        let stderr = std::fs::File::create(dir.join("pbx.log")).unwrap();
        let mut child = cmd
            .env(
                "RUST_LOG",
                std::env::var("PBX_E2E_LOG").unwrap_or_else(|_| "info".into()),
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("pbx starts");
        // Its stdout: read to "ready" here, then kept draining to a file.
        let stdout = child.stdout.take().unwrap();
        let mut out_file = std::fs::File::create(dir.join("pbx.out")).unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(out_file, "{line}");
                if tx.send(line).is_err() {
                    // Nobody listens any more: keep draining to the file.
                }
            }
        });
        let mut lines = Vec::new();
        let deadline = std::time::Instant::now() + PATIENCE * 3;
        loop {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) => {
                    let ready = line.starts_with("ready");
                    lines.push(line);
                    if ready {
                        break;
                    }
                }
                Err(why) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "pbx serve did not get ready ({why:?}); it printed:\n{}\n--- its log ---\n{}",
                        lines.join("\n"),
                        std::fs::read_to_string(dir.join("pbx.log")).unwrap_or_default()
                    );
                }
            }
        }
        // The saved credentials, else the printed ones.
        let saved = std::fs::read_to_string(data.join("demo-credentials.txt")).unwrap_or_default();
        let mut creds = Credentials::parse(&saved.lines().map(String::from).collect::<Vec<_>>());
        if creds.token.is_empty() {
            creds = Credentials::parse(&lines);
        }
        assert!(
            !creds.token.is_empty() && creds.sip.len() >= 3,
            "no API token or SIP passwords in the demo credentials:\n{}",
            lines.join("\n")
        );
        Pbx {
            child,
            sip,
            api_addr,
            creds,
            dir,
        }
    }

    /// A client of its admin API for the demo tenant.
    pub async fn api(&self) -> Api {
        Api::connect(self.api_addr, &self.creds.token).await
    }

    /// Its log so far (stderr, `RUST_LOG=info`), the last 300 lines.
    pub fn log(&self) -> String {
        tail(&self.dir.join("pbx.log"), 300)
    }

    /// Whether it is still running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

/// The last `n` lines of a file.
pub fn tail(path: &Path, n: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let from = lines.len().saturating_sub(n);
    format!(
        "--- {} (last {} of {} lines) ---\n{}",
        path.display(),
        lines.len() - from,
        lines.len(),
        lines[from..].join("\n")
    )
}

impl Drop for Pbx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
