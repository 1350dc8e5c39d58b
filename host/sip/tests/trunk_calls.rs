//! Calls through a trunk, end to end: two services on loopback, an
//! "office" PBX and a "carrier" (the same service playing the carrier's
//! role: it challenges INVITEs and takes registrations), each with a real
//! baresip phone. The office registers its trunk account at the carrier,
//! keeps the trunk alive with OPTIONS, sends outbound calls (dial pattern
//! `_0X.`, `0` stripped, caller id replaced by the trunk number) with
//! digest authentication, fails over from a dead trunk, and rings an
//! extension for an inbound call to its DID.
//!
//! Needs `baresip` on the PATH: run `scripts/install-test-peers.sh` first.

mod common;

use common::baresip::Baresip;
use common::*;
use pbx_sip::auth::{Algorithm, InMemoryCredentials};
use pbx_sip::service::{
    CallOutcome, CallRecord, ServiceConfig, ServiceHandle, TrunkConfig, TrunksConfig, start,
};
use pbx_sip::transaction::TimerConfig;
use pbx_sip::trunk::{CallerIdNumber, CallerIdRule, DialPattern, HealthConfig, OutboundRoute};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

const PASSWORD: &str = "s3cret";
const TRUNK_USER: &str = "4420";
const TRUNK_PASSWORD: &str = "trunk-pw";

/// One test at a time: each starts two services and two baresips.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The carrier: a trunk account 4420 and a subscriber 2002.
async fn carrier() -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    creds.add_password("carrier.test", TRUNK_USER, TRUNK_PASSWORD);
    creds.add_password("carrier.test", "2002", PASSWORD);
    let mut config = ServiceConfig::new(
        "carrier.test",
        Arc::new(creds),
        "127.0.0.1:0".parse().unwrap(),
    );
    config.auth.algorithms = vec![Algorithm::Md5];
    start(config).await.expect("carrier starts")
}

/// The office: extension 1001, trunks in the order given (each to the
/// address given), route `_0X.` through them, DID 4420 to 1001.
async fn office(trunks: &[(&str, SocketAddr)]) -> ServiceHandle {
    office_with(trunks, Some(fast_keepalive())).await
}

/// Keep-alives every 300 ms, down after 2 failures.
fn fast_keepalive() -> HealthConfig {
    HealthConfig {
        failure_threshold: 2,
        interval: Duration::from_millis(300),
        down_interval: Duration::from_millis(300),
    }
}

/// [`office`] with keep-alives `keepalive` (`None`: trunks unmonitored).
async fn office_with(
    trunks: &[(&str, SocketAddr)],
    keepalive: Option<HealthConfig>,
) -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    creds.add_password("office.test", "1001", PASSWORD);
    let mut config = ServiceConfig::new(
        "office.test",
        Arc::new(creds),
        "127.0.0.1:0".parse().unwrap(),
    );
    config.auth.algorithms = vec![Algorithm::Md5];
    // Short timers so that a dead trunk times out in ~3.2 s (64*T1).
    config.timers = TimerConfig {
        t1: Duration::from_millis(50),
        ..TimerConfig::default()
    };
    let trunks_config = trunks
        .iter()
        .map(|(name, addr)| TrunkConfig {
            credentials: Some((TRUNK_USER.into(), TRUNK_PASSWORD.into())),
            register_expires: (*name == "carrier").then_some(300),
            keepalive,
            ..TrunkConfig::new(*name, *addr)
        })
        .collect();
    config.trunks = TrunksConfig {
        trunks: trunks_config,
        routes: vec![OutboundRoute {
            pattern: DialPattern::parse("_0X.").unwrap(),
            priority: 0,
            strip: 1,
            prefix: String::new(),
            trunks: trunks.iter().map(|(n, _)| n.to_string()).collect(),
            caller_id: CallerIdRule {
                number: CallerIdNumber::Replace(TRUNK_USER.into()),
                anonymous: false,
            },
        }],
        dids: HashMap::from([(format!("+{TRUNK_USER}"), "1001".to_string())]),
        ..TrunksConfig::default()
    };
    start(config).await.expect("office starts")
}

async fn registered(service: &ServiceHandle, aor: &str, phone: &Baresip) {
    assert!(
        wait_for(PATIENCE, || !service.lookup(aor).is_empty()).await,
        "{aor} did not register; stats {:?}\n{}",
        service.stats(),
        phone.log()
    );
}

async fn first_call(service: &ServiceHandle) -> CallRecord {
    assert!(wait_for(PATIENCE, || !service.calls().is_empty()).await);
    service.calls()[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn office_registers_its_trunk_and_calls_out_and_in_through_it() {
    let _serial = SERIAL.lock().await;
    let carrier = carrier().await;
    let carrier_addr = carrier.udp_addr().unwrap();
    let office = office(&[("carrier", carrier_addr)]).await;
    let office_addr = office.udp_addr().unwrap();

    // The trunk registers and its keep-alives are answered.
    let trunk_aor = format!("sip:{TRUNK_USER}@127.0.0.1");
    assert!(
        wait_for(PATIENCE, || !carrier.lookup(&trunk_aor).is_empty()).await,
        "trunk not registered at the carrier: {:?}",
        office.trunk_status("carrier")
    );
    assert_eq!(carrier.lookup(&trunk_aor)[0].source, office_addr);
    assert!(
        wait_for(PATIENCE, || office.trunk_status("carrier").is_some_and(
            |s| s.registered && s.up && s.keepalives_answered >= 1
        ))
        .await,
        "{:?}",
        office.trunk_status("carrier")
    );

    let mut desk = Baresip::start(office_addr, PASSWORD, "1001", "auto").await;
    let mut mobile = Baresip::start(carrier_addr, PASSWORD, "2002", "auto").await;
    registered(&office, "sip:1001@127.0.0.1", &desk).await;
    registered(&carrier, "sip:2002@127.0.0.1", &mobile).await;

    // Out: 1001 dials 0 2002; the office strips the 0, authenticates to
    // the carrier as 4420 (the caller id it presents), the carrier rings
    // 2002.
    desk.command("dial", &format!("sip:02002@{office_addr}"))
        .await;
    assert!(
        mobile.wait_event("CALL_ESTABLISHED").await,
        "outbound call not connected\n--- desk ---\n{}\n--- mobile ---\n{}",
        desk.log(),
        mobile.log()
    );
    assert!(desk.wait_event("CALL_ESTABLISHED").await, "{}", desk.log());
    desk.command("hangup", "").await;
    assert!(mobile.wait_event("CALL_CLOSED").await, "{}", mobile.log());
    let out = first_call(&office).await;
    assert_eq!(out.callee, "02002");
    assert_eq!(out.outcome, CallOutcome::CallerHungUp, "{out:?}");
    let at_carrier = first_call(&carrier).await;
    assert_eq!(at_carrier.caller, TRUNK_USER, "{at_carrier:?}");
    assert_eq!(at_carrier.callee, "2002");

    // In: 2002 calls the trunk number; the carrier sends it to the
    // office's registered contact; the office maps DID 4420 to 1001.
    let mark = desk.seen_count();
    mobile
        .command("dial", &format!("sip:{TRUNK_USER}@{carrier_addr}"))
        .await;
    assert!(
        desk.wait_event_since(mark, "CALL_ESTABLISHED").await,
        "inbound call not connected\n--- desk ---\n{}\n--- mobile ---\n{}",
        desk.log(),
        mobile.log()
    );
    mobile.command("hangup", "").await;
    assert!(
        wait_for(PATIENCE, || office.calls().len() == 2).await,
        "{:?}",
        office.calls()
    );
    let inbound = office.calls()[1].clone();
    assert_eq!(inbound.callee, "1001", "{inbound:?}");
    assert_eq!(inbound.caller, "2002", "{inbound:?}");
    assert_eq!(inbound.outcome, CallOutcome::CallerHungUp, "{inbound:?}");
    drop((desk, mobile));
    office.shutdown().await;
    carrier.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_fails_over_when_the_first_trunk_times_out() {
    let _serial = SERIAL.lock().await;
    let carrier = carrier().await;
    let carrier_addr = carrier.udp_addr().unwrap();
    // Nothing listens on the first trunk's port, and without keep-alives
    // the office cannot know before trying.
    let dead: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let office = office_with(&[("dead", dead), ("carrier", carrier_addr)], None).await;
    let office_addr = office.udp_addr().unwrap();
    let mut desk = Baresip::start(office_addr, PASSWORD, "1001", "auto").await;
    let mut mobile = Baresip::start(carrier_addr, PASSWORD, "2002", "auto").await;
    registered(&office, "sip:1001@127.0.0.1", &desk).await;
    registered(&carrier, "sip:2002@127.0.0.1", &mobile).await;
    desk.command("dial", &format!("sip:02002@{office_addr}"))
        .await;
    assert!(
        mobile.wait_event("CALL_ESTABLISHED").await,
        "call did not fail over after the dead trunk's timeout\n--- desk ---\n{}",
        desk.log()
    );
    desk.command("hangup", "").await;
    let call = first_call(&office).await;
    assert_eq!(call.outcome, CallOutcome::CallerHungUp, "{call:?}");
    assert_eq!(
        call.forks, 3,
        "dead trunk, challenged attempt, authenticated attempt: {call:?}"
    );
    drop((desk, mobile));
    office.shutdown().await;
    carrier.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dead_trunk_is_marked_down_and_calls_fail_over_to_the_next() {
    let _serial = SERIAL.lock().await;
    let carrier = carrier().await;
    let carrier_addr = carrier.udp_addr().unwrap();
    // Nothing listens on the first trunk's port.
    let dead: SocketAddr = format!("127.0.0.1:{}", free_port()).parse().unwrap();
    let office = office(&[("dead", dead), ("carrier", carrier_addr)]).await;
    let office_addr = office.udp_addr().unwrap();
    assert!(
        wait_for(PATIENCE, || office
            .trunk_status("dead")
            .is_some_and(|s| !s.up))
        .await,
        "dead trunk not marked down: {:?}",
        office.trunk_status("dead")
    );

    let mut desk = Baresip::start(office_addr, PASSWORD, "1001", "auto").await;
    let mut mobile = Baresip::start(carrier_addr, PASSWORD, "2002", "auto").await;
    registered(&office, "sip:1001@127.0.0.1", &desk).await;
    registered(&carrier, "sip:2002@127.0.0.1", &mobile).await;
    desk.command("dial", &format!("sip:02002@{office_addr}"))
        .await;
    assert!(
        mobile.wait_event("CALL_ESTABLISHED").await,
        "call did not fail over to the live trunk\n--- desk ---\n{}",
        desk.log()
    );
    mobile.command("hangup", "").await;
    let call = first_call(&office).await;
    assert_eq!(call.outcome, CallOutcome::CalleeHungUp, "{call:?}");
    drop((desk, mobile));
    office.shutdown().await;
    carrier.shutdown().await;
}

/// A bare INVITE for `user` at `office`, as a carrier would send it.
fn invite(user: &str, office: SocketAddr, from: SocketAddr, branch: &str) -> String {
    format!(
        "INVITE sip:{user}@{office} SIP/2.0\r\n\
         Via: SIP/2.0/UDP {from};branch=z9hG4bK{branch};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:33612345678@carrier.test>;tag=c{branch}\r\n\
         To: <sip:{user}@carrier.test>\r\n\
         Call-ID: {branch}@carrier.test\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:carrier@{from}>\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// The status of the first final response on `socket`.
async fn final_status(socket: &tokio::net::UdpSocket) -> Option<u16> {
    let mut buf = vec![0u8; 4096];
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let (n, _) = tokio::time::timeout_at(deadline, socket.recv_from(&mut buf))
            .await
            .ok()?
            .ok()?;
        let text = String::from_utf8_lossy(&buf[..n]);
        if !text.starts_with("SIP/2.0 ") {
            continue; // a request (keep-alive) from the office
        }
        let status: u16 = text.split(' ').nth(1)?.parse().ok()?;
        if status >= 200 {
            return Some(status);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trunk_calls_are_not_challenged_and_map_dids_to_extensions() {
    let _serial = SERIAL.lock().await;
    let carrier = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let carrier_addr = carrier.local_addr().unwrap();
    let stranger = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let office = office_with(&[("raw", carrier_addr)], None).await;
    let office_addr = office.udp_addr().unwrap();

    // From the trunk: no challenge; an unknown DID is 404, the known DID
    // (sent with a `+`) maps to 1001, which has no phone: 480.
    let text = invite("5555", office_addr, carrier_addr, "a1");
    carrier.send_to(text.as_bytes(), office_addr).await.unwrap();
    assert_eq!(final_status(&carrier).await, Some(404));
    let text = invite("+4420", office_addr, carrier_addr, "a2");
    carrier.send_to(text.as_bytes(), office_addr).await.unwrap();
    assert_eq!(final_status(&carrier).await, Some(480));
    assert!(wait_for(PATIENCE, || office.calls().len() == 2).await);
    assert_eq!(office.calls()[1].callee, "1001");

    // The same INVITE from any other address must authenticate.
    let from = stranger.local_addr().unwrap();
    let text = invite("+4420", office_addr, from, "b1");
    stranger
        .send_to(text.as_bytes(), office_addr)
        .await
        .unwrap();
    assert_eq!(final_status(&stranger).await, Some(407));
    office.shutdown().await;
}
