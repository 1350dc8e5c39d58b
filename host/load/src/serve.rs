//! The `pbx-sip` service alone, with generated accounts.

use anyhow::{Context, Result};
use pbx_sip::auth::InMemoryCredentials;
use pbx_sip::service::{ServiceConfig, ServiceHandle, start};
use std::net::SocketAddr;
use std::sync::Arc;

/// Accounts to create.
#[derive(Debug, Clone)]
pub struct Accounts {
    /// How many.
    pub users: usize,
    /// Number of the first (see [`crate::user_name`]).
    pub first_user: u32,
    /// Password of each.
    pub password: String,
    /// Realm.
    pub realm: String,
}

/// Start the service on `bind` (UDP and TCP) with `accounts`, default
/// authentication (SHA-256 and MD5 offered) and an in-memory registrar.
/// The per-source rate limit is off: every load comes from one address,
/// which the default limit (20 requests/s) would throttle.
/// Must be called within a tokio runtime.
pub async fn start_service(accounts: &Accounts, bind: SocketAddr) -> Result<ServiceHandle> {
    let mut creds = InMemoryCredentials::new();
    for i in 0..accounts.users {
        let user = crate::user_name(accounts.first_user, i);
        creds.add_password(&accounts.realm, &user, &accounts.password);
    }
    let mut config = ServiceConfig::new(accounts.realm.clone(), Arc::new(creds), bind);
    // Every load client comes from 127.0.0.1: the per-source rate limit
    // that protects a real PBX would measure itself, not the PBX.
    config.rate_limit = None;
    start(config)
        .await
        .with_context(|| format!("starting the SIP service on {bind}"))
}
