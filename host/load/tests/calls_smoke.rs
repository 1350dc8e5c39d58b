//! The call scenario against an in-process service: about 50 calls at a
//! modest rate must nearly all be answered and completed. No timing
//! assertion: the machine may be loaded.

use pbx_load::calls::{self, CallsConfig};
use pbx_load::serve::{Accounts, start_service};
use pbx_sip::service::ServiceHandle;
use std::time::Duration;

/// `users` accounts from `first_user` (password `s3cret`, realm
/// `pbx.test`) and the SIP service serving them on a free port.
async fn service(users: usize, first_user: u32) -> (Accounts, ServiceHandle) {
    let accounts = Accounts {
        users,
        first_user,
        password: "s3cret".into(),
        realm: "pbx.test".into(),
    };
    let service = start_service(&accounts, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    (accounts, service)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_answered() {
    let (accounts, service) = service(20, 7000).await;
    let config = CallsConfig {
        target: service.udp_addr().unwrap(),
        users: accounts.users,
        first_user: accounts.first_user,
        password: accounts.password.clone(),
        realm: accounts.realm.clone(),
        rate: 50.0,
        duration: Duration::from_secs(1),
        hold: Duration::from_millis(20),
        concurrency: 64,
        sources: 2,
        plan: Default::default(),
    };
    let result = calls::run(config).await.unwrap();
    let report = calls::render(&result, None);
    assert_eq!(result.callees_registered, 10, "{report}");
    assert!(result.attempted >= 40, "{report}");
    assert!(result.ser() >= 0.98, "{report}");
    assert!(
        result.completed as f64 >= 0.98 * result.attempted as f64,
        "{report}"
    );
    // The callee side really answered through the B2BUA.
    assert!(result.uas_invites >= result.answered, "{report}");
    assert!(service.lookup("sip:7000@pbx.test").len() == 1);
    service.shutdown().await;
}

/// Calls carrying G.711 both ways: the in-process service passes SDP
/// through, so each caller and callee exchange RTP directly; the callee
/// answers with the other G.711 law when asked, and DTMF sent by the
/// caller reaches the callee.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_carry_rtp_both_ways() {
    use pbx_load::calls::{CallPlan, Callees};
    use pbx_load::media::{Codec, MediaPlan};
    let (accounts, service) = service(8, 7100).await;
    let plan = |codec, dtmf: Vec<(Duration, char)>| MediaPlan {
        codec,
        dtmf,
        dtmf_payload_type: 101,
        late_after: Duration::from_millis(40),
        ..MediaPlan::default()
    };
    let config = CallsConfig {
        target: service.udp_addr().unwrap(),
        users: accounts.users,
        first_user: accounts.first_user,
        password: accounts.password.clone(),
        realm: accounts.realm.clone(),
        rate: 8.0,
        duration: Duration::from_millis(500),
        hold: Duration::from_millis(1000),
        concurrency: 16,
        sources: 2,
        plan: CallPlan {
            callees: Callees::Registered,
            media: Some(plan(Codec::Pcmu, vec![(Duration::from_millis(300), '5')])),
            callee_media: Some(plan(Codec::Pcmu, vec![])),
            ..CallPlan::default()
        },
    };
    let result = calls::run(config).await.unwrap();
    let report = calls::render(&result, None);
    assert!(result.attempted >= 3, "{report}");
    assert_eq!(result.failed(), 0, "{report}");
    let (a, b) = (
        result.caller_media.clone().expect("caller media"),
        result.callee_media.clone().expect("callee media"),
    );
    // About 50 packets a second each way for about a second per call.
    let calls = result.completed;
    assert!(a.received >= 30 * calls, "{report}\n{a:?}");
    assert!(b.received >= 30 * calls, "{report}\n{b:?}");
    assert_eq!(a.lost + b.lost, 0, "{a:?} {b:?}");
    assert_eq!(b.dtmf_received.matches('5').count() as u64, calls, "{b:?}");
    service.shutdown().await;
}
