//! The service as the end-to-end tests start it: users with one password,
//! MD5 digest (baresip 1.0.0 cannot answer a SHA-256 challenge), loopback
//! UDP and TCP on ephemeral ports; and waiting for what it records.

use super::{PATIENCE, wait_for};
use pbx_sip::auth::{Algorithm, InMemoryCredentials};
use pbx_sip::service::{CallRecord, ServiceConfig, ServiceHandle, start};
use std::sync::Arc;

/// The realm of [`service_for`].
pub const TEST_REALM: &str = "pbx.test";
/// Every user's password in [`service_for`].
pub const TEST_PASSWORD: &str = "s3cret";

/// A service where `users` exist with [`TEST_PASSWORD`], offering MD5,
/// after `adjust` changed its configuration.
pub async fn service_for(users: &[&str], adjust: impl FnOnce(&mut ServiceConfig)) -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    for user in users {
        creds.add_password(TEST_REALM, user, TEST_PASSWORD);
    }
    let mut config =
        ServiceConfig::new(TEST_REALM, Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    config.auth.algorithms = vec![Algorithm::Md5];
    adjust(&mut config);
    start(config).await.expect("service starts")
}

/// Wait until `user` (at 127.0.0.1) has a binding; `log` explains a
/// failure.
pub async fn registered(service: &ServiceHandle, user: &str, log: impl Fn() -> String) {
    let aor = format!("sip:{user}@127.0.0.1");
    assert!(
        wait_for(PATIENCE, || !service.lookup(&aor).is_empty()).await,
        "{user} did not register; stats {:?}\n{}",
        service.stats(),
        log()
    );
}

/// The first call log entry, once there is one.
pub async fn ended_call(service: &ServiceHandle) -> CallRecord {
    wait_for(PATIENCE, || !service.calls().is_empty()).await;
    service.calls().first().cloned().expect("a call record")
}
