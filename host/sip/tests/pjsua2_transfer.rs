//! Transfers from pjsua2 through the service: attended (REFER with
//! Replaces, RFC 5589 section 7) and blind (REFER), with baresip phones as
//! the other parties.
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

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn attended_transfer_joins_the_caller_and_the_consulted_party() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let pbx = service.udp_addr().unwrap();
    let options = Pjsua2Options::new("1002", PASSWORD).answering(200, Duration::ZERO);
    let mut agent = Pjsua2::start(pbx, &options, PATIENCE).await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    let mut target = Baresip::start(pbx, PASSWORD, "1003", "auto").await;
    registered(&service, "1002", || agent.log()).await;
    registered(&service, "1001", || caller.log()).await;
    registered(&service, "1003", || target.log()).await;

    // 1001 calls the agent 1002, who answers, holds, and consults 1003.
    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        agent.wait_event("CONFIRMED").await.is_some(),
        "{}",
        agent.log()
    );
    assert!(
        caller.wait_event("CALL_ESTABLISHED").await,
        "{}",
        caller.log()
    );
    let mark = agent.mark();
    agent.command("hold");
    assert!(agent.wait_since(mark, "OK hold").await.is_some());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let mark = agent.mark();
    agent.command(&format!("dial sip:1003@{pbx}"));
    assert!(
        agent.wait_since(mark, "CONFIRMED").await.is_some(),
        "{}",
        agent.log()
    );
    assert!(
        target.wait_event("CALL_ESTABLISHED").await,
        "{}",
        target.log()
    );
    assert_eq!(service.live_calls(), 2);

    // The agent transfers: 1001 and 1003 end up together.
    let mark = agent.mark();
    agent.command("xfer_replaces");
    assert!(
        agent.wait_since(mark, "OK xfer_replaces").await.is_some(),
        "{}",
        agent.log()
    );
    assert!(
        wait_for(PATIENCE, || service.live_calls() == 1).await,
        "consultation call not ended: {:?}\n{}",
        service.calls(),
        agent.log()
    );
    assert_eq!(service.calls()[0].outcome, CallOutcome::Transferred);
    // The agent is released from both calls.
    assert!(
        wait_for(PATIENCE, || agent
            .events()
            .iter()
            .filter(|e| e.starts_with("DISCONNECTED"))
            .count()
            == 2)
        .await,
        "{}",
        agent.log()
    );
    // 1001 hangs up: 1003, now its peer, gets the BYE.
    caller.command("hangup", "").await;
    assert!(target.wait_event("CALL_CLOSED").await, "{}", target.log());
    assert!(wait_for(PATIENCE, || service.calls().len() == 2).await);
    let call = service.calls()[1].clone();
    assert_eq!(call.transfers, 1, "{call:?}");
    assert_eq!(call.outcome, CallOutcome::CallerHungUp, "{call:?}");
    drop((agent, caller, target));
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blind_transfer_from_pjsua2() {
    let _serial = SERIAL.lock().await;
    let service = service().await;
    let pbx = service.udp_addr().unwrap();
    let options = Pjsua2Options::new("1002", PASSWORD).answering(200, Duration::ZERO);
    let mut agent = Pjsua2::start(pbx, &options, PATIENCE).await;
    let mut caller = Baresip::start(pbx, PASSWORD, "1001", "manual").await;
    let mut target = Baresip::start(pbx, PASSWORD, "1003", "auto").await;
    registered(&service, "1002", || agent.log()).await;
    registered(&service, "1001", || caller.log()).await;
    registered(&service, "1003", || target.log()).await;
    caller.command("dial", &format!("sip:1002@{pbx}")).await;
    assert!(
        agent.wait_event("CONFIRMED").await.is_some(),
        "{}",
        agent.log()
    );
    assert!(
        caller.wait_event("CALL_ESTABLISHED").await,
        "{}",
        caller.log()
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    agent.command(&format!("xfer sip:1003@{pbx}"));
    assert!(
        target.wait_event("CALL_ESTABLISHED").await,
        "{}\n{}",
        target.log(),
        agent.log()
    );
    assert!(
        agent.wait_event("DISCONNECTED").await.is_some(),
        "{}",
        agent.log()
    );
    caller.command("hangup", "").await;
    assert!(target.wait_event("CALL_CLOSED").await, "{}", target.log());
    assert!(wait_for(PATIENCE, || !service.calls().is_empty()).await);
    assert_eq!(service.calls()[0].transfers, 1);
    drop((agent, caller, target));
    service.shutdown().await;
}

async fn service() -> ServiceHandle {
    service_for(&["1001", "1002", "1003"], |_| {}).await
}
