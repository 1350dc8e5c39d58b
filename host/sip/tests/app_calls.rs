//! Calls handed to the application (`service::app`), end to end with a
//! real baresip phone: the router sends number 5000 to the application,
//! which rings, answers with its own SDP, hears the ACK, and hangs up or
//! is hung up on; other numbers keep the built-in routing, and a router
//! can refuse a call.
//!
//! Needs `baresip` on the PATH: run `scripts/install-test-peers.sh` first.

mod common;

use common::baresip::Baresip;
use common::*;
use pbx_sip::auth::{Algorithm, InMemoryCredentials};
use pbx_sip::service::{
    AppCall, AppConfig, AppEvent, CallOutcome, CallRouter, DialRequest, NewCall, RouteDecision,
    ServiceConfig, ServiceHandle, start,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

const PASSWORD: &str = "s3cret";

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// 5000 goes to the application, 6666 is refused with 403, the rest is
/// the built-in routing.
struct Router;

impl CallRouter for Router {
    fn route(&self, call: &NewCall) -> RouteDecision {
        match call.callee.as_str() {
            "5000" => RouteDecision::Application,
            "6666" => RouteDecision::Reject(403),
            _ => RouteDecision::Default,
        }
    }
}

async fn service() -> (ServiceHandle, mpsc::UnboundedReceiver<AppCall>) {
    let mut creds = InMemoryCredentials::new();
    creds.add_password("pbx.test", "1001", PASSWORD);
    creds.add_password("pbx.test", "1002", PASSWORD);
    let mut config =
        ServiceConfig::new("pbx.test", Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    config.auth.algorithms = vec![Algorithm::Md5];
    let (calls, incoming) = mpsc::unbounded_channel();
    config.app = Some(AppConfig {
        router: Arc::new(Router),
        calls,
    });
    (start(config).await.expect("service starts"), incoming)
}

/// An SDP answer for the application's side (a media address of our own:
/// no media flows in this test).
fn app_sdp() -> bytes::Bytes {
    bytes::Bytes::from(
        "v=0\r\no=pbx 1 1 IN IP4 127.0.0.1\r\ns=pbx\r\nc=IN IP4 127.0.0.1\r\n\
         t=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n",
    )
}

async fn event(call: &mut AppCall) -> AppEvent {
    tokio::time::timeout(PATIENCE, call.next_event())
        .await
        .expect("an event in time")
        .expect("the call's events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_answers_and_hangs_up_then_is_hung_up_on() {
    let _serial = SERIAL.lock().await;
    let (service, mut incoming) = service().await;
    let pbx = service.udp_addr().unwrap();
    let mut phone = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    assert!(
        wait_for(PATIENCE, || !service
            .lookup("sip:1001@127.0.0.1")
            .is_empty())
        .await
    );

    // 1: the application answers, then hangs up.
    phone.command("dial", &format!("sip:5000@{pbx}")).await;
    let mut call = tokio::time::timeout(PATIENCE, incoming.recv())
        .await
        .expect("a call for the application")
        .unwrap();
    assert_eq!(
        (call.caller.as_str(), call.callee.as_str()),
        ("1001", "5000")
    );
    assert_eq!(call.content_type, "application/sdp");
    assert!(String::from_utf8_lossy(&call.offer).contains("m=audio"));
    call.ring(None);
    assert!(phone.wait_event("CALL_RINGING").await, "{}", phone.log());
    call.answer(app_sdp());
    assert!(
        phone.wait_event("CALL_ESTABLISHED").await,
        "{}",
        phone.log()
    );
    assert_eq!(event(&mut call).await, AppEvent::Confirmed);
    call.hangup();
    assert_eq!(
        event(&mut call).await,
        AppEvent::Ended(CallOutcome::CalleeHungUp)
    );
    assert!(phone.wait_event("CALL_CLOSED").await, "{}", phone.log());

    // 2: the caller hangs up.
    let mark = phone.seen_count();
    phone.command("dial", &format!("sip:5000@{pbx}")).await;
    let mut call = tokio::time::timeout(PATIENCE, incoming.recv())
        .await
        .expect("a second call")
        .unwrap();
    call.answer(app_sdp());
    assert!(
        phone.wait_event_since(mark, "CALL_ESTABLISHED").await,
        "{}",
        phone.log()
    );
    assert_eq!(event(&mut call).await, AppEvent::Confirmed);
    phone.command("hangup", "").await;
    assert_eq!(
        event(&mut call).await,
        AppEvent::Ended(CallOutcome::CallerHungUp)
    );

    // 3: the application rejects.
    let mark = phone.seen_count();
    phone.command("dial", &format!("sip:5000@{pbx}")).await;
    let mut call = tokio::time::timeout(PATIENCE, incoming.recv())
        .await
        .expect("a third call")
        .unwrap();
    call.reject(486);
    assert_eq!(
        event(&mut call).await,
        AppEvent::Ended(CallOutcome::Failed(486))
    );
    assert!(
        phone.wait_event_since(mark, "CALL_CLOSED").await,
        "{}",
        phone.log()
    );
    assert!(
        wait_for(PATIENCE, || service.live_calls() == 0).await,
        "{:?}",
        service.calls()
    );
    // None of the three had a B leg and each answer was ACKed: nothing
    // late can come, so they are forgotten after 2 s, not 32.
    assert!(
        wait_for(Duration::from_secs(6), || service.held_calls() == 0).await,
        "{} ended calls still held after 6 s",
        service.held_calls()
    );
    drop(phone);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn router_refusals_and_default_routing_still_apply() {
    let _serial = SERIAL.lock().await;
    let (service, mut incoming) = service().await;
    let pbx = service.udp_addr().unwrap();
    let mut phone = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    assert!(
        wait_for(PATIENCE, || !service
            .lookup("sip:1001@127.0.0.1")
            .is_empty())
        .await
    );
    phone.command("dial", &format!("sip:6666@{pbx}")).await;
    assert!(wait_for(PATIENCE, || !service.calls().is_empty()).await);
    assert_eq!(service.calls()[0].outcome, CallOutcome::Failed(403));
    phone.command("dial", &format!("sip:7777@{pbx}")).await;
    assert!(wait_for(PATIENCE, || service.calls().len() == 2).await);
    assert_eq!(
        service.calls()[1].outcome,
        CallOutcome::Failed(404),
        "built-in: no such extension"
    );
    assert!(
        incoming.try_recv().is_err(),
        "nothing reached the application"
    );
    drop(phone);
    service.shutdown().await;
}

/// The application dials: extension 1002 (auto-answer) is rung with the
/// application's offer while the caller's leg stays with the application;
/// the callee hanging up hands the caller back; a second dial is dropped
/// by the application; an unknown extension fails with 404 at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn application_dials_an_extension_and_gets_the_caller_back() {
    let _serial = SERIAL.lock().await;
    let (service, mut incoming) = service().await;
    let pbx = service.udp_addr().unwrap();
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    let mut callee = Baresip::start(pbx, PASSWORD, "1002", "auto").await;
    assert!(
        wait_for(PATIENCE, || !service
            .lookup("sip:1001@127.0.0.1")
            .is_empty()
            && !service.lookup("sip:1002@127.0.0.1").is_empty())
        .await
    );
    caller.command("dial", &format!("sip:5000@{pbx}")).await;
    let mut call = tokio::time::timeout(PATIENCE, incoming.recv())
        .await
        .expect("a call for the application")
        .unwrap();
    assert!(!call.call_id.is_empty());
    call.answer(app_sdp());
    assert_eq!(event(&mut call).await, AppEvent::Confirmed);

    call.dial(DialRequest {
        users: vec!["4444".into()],
        caller_id: None,
        offer: app_sdp(),
    });
    assert_eq!(event(&mut call).await, AppEvent::DialFailed { status: 404 });

    call.dial(DialRequest {
        users: vec!["1002".into()],
        caller_id: Some(("5000".into(), Some("Reception".into()))),
        offer: app_sdp(),
    });
    let answered = loop {
        match event(&mut call).await {
            AppEvent::DialRinging { user, .. } => assert_eq!(user, "1002"),
            other => break other,
        }
    };
    let AppEvent::DialAnswered { user, sdp } = answered else {
        panic!("expected DialAnswered, got {answered:?}");
    };
    assert_eq!(user, "1002");
    assert!(String::from_utf8_lossy(&sdp).contains("m=audio"));
    assert!(
        callee.wait_event("CALL_ESTABLISHED").await,
        "{}",
        callee.log()
    );
    assert!(
        callee.log().contains("5000"),
        "the callee sees the presented caller id: {}",
        callee.log()
    );

    // The callee hangs up: the caller stays with the application.
    callee.command("hangup", "").await;
    assert_eq!(event(&mut call).await, AppEvent::DialHungUp);

    // Dial again, then the application drops the dial once answered.
    let mark = callee.seen_count();
    call.dial(DialRequest {
        users: vec!["1002".into()],
        caller_id: None,
        offer: app_sdp(),
    });
    loop {
        match event(&mut call).await {
            AppEvent::DialRinging { .. } => {}
            AppEvent::DialAnswered { .. } => break,
            other => panic!("expected an answer, got {other:?}"),
        }
    }
    assert!(
        callee.wait_event_since(mark, "CALL_ESTABLISHED").await,
        "{}",
        callee.log()
    );
    call.drop_dial();
    assert!(
        callee.wait_event_since(mark, "CALL_CLOSED").await,
        "{}",
        callee.log()
    );
    // The caller is still connected to the application.
    call.hangup();
    assert_eq!(
        event(&mut call).await,
        AppEvent::Ended(CallOutcome::CalleeHungUp)
    );
    assert!(caller.wait_event("CALL_CLOSED").await, "{}", caller.log());
    // A call that had a B leg may still see its late responses: it is
    // kept the full 64*T1.
    assert!(wait_for(PATIENCE, || service.live_calls() == 0).await);
    tokio::time::sleep(Duration::from_secs(4)).await;
    assert_eq!(
        service.held_calls(),
        1,
        "the bridged call was forgotten early"
    );
    drop((caller, callee));
    service.shutdown().await;
}
