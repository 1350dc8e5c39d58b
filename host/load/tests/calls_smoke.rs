//! The call scenario against an in-process service: about 50 calls at a
//! modest rate must nearly all be answered and completed. No timing
//! assertion: the machine may be loaded.

use pbx_load::calls::{self, CallsConfig};
use pbx_load::serve::{Accounts, start_service};
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_answered() {
    let accounts = Accounts {
        users: 20,
        first_user: 7000,
        password: "s3cret".into(),
        realm: "pbx.test".into(),
    };
    let service = start_service(&accounts, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
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
