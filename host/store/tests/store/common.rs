//! Runs each scenario against SQLite (a temporary data directory) and, when
//! `PBX_TEST_POSTGRES_URL` is set, against PostgreSQL in a fresh database
//! of its own, so tests run in parallel without seeing each other.

use std::future::Future;

use pbx_store::{Store, StoreConfig, TenantId, TenantSpec};
use sqlx::Connection;
use sqlx::Executor;
use tempfile::TempDir;

/// One engine under test, with what keeps it alive.
pub struct Backend {
    pub name: &'static str,
    pub store: Store,
    pub _dir: TempDir,
}

/// A fresh, empty PostgreSQL database on the test server; its URL.
pub async fn fresh_pg_database(admin_url: &str) -> String {
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(admin_url)
        .await
        .expect("connect to PBX_TEST_POSTGRES_URL");
    admin
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .expect("create test database");
    let (base, _) = admin_url.rsplit_once('/').expect("URL has a database");
    format!("{base}/{name}")
}

/// The PostgreSQL URL, failing loudly when required but missing.
pub fn pg_url() -> Option<String> {
    match std::env::var("PBX_TEST_POSTGRES_URL") {
        Ok(u) if !u.is_empty() => Some(u),
        _ => {
            if std::env::var("PBX_REQUIRE_POSTGRES").as_deref() == Ok("1") {
                panic!(
                    "PBX_REQUIRE_POSTGRES=1 but PBX_TEST_POSTGRES_URL is not set: \
                     run `source scripts/test-postgres.sh` first"
                );
            }
            None
        }
    }
}

/// Every backend available to this run.
pub async fn backends() -> Vec<Backend> {
    let mut out = Vec::new();
    let dir = TempDir::new().unwrap();
    let config = StoreConfig::sqlite(dir.path());
    out.push(Backend {
        name: "sqlite",
        store: Store::open(&config).await.expect("open SQLite store"),
        _dir: dir,
    });
    if let Some(admin) = pg_url() {
        let url = fresh_pg_database(&admin).await;
        let dir = TempDir::new().unwrap();
        let config = StoreConfig::postgres(dir.path(), url);
        out.push(Backend {
            name: "postgres",
            store: Store::open(&config).await.expect("open PostgreSQL store"),
            _dir: dir,
        });
    }
    out
}

/// Runs `scenario` on every backend, saying which one on failure.
pub async fn on_each<F, Fut>(scenario: F)
where
    F: Fn(Store) -> Fut,
    Fut: Future<Output = ()>,
{
    for b in backends().await {
        eprintln!("-- backend: {}", b.name);
        scenario(b.store.clone()).await;
        b.store.close().await;
    }
}

/// A tenant spec with generous limits.
pub fn tenant_spec(name: &str) -> TenantSpec {
    TenantSpec {
        name: name.to_string(),
        max_inbound_calls: 10,
        max_outbound_calls: 10,
        max_extensions: 100,
        max_dids: 10,
        language: "fr-FR".into(),
        time_zone: "Europe/Paris".into(),
        fallback_destination: Some("100".into()),
    }
}

/// Creates a tenant called `name`.
pub async fn tenant(store: &Store, name: &str) -> TenantId {
    store
        .create_tenant("test", &tenant_spec(name))
        .await
        .unwrap()
        .id
}
