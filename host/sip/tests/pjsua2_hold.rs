//! Hold and resume (RFC 3264 section 8.4 re-INVITEs) from pjsua2 through
//! the service's B2BUA: the other party must receive the `sendonly` offer
//! and then the `sendrecv` one, whichever leg holds, and the call record
//! counts the relayed re-INVITEs.
//!
//! Needs the peers: run `scripts/install-test-peers.sh` first (the tests
//! fail, rather than skip, without them).

mod common;

use common::baresip::Baresip;
use common::pbx::*;
use common::pjsua2::{Pjsua2, Pjsua2Options};
use common::*;
use pbx_sip::service::{CallOutcome, ServiceHandle};
use std::time::Duration;

const PASSWORD: &str = "s3cret";
/// How long a phone gets to do what is expected of it.
const PATIENCE: Duration = Duration::from_secs(10);

/// One test at a time (phones on ports picked just before, CPU).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A connected call between pjsua2 1001 (caller) and pjsua2 1002.
async fn connected_pair(service: &ServiceHandle) -> (Pjsua2, Pjsua2) {
    let pbx = service.udp_addr().unwrap();
    let options = Pjsua2Options::new("1002", PASSWORD).answering(200, Duration::ZERO);
    let callee = Pjsua2::start(pbx, &options, PATIENCE).await;
    let mut caller = Pjsua2::start(pbx, &Pjsua2Options::new("1001", PASSWORD), PATIENCE).await;
    registered(service, "1002", || callee.log()).await;
    registered(service, "1001", || caller.log()).await;
    caller.command(&format!("dial sip:1002@{pbx}"));
    for (who, agent) in [("caller", &caller), ("callee", &callee)] {
        assert!(
            agent.wait_event("MEDIA ACTIVE").await.is_some()
                && agent.wait_event("CONFIRMED").await.is_some(),
            "{who} not connected\n{}\n{}",
            caller.log(),
            callee.log()
        );
    }
    // Let the ACK settle before the re-INVITEs.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (caller, callee)
}

/// `holder` puts the call on hold then resumes it; `other` must see the
/// offers and both ends the matching media states.
async fn hold_and_resume(holder: &mut Pjsua2, other: &Pjsua2) {
    let (h, o) = (holder.mark(), other.mark());
    holder.command("hold");
    let offer = other.wait_since(o, "RX_OFFER").await;
    assert_eq!(
        offer.as_deref(),
        Some("RX_OFFER sendonly"),
        "{}\n{}",
        holder.log(),
        other.log()
    );
    assert!(
        holder.wait_since(h, "MEDIA LOCAL_HOLD").await.is_some(),
        "{}",
        holder.log()
    );
    assert!(
        other.wait_since(o, "MEDIA REMOTE_HOLD").await.is_some(),
        "{}",
        other.log()
    );

    let (h, o) = (holder.mark(), other.mark());
    holder.command("unhold");
    let offer = other.wait_since(o, "RX_OFFER").await;
    assert_eq!(
        offer.as_deref(),
        Some("RX_OFFER sendrecv"),
        "{}\n{}",
        holder.log(),
        other.log()
    );
    assert!(
        holder.wait_since(h, "MEDIA ACTIVE").await.is_some(),
        "{}",
        holder.log()
    );
    assert!(
        other.wait_since(o, "MEDIA ACTIVE").await.is_some(),
        "{}",
        other.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_holds_and_resumes_then_callee_hangs_up() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let (mut caller, mut callee) = connected_pair(&service).await;
    hold_and_resume(&mut caller, &callee).await;
    callee.command("hangup");
    assert!(caller.wait_event("DISCONNECTED 200").await.is_some());
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::CalleeHungUp, "{call:?}");
    assert_eq!(call.reinvites, 2, "{call:?}");
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callee_holds_and_resumes_then_caller_hangs_up() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let (mut caller, mut callee) = connected_pair(&service).await;
    hold_and_resume(&mut callee, &caller).await;
    caller.command("hangup");
    assert!(callee.wait_event("DISCONNECTED 200").await.is_some());
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::CallerHungUp, "{call:?}");
    assert_eq!(call.reinvites, 2, "{call:?}");
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_holds_and_resumes_baresip() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "auto").await;
    let mut caller = Pjsua2::start(pbx, &Pjsua2Options::new("1001", PASSWORD), PATIENCE).await;
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;
    caller.command(&format!("dial sip:1002@{pbx}"));
    assert!(
        caller.wait_event("CONFIRMED").await.is_some()
            && callee.wait_event("CALL_ESTABLISHED").await,
        "not connected\n{}\n{}",
        caller.log(),
        callee.log()
    );
    // pjsua2 offers every codec it has in the initial INVITE and in its
    // hold and resume re-INVITEs; baresip answers two (PCMU, PCMA) each
    // time, and pjsua2 then sends one more offer with the codec it picked
    // ("lock codec"): INVITE, lock, hold, lock, resume, lock.
    assert!(
        caller.wait_session_requests(2).await,
        "no codec lock\n{}",
        caller.log()
    );
    let sendonly_before = callee.log().matches("a=sendonly").count();
    let mark = caller.mark();
    caller.command("hold");
    assert!(
        caller.wait_since(mark, "MEDIA LOCAL_HOLD").await.is_some()
            && caller.wait_session_requests(4).await,
        "{}\n{}",
        caller.log(),
        callee.log()
    );
    assert!(
        wait_for(PATIENCE, || callee.log().matches("a=sendonly").count()
            > sendonly_before)
        .await,
        "baresip received no sendonly offer\n{}",
        callee.log()
    );
    let mark = caller.mark();
    caller.command("unhold");
    assert!(
        caller.wait_since(mark, "MEDIA ACTIVE").await.is_some()
            && caller.wait_session_requests(6).await,
        "{}",
        caller.log()
    );
    let mark = caller.mark();
    caller.command("hangup");
    assert!(caller.wait_since(mark, "DISCONNECTED 200").await.is_some());
    assert!(callee.wait_event("CALL_CLOSED").await, "{}", callee.log());
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::CallerHungUp, "{call:?}");
    let requests = caller.session_requests();
    // Hold and resume are re-INVITEs, accepted.
    let invites: Vec<_> = requests.iter().filter(|(m, _)| m == "INVITE").collect();
    assert!(
        invites.len() >= 3 && invites.iter().all(|(_, code)| *code == 200),
        "{requests:?}"
    );
    // Every offer pjsua2 saw answered 2xx was relayed and counted.
    let accepted = requests[1..]
        .iter()
        .filter(|(_, code)| (200..300).contains(code))
        .count();
    assert_eq!(
        (call.reinvites + call.relayed) as usize,
        accepted,
        "{call:?} vs {requests:?}"
    );
    drop((caller, callee));
    service.shutdown().await;
}

async fn service() -> ServiceHandle {
    service_for(&["1001", "1002"], |_| {}).await
}
