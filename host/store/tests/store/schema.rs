//! The schema is applied at open, idempotently, with the pragmas asked for.

use pbx_store::{Engine, Store, StoreConfig};
use sqlx::Row;

use crate::common::{fresh_pg_database, on_each, pg_url};

const TABLES: &[&str] = &[
    "tenants",
    "users",
    "api_tokens",
    "flows",
    "flow_versions",
    "extensions",
    "dids",
    "inbound_routes",
    "trunks",
    "outbound_routes",
    "holiday_calendars",
    "holidays",
    "schedules",
    "schedule_ranges",
    "schedule_calendars",
    "closures",
    "incident_flags",
    "blocked_numbers",
    "contacts",
    "call_records",
    "voicemail_messages",
    "recordings",
    "audit_log",
    "registrations",
    "tenant_kv",
];

#[tokio::test]
async fn every_table_exists_on_both_engines() {
    on_each(|store| async move {
        for t in TABLES {
            let sql = format!("SELECT COUNT(*) FROM {t}");
            let n: i64 = sqlx::query(&sql)
                .fetch_one(store.pool())
                .await
                .unwrap()
                .get(0);
            assert_eq!(n, 0, "{t} starts empty");
        }
    })
    .await;
}

#[tokio::test]
async fn sqlite_uses_wal_foreign_keys_and_a_file_in_the_data_directory() {
    let dir = tempfile::TempDir::new().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    assert_eq!(store.engine(), Engine::Sqlite);
    assert!(dir.path().join("pbx.db").exists());
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode.to_lowercase(), "wal");
    let fk: i64 = sqlx::query("PRAGMA foreign_keys")
        .fetch_one(store.pool())
        .await
        .unwrap()
        .get(0);
    assert_eq!(fk, 1);
    let tenant = crate::common::tenant(&store, "acme").await;
    store.close().await;
    // Reopening applies nothing twice and keeps the data.
    let again = Store::open_data_dir(dir.path()).await.unwrap();
    assert_eq!(again.get_tenant(tenant).await.unwrap().spec.name, "acme");
}

#[tokio::test]
async fn reopening_postgres_keeps_data() {
    let Some(admin) = pg_url() else { return };
    let url = fresh_pg_database(&admin).await;
    let dir = tempfile::TempDir::new().unwrap();
    let config = StoreConfig::postgres(dir.path(), &url);
    let store = Store::open(&config).await.unwrap();
    let tenant = crate::common::tenant(&store, "acme").await;
    store.close().await;
    drop(store);
    let again = Store::open(&config).await.unwrap();
    assert_eq!(again.engine(), Engine::Postgres);
    assert_eq!(again.get_tenant(tenant).await.unwrap().spec.name, "acme");
}

#[tokio::test]
async fn an_unreachable_postgres_says_what_to_check() {
    let dir = tempfile::TempDir::new().unwrap();
    let config = StoreConfig::postgres(dir.path(), "postgres://nobody@127.0.0.1:1/none");
    let err = Store::open(&config).await.unwrap_err().to_string();
    assert!(err.contains("check the URL"), "{err}");
}

#[tokio::test]
async fn a_data_directory_sqlite_cannot_name_is_refused() {
    let dir = tempfile::TempDir::new().unwrap();
    let err = Store::open_data_dir(dir.path().join("what?"))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, pbx_store::StoreError::Invalid { field, .. } if field == "data_dir"),
        "{err}"
    );
}
