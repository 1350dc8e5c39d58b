//! A Debian `baresip` soft phone driven through its `ctrl_tcp` module
//! (netstring JSON commands in, JSON events and responses out), for the
//! interop tests that pair it with other user agents. Registers one
//! account with MD5 digest (baresip 1.0.0 cannot do SHA-256).

use super::{TempDir, baresip_module_path, free_port, wait_for};
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running baresip with a ctrl_tcp connection, killed on drop.
pub struct BaresipCtrl {
    child: Child,
    log: PathBuf,
    ctrl: TcpStream,
    /// Every event and response text seen so far.
    seen: Arc<Mutex<Vec<String>>>,
    /// Its local SIP port on 127.0.0.1.
    pub port: u16,
    patience: Duration,
    _dir: TempDir,
}

impl BaresipCtrl {
    /// Start baresip registering to `pbx` as `user` with `password`,
    /// answer mode `auto` or `manual`; `patience` bounds every wait.
    pub async fn start(
        pbx: SocketAddr,
        user: &str,
        password: &str,
        answermode: &str,
        patience: Duration,
    ) -> BaresipCtrl {
        let dir = TempDir::new("pbx-baresip-ctrl", user);
        let modules = baresip_module_path();
        let port = free_port();
        let ctrl_port = free_port();
        let config = format!(
            "poll_method\t\tepoll\n\
             sip_listen\t\t127.0.0.1:{port}\n\
             sip_transports\t\tudp\n\
             net_interface\t\t127.0.0.1\n\
             net_prefer_ipv6\t\tno\n\
             audio_player\t\taubridge,nullsink\n\
             audio_source\t\taubridge,nullsrc\n\
             audio_alert\t\taubridge,nullsink\n\
             module_path\t\t{modules}\n\
             module\t\t\tg711.so\n\
             module\t\t\taubridge.so\n\
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
        let child = Command::new("baresip")
            .arg("-f")
            .arg(&dir.0)
            .args(["-4", "-s"])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("baresip starts: run scripts/install-test-peers.sh");
        let deadline = Instant::now() + patience;
        let ctrl = loop {
            match TcpStream::connect(("127.0.0.1", ctrl_port)) {
                Ok(s) => break s,
                Err(_) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
                Err(e) => panic!("ctrl_tcp of baresip {user} unreachable: {e}"),
            }
        };
        let seen = Arc::new(Mutex::new(Vec::new()));
        let reader = ctrl.try_clone().unwrap();
        let sink = seen.clone();
        std::thread::spawn(move || read_netstrings(reader, &sink));
        BaresipCtrl {
            child,
            log,
            ctrl,
            seen,
            port,
            patience,
            _dir: dir,
        }
    }

    /// Send a ctrl_tcp command (`dial`, `hangup`, `accept`, `hold`...).
    pub fn command(&mut self, command: &str, params: &str) {
        let json = format!(r#"{{"command":"{command}","params":"{params}","token":"t"}}"#);
        let netstring = format!("{}:{json},", json.len());
        self.ctrl
            .write_all(netstring.as_bytes())
            .expect("baresip ctrl_tcp takes commands");
    }

    /// How many events have arrived so far (a mark for [`Self::wait_since`]).
    pub fn mark(&self) -> usize {
        self.seen.lock().unwrap().len()
    }

    /// Whether an event containing `needle` arrived, waiting for it if needed.
    pub async fn wait_event(&self, needle: &str) -> bool {
        self.wait_since(0, needle).await
    }

    /// Whether an event from index `mark` on contains `needle`.
    pub async fn wait_since(&self, mark: usize, needle: &str) -> bool {
        wait_for(self.patience, || {
            self.seen
                .lock()
                .unwrap()
                .iter()
                .skip(mark)
                .any(|s| s.contains(needle))
        })
        .await
    }

    /// What baresip printed so far (SIP trace included).
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Its output and the ctrl_tcp traffic, for failures.
    pub fn log(&self) -> String {
        format!(
            "--- baresip output ---\n{}\n--- ctrl_tcp ---\n{}",
            self.output(),
            self.seen.lock().unwrap().join("\n")
        )
    }
}

/// Split the ctrl_tcp stream into netstrings until it closes.
fn read_netstrings(mut stream: TcpStream, sink: &Mutex<Vec<String>>) {
    let mut pending = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let n = match stream.read(&mut buf) {
            Ok(n) if n > 0 => n,
            _ => return,
        };
        pending.extend_from_slice(&buf[..n]);
        while let Some(colon) = pending.iter().position(|&b| b == b':') {
            let Some(len) = std::str::from_utf8(&pending[..colon])
                .ok()
                .and_then(|s| s.parse::<usize>().ok())
            else {
                pending.clear();
                break;
            };
            if pending.len() < colon + 1 + len + 1 {
                break;
            }
            let text = String::from_utf8_lossy(&pending[colon + 1..colon + 1 + len]);
            sink.lock().unwrap().push(text.into_owned());
            pending.drain(..colon + 1 + len + 1);
        }
    }
}

impl Drop for BaresipCtrl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
