//! A pjsua2 soft phone driven through `tests/peers/pjsua2_agent.py`: one
//! registered account, commands on its stdin, one event per line on its
//! stdout (see the script's docstring for both vocabularies). This
//! copy's agent also plays a WAV file into its calls and records what it
//! hears (`--play`, `--record`, the `play` command).
//!
//! The agent runs in the venv that `scripts/install-test-peers.sh` fills
//! (`$PBX_TEST_PEERS_DIR/venv`, default `~/.cache/pbx-test-peers/venv`);
//! `PJSUA2_PYTHON` overrides the interpreter.

use super::{TempDir, free_port, wait_for};
use std::io::{BufRead, BufReader, Write};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The Python interpreter that has `pjsua2`.
pub fn pjsua2_python() -> PathBuf {
    if let Ok(python) = std::env::var("PJSUA2_PYTHON") {
        return python.into();
    }
    let peers = std::env::var("PBX_TEST_PEERS_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| {
            PathBuf::from(std::env::var("HOME").unwrap_or_default()).join(".cache/pbx-test-peers")
        });
    peers.join("venv/bin/python")
}

/// How an agent is started.
#[derive(Debug, Clone)]
pub struct Pjsua2Options {
    /// Extension and digest user.
    pub user: String,
    /// Digest password.
    pub password: String,
    /// `any`, `md5` or `sha256`: the algorithms its credential may answer.
    pub algorithm: &'static str,
    /// Final code it answers incoming calls with by itself (`None`: they
    /// ring until a command answers them).
    pub answer: Option<u16>,
    /// Delay before that answer.
    pub answer_delay: Duration,
    /// A WAV file (8 kHz mono 16-bit) played, looped, into its calls.
    pub play: Option<PathBuf>,
    /// Record what each call hears (see [`Pjsua2::recording`]).
    pub record: bool,
}

impl Pjsua2Options {
    /// `user` with `password`, any algorithm, no auto answer.
    pub fn new(user: &str, password: &str) -> Pjsua2Options {
        Pjsua2Options {
            user: user.into(),
            password: password.into(),
            algorithm: "any",
            answer: None,
            answer_delay: Duration::ZERO,
            play: None,
            record: false,
        }
    }

    /// The same, playing `wav` into its calls.
    pub fn playing(mut self, wav: &std::path::Path) -> Pjsua2Options {
        self.play = Some(wav.to_path_buf());
        self
    }

    /// The same, recording what each call hears.
    pub fn recording(mut self) -> Pjsua2Options {
        self.record = true;
        self
    }

    /// The same, answering incoming calls with `code` after `delay`.
    pub fn answering(mut self, code: u16, delay: Duration) -> Pjsua2Options {
        self.answer = Some(code);
        self.answer_delay = delay;
        self
    }
}

/// A running agent, killed on drop.
pub struct Pjsua2 {
    child: Child,
    stdin: ChildStdin,
    events: Arc<Mutex<Vec<String>>>,
    /// The agent's local SIP port on 127.0.0.1.
    pub port: u16,
    /// Its extension.
    pub user: String,
    patience: Duration,
    dir: TempDir,
}

impl Pjsua2 {
    /// Start an agent registering to `pbx` (UDP); waits for its READY.
    /// `patience` bounds every later wait.
    pub async fn start(pbx: SocketAddr, options: &Pjsua2Options, patience: Duration) -> Pjsua2 {
        let python = pjsua2_python();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/peers/pjsua2_agent.py");
        let dir = TempDir::new("pbx-e2e-pjsua2", &options.user);
        let port = free_port();
        let mut cmd = Command::new(&python);
        cmd.arg(script)
            .args(["--user", &options.user, "--password", &options.password])
            .args(["--registrar", &pbx.to_string(), "--port", &port.to_string()])
            .args(["--algorithm", options.algorithm])
            .arg("--log")
            .arg(dir.0.join("pjsip.log"));
        if let Some(wav) = &options.play {
            cmd.arg("--play").arg(wav);
        }
        if options.record {
            cmd.arg("--record").arg(&dir.0);
        }
        if let Some(code) = options.answer {
            cmd.args(["--answer", &code.to_string()]).args([
                "--answer-delay-ms",
                &options.answer_delay.as_millis().to_string(),
            ]);
        }
        let stderr = std::fs::File::create(dir.0.join("stderr.log")).unwrap();
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "{} does not start ({e}): run scripts/install-test-peers.sh",
                    python.display()
                )
            });
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = events.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let agent = Pjsua2 {
            child,
            stdin,
            events,
            port,
            user: options.user.clone(),
            patience,
            dir,
        };
        assert!(
            agent.wait_event("READY").await.is_some(),
            "pjsua2 agent {} not ready (is pjsua2-python installed? run \
             scripts/install-test-peers.sh)\n{}",
            options.user,
            agent.log()
        );
        agent
    }

    /// Send one command line (`dial sip:...`, `hangup`, `hold`...).
    pub fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("pjsua2 agent takes commands");
        self.stdin.flush().unwrap();
    }

    /// How many events have arrived so far (a mark for [`Self::wait_since`]).
    pub fn mark(&self) -> usize {
        self.events.lock().unwrap().len()
    }

    /// The first event starting with `prefix`, waiting for it if needed.
    pub async fn wait_event(&self, prefix: &str) -> Option<String> {
        self.wait_since(0, prefix).await
    }

    /// The first event from index `mark` on starting with `prefix`.
    pub async fn wait_since(&self, mark: usize, prefix: &str) -> Option<String> {
        self.wait_since_within(mark, prefix, self.patience).await
    }

    /// [`Self::wait_since`] with its own patience.
    pub async fn wait_since_within(
        &self,
        mark: usize,
        prefix: &str,
        patience: Duration,
    ) -> Option<String> {
        let found = |events: &[String]| {
            events
                .iter()
                .skip(mark)
                .find(|e| e.starts_with(prefix))
                .cloned()
        };
        wait_for(patience, || found(&self.events.lock().unwrap()).is_some()).await;
        found(&self.events.lock().unwrap())
    }

    /// The INVITE and UPDATE transactions it sent that ended, in order,
    /// as (method, final status); digest challenges (401, 407) left out.
    pub fn session_requests(&self) -> Vec<(String, u16)> {
        self.events()
            .iter()
            .filter_map(|e| {
                let mut words = e.strip_prefix("TSX UAC ")?.split(' ');
                let method = words.next()?;
                let code = words.next()?.parse().ok()?;
                (matches!(method, "INVITE" | "UPDATE") && code != 401 && code != 407)
                    .then(|| (method.to_string(), code))
            })
            .collect()
    }

    /// Wait until [`Self::session_requests`] holds `n` entries; false
    /// after the patience.
    pub async fn wait_session_requests(&self, n: usize) -> bool {
        wait_for(self.patience, || self.session_requests().len() >= n).await
    }

    /// The WAV of what the first call from event `mark` on heard, once
    /// the recording is complete (the call ended or `stop_record` was
    /// sent); None when it did not end within the patience.
    pub async fn recording(&self, mark: usize) -> Option<PathBuf> {
        let event = self.wait_since(mark, "RECORDED ").await?;
        Some(PathBuf::from(event.strip_prefix("RECORDED ").unwrap()))
    }

    /// Its working directory (recordings, logs).
    pub fn dir(&self) -> &std::path::Path {
        &self.dir.0
    }

    /// Every event so far.
    pub fn events(&self) -> Vec<String> {
        self.events.lock().unwrap().clone()
    }

    /// Events, stderr and the pjsip log (SIP messages), for failures.
    pub fn log(&self) -> String {
        let read = |name: &str| std::fs::read_to_string(self.dir.0.join(name)).unwrap_or_default();
        format!(
            "--- pjsua2 {} events ---\n{}\n--- stderr ---\n{}\n--- pjsip log ---\n{}",
            self.user,
            self.events().join("\n"),
            read("stderr.log"),
            read("pjsip.log")
        )
    }

    /// The SIP messages it sent and received (the pjsip log).
    pub fn sip_log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("pjsip.log")).unwrap_or_default()
    }
}

impl Drop for Pjsua2 {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
