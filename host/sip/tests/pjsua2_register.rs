//! End to end with pjsua2 (PyPI `pjsua2-python`, pjsip 2.15) driven
//! through `tests/peers/pjsua2_agent.py`: digest registration with MD5,
//! with SHA-256 (RFC 7616, RFC 8760) and with both offered; a wrong
//! password refused with 403 and repeated failures banning the source.
//!
//! Needs the peers venv: run `scripts/install-test-peers.sh` first (the
//! tests fail, rather than skip, without it).

mod common;

use common::pjsua2::{Pjsua2, Pjsua2Options};
use common::*;
use pbx_sip::auth::{Algorithm, InMemoryCredentials};
use pbx_sip::service::{ServiceConfig, ServiceHandle, start};
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

const REALM: &str = "pbx.test";
const USER: &str = "1001";
const PASSWORD: &str = "s3cret";
const AOR: &str = "sip:1001@127.0.0.1";
/// How long pjsua2 gets to do what is expected of it.
const PATIENCE: Duration = Duration::from_secs(10);

/// One test at a time: each starts a Python interpreter that needs the
/// CPU to come up within `PATIENCE`.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn service(algorithms: Vec<Algorithm>, ban_threshold: Option<u32>) -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    creds.add_password(REALM, USER, PASSWORD);
    let mut config = ServiceConfig::new(REALM, Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    config.auth.algorithms = algorithms;
    if let Some(threshold) = ban_threshold {
        config.auth.ban.threshold = threshold;
    }
    start(config).await.expect("service starts")
}

/// The Authorization header lines pjsua2 sent, from its SIP log.
fn authorizations(agent: &Pjsua2) -> Vec<String> {
    agent
        .sip_log()
        .lines()
        .filter(|l| l.starts_with("Authorization:"))
        .map(str::to_string)
        .collect()
}

/// Register with the service offering `algorithms` and pjsua2's
/// credential limited to `client_algorithm`; returns the Authorization
/// lines it sent.
async fn registers(algorithms: Vec<Algorithm>, client_algorithm: &'static str) -> Vec<String> {
    let started = Instant::now();
    let service = service(algorithms, None).await;
    let pbx = service.udp_addr().unwrap();
    let mut options = Pjsua2Options::new(USER, PASSWORD);
    options.algorithm = client_algorithm;
    let agent = Pjsua2::start(pbx, &options, PATIENCE).await;
    let reg = agent.wait_event("REG ").await;
    assert_eq!(
        reg.as_deref().and_then(|r| r.split(' ').nth(1)),
        Some("200"),
        "not registered; stats {:?}\n{}",
        service.stats(),
        agent.log()
    );
    let elapsed = started.elapsed();
    let bindings = service.lookup(AOR);
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    let b = &bindings[0];
    let contact = format!("127.0.0.1:{}", agent.port);
    assert!(
        b.contact.contains(&contact),
        "{} lacks {contact}",
        b.contact
    );
    assert_eq!(b.source, contact.parse().unwrap());
    assert_eq!(b.user_agent.as_deref(), Some("pjsua2-agent"));
    let stats = service.stats();
    assert!(stats.challenged >= 1, "{stats:?}");
    assert!(stats.registered >= 1, "{stats:?}");
    assert_eq!(stats.forbidden, 0, "{stats:?}");
    eprintln!("pjsua2 registered in {elapsed:?} (agent start included); stats {stats:?}");
    let auth = authorizations(&agent);
    drop(agent);
    service.shutdown().await;
    auth
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_registers_with_md5() {
    let _serial = SERIAL.lock().await;
    let auth = registers(vec![Algorithm::Md5], "any").await;
    assert!(!auth.is_empty(), "no Authorization sent");
    assert!(auth.iter().all(|a| a.contains("algorithm=MD5")), "{auth:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_registers_with_sha256() {
    let _serial = SERIAL.lock().await;
    let auth = registers(vec![Algorithm::Sha256], "sha256").await;
    assert!(!auth.is_empty(), "no Authorization sent");
    assert!(
        auth.iter().all(|a| a.contains("algorithm=SHA-256")),
        "{auth:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_registers_when_sha256_and_md5_are_offered() {
    let _serial = SERIAL.lock().await;
    let auth = registers(vec![Algorithm::Sha256, Algorithm::Md5], "any").await;
    // The service offers SHA-256 first; pjsip 2.15 picks it and sends a
    // single Authorization.
    assert_eq!(auth.len(), 1, "{auth:?}");
    assert!(auth[0].contains("algorithm=SHA-256"), "{auth:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_is_refused_and_repeated_failures_ban_the_source() {
    let _serial = SERIAL.lock().await;
    const THRESHOLD: u32 = 3;
    let service = service(vec![Algorithm::Md5], Some(THRESHOLD)).await;
    let pbx = service.udp_addr().unwrap();
    let mut agent = Pjsua2::start(pbx, &Pjsua2Options::new(USER, "wrong"), PATIENCE).await;
    let loopback: IpAddr = "127.0.0.1".parse().unwrap();

    // Each attempt: a challenge, then 403 for the wrong digest.
    for attempt in 1..=THRESHOLD {
        // The first attempt is the agent's own, at start.
        let mark = if attempt == 1 { 0 } else { agent.mark() };
        if attempt > 1 {
            agent.command("register");
        }
        let reg = agent.wait_since(mark, "REG ").await;
        assert!(
            reg.as_deref().is_some_and(|r| r.starts_with("REG 403")),
            "attempt {attempt}: {reg:?}; stats {:?}\n{}",
            service.stats(),
            agent.log()
        );
        assert_eq!(service.stats().forbidden, u64::from(attempt));
        let banned = service.bans().banned_until(loopback, SystemTime::now());
        assert_eq!(banned.is_some(), attempt == THRESHOLD, "attempt {attempt}");
    }
    assert!(service.lookup(AOR).is_empty());
    assert_eq!(service.stats().registered, 0);

    // Banned: even the right password gets no answer at all.
    let right = Pjsua2::start(pbx, &Pjsua2Options::new(USER, PASSWORD), PATIENCE).await;
    assert!(
        wait_for(PATIENCE, || service.stats().banned_dropped >= 1).await,
        "nothing dropped: {:?}\n{}",
        service.stats(),
        right.log()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(service.lookup(AOR).is_empty());
    assert!(
        !right.events().iter().any(|e| e.starts_with("REG ")),
        "a banned source got an answer: {:?}",
        right.events()
    );

    // The operator lifts the ban: the next attempt registers.
    service.bans().unban(loopback);
    let mark = right.mark();
    let mut right = right;
    right.command("register");
    let reg = right.wait_since(mark, "REG ").await;
    assert!(
        reg.as_deref().is_some_and(|r| r.starts_with("REG 200")),
        "{reg:?}\n{}",
        right.log()
    );
    assert_eq!(service.lookup(AOR).len(), 1);
    drop((agent, right));
    service.shutdown().await;
}
