//! The REGISTER scenario against an in-process service: 200 users at a
//! modest rate for about a second must nearly all succeed. No timing
//! assertion: the machine may be loaded.

use pbx_load::register::{self, AlgorithmChoice, RegisterConfig};
use pbx_load::serve::{Accounts, start_service};
use std::time::Duration;

async fn storm(algorithm: AlgorithmChoice) {
    let accounts = Accounts {
        users: 200,
        first_user: 5000,
        password: "s3cret".into(),
        realm: "pbx.test".into(),
    };
    let service = start_service(&accounts, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let config = RegisterConfig {
        target: service.udp_addr().unwrap(),
        users: accounts.users,
        first_user: accounts.first_user,
        password: accounts.password.clone(),
        realm: accounts.realm.clone(),
        rate: Some(200.0),
        concurrency: 64,
        duration: Duration::from_secs(1),
        sources: 2,
        algorithm,
        expires: 3600,
    };
    let result = register::run(config).await.unwrap();
    assert!(result.attempted >= 100, "{result:?}");
    assert!(
        result.success_ratio() >= 0.99,
        "{}",
        pbx_load::report::render(&result, None)
    );
    assert!(service.lookup("sip:5000@pbx.test").len() == 1);
    assert!(service.stats().registered >= result.succeeded);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_storm_succeeds_sha256() {
    storm(AlgorithmChoice::Auto).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_storm_succeeds_md5() {
    storm(AlgorithmChoice::Only(pbx_sip::auth::Algorithm::Md5)).await;
}
