//! Calls through the service's B2BUA between pjsua2 (pjsip 2.15, driven
//! through `tests/peers/pjsua2_agent.py`) and Debian's baresip (driven
//! through ctrl_tcp), both ways and both hang-up directions; busy, no
//! answer and cancel before answer with pjsua2 on one side. Assertions
//! use what each phone reports and the service's call log.
//!
//! Needs the peers: run `scripts/install-test-peers.sh` first (the tests
//! fail, rather than skip, without them).

mod common;

use common::baresip::Baresip;
use common::pbx::*;
use common::pjsua2::{Pjsua2, Pjsua2Options};
use pbx_sip::service::{CallOutcome, CallRecord, ServiceHandle};
use std::time::{Duration, Instant};

const PASSWORD: &str = "s3cret";
/// How long a phone gets to do what is expected of it.
const PATIENCE: Duration = Duration::from_secs(10);

/// One test at a time: each starts several phones on ports picked just
/// before, and they need the CPU to come up within `PATIENCE`.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The status code of the agent's DISCONNECTED event.
async fn disconnected(agent: &Pjsua2) -> Option<u16> {
    let event = agent.wait_event("DISCONNECTED").await?;
    event.split(' ').nth(1)?.parse().ok()
}

fn answered(caller: &str, callee: &str, outcome: CallOutcome) -> CallRecord {
    CallRecord {
        caller: caller.into(),
        callee: callee.into(),
        forks: 1,
        answered: true,
        caller_acked: true,
        reinvites: 0,
        relayed: 0,
        transfers: 0,
        outcome,
    }
}

/// pjsua2 (1001) calls baresip (1002, auto answer); `caller_hangs_up`
/// picks who sends the BYE.
async fn pjsua2_calls_baresip(caller_hangs_up: bool) {
    let started = Instant::now();
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "auto").await;
    let mut caller = Pjsua2::start(pbx, &Pjsua2Options::new("1001", PASSWORD), PATIENCE).await;
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;

    caller.command(&format!("dial sip:1002@{pbx}"));
    assert!(
        caller.wait_event("CONFIRMED").await.is_some(),
        "pjsua2 not connected; calls {:?}\n{}\n{}",
        service.calls(),
        caller.log(),
        callee.log()
    );
    assert!(
        callee.wait_event("CALL_ESTABLISHED").await,
        "baresip not connected\n{}",
        callee.log()
    );
    assert_eq!(service.live_calls(), 1);
    let established = started.elapsed();
    // baresip answers with PCMU and PCMA: pjsua2 then sends one more
    // offer with the codec it picked ("lock codec"), an UPDATE when the
    // PBX's Allow lists UPDATE, else a re-INVITE. Let it finish first.
    assert!(
        caller.wait_session_requests(2).await,
        "no codec lock\n{}",
        caller.log()
    );
    if caller_hangs_up {
        caller.command("hangup");
        assert!(callee.wait_event("CALL_CLOSED").await, "{}", callee.log());
    } else {
        callee.command("hangup", "").await;
    }
    assert_eq!(disconnected(&caller).await, Some(200), "{}", caller.log());
    let outcome = if caller_hangs_up {
        CallOutcome::CallerHungUp
    } else {
        CallOutcome::CalleeHungUp
    };
    let call = ended_call(&service).await;
    let expected = CallRecord {
        reinvites: call.reinvites,
        relayed: call.relayed,
        ..answered("1001", "1002", outcome)
    };
    assert_eq!(call, expected, "{}\n{}", caller.log(), callee.log());
    // Every in-dialog offer pjsua2 saw answered 2xx was relayed and
    // counted, and no other.
    let requests = caller.session_requests();
    let accepted = requests[1..]
        .iter()
        .filter(|(_, code)| (200..300).contains(code))
        .count();
    assert_eq!(
        (call.reinvites + call.relayed) as usize,
        accepted,
        "{call:?} vs pjsua2's {requests:?}"
    );
    assert_eq!(service.live_calls(), 0);
    eprintln!(
        "pjsua2 -> baresip established in {established:?} (phones' start included), \
         ended after {:?}",
        started.elapsed()
    );
    drop((caller, callee));
    service.shutdown().await;
}

/// baresip (1001) calls pjsua2 (1002, answers after 200 ms).
async fn baresip_calls_pjsua2(caller_hangs_up: bool) {
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let options = Pjsua2Options::new("1002", PASSWORD).answering(200, Duration::from_millis(200));
    let mut callee = Pjsua2::start(pbx, &options, PATIENCE).await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        caller.wait_event("CALL_ESTABLISHED").await,
        "baresip not connected; calls {:?}\n{}\n{}",
        service.calls(),
        caller.log(),
        callee.log()
    );
    assert!(
        callee.wait_event("CONFIRMED").await.is_some(),
        "pjsua2 not connected\n{}",
        callee.log()
    );
    assert!(callee.wait_event("INCOMING").await.is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    if caller_hangs_up {
        caller.command("hangup", "").await;
    } else {
        callee.command("hangup");
        assert!(caller.wait_event("CALL_CLOSED").await, "{}", caller.log());
    }
    assert_eq!(disconnected(&callee).await, Some(200), "{}", callee.log());
    let outcome = if caller_hangs_up {
        CallOutcome::CallerHungUp
    } else {
        CallOutcome::CalleeHungUp
    };
    assert_eq!(
        ended_call(&service).await,
        answered("1001", "1002", outcome)
    );
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_calls_baresip_and_hangs_up() {
    let _serial = SERIAL.lock().await;
    pjsua2_calls_baresip(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_calls_baresip_and_baresip_hangs_up() {
    let _serial = SERIAL.lock().await;
    pjsua2_calls_baresip(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_pjsua2_and_hangs_up() {
    let _serial = SERIAL.lock().await;
    baresip_calls_pjsua2(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn baresip_calls_pjsua2_and_pjsua2_hangs_up() {
    let _serial = SERIAL.lock().await;
    baresip_calls_pjsua2(false).await;
}

/// pjsua2 1001 calls pjsua2 1002 started with `callee_options`.
async fn pjsua2_pair(service: &ServiceHandle, callee_options: Pjsua2Options) -> (Pjsua2, Pjsua2) {
    let pbx = service.udp_addr().unwrap();
    let callee = Pjsua2::start(pbx, &callee_options, PATIENCE).await;
    let mut caller = Pjsua2::start(pbx, &Pjsua2Options::new("1001", PASSWORD), PATIENCE).await;
    registered(service, "1002", || callee.log()).await;
    registered(service, "1001", || caller.log()).await;
    caller.command(&format!("dial sip:1002@{pbx}"));
    (caller, callee)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn busy_callee_486_reaches_the_caller() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let busy = Pjsua2Options::new("1002", PASSWORD).answering(486, Duration::from_millis(100));
    let (caller, callee) = pjsua2_pair(&service, busy).await;
    assert_eq!(
        disconnected(&caller).await,
        Some(486),
        "{}\n{}",
        caller.log(),
        callee.log()
    );
    assert_eq!(disconnected(&callee).await, Some(486), "{}", callee.log());
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::Failed(486), "{call:?}");
    assert!(!call.answered);
    assert_eq!(call.forks, 1);
    assert_eq!(service.live_calls(), 0);
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_answer_times_out_with_480_and_cancels_the_callee() {
    let _serial = SERIAL.lock().await;
    let ring_timeout = Duration::from_secs(2);
    let service = service(ring_timeout).await;
    let (caller, callee) = pjsua2_pair(&service, Pjsua2Options::new("1002", PASSWORD)).await;
    assert!(
        callee.wait_event("INCOMING").await.is_some(),
        "callee not rung\n{}",
        callee.log()
    );
    let rung = Instant::now();
    assert_eq!(
        disconnected(&caller).await,
        Some(480),
        "{}\n{}",
        caller.log(),
        callee.log()
    );
    let waited = rung.elapsed();
    // The callee's INVITE was CANCELled: it ends with 487.
    assert_eq!(disconnected(&callee).await, Some(487), "{}", callee.log());
    assert!(
        callee.sip_log().contains("CANCEL sip:"),
        "no CANCEL reached the callee"
    );
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::Failed(480), "{call:?}");
    assert!(!call.answered);
    assert!(
        waited >= ring_timeout - Duration::from_millis(500) && waited < PATIENCE,
        "480 after {waited:?} for a {ring_timeout:?} ring timeout"
    );
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_cancels_before_baresip_answers() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "manual").await;
    let mut caller = Pjsua2::start(pbx, &Pjsua2Options::new("1001", PASSWORD), PATIENCE).await;
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;

    caller.command(&format!("dial sip:1002@{pbx}"));
    assert!(
        callee.wait_event("CALL_INCOMING").await,
        "baresip not rung\n{}\n{}",
        callee.log(),
        caller.log()
    );
    // pjsua2 saw the relayed 180 before giving up.
    assert!(
        caller.wait_event("STATE EARLY 180").await.is_some(),
        "{}",
        caller.log()
    );
    caller.command("hangup");
    assert_eq!(disconnected(&caller).await, Some(487), "{}", caller.log());
    assert!(
        callee.wait_event("CALL_CLOSED").await,
        "baresip's leg was not cancelled\n{}",
        callee.log()
    );
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::Cancelled, "{call:?}");
    assert!(!call.answered);
    assert_eq!(service.live_calls(), 0);
    drop((caller, callee));
    service.shutdown().await;
}

/// pjsua2 calling baresip sends its codec-lock offer right after the ACK;
/// it must be accepted. The service's 2xx to pjsua2 says `Allow: ...
/// UPDATE` though baresip's 200 OK does not list UPDATE, so pjsua2 sends
/// an UPDATE (RFC 3311 section 5.1 lets it), which the service turns
/// into a re-INVITE towards baresip.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_codec_lock_towards_baresip_is_accepted() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "auto").await;
    let mut caller = Pjsua2::start(pbx, &Pjsua2Options::new("1001", PASSWORD), PATIENCE).await;
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;
    caller.command(&format!("dial sip:1002@{pbx}"));
    assert!(
        caller.wait_session_requests(2).await,
        "no codec lock\n{}\n{}",
        caller.log(),
        callee.log()
    );
    let requests = caller.session_requests();
    assert_eq!(requests[0], ("INVITE".to_string(), 200));
    assert!(
        (200..300).contains(&requests[1].1),
        "codec lock refused: {requests:?}\n{}\n{}",
        caller.log(),
        callee.log()
    );
    caller.command("hangup");
    assert!(callee.wait_event("CALL_CLOSED").await, "{}", callee.log());
    let call = ended_call(&service).await;
    assert_eq!(call.reinvites + call.relayed, 1, "{call:?}");
    drop((caller, callee));
    service.shutdown().await;
}

async fn service(ring_timeout: Duration) -> ServiceHandle {
    service_for(&["1001", "1002"], |c| c.ring_timeout = ring_timeout).await
}
