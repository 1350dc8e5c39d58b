//! A Debian `baresip` driven through its `ctrl_tcp` module (netstring
//! JSON commands and events), registering over loopback UDP with MD5
//! digest (baresip 1.0.0 cannot do SHA-256). Adapted from the SIP
//! crate's test harness: this one can play a WAV file into its calls
//! (module `aufile`) and record what it hears (module `sndfile`).

use super::{PATIENCE, TempDir, baresip_module_path, free_port};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A running baresip with a ctrl_tcp connection, killed on drop.
pub struct Baresip {
    child: Child,
    log: PathBuf,
    ctrl: TcpStream,
    /// Bytes read from ctrl_tcp and not yet parsed.
    pending: Vec<u8>,
    /// Every event and response text seen so far.
    seen: Vec<String>,
    dir: TempDir,
}

/// How a baresip is started.
#[derive(Debug, Clone)]
pub struct BaresipOptions {
    /// Extension and digest user.
    pub user: String,
    /// Digest password.
    pub password: String,
    /// `auto` (answers at once) or `manual` (rings until told).
    pub answermode: &'static str,
    /// A WAV file (8 kHz mono 16-bit) it sends in calls; silence if none.
    /// The call ends when the file does: make it longer than the call.
    pub play: Option<PathBuf>,
    /// Record what it hears (`dump-*-dec.wav` in its directory).
    pub record: bool,
}

impl Baresip {
    /// Start baresip registering to `pbx` as `user` with `password` (answer mode `auto`
    /// or `manual`). The ports are picked free just before, so another
    /// process may take one first: a baresip that exits before its
    /// ctrl_tcp answers is started again on new ports (three tries).
    pub async fn start(pbx: SocketAddr, options: &BaresipOptions) -> Baresip {
        let mut last = String::new();
        for _ in 0..3 {
            match Self::try_start(pbx, options).await {
                Ok(b) => return b,
                Err(why) => last = why,
            }
        }
        panic!("baresip {} did not start: {last}", options.user);
    }

    async fn try_start(pbx: SocketAddr, options: &BaresipOptions) -> Result<Baresip, String> {
        let BaresipOptions {
            user,
            password,
            answermode,
            ..
        } = options;
        let dir = TempDir::new("pbx-e2e-baresip", user);
        let modules = baresip_module_path();
        let mut extra = String::new();
        let source = match &options.play {
            Some(wav) => {
                extra.push_str("module\t\t\taufile.so\n");
                format!("aufile,{}", wav.display())
            }
            None => "aubridge,nullsrc".to_string(),
        };
        if options.record {
            extra.push_str(&format!(
                "module\t\t\tsndfile.so\nsnd_path\t\t{}\n",
                dir.0.display()
            ));
        }
        let port = free_port();
        let ctrl_port = free_port();
        let config = format!(
            "poll_method\t\tepoll\n\
             sip_listen\t\t127.0.0.1:{port}\n\
             sip_transports\t\tudp\n\
             net_interface\t\t127.0.0.1\n\
             net_prefer_ipv6\t\tno\n\
             audio_player\t\taubridge,nullsink\n\
             audio_source\t\t{source}\n\
             audio_alert\t\taubridge,nullsink\n\
             module_path\t\t{modules}\n\
             module\t\t\tg711.so\n\
             module\t\t\taubridge.so\n\
             {extra}\
             module_app\t\taccount.so\n\
             module_app\t\tmenu.so\n\
             module_app\t\tctrl_tcp.so\n\
             ctrl_tcp_listen\t\t127.0.0.1:{ctrl_port}\n"
        );
        std::fs::write(dir.0.join("config"), config).unwrap();
        let account = format!(
            "<sip:{user}@{pbx};transport=udp>;auth_user={user};auth_pass={password};\
             regint=60;answermode={answermode}\n"
        );
        std::fs::write(dir.0.join("accounts"), account).unwrap();
        std::fs::write(dir.0.join("contacts"), "").unwrap();
        let log = dir.0.join("baresip.log");
        let out = std::fs::File::create(&log).unwrap();
        let mut child = Command::new("baresip")
            .arg("-f")
            .arg(&dir.0)
            .args(["-4", "-s"])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("baresip starts: run scripts/install-test-peers.sh");
        let deadline = Instant::now() + PATIENCE;
        let ctrl = loop {
            match TcpStream::connect(("127.0.0.1", ctrl_port)).await {
                Ok(s) => break s,
                Err(e) => {
                    if let Ok(Some(status)) = child.try_wait() {
                        let log = std::fs::read_to_string(&log).unwrap_or_default();
                        return Err(format!(
                            "exited ({status}) before ctrl_tcp answered:\n{log}"
                        ));
                    }
                    if Instant::now() >= deadline {
                        let _ = child.kill();
                        let _ = child.wait();
                        return Err(format!("ctrl_tcp unreachable: {e}"));
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            }
        };
        Ok(Baresip {
            child,
            log,
            ctrl,
            pending: Vec::new(),
            seen: Vec::new(),
            dir,
        })
    }

    /// Send a ctrl_tcp command.
    pub async fn command(&mut self, command: &str, params: &str) {
        let json = format!(r#"{{"command":"{command}","params":"{params}","token":"t"}}"#);
        let netstring = format!("{}:{json},", json.len());
        self.ctrl.write_all(netstring.as_bytes()).await.unwrap();
    }

    /// Wait until an event or response containing `needle` arrives
    /// (or was already seen); false after `PATIENCE`.
    pub async fn wait_event(&mut self, needle: &str) -> bool {
        self.wait_event_since(0, needle).await
    }

    /// How many events and responses were seen so far (a mark for
    /// [`wait_event_since`](Self::wait_event_since)).
    pub fn seen_count(&self) -> usize {
        self.seen.len()
    }

    /// Like [`wait_event`](Self::wait_event), ignoring the first `from`
    /// events (those of an earlier call).
    pub async fn wait_event_since(&mut self, from: usize, needle: &str) -> bool {
        let deadline = tokio::time::Instant::now() + PATIENCE;
        let mut checked = from.min(self.seen.len());
        loop {
            if self.seen[checked..].iter().any(|s| s.contains(needle)) {
                return true;
            }
            checked = self.seen.len();
            let mut buf = [0u8; 4096];
            let n = match tokio::time::timeout_at(deadline, self.ctrl.read(&mut buf)).await {
                Ok(Ok(n)) if n > 0 => n,
                _ => return false,
            };
            self.pending.extend_from_slice(&buf[..n]);
            while let Some(colon) = self.pending.iter().position(|&b| b == b':') {
                let Some(len) = std::str::from_utf8(&self.pending[..colon])
                    .ok()
                    .and_then(|s| s.parse::<usize>().ok())
                else {
                    self.pending.clear();
                    break;
                };
                if self.pending.len() < colon + 1 + len + 1 {
                    break;
                }
                let text = String::from_utf8_lossy(&self.pending[colon + 1..colon + 1 + len]);
                self.seen.push(text.into_owned());
                self.pending.drain(..colon + 1 + len + 1);
            }
        }
    }

    /// Wait until its registration succeeded (baresip prints
    /// `USER@HOST: {0/UDP/v4} 200 OK`; the ctrl_tcp event may come before
    /// the test connects); false after `PATIENCE`.
    pub async fn wait_registered(&self, user: &str) -> bool {
        let needle = format!("{user}@");
        super::wait_for(PATIENCE, || {
            std::fs::read_to_string(&self.log)
                .unwrap_or_default()
                .lines()
                .any(|l| l.contains(&needle) && l.contains("200 OK"))
        })
        .await
    }

    /// What it heard in its last call (sndfile's `*-dec.wav`), when it
    /// recorded one.
    pub fn heard(&self) -> Option<PathBuf> {
        newest(&self.dir.0, "-dec.wav")
    }

    /// What it sent in its last call (`*-enc.wav`).
    pub fn sent(&self) -> Option<PathBuf> {
        newest(&self.dir.0, "-enc.wav")
    }

    /// What baresip printed so far and the ctrl_tcp traffic, for failures.
    pub fn log(&self) -> String {
        format!(
            "{}\n--- ctrl_tcp ---\n{}",
            std::fs::read_to_string(&self.log).unwrap_or_default(),
            self.seen.join("\n")
        )
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The most recently modified file in `dir` whose name ends with `suffix`.
fn newest(dir: &Path, suffix: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(suffix))
        .max_by_key(|e| e.metadata().and_then(|m| m.modified()).ok())
        .map(|e| e.path())
}
