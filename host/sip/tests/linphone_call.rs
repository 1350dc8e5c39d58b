//! End to end with Debian's linphonec (linphone-cli 5.1): it registers
//! with digest authentication and calls pjsua2 through the service's
//! B2BUA (and is called by it); its DTMF digits go out as SIP INFO
//! (`application/dtmf-relay`) and must reach pjsua2 through the relay of
//! in-dialog requests.
//!
//! Needs the peers: run `scripts/install-test-peers.sh` first (the tests
//! fail, rather than skip, without them).

mod common;

use common::linphone::Linphonec;
use common::pbx::*;
use common::pjsua2::{Pjsua2, Pjsua2Options};
use common::*;
use pbx_sip::auth::Algorithm;
use pbx_sip::service::{CallOutcome, ServiceHandle};
use std::time::{Duration, Instant};

const PASSWORD: &str = "s3cret";
/// How long a phone gets to do what is expected of it.
const PATIENCE: Duration = Duration::from_secs(10);

/// One test at a time (phones on ports picked just before, CPU).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The digest algorithms linphonec's Authorization headers named.
fn authorization_algorithms(phone: &Linphonec) -> Vec<String> {
    phone
        .sip_log()
        .lines()
        .filter(|l| l.starts_with("Authorization:"))
        .map(|l| {
            l.split(',')
                .find_map(|p| p.trim().strip_prefix("algorithm="))
                .unwrap_or("none")
                .trim_matches('"')
                .to_string()
        })
        .collect()
}

async fn linphonec_registers(algorithms: Vec<Algorithm>) -> Vec<String> {
    let started = Instant::now();
    let service = service(algorithms).await;
    let pbx = service.udp_addr().unwrap();
    let phone = Linphonec::start(pbx, "1001", PASSWORD, false, PATIENCE);
    registered(&service, "1001", || phone.log()).await;
    let elapsed = started.elapsed();
    assert!(
        phone.wait_log("to [LinphoneRegistrationOk]").await,
        "linphonec does not know it is registered\n{}",
        phone.log()
    );
    let bindings = service.lookup("sip:1001@127.0.0.1");
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    let b = &bindings[0];
    assert_eq!(
        b.source,
        format!("127.0.0.1:{}", phone.port).parse().unwrap()
    );
    assert!(
        b.user_agent.as_deref().unwrap_or("").contains("inphone"),
        "{:?}",
        b.user_agent
    );
    let stats = service.stats();
    assert!(stats.challenged >= 1 && stats.registered >= 1, "{stats:?}");
    assert_eq!(stats.forbidden, 0, "{stats:?}");
    eprintln!("linphonec registered in {elapsed:?} (start included); binding {b:?}");
    let algorithms = authorization_algorithms(&phone);
    drop(phone);
    service.shutdown().await;
    algorithms
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linphonec_registers_with_md5() {
    let _serial = SERIAL.lock().await;
    let used = linphonec_registers(vec![Algorithm::Md5]).await;
    assert!(
        !used.is_empty() && used.iter().all(|a| a == "MD5"),
        "{used:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linphonec_registers_with_sha256() {
    let _serial = SERIAL.lock().await;
    let used = linphonec_registers(vec![Algorithm::Sha256]).await;
    assert!(
        !used.is_empty() && used.iter().all(|a| a == "SHA-256"),
        "{used:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linphonec_registers_when_sha256_and_md5_are_offered() {
    let _serial = SERIAL.lock().await;
    let used = linphonec_registers(vec![Algorithm::Sha256, Algorithm::Md5]).await;
    // The service offers SHA-256 first; linphone 5.1 picks it.
    assert_eq!(used, ["SHA-256"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linphonec_with_a_wrong_password_is_refused() {
    let _serial = SERIAL.lock().await;
    let service = service(vec![Algorithm::Sha256, Algorithm::Md5]).await;
    let pbx = service.udp_addr().unwrap();
    let phone = Linphonec::start(pbx, "1001", "wrong", false, PATIENCE);
    assert!(
        wait_for(PATIENCE, || service.stats().forbidden >= 1).await,
        "no 403; stats {:?}\n{}",
        service.stats(),
        phone.log()
    );
    assert!(
        phone.wait_log("to [LinphoneRegistrationFailed]").await,
        "linphonec did not give up\n{}",
        phone.log()
    );
    assert!(phone.sip_log().contains("SIP/2.0 403"), "{}", phone.log());
    assert!(service.lookup("sip:1001@127.0.0.1").is_empty());
    let stats = service.stats();
    assert_eq!(stats.registered, 0, "{stats:?}");
    assert!(!service.bans().is_empty(), "no failure recorded");
    drop(phone);
    service.shutdown().await;
}

/// The status code of the pjsua2 agent's DISCONNECTED event.
async fn disconnected(agent: &Pjsua2) -> Option<u16> {
    let event = agent.wait_event("DISCONNECTED").await?;
    event.split(' ').nth(1)?.parse().ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linphonec_calls_pjsua2_and_its_info_dtmf_is_relayed() {
    let _serial = SERIAL.lock().await;
    let started = Instant::now();
    let service = service(vec![Algorithm::Sha256, Algorithm::Md5]).await;
    let pbx = service.udp_addr().unwrap();
    let options = Pjsua2Options::new("1002", PASSWORD).answering(200, Duration::from_millis(200));
    let callee = Pjsua2::start(pbx, &options, PATIENCE).await;
    let mut caller = Linphonec::start(pbx, "1001", PASSWORD, false, PATIENCE);
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;

    caller.command(&format!("call sip:1002@{pbx}"));
    assert!(
        caller.wait_output("connected.").await,
        "linphonec not connected; calls {:?}\n{}\n{}",
        service.calls(),
        caller.log(),
        callee.log()
    );
    assert!(
        callee.wait_event("CONFIRMED").await.is_some(),
        "{}",
        callee.log()
    );
    let established = started.elapsed();
    // One digit a line: linphonec sends each as a SIP INFO.
    for digit in ["1", "#"] {
        let mark = callee.mark();
        caller.command(digit);
        let got = callee.wait_since(mark, "DTMF ").await;
        assert_eq!(
            got,
            Some(format!("DTMF {digit} SIP_INFO")),
            "{}\n{}",
            callee.log(),
            caller.log()
        );
    }
    caller.command("terminate");
    assert_eq!(disconnected(&callee).await, Some(200), "{}", callee.log());
    assert!(caller.wait_output("ended").await, "{}", caller.log());
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::CallerHungUp, "{call:?}");
    assert!(call.answered && call.caller_acked, "{call:?}");
    // The two INFOs, relayed and answered 200 (pjsua2 answered with one
    // codec: no re-offer).
    assert_eq!((call.reinvites, call.relayed), (0, 2), "{call:?}");
    eprintln!(
        "linphonec -> pjsua2 established in {established:?} (phones' start included); {call:?}"
    );
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pjsua2_calls_linphonec_and_its_info_dtmf_is_relayed() {
    let _serial = SERIAL.lock().await;
    let service = service(vec![Algorithm::Sha256, Algorithm::Md5]).await;
    let pbx = service.udp_addr().unwrap();
    let callee = Linphonec::start(pbx, "1002", PASSWORD, true, PATIENCE);
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
    assert!(callee.wait_output("connected.").await, "{}", callee.log());
    caller.command("dtmf 7 info");
    assert!(
        callee.wait_output("Receiving tone 7").await,
        "linphonec got no INFO DTMF\n{}\n{}",
        callee.log(),
        caller.log()
    );
    assert!(
        caller.wait_event("TSX UAC INFO 200").await.is_some(),
        "{}",
        caller.log()
    );
    caller.command("hangup");
    assert_eq!(disconnected(&caller).await, Some(200), "{}", caller.log());
    assert!(callee.wait_output("ended").await, "{}", callee.log());
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::CallerHungUp, "{call:?}");
    // The INFO, plus whatever offer pjsua2 sent after the call was up
    // (its codec-lock UPDATE when linphonec answers several codecs),
    // each relayed and answered 2xx.
    let requests = caller.session_requests();
    let offers = requests[1..]
        .iter()
        .filter(|(_, code)| (200..300).contains(code))
        .count();
    assert_eq!(
        (call.reinvites + call.relayed) as usize,
        offers + 1,
        "{call:?} vs pjsua2's {requests:?}"
    );
    drop((caller, callee));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linphonec_pauses_and_resumes_the_call_to_pjsua2() {
    let _serial = SERIAL.lock().await;
    let service = service(vec![Algorithm::Sha256, Algorithm::Md5]).await;
    let pbx = service.udp_addr().unwrap();
    let options = Pjsua2Options::new("1002", PASSWORD).answering(200, Duration::ZERO);
    let mut callee = Pjsua2::start(pbx, &options, PATIENCE).await;
    let mut caller = Linphonec::start(pbx, "1001", PASSWORD, false, PATIENCE);
    registered(&service, "1002", || callee.log()).await;
    registered(&service, "1001", || caller.log()).await;
    caller.command(&format!("call sip:1002@{pbx}"));
    assert!(
        caller.wait_output("Media streams established").await
            && callee.wait_event("CONFIRMED").await.is_some(),
        "not connected\n{}\n{}",
        caller.log(),
        callee.log()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;

    // linphonec's pause is a re-INVITE offering sendonly (RFC 3264
    // section 8.4); resume offers sendrecv again.
    for (command, direction, state) in [
        ("pause 1", "RX_OFFER sendonly", "MEDIA REMOTE_HOLD"),
        ("resume 1", "RX_OFFER sendrecv", "MEDIA ACTIVE"),
    ] {
        let mark = callee.mark();
        caller.command(command);
        assert_eq!(
            callee.wait_since(mark, "RX_OFFER").await.as_deref(),
            Some(direction),
            "after {command}\n{}\n{}",
            callee.log(),
            caller.log()
        );
        assert!(
            callee.wait_since(mark, state).await.is_some(),
            "after {command}\n{}",
            callee.log()
        );
    }
    callee.command("hangup");
    assert!(caller.wait_output("ended").await, "{}", caller.log());
    let call = ended_call(&service).await;
    assert_eq!(call.outcome, CallOutcome::CalleeHungUp, "{call:?}");
    assert_eq!(call.reinvites, 2, "{call:?}");
    drop((caller, callee));
    service.shutdown().await;
}

async fn service(algorithms: Vec<Algorithm>) -> ServiceHandle {
    service_for(&["1001", "1002"], |c| c.auth.algorithms = algorithms).await
}
