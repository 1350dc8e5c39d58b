//! End-to-end security tests with a real attack tool: SIPVicious
//! (PyPI `sipvicious`) against the service over loopback UDP.
//!
//! - `svwar_cannot_enumerate_extensions`: `sipvicious_svwar` scans
//!   extensions 1000-1010 (REGISTER and INVITE) against a service that has
//!   only 1001 and 1002, and must not single those out; two raw REGISTERs
//!   for an existing and a missing user get identical responses apart
//!   from nonce and tag.
//! - `svcrack_is_banned_and_finds_nothing`: `sipvicious_svcrack` guesses
//!   passwords 1-200 for 1001 against a low ban threshold; the service bans
//!   127.0.0.1, drops its later requests, and svcrack finds no password.
//!
//! The tools are looked for in
//! `${PBX_TEST_PEERS_DIR:-$HOME/.cache/pbx-test-peers}/venv/bin`, then on
//! the PATH: run `scripts/install-test-peers.sh` first (the tests fail,
//! rather than skip, without them). The tools always get `-b 127.0.0.1`
//! so they bind loopback only.

mod common;

use common::*;
use pbx_sip::auth::{Algorithm, BanConfig, InMemoryCredentials};
use pbx_sip::service::{ServiceConfig, ServiceHandle, start};
use std::net::{IpAddr, Ipv4Addr, SocketAddr, UdpSocket};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const REALM: &str = "pbx.test";
/// Not a number, so no numeric range or common dictionary contains it.
const PASSWORD: &str = "Xq7-vT2m-pL9w";
const LOCALHOST: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

/// Where a sipvicious tool is: the installer's venv, else the PATH.
fn tool(name: &str) -> PathBuf {
    let base = std::env::var_os("PBX_TEST_PEERS_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/pbx-test-peers"))
        });
    if let Some(base) = base {
        let path = base.join("venv/bin").join(name);
        if path.is_file() {
            return path;
        }
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let path = dir.join(name);
            if path.is_file() {
                return path;
            }
        }
    }
    panic!("{name} (PyPI sipvicious) is not installed: run scripts/install-test-peers.sh");
}

/// A running sipvicious tool, killed on drop. Output goes to a file.
struct Tool {
    child: Child,
    log: PathBuf,
    _dir: TempDir,
}

impl Tool {
    fn start(name: &str, args: &[&str], tag: &str) -> Tool {
        let path = tool(name);
        let dir = TempDir::new("pbx-sipvicious", tag);
        let log = dir.0.join("out.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(&path)
            .args(args)
            // Session files go to the temporary directory.
            .current_dir(&dir.0)
            .env("HOME", &dir.0)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{name} does not start ({e}): run scripts/install-test-peers.sh")
            });
        Tool {
            child,
            log,
            _dir: dir,
        }
    }

    /// Wait up to `limit` for the tool to exit; true if it did.
    async fn wait(&mut self, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        while Instant::now() < deadline {
            if self.child.try_wait().unwrap().is_some() {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.child.try_wait().unwrap().is_some()
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Tool {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // `dir` is removed after this, once the tool is gone.
    }
}

/// The first column of every data row of sipvicious's result table
/// (`| 1001 | reqauth |`), header excluded.
fn table_first_column(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|l| l.trim().strip_prefix('|'))
        .filter_map(|l| l.split('|').next())
        .map(|c| c.trim().to_string())
        .filter(|c| !c.is_empty() && c != "Extension")
        .collect()
}

async fn service(users: &[&str], ban: BanConfig) -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    for user in users {
        creds.add_password(REALM, user, PASSWORD);
    }
    let mut config = ServiceConfig::new(REALM, Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    // sipvicious computes MD5 digests only: offer MD5 so each of its
    // guesses is a real password check.
    config.auth.algorithms = vec![Algorithm::Md5];
    config.auth.ban = ban;
    // Only the authentication defences are under test here.
    config.rate_limit = None;
    start(config).await.expect("service starts")
}

/// Send a REGISTER for `user` from `socket` and return the response.
fn raw_register(socket: &UdpSocket, pbx: SocketAddr, user: &str, n: u32) -> String {
    let local = socket.local_addr().unwrap();
    let request = format!(
        "REGISTER sip:127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/UDP {local};branch=z9hG4bK-probe-{n}\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{user}@127.0.0.1>;tag=probe-from-{n}\r\n\
         To: <sip:{user}@127.0.0.1>\r\n\
         Call-ID: probe-call-{n}@127.0.0.1\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <sip:{user}@{local}>\r\n\
         Expires: 60\r\n\
         Content-Length: 0\r\n\r\n"
    );
    socket.send_to(request.as_bytes(), pbx).unwrap();
    let mut buf = [0u8; 4096];
    let (len, _) = socket
        .recv_from(&mut buf)
        .unwrap_or_else(|e| panic!("no response to the REGISTER for {user}: {e}"));
    String::from_utf8_lossy(&buf[..len]).into_owned()
}

/// Replace the value of `key` (up to the next `"`, `;`, `,` or line end)
/// by `X` everywhere in `text`.
fn blank_param(text: &str, key: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find(key) {
        out.push_str(&rest[..i + key.len()]);
        rest = &rest[i + key.len()..];
        let quoted = rest.starts_with('"');
        let body = if quoted { &rest[1..] } else { rest };
        let end = body
            .find(|c: char| {
                if quoted {
                    c == '"'
                } else {
                    matches!(c, ';' | ',' | '\r' | '\n' | '>')
                }
            })
            .unwrap_or(body.len());
        out.push_str(if quoted { "\"X" } else { "X" });
        rest = &body[end..];
    }
    out.push_str(rest);
    out
}

/// A response with what legitimately differs between the two probes
/// (their user, branch, tags, Call-ID and the nonce) blanked out.
fn normalize(response: &str, user: &str, n: u32) -> String {
    let text = response
        .replace(&format!("sip:{user}@"), "sip:USER@")
        .replace(&format!("-{n}"), "-N");
    let text = blank_param(&text, "nonce=");
    let text = blank_param(&text, "opaque=");
    blank_param(&text, "tag=")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn svwar_cannot_enumerate_extensions() {
    let started = Instant::now();
    let service = service(&["1001", "1002"], BanConfig::default()).await;
    let pbx = service.udp_addr().unwrap();
    let port = pbx.port().to_string();

    // Direct comparison: an existing and a missing user get the same
    // answer apart from nonce and tags.
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let existing = raw_register(&socket, pbx, "1001", 1);
    let missing = raw_register(&socket, pbx, "1003", 2);
    assert!(existing.starts_with("SIP/2.0 401"), "{existing}");
    assert_eq!(
        normalize(&existing, "1001", 1),
        normalize(&missing, "1003", 2),
        "existing and missing users are told apart:\n--- 1001 ---\n{existing}\n--- 1003 ---\n{missing}"
    );

    // Without --force svwar gives up at its sanity check, since an
    // unknown extension is challenged like a real one. With --force it
    // stops at the first extension whose response is the same as the
    // unknown one's (and not a 404). Were existing users answered
    // differently, either run would list them.
    let runs = [
        ("REGISTER", false),
        ("INVITE", false),
        ("REGISTER", true),
        ("INVITE", true),
    ];
    for (method, force) in runs {
        let mut args = vec![
            "-b",
            "127.0.0.1",
            "-p",
            &port,
            "-e",
            "1000-1010",
            "-m",
            method,
        ];
        if force {
            args.push("--force");
        }
        args.push("127.0.0.1");
        let method = if force {
            format!("{method} --force")
        } else {
            method.to_string()
        };
        let before = service.stats().requests;
        let mut svwar = Tool::start("sipvicious_svwar", &args, "svwar");
        let exited = svwar.wait(Duration::from_secs(30)).await;
        let output = svwar.output();
        assert!(
            exited,
            "svwar ({method}) still running after 30 s:\n{output}"
        );
        assert!(
            service.stats().requests > before,
            "svwar ({method}) sent nothing to the service:\n{output}"
        );
        let found = table_first_column(&output);
        eprintln!("svwar -m {method} reported {found:?}\n{output}");
        let all: Vec<String> = (1000..=1010).map(|n| n.to_string()).collect();
        assert!(
            found.is_empty() || found == all,
            "svwar ({method}) told extensions apart: {found:?}\n{output}"
        );
        assert!(
            !found.iter().any(|e| e == "1001") || found.len() == all.len(),
            "svwar ({method}) found 1001:\n{output}"
        );
    }
    assert!(
        service
            .bans()
            .banned_until(LOCALHOST, SystemTime::now())
            .is_none(),
        "scanning without guessing passwords must not ban"
    );
    eprintln!(
        "enumeration test took {:?}; stats {:?}",
        started.elapsed(),
        service.stats()
    );
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn svcrack_is_banned_and_finds_nothing() {
    let started = Instant::now();
    let ban = BanConfig {
        threshold: 5,
        window: Duration::from_secs(60),
        ban_duration: Duration::from_secs(600),
        ..BanConfig::default()
    };
    let service = service(&["1001"], ban).await;
    let pbx = service.udp_addr().unwrap();
    let port = pbx.port().to_string();
    let mut svcrack = Tool::start(
        "sipvicious_svcrack",
        &[
            "-b",
            "127.0.0.1",
            "-p",
            &port,
            "-u",
            "1001",
            "-r",
            "1-200",
            "--maximumtime",
            "3",
            "127.0.0.1",
        ],
        "svcrack",
    );
    // Wait for the ban, then give svcrack a moment to hit it.
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && service.stats().banned_dropped == 0 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    svcrack.wait(Duration::from_secs(15)).await;
    let output = svcrack.output();
    drop(svcrack);
    let stats = service.stats();
    eprintln!("svcrack output:\n{output}\nstats {stats:?}");
    let until = service.bans().banned_until(LOCALHOST, SystemTime::now());
    assert!(
        until.is_some(),
        "127.0.0.1 is not banned; stats {stats:?}\n{output}"
    );
    assert!(
        stats.banned_dropped > 0,
        "no request of svcrack was dropped; stats {stats:?}\n{output}"
    );
    // The ban stopped the guessing well before the 200 candidates.
    assert!(
        stats.forbidden < 50,
        "too many guesses were checked; stats {stats:?}"
    );
    assert_eq!(stats.authenticated, 0, "{stats:?}");
    let found = table_first_column(&output);
    assert!(
        found.is_empty() && !output.contains(PASSWORD),
        "svcrack found a password: {found:?}\n{output}"
    );
    eprintln!(
        "password-guessing test took {:?}; stats {stats:?}",
        started.elapsed()
    );
    service.shutdown().await;
}
