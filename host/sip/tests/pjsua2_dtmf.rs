//! DTMF across the service's B2BUA with pjsua2 on one side: RFC 4733
//! telephone events (negotiated in the SDP the service passes through,
//! then carried in RTP between the phones) towards baresip and pjsua2,
//! and SIP INFO (`application/dtmf-relay`) relayed in the dialog both
//! ways between two pjsua2.
//!
//! Needs the peers: run `scripts/install-test-peers.sh` first (the tests
//! fail, rather than skip, without them).

mod common;

use common::baresip::Baresip;
use common::pbx::*;
use common::pjsua2::{Pjsua2, Pjsua2Options};
use pbx_sip::service::ServiceHandle;
use std::time::Duration;

const PASSWORD: &str = "s3cret";
/// How long a phone gets to do what is expected of it.
const PATIENCE: Duration = Duration::from_secs(10);

/// One test at a time (phones on ports picked just before, CPU).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_rfc4733_digits_reach_baresip() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "auto").await;
    let mut caller = Pjsua2::start(pbx, &Pjsua2Options::new("1001", PASSWORD), PATIENCE).await;
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;
    caller.command(&format!("dial sip:1002@{pbx}"));
    assert!(
        caller.wait_event("MEDIA ACTIVE").await.is_some()
            && callee.wait_event("CALL_ESTABLISHED").await,
        "not connected\n{}\n{}",
        caller.log(),
        callee.log()
    );
    // The codec lock offer first (see pjsua2_call.rs), then the digits.
    assert!(caller.wait_session_requests(2).await, "{}", caller.log());
    caller.command("dtmf 5 rfc2833");
    assert!(
        callee.wait_event("CALL_DTMF_START").await,
        "baresip heard no telephone event\n{}\n{}",
        callee.log(),
        caller.log()
    );
    let log = callee.log();
    assert!(
        log.contains(r#""param":"5""#),
        "baresip heard another digit:\n{log}"
    );
    caller.command("hangup");
    assert!(callee.wait_event("CALL_CLOSED").await, "{}", callee.log());
    drop((caller, callee));
    service.shutdown().await;
}

/// A connected call between pjsua2 1001 (caller) and pjsua2 1002.
async fn connected_pair(service: &ServiceHandle) -> (Pjsua2, Pjsua2) {
    let pbx = service.udp_addr().unwrap();
    let options = Pjsua2Options::new("1002", PASSWORD).answering(200, Duration::ZERO);
    let callee = Pjsua2::start(pbx, &options, PATIENCE).await;
    let mut caller = Pjsua2::start(pbx, &Pjsua2Options::new("1001", PASSWORD), PATIENCE).await;
    registered(service, "1002", || callee.log()).await;
    registered(service, "1001", || caller.log()).await;
    caller.command(&format!("dial sip:1002@{pbx}"));
    for agent in [&caller, &callee] {
        assert!(
            agent.wait_event("MEDIA ACTIVE").await.is_some()
                && agent.wait_event("CONFIRMED").await.is_some(),
            "not connected\n{}\n{}",
            caller.log(),
            callee.log()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    (caller, callee)
}

/// `sender` sends `digit` with `method` (`rfc2833` or `info`);
/// `receiver` must report it with `seen_as` (`RFC2833`, `SIP_INFO`).
async fn digit_arrives(
    sender: &mut Pjsua2,
    receiver: &Pjsua2,
    digit: &str,
    method: &str,
    seen_as: &str,
) {
    let mark = receiver.mark();
    sender.command(&format!("dtmf {digit} {method}"));
    assert_eq!(
        receiver.wait_since(mark, "DTMF ").await,
        Some(format!("DTMF {digit} {seen_as}")),
        "{}\n{}",
        sender.log(),
        receiver.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sip_info_digits_are_relayed_both_ways_between_pjsua2() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let (mut caller, mut callee) = connected_pair(&service).await;
    digit_arrives(&mut caller, &callee, "4", "info", "SIP_INFO").await;
    digit_arrives(&mut callee, &caller, "9", "info", "SIP_INFO").await;
    assert!(caller.wait_event("TSX UAC INFO 200").await.is_some());
    assert!(callee.wait_event("TSX UAC INFO 200").await.is_some());
    caller.command("hangup");
    assert!(callee.wait_event("DISCONNECTED 200").await.is_some());
    let call = ended_call(&service).await;
    assert_eq!((call.reinvites, call.relayed), (0, 2), "{call:?}");
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc4733_digits_flow_both_ways_between_pjsua2() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let (mut caller, mut callee) = connected_pair(&service).await;
    digit_arrives(&mut caller, &callee, "3", "rfc2833", "RFC2833").await;
    digit_arrives(&mut callee, &caller, "*", "rfc2833", "RFC2833").await;
    caller.command("hangup");
    assert!(callee.wait_event("DISCONNECTED 200").await.is_some());
    // Nothing went through the dialog: the events travel in RTP.
    let call = ended_call(&service).await;
    assert_eq!((call.reinvites, call.relayed), (0, 0), "{call:?}");
    drop((caller, callee));
    service.shutdown().await;
}

async fn service() -> ServiceHandle {
    service_for(&["1001", "1002"], |_| {}).await
}
