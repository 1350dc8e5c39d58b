//! Store benchmarks: what a call pays for routing (cache vs database) and
//! for its call record (batched vs one transaction each).
//!
//! `cargo bench -p pbx-store --bench store`; with `PBX_TEST_POSTGRES_URL`
//! set, the call-record benches run on PostgreSQL too (in a fresh
//! database).

use std::time::Duration;

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use pbx_store::{
    BlockedSpec, CallRecord, CallRecordId, ClassOfService, DidSpec, Direction, ExtensionSpec,
    InboundRouteSpec, MatchKind, Outcome, RouteTarget, RoutingCache, Store, StoreConfig, TenantId,
    TenantSpec,
};
use sqlx::{Connection, Executor, Row};

const TENANTS: usize = 50;
const DIDS_PER_TENANT: usize = 10;

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

fn tenant_spec(i: usize) -> TenantSpec {
    TenantSpec {
        name: format!("t{i}"),
        max_inbound_calls: 10,
        max_outbound_calls: 10,
        max_extensions: 100,
        max_dids: 100,
        language: "fr".into(),
        time_zone: "Europe/Paris".into(),
        fallback_destination: None,
    }
}

/// 50 tenants, each with 10 DIDs, 10 extensions, 10 routes and a few
/// blocked prefixes.
async fn populate(store: &Store) {
    for t in 0..TENANTS {
        let id = store
            .create_tenant("bench", &tenant_spec(t))
            .await
            .unwrap()
            .id;
        for d in 0..DIDS_PER_TENANT {
            let number = format!("+331{t:04}{d:04}");
            store
                .create_did(
                    "bench",
                    id,
                    &DidSpec {
                        number: number.clone(),
                        description: "".into(),
                    },
                )
                .await
                .unwrap();
            let ext = store
                .create_extension(
                    "bench",
                    id,
                    &ExtensionSpec {
                        number: format!("{}", 100 + d),
                        display_name: "x".into(),
                        sip_username: format!("u{d}"),
                        sip_password: "long enough password".into(),
                        voicemail_pin: None,
                        class_of_service: ClassOfService::National,
                        pickup_group: None,
                        call_group: None,
                        forwarding: vec![],
                        personal_flow_id: None,
                        personal_flow_params: serde_json::json!({}),
                        language: None,
                    },
                )
                .await
                .unwrap();
            store
                .create_inbound_route(
                    "bench",
                    id,
                    &InboundRouteSpec {
                        name: format!("r{d}"),
                        pattern: number,
                        priority: 10,
                        target: RouteTarget::Extension {
                            extension_id: ext.id,
                        },
                        params: serde_json::json!({}),
                    },
                )
                .await
                .unwrap();
        }
        for p in 0..5 {
            store
                .create_blocked(
                    "bench",
                    id,
                    &BlockedSpec {
                        number: format!("+3389{p}"),
                        match_kind: MatchKind::Prefix,
                        reason: "".into(),
                    },
                )
                .await
                .unwrap();
        }
    }
}

fn routing(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::TempDir::new().unwrap();
    let store = rt.block_on(Store::open_data_dir(dir.path())).unwrap();
    rt.block_on(populate(&store));
    let cache = rt.block_on(RoutingCache::load(&store)).unwrap();
    let dialled = format!("+331{:04}{:04}", TENANTS / 2, 7);
    let mut group = c.benchmark_group("routing");
    group
        .measurement_time(Duration::from_secs(3))
        .sample_size(20);
    group.bench_function("cache: DID -> tenant -> route -> blocked check", |b| {
        b.iter(|| {
            let t = cache.tenant_for_did(&dialled).unwrap();
            let route = t.inbound_route(&dialled).unwrap();
            assert!(!t.is_blocked("+33612345678"));
            route.id
        })
    });
    group.bench_function("SQLite: the same three reads as queries", |b| {
        b.to_async(&rt).iter(|| async {
            let pool = store.pool();
            let tenant: String = sqlx::query("SELECT tenant_id FROM dids WHERE number = $1")
                .bind(dialled.as_str())
                .fetch_one(pool)
                .await
                .unwrap()
                .get(0);
            let routes =
                sqlx::query("SELECT * FROM inbound_routes WHERE tenant_id = $1 ORDER BY priority")
                    .bind(tenant.as_str())
                    .fetch_all(pool)
                    .await
                    .unwrap();
            let blocked =
                sqlx::query("SELECT number, match_kind FROM blocked_numbers WHERE tenant_id = $1")
                    .bind(tenant.as_str())
                    .fetch_all(pool)
                    .await
                    .unwrap();
            routes.len() + blocked.len()
        })
    });
    group.finish();
}

fn record(tenant: TenantId, i: i64) -> CallRecord {
    let start = Utc.timestamp_millis_opt(1_780_000_000_000 + i).unwrap();
    CallRecord {
        id: CallRecordId::new(),
        tenant_id: tenant,
        call_id: format!("bench-{i}"),
        direction: Direction::Inbound,
        caller: "+33600000000".into(),
        caller_name: None,
        dialled: "+33100000000".into(),
        did: Some("+33100000000".into()),
        started_at: start,
        answered_at: Some(start),
        ended_at: start + chrono::Duration::seconds(60),
        outcome: Outcome::Answered,
        hangup_cause: "BYE".into(),
        flow_name: Some("ivr".into()),
        flow_version: Some(1),
        legs: vec![],
        trace: serde_json::json!([{"event": "answer"}, {"event": "menu", "digit": "1"}]),
    }
}

async fn pg_store(admin: &str, dir: &std::path::Path) -> Store {
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(admin).await.unwrap();
    conn.execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap();
    let (base, _) = admin.rsplit_once('/').unwrap();
    Store::open(&StoreConfig::postgres(dir, format!("{base}/{name}")))
        .await
        .unwrap()
}

fn call_records(c: &mut Criterion) {
    let rt = runtime();
    let dir = tempfile::TempDir::new().unwrap();
    let mut engines = vec![(
        "sqlite",
        rt.block_on(Store::open_data_dir(dir.path())).unwrap(),
    )];
    if let Ok(url) = std::env::var("PBX_TEST_POSTGRES_URL") {
        engines.push(("postgres", rt.block_on(pg_store(&url, dir.path()))));
    }
    const N: usize = 200;
    let mut group = c.benchmark_group("call_records");
    group
        .measurement_time(Duration::from_secs(5))
        .sample_size(10)
        .throughput(Throughput::Elements(N as u64));
    for (name, store) in &engines {
        let tenant = rt
            .block_on(store.create_tenant("bench", &tenant_spec(0)))
            .unwrap()
            .id;
        let mut i = 0i64;
        group.bench_function(BenchmarkId::new("one transaction per record", name), |b| {
            b.to_async(&rt).iter(|| {
                let batch: Vec<_> = (0..N)
                    .map(|_| {
                        i += 1;
                        record(tenant, i)
                    })
                    .collect();
                async move {
                    for r in &batch {
                        store
                            .insert_call_records(std::slice::from_ref(r))
                            .await
                            .unwrap();
                    }
                }
            })
        });
        group.bench_function(BenchmarkId::new("one transaction per batch", name), |b| {
            b.to_async(&rt).iter(|| {
                let batch: Vec<_> = (0..N)
                    .map(|_| {
                        i += 1;
                        record(tenant, i)
                    })
                    .collect();
                async move { store.insert_call_records(&batch).await.unwrap() }
            })
        });
    }
    group.finish();
}

criterion_group!(benches, routing, call_records);
criterion_main!(benches);
