//! Debian's `linphonec` (linphone-cli 5.1) as a soft phone driven on its
//! stdin (`register`, `call`, digits, `terminate`...) and read on its
//! stdout ("Call 1 with ... connected.", "Registration on ... successful.").
//!
//! Headless tricks: HOME points at a throwaway directory holding
//! `.local/share/linphone` (without it liblinphone cannot open its
//! database and never creates its SIP listening points); the SIP socket
//! is bound to 127.0.0.1 with IPv6, TCP and TLS off; `soundcard use
//! files` replaces the missing sound card. DTMF digits go out as SIP INFO
//! (`use_info=1`, `use_rfc2833=0`).

use super::{TempDir, free_port, wait_for};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, UdpSocket};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// A running linphonec, killed on drop.
pub struct Linphonec {
    child: Child,
    stdin: ChildStdin,
    lines: Arc<Mutex<Vec<String>>>,
    /// Its local SIP port (UDP, 127.0.0.1).
    pub port: u16,
    patience: Duration,
    dir: TempDir,
}

impl Linphonec {
    /// Start linphonec and register it to `pbx` (UDP) as `user` with
    /// `password`; `auto_answer` answers incoming calls (`-a`).
    /// `patience` bounds every later wait.
    pub fn start(
        pbx: SocketAddr,
        user: &str,
        password: &str,
        auto_answer: bool,
        patience: Duration,
    ) -> Linphonec {
        assert!(
            Command::new("linphonec")
                .arg("-v")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok(),
            "linphonec is not installed: run scripts/install-test-peers.sh"
        );
        let dir = TempDir::new("pbx-linphonec", user);
        std::fs::create_dir_all(dir.0.join("home/.local/share/linphone")).unwrap();
        let port = free_port();
        let rtp = free_udp_pair();
        let rc = format!(
            "[sip]\n\
             sip_port={port}\n\
             sip_tcp_port=0\n\
             sip_tls_port=0\n\
             bind_address=127.0.0.1\n\
             use_ipv6=0\n\
             ipv6_migration_done=1\n\
             use_info=1\n\
             use_rfc2833=0\n\
             inc_timeout=30\n\
             [rtp]\n\
             audio_rtp_port={rtp}\n\
             bind_address=127.0.0.1\n\
             [video]\n\
             automatically_initiate=0\n\
             automatically_accept=0\n"
        );
        let rc_path = dir.0.join("linphonerc");
        std::fs::write(&rc_path, rc).unwrap();
        let stderr = std::fs::File::create(dir.0.join("stderr.log")).unwrap();
        // Line-buffered stdout: linphonec prints with stdio, which fully
        // buffers a pipe.
        let mut cmd = Command::new("stdbuf");
        cmd.args(["-oL", "linphonec", "-c"])
            .arg(&rc_path)
            .args(["-S", "-d", "6", "-l"])
            .arg(dir.0.join("linphone.log"))
            .env("HOME", dir.0.join("home"));
        if auto_answer {
            cmd.arg("-a");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("linphonec starts: run scripts/install-test-peers.sh");
        let stdin = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let lines = Arc::new(Mutex::new(Vec::new()));
        let sink = lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                sink.lock().unwrap().push(line);
            }
        });
        let mut phone = Linphonec {
            child,
            stdin,
            lines,
            port,
            patience,
            dir,
        };
        phone.command("soundcard use files");
        phone.command(&format!(
            "register sip:{user}@127.0.0.1 sip:{pbx} {password}"
        ));
        phone
    }

    /// Send one command line.
    pub fn command(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").expect("linphonec takes commands");
        self.stdin.flush().unwrap();
    }

    /// How many output lines arrived so far (a mark for [`Self::wait_since`]).
    pub fn mark(&self) -> usize {
        self.lines.lock().unwrap().len()
    }

    /// Whether an output line containing `needle` arrived, waiting for it.
    pub async fn wait_output(&self, needle: &str) -> bool {
        self.wait_since(0, needle).await
    }

    /// Whether an output line from index `mark` on contains `needle`.
    pub async fn wait_since(&self, mark: usize, needle: &str) -> bool {
        wait_for(self.patience, || {
            self.lines
                .lock()
                .unwrap()
                .iter()
                .skip(mark)
                .any(|l| l.contains(needle))
        })
        .await
    }

    /// Whether its debug log mentions `needle`, waiting for it (state
    /// changes such as `to [LinphoneRegistrationOk]` are only logged there).
    pub async fn wait_log(&self, needle: &str) -> bool {
        wait_for(self.patience, || self.sip_log().contains(needle)).await
    }

    /// Its full debug log (SIP messages included).
    pub fn sip_log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("linphone.log")).unwrap_or_default()
    }

    /// Output, stderr and the tail of the debug log, for failures.
    pub fn log(&self) -> String {
        let log = self.sip_log();
        let tail: Vec<&str> = log.lines().rev().take(300).collect();
        format!(
            "--- linphonec output ---\n{}\n--- stderr ---\n{}\n--- debug log (last 300 lines) ---\n{}",
            self.lines.lock().unwrap().join("\n"),
            std::fs::read_to_string(self.dir.0.join("stderr.log")).unwrap_or_default(),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
    }
}

/// An even UDP port free on 127.0.0.1 with the next one free too (RTP
/// and RTCP).
fn free_udp_pair() -> u16 {
    loop {
        let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
        let port = udp.local_addr().unwrap().port();
        if port.is_multiple_of(2)
            && port < u16::MAX
            && UdpSocket::bind(("127.0.0.1", port + 1)).is_ok()
        {
            return port;
        }
    }
}

impl Drop for Linphonec {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
