//! End to end internal calls: two Debian `baresip` instances register as
//! 1001 and 1002 (MD5 digest: baresip 1.0.0 cannot do SHA-256) and call
//! each other through the service's B2BUA over loopback UDP. baresip is
//! driven through its `ctrl_tcp` module (netstring JSON commands and
//! events); assertions use the service's call log.
//!
//! Needs `baresip` on the PATH: run `scripts/install-test-peers.sh` first
//! (the tests fail, rather than skip, without it).

mod common;

use common::baresip::Baresip;
use common::*;
use pbx_sip::auth::{Algorithm, InMemoryCredentials};
use pbx_sip::service::{CallOutcome, CallRecord, ServiceConfig, ServiceHandle, start};
use std::sync::Arc;
use std::time::{Duration, Instant};

const REALM: &str = "pbx.test";
const PASSWORD: &str = "s3cret";

/// The tests run one at a time: each starts several baresip processes on
/// ports picked just before, and concurrent tests could race for them (and
/// for the CPU baresip needs to come up within `PATIENCE`).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn service(ring_timeout: Duration) -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    creds.add_password(REALM, "1001", PASSWORD);
    creds.add_password(REALM, "1002", PASSWORD);
    creds.add_password(REALM, "1003", PASSWORD);
    let mut config = ServiceConfig::new(REALM, Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    config.auth.algorithms = vec![Algorithm::Md5];
    config.ring_timeout = ring_timeout;
    start(config).await.expect("service starts")
}

/// Wait until `user` has a binding.
async fn registered(service: &ServiceHandle, user: &str, baresip: &Baresip) {
    let aor = format!("sip:{user}@127.0.0.1");
    assert!(
        wait_for(PATIENCE, || !service.lookup(&aor).is_empty()).await,
        "{user} did not register; stats {:?}\n{}",
        service.stats(),
        baresip.log()
    );
}

/// The first call log entry, once there is one.
async fn ended_call(service: &ServiceHandle) -> Option<CallRecord> {
    wait_for(PATIENCE, || !service.calls().is_empty()).await;
    service.calls().first().cloned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_is_answered_then_caller_hangs_up() {
    let _serial = SERIAL.lock().await;
    let started = Instant::now();
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "auto").await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    registered(&service, "1002", &callee).await;
    registered(&service, "1001", &caller).await;

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        caller.wait_event("CALL_ESTABLISHED").await,
        "caller not connected; calls {:?}\n--- caller ---\n{}\n--- callee ---\n{}",
        service.calls(),
        caller.log(),
        callee.log()
    );
    assert!(
        callee.wait_event("CALL_ESTABLISHED").await,
        "callee not connected\n{}",
        callee.log()
    );
    assert_eq!(service.live_calls(), 1);
    let established = started.elapsed();

    caller.command("hangup", "").await;
    assert!(
        callee.wait_event("CALL_CLOSED").await,
        "callee saw no BYE\n{}",
        callee.log()
    );
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(
        call,
        CallRecord {
            caller: "1001".into(),
            callee: "1002".into(),
            forks: 1,
            answered: true,
            caller_acked: true,
            reinvites: 0,
            relayed: 0,
            transfers: 0,
            outcome: CallOutcome::CallerHungUp,
        }
    );
    assert_eq!(service.live_calls(), 0);
    eprintln!(
        "established in {established:?}, ended after {:?}",
        started.elapsed()
    );
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_to_unregistered_extension_gets_480() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    registered(&service, "1001", &caller).await;

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(call.outcome, CallOutcome::Failed(480), "{call:?}");
    assert_eq!(call.forks, 0);
    assert!(
        caller.wait_event("CALL_CLOSED").await,
        "caller not told\n{}",
        caller.log()
    );
    let log = caller.log();
    assert!(log.contains("480"), "caller saw no 480:\n{log}");
    drop(caller);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callee_rejects_and_caller_gets_the_rejection() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "manual").await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    registered(&service, "1002", &callee).await;
    registered(&service, "1001", &caller).await;

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        callee.wait_event("CALL_INCOMING").await,
        "callee not rung\n{}",
        callee.log()
    );
    // Hanging up an incoming call rejects it (baresip answers 486).
    callee.command("hangup", "").await;
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(call.outcome, CallOutcome::Failed(486), "{call:?}");
    assert!(!call.answered);
    assert!(
        caller.wait_event("CALL_CLOSED").await,
        "caller not told\n{}",
        caller.log()
    );
    eprintln!("rejection relayed as {:?}", call.outcome);
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn caller_cancels_before_answer() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "manual").await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    registered(&service, "1002", &callee).await;
    registered(&service, "1001", &caller).await;

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        callee.wait_event("CALL_INCOMING").await,
        "callee not rung\n{}",
        callee.log()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    caller.command("hangup", "").await;
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(call.outcome, CallOutcome::Cancelled, "{call:?}");
    assert!(!call.answered);
    assert!(
        callee.wait_event("CALL_CLOSED").await,
        "callee's leg was not cancelled\n{}",
        callee.log()
    );
    assert_eq!(service.live_calls(), 0);
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ring_timeout_cancels_and_answers_480() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(2)).await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "manual").await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    registered(&service, "1002", &callee).await;
    registered(&service, "1001", &caller).await;

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(call.outcome, CallOutcome::Failed(480), "{call:?}");
    assert_eq!(call.forks, 1);
    assert!(
        callee.wait_event("CALL_CLOSED").await,
        "callee's leg was not cancelled\n{}",
        callee.log()
    );
    assert!(
        caller.wait_event("CALL_CLOSED").await,
        "caller not told\n{}",
        caller.log()
    );
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_and_resume_are_relayed_then_callee_hangs_up() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "auto").await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    registered(&service, "1002", &callee).await;
    registered(&service, "1001", &caller).await;

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        caller.wait_event("CALL_ESTABLISHED").await,
        "caller not connected\n{}",
        caller.log()
    );
    assert!(
        callee.wait_event("CALL_ESTABLISHED").await,
        "callee not connected\n{}",
        callee.log()
    );
    // Let the caller see the ACK go out before the re-INVITEs.
    tokio::time::sleep(Duration::from_millis(300)).await;
    caller.command("hold", "").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    caller.command("resume", "").await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    callee.command("hangup", "").await;
    assert!(
        caller.wait_event("CALL_CLOSED").await,
        "caller saw no BYE\n{}",
        caller.log()
    );
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(call.outcome, CallOutcome::CalleeHungUp, "{call:?}");
    assert!(call.answered && call.caller_acked, "{call:?}");
    assert_eq!(
        call.reinvites,
        2,
        "{call:?}\n--- caller ---\n{}\n--- callee ---\n{}",
        caller.log(),
        callee.log()
    );
    let log = callee.log();
    assert!(
        log.contains("sendonly") || log.contains("recvonly") || log.contains("hold"),
        "callee saw no hold offer:\n{log}"
    );
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn call_to_unknown_extension_gets_404() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    registered(&service, "1001", &caller).await;

    caller.command("dial", &format!("sip:1999@{pbx}")).await;
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(call.outcome, CallOutcome::Failed(404), "{call:?}");
    assert_eq!(call.callee, "1999");
    assert!(
        caller.wait_event("CALL_CLOSED").await,
        "caller not told\n{}",
        caller.log()
    );
    drop(caller);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forked_call_is_answered_by_one_and_the_other_is_cancelled() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut ringing = Baresip::start(pbx, PASSWORD, "1002", "manual").await;
    registered(&service, "1002", &ringing).await;
    let mut answering = Baresip::start(pbx, PASSWORD, "1002", "manual").await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    assert!(
        wait_for(PATIENCE, || service.lookup("sip:1002@127.0.0.1").len() == 2).await,
        "two bindings expected: {:?}",
        service.lookup("sip:1002@127.0.0.1")
    );
    registered(&service, "1001", &caller).await;

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        ringing.wait_event("CALL_INCOMING").await,
        "first 1002 not rung\n{}",
        ringing.log()
    );
    assert!(
        answering.wait_event("CALL_INCOMING").await,
        "second 1002 not rung\n{}",
        answering.log()
    );
    answering.command("accept", "").await;
    assert!(
        caller.wait_event("CALL_ESTABLISHED").await,
        "caller not connected\n{}",
        caller.log()
    );
    assert!(
        ringing.wait_event("CALL_CLOSED").await,
        "losing fork not cancelled\n{}",
        ringing.log()
    );
    assert_eq!(service.live_calls(), 1);
    caller.command("hangup", "").await;
    assert!(
        answering.wait_event("CALL_CLOSED").await,
        "winner saw no BYE\n{}",
        answering.log()
    );
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(call.forks, 2, "{call:?}");
    assert_eq!(call.outcome, CallOutcome::CallerHungUp, "{call:?}");
    assert!(call.answered && call.caller_acked, "{call:?}");
    drop((caller, ringing, answering));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callee_blind_transfers_the_caller_to_a_third_extension() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "auto").await;
    let mut target = Baresip::start(pbx, PASSWORD, "1003", "auto").await;
    for (user, phone) in [("1001", &caller), ("1002", &callee), ("1003", &target)] {
        registered(&service, user, phone).await;
    }

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        callee.wait_event("CALL_ESTABLISHED").await,
        "callee not connected\n{}",
        callee.log()
    );
    assert!(
        caller.wait_event("CALL_ESTABLISHED").await,
        "caller not connected\n{}",
        caller.log()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    callee.command("transfer", &format!("sip:1003@{pbx}")).await;
    assert!(
        target.wait_event("CALL_ESTABLISHED").await,
        "transfer target not connected\n--- target ---\n{}\n--- callee ---\n{}",
        target.log(),
        callee.log()
    );
    assert!(
        callee.wait_event("CALL_CLOSED").await,
        "the transferor was not released\n{}",
        callee.log()
    );
    assert_eq!(service.live_calls(), 1, "the caller's call goes on");
    assert!(service.calls().is_empty(), "{:?}", service.calls());

    caller.command("hangup", "").await;
    assert!(
        target.wait_event("CALL_CLOSED").await,
        "transfer target saw no BYE\n{}",
        target.log()
    );
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(call.outcome, CallOutcome::CallerHungUp, "{call:?}");
    assert_eq!(call.transfers, 1, "{call:?}");
    assert_eq!(call.reinvites, 0, "{call:?}");
    assert_eq!(service.live_calls(), 0);
    drop((caller, callee, target));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn transfer_to_an_unknown_extension_is_refused_with_404() {
    let _serial = SERIAL.lock().await;
    let service = service(Duration::from_secs(30)).await;
    let pbx = service.udp_addr().unwrap();
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "auto").await;
    registered(&service, "1001", &caller).await;
    registered(&service, "1002", &callee).await;

    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        caller.wait_event("CALL_ESTABLISHED").await,
        "caller not connected\n{}",
        caller.log()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    callee.command("transfer", &format!("sip:4999@{pbx}")).await;
    // baresip reports the refusal and then hangs up by itself.
    assert!(
        wait_for(PATIENCE, || callee.log().contains("transfer failed: 404")).await,
        "REFER to an unknown extension not refused with 404\n{}",
        callee.log()
    );
    let call = ended_call(&service).await.expect("a call record");
    assert_eq!(call.outcome, CallOutcome::CalleeHungUp, "{call:?}");
    assert_eq!(call.transfers, 0, "{call:?}");
    drop((caller, callee));
    service.shutdown().await;
}
