//! In-dialog session updates (UPDATE, RFC 3311) from pjsua2 relayed by
//! the service's B2BUA to the other leg, and what the service advertises
//! in `Allow` to a leg whose peer (baresip 1.0.0) does not support UPDATE.
//!
//! Needs the peers: run `scripts/install-test-peers.sh` first (the tests
//! fail, rather than skip, without them).

mod common;

use common::baresip::Baresip;
use common::pbx::*;
use common::pjsua2::{Pjsua2, Pjsua2Options};
use pbx_sip::service::{CallOutcome, ServiceHandle};
use std::time::Duration;

const PASSWORD: &str = "s3cret";
/// How long a phone gets to do what is expected of it.
const PATIENCE: Duration = Duration::from_secs(10);

/// One test at a time (phones on ports picked just before, CPU).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// `sender` sends an UPDATE with a new offer; `receiver` must get the
/// offer and `sender` the 200.
async fn update_is_relayed(sender: &mut Pjsua2, receiver: &Pjsua2) {
    let (s, r) = (sender.mark(), receiver.mark());
    sender.command("update");
    assert_eq!(
        sender.wait_since(s, "TSX UAC UPDATE").await.as_deref(),
        Some("TSX UAC UPDATE 200"),
        "{}\n{}",
        sender.log(),
        receiver.log()
    );
    assert_eq!(
        receiver.wait_since(r, "RX_OFFER").await.as_deref(),
        Some("RX_OFFER sendrecv"),
        "{}",
        receiver.log()
    );
    assert!(
        receiver.wait_since(r, "TSX UAS UPDATE 200").await.is_some(),
        "{}",
        receiver.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_from_either_leg_reaches_the_other() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let pbx = service.udp_addr().unwrap();
    let options = Pjsua2Options::new("1002", PASSWORD).answering(200, Duration::ZERO);
    let mut callee = Pjsua2::start(pbx, &options, PATIENCE).await;
    let mut caller = Pjsua2::start(pbx, &Pjsua2Options::new("1001", PASSWORD), PATIENCE).await;
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;
    caller.command(&format!("dial sip:1002@{pbx}"));
    for agent in [&caller, &callee] {
        assert!(
            agent.wait_event("CONFIRMED").await.is_some(),
            "not connected\n{}\n{}",
            caller.log(),
            callee.log()
        );
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    update_is_relayed(&mut caller, &callee).await;
    update_is_relayed(&mut callee, &caller).await;
    caller.command("hangup");
    assert!(callee.wait_event("DISCONNECTED 200").await.is_some());
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::CallerHungUp, "{call:?}");
    assert_eq!((call.reinvites, call.relayed), (0, 2), "{call:?}");
    drop((caller, callee));
    service.shutdown().await;
}

/// The `Allow` header of the first INVITE `agent` received.
fn received_invite_allow(agent: &Pjsua2) -> Option<String> {
    let log = agent.sip_log();
    let mut lines = log.lines().skip_while(|l| !l.starts_with("INVITE sip:"));
    lines.find_map(|l| l.strip_prefix("Allow:").map(|a| a.trim().to_string()))
}

/// baresip (1001) calls pjsua2 (1002). The service's INVITE to pjsua2
/// lists UPDATE in `Allow`, so an UPDATE from pjsua2 must work although
/// baresip's INVITE does not list it (RFC 3311 section 5.1): the service
/// sends baresip the offer as a re-INVITE and answers the UPDATE with
/// baresip's answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn update_advertised_to_the_callee_works_towards_baresip() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let pbx = service.udp_addr().unwrap();
    let options = Pjsua2Options::new("1002", PASSWORD).answering(200, Duration::ZERO);
    let mut callee = Pjsua2::start(pbx, &options, PATIENCE).await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;
    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        callee.wait_event("CONFIRMED").await.is_some()
            && caller.wait_event("CALL_ESTABLISHED").await,
        "not connected\n{}\n{}",
        callee.log(),
        caller.log()
    );
    let allow = received_invite_allow(&callee).expect("an Allow in the INVITE");
    if allow.split(',').any(|m| m.trim() == "UPDATE") {
        let mark = callee.mark();
        callee.command("update");
        let result = callee.wait_since(mark, "TSX UAC UPDATE").await;
        assert_eq!(
            result.as_deref(),
            Some("TSX UAC UPDATE 200"),
            "the service's INVITE said Allow: {allow}\n{}\n{}",
            callee.log(),
            caller.log()
        );
    }
    callee.command("hangup");
    assert!(caller.wait_event("CALL_CLOSED").await, "{}", caller.log());
    drop((caller, callee));
    service.shutdown().await;
}

async fn service() -> ServiceHandle {
    service_for(&["1001", "1002"], |_| {}).await
}
