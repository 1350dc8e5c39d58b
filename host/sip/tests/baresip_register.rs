//! End to end with a real third-party SIP client: Debian's `baresip`
//! registers to the service over loopback UDP with digest authentication.
//!
//! Needs `baresip` on the PATH: run `scripts/install-test-peers.sh` first
//! (the tests fail, rather than skip, without it).

mod common;

use common::*;
use pbx_sip::auth::{Algorithm, InMemoryCredentials};
use pbx_sip::service::{ServiceConfig, ServiceHandle, start};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REALM: &str = "pbx.test";
const USER: &str = "1001";
const PASSWORD: &str = "s3cret";
const AOR: &str = "sip:1001@127.0.0.1";

/// A running baresip, killed on drop.
struct Baresip {
    child: Child,
    log: PathBuf,
    port: u16,
    _dir: TempDir,
}

impl Baresip {
    /// Start baresip with one account registering to `pbx` as 1001 with
    /// `password`.
    fn start(pbx: SocketAddr, password: &str, tag: &str) -> Baresip {
        assert!(
            Command::new("baresip")
                .arg("-h")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok(),
            "baresip is not installed: run scripts/install-test-peers.sh"
        );
        let dir = TempDir::new("pbx-baresip", tag);
        let modules = baresip_module_path();
        let port = free_port();
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
             module_app\t\taccount.so\n"
        );
        std::fs::write(dir.0.join("config"), config).unwrap();
        let account = format!(
            "<sip:{USER}@{pbx};transport=udp>;auth_user={USER};auth_pass={password};regint=60\n"
        );
        std::fs::write(dir.0.join("accounts"), account).unwrap();
        std::fs::write(dir.0.join("contacts"), "").unwrap();
        let log = dir.0.join("baresip.log");
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("baresip")
            .arg("-f")
            .arg(&dir.0)
            .args(["-4", "-s", "-t", "20"])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("baresip starts: run scripts/install-test-peers.sh");
        Baresip {
            child,
            log,
            port,
            _dir: dir,
        }
    }

    /// What baresip printed so far (SIP trace included), for failures.
    fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Baresip {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn service() -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    creds.add_password(REALM, USER, PASSWORD);
    let mut config = ServiceConfig::new(REALM, Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    // baresip 1.0.0 (libre) fails the whole REGISTER with ENOSYS
    // ("Function not implemented") as soon as any WWW-Authenticate names
    // SHA-256, whatever the order: offer MD5 alone to such phones.
    config.auth.algorithms = vec![Algorithm::Md5];
    start(config).await.expect("service starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_registers_with_digest_auth() {
    let started = Instant::now();
    let service = service().await;
    let pbx = service.udp_addr().unwrap();
    let baresip = Baresip::start(pbx, PASSWORD, "ok");
    let registered = wait_for(PATIENCE, || !service.lookup(AOR).is_empty()).await;
    let elapsed = started.elapsed();
    assert!(
        registered,
        "no registration after {PATIENCE:?}; stats {:?}\n--- baresip ---\n{}",
        service.stats(),
        baresip.log()
    );
    let bindings = service.lookup(AOR);
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    let b = &bindings[0];
    let contact_port = format!("127.0.0.1:{}", baresip.port);
    assert!(
        b.contact.contains(&contact_port),
        "contact {} is not baresip's {contact_port}",
        b.contact
    );
    assert_eq!(
        b.source,
        format!("127.0.0.1:{}", baresip.port).parse().unwrap()
    );
    assert_eq!(b.transport, "UDP");
    assert!(
        b.user_agent.as_deref().unwrap_or("").contains("baresip"),
        "{:?}",
        b.user_agent
    );
    let stats = service.stats();
    // The first REGISTER was challenged, the second answered it.
    assert!(stats.challenged >= 1, "{stats:?}");
    assert!(
        stats.authenticated >= 1 && stats.registered >= 1,
        "{stats:?}"
    );
    assert_eq!(stats.forbidden, 0, "{stats:?}");
    eprintln!("baresip registered in {elapsed:?}; stats {stats:?}");
    drop(baresip);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_with_wrong_password_is_refused() {
    let service = service().await;
    let pbx = service.udp_addr().unwrap();
    let baresip = Baresip::start(pbx, "wrong", "bad");
    let refused = wait_for(PATIENCE, || service.stats().forbidden >= 1).await;
    assert!(
        refused,
        "no 403 after {PATIENCE:?}; stats {:?}\n--- baresip ---\n{}",
        service.stats(),
        baresip.log()
    );
    // Leave baresip a moment to try anything else it would.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(service.lookup(AOR).is_empty(), "{:?}", service.lookup(AOR));
    let stats = service.stats();
    assert!(stats.challenged >= 1, "{stats:?}");
    assert_eq!(stats.registered, 0, "{stats:?}");
    // The wrong digest counted towards a ban of the source.
    assert!(!service.bans().is_empty(), "no failure recorded");
    let log = baresip.log();
    assert!(log.contains("403"), "baresip saw no 403:\n{log}");
    drop(baresip);
    service.shutdown().await;
}
