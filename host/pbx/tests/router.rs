//! The call router against a real SQLite store and the routing cache: the
//! demo IVR number runs its flow, extension-to-extension calls stay with
//! the SIP service, blocked callers get 603, the tenant's concurrent-call
//! limit gives 486, an extension's personal flow runs when it is called,
//! and callers who belong to no tenant are left to the SIP service.
//!
//! Needs the office-hours template built by `scripts/build-flows.sh`.

use pbx::call::limits::TenantCalls;
use pbx::call::router::{BLOCKED_STATUS, LIMIT_STATUS};
use pbx::call::{Resolution, Router};
use pbx_flow::{FlowEngine, FlowLimits};
use pbx_sip::service::NewCall;
use pbx_store::repo::extensions::{ClassOfService, ExtensionSpec};
use pbx_store::{BlockedSpec, MatchKind, RoutingCache, Store, StoreConfig};
use std::path::PathBuf;

fn template() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let path = target.join("wasm32-wasip2/flow/office_hours.wasm");
    assert!(
        path.exists(),
        "{} is missing: run scripts/build-flows.sh first",
        path.display()
    );
    path
}

fn extension(number: &str) -> ExtensionSpec {
    ExtensionSpec {
        number: number.into(),
        display_name: format!("Ext {number}"),
        sip_username: format!("u{number}"),
        sip_password: "a-long-secret".into(),
        voicemail_pin: None,
        class_of_service: ClassOfService::National,
        pickup_group: None,
        call_group: None,
        forwarding: Vec::new(),
        personal_flow_id: None,
        personal_flow_params: serde_json::Value::Null,
        language: None,
    }
}

fn internal(caller: &str, callee: &str) -> NewCall {
    NewCall {
        caller: caller.into(),
        callee: callee.into(),
        trunk: None,
        source: "127.0.0.1:5062".parse().unwrap(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn routes_flows_builtin_calls_blocked_callers_limits_and_personal_flows() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&StoreConfig::sqlite(dir.path())).await.unwrap();
    let seeded = pbx_api::server::seed(&store, "acme", "an-admin-password")
        .await
        .unwrap();
    let tenant = seeded.tenant.id;
    let mut ids = Vec::new();
    for n in ["1001", "1002", "1003"] {
        ids.push(
            store
                .create_extension("test", tenant, &extension(n))
                .await
                .unwrap(),
        );
    }
    let engine = FlowEngine::new(FlowLimits::default(), None).unwrap();
    pbx::demo::seed_ivr(&store, &engine, tenant, &template())
        .await
        .unwrap();
    let cache = RoutingCache::load(&store).await.unwrap();
    let calls = TenantCalls::new();
    let router = Router::new(cache.clone(), calls.clone());

    // The IVR number runs the active office-hours version.
    let Resolution::Flow(route) = router.resolve(&internal("u1001", "5000")) else {
        panic!("5000 should run a flow");
    };
    assert_eq!(route.flow_name, "office-hours");
    assert_eq!(route.version, 1);
    assert_eq!(route.language, "en-GB");
    // Extension to extension: the SIP service rings it.
    assert!(matches!(
        router.resolve(&internal("u1001", "1002")),
        Resolution::Builtin
    ));
    // Not a tenant's user: the SIP service decides (and refuses).
    assert!(matches!(
        router.resolve(&internal("stranger", "5000")),
        Resolution::Builtin
    ));

    // A blocked caller number (the extension's number, not its user name).
    store
        .create_blocked(
            "test",
            tenant,
            &BlockedSpec {
                number: "1003".into(),
                match_kind: MatchKind::Exact,
                reason: "test".into(),
            },
        )
        .await
        .unwrap();
    cache.reload_tenant(tenant).await.unwrap();
    assert!(matches!(
        router.resolve(&internal("u1003", "5000")),
        Resolution::Reject(BLOCKED_STATUS, "blocked")
    ));
    assert!(matches!(
        router.resolve(&internal("u1001", "5000")),
        Resolution::Flow(_)
    ));

    // The tenant's concurrent-call limit (10 for a seeded tenant).
    let key = tenant.to_string();
    let live: Vec<_> = (0..10).map(|_| calls.enter(&key)).collect();
    assert!(matches!(
        router.resolve(&internal("u1001", "5000")),
        Resolution::Reject(LIMIT_STATUS, "limit")
    ));
    drop(live);
    assert!(matches!(
        router.resolve(&internal("u1001", "5000")),
        Resolution::Flow(_)
    ));

    // 1002's personal flow runs when 1002 is called.
    let flow = cache
        .tenant(tenant)
        .unwrap()
        .flows
        .values()
        .next()
        .unwrap()
        .id;
    let mut spec = extension("1002");
    spec.personal_flow_id = Some(flow);
    store
        .update_extension("test", tenant, ids[1].id, &spec)
        .await
        .unwrap();
    cache.reload_tenant(tenant).await.unwrap();
    let Resolution::Flow(route) = router.resolve(&internal("u1001", "1002")) else {
        panic!("1002's personal flow should run");
    };
    assert_eq!(route.route_name, "personal flow of 1002");
}
