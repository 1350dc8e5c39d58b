//! The routing cache answers from memory and follows changes, also across
//! two nodes sharing one PostgreSQL database.

use std::time::Duration;

use chrono::{TimeZone, Utc};
use pbx_store::{
    BlockedSpec, CalendarSpec, CallerIdMode, ChangeKind, ClassOfService, FlagSpec, FlowSpec,
    InboundRouteSpec, MatchKind, OutboundRouteSpec, RouteTarget, RoutingCache, ScheduleSpec, Store,
    StoreConfig,
};

use crate::calendars::{national, office};
use crate::common::{fresh_pg_database, on_each, pg_url, tenant};
use crate::flows::component;
use crate::routes::{did, trunk};
use crate::tenants::extension;

/// Polls `check` until it holds, failing after 5 s.
async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting until {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn routing_reads_come_from_the_snapshot() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        store
            .create_did("admin", a, &did("+33123456789"))
            .await
            .unwrap();
        let ext = store
            .create_extension("admin", a, &extension("100"))
            .await
            .unwrap();
        let flow = store
            .create_flow(
                "admin",
                a,
                &FlowSpec {
                    name: "ivr".into(),
                    description: "".into(),
                },
            )
            .await
            .unwrap();
        let v1 = store
            .create_flow_version("admin", a, flow.id, &component(1), &serde_json::json!({}))
            .await
            .unwrap();
        store
            .activate_flow_version("admin", a, flow.id, Some(v1.id))
            .await
            .unwrap();
        let route = |name: &str, pattern: &str, priority, target| InboundRouteSpec {
            name: name.into(),
            pattern: pattern.into(),
            priority,
            target,
            params: serde_json::json!({"greeting": name}),
        };
        store
            .create_inbound_route(
                "admin",
                a,
                &route(
                    "catch-all",
                    "*",
                    10,
                    RouteTarget::Extension {
                        extension_id: ext.id,
                    },
                ),
            )
            .await
            .unwrap();
        store
            .create_inbound_route(
                "admin",
                a,
                &route(
                    "main",
                    "+33123456789",
                    10,
                    RouteTarget::Flow {
                        flow_id: flow.id,
                        version: None,
                    },
                ),
            )
            .await
            .unwrap();
        let t = store
            .create_trunk("admin", a, &trunk("carrier"))
            .await
            .unwrap();
        let out = |name: &str, class| OutboundRouteSpec {
            name: name.into(),
            pattern: "00*".into(),
            priority: if class == ClassOfService::International {
                1
            } else {
                2
            },
            class_of_service: class,
            trunk_id: t.id,
            strip_digits: 0,
            prepend: "".into(),
            caller_id_mode: CallerIdMode::Extension,
            caller_id_number: None,
        };
        store
            .create_outbound_route("admin", a, &out("intl", ClassOfService::International))
            .await
            .unwrap();
        store
            .create_blocked(
                "admin",
                a,
                &BlockedSpec {
                    number: "+33899".into(),
                    match_kind: MatchKind::Prefix,
                    reason: "".into(),
                },
            )
            .await
            .unwrap();
        store
            .create_calendar(
                "admin",
                a,
                &CalendarSpec {
                    name: "national".into(),
                    holidays: national(),
                },
            )
            .await
            .unwrap();
        store
            .create_schedule(
                "admin",
                a,
                &ScheduleSpec {
                    name: "office".into(),
                    schedule: office(),
                },
            )
            .await
            .unwrap();
        store
            .create_flag(
                "admin",
                a,
                &FlagSpec {
                    name: "outage".into(),
                    active: true,
                    message: None,
                    destination: Some("200".into()),
                },
            )
            .await
            .unwrap();

        let cache = RoutingCache::load(&store).await.unwrap();
        let r = cache.tenant_for_did("+33123456789").expect("DID known");
        assert_eq!(r.tenant.id, a);
        assert!(cache.tenant_for_did("+33000").is_none());
        // The exact pattern beats the catch-all at equal priority.
        let main = r.inbound_route("+33123456789").unwrap();
        assert_eq!(main.spec.name, "main");
        let resolved = r.resolve_flow(main).unwrap();
        assert_eq!(resolved.version.id, v1.id);
        assert_eq!(resolved.params["greeting"], "main");
        assert_eq!(r.inbound_route("+33999").unwrap().spec.name, "catch-all");
        assert!(r.is_blocked("+33899123") && !r.is_blocked("+33612"));
        assert_eq!(r.extension("100").unwrap().id, ext.id);
        assert!(
            r.outbound_route("0044123", ClassOfService::International)
                .is_some()
        );
        assert!(
            r.outbound_route("0044123", ClassOfService::National)
                .is_none(),
            "class of service applies"
        );
        // Monday 2026-05-25 is Whit Monday: closed; Tuesday 10:00 Paris: open.
        let whit = Utc.with_ymd_and_hms(2026, 5, 25, 8, 0, 0).unwrap();
        assert!(!r.schedule_status("office", whit).unwrap().open);
        let tuesday = Utc.with_ymd_and_hms(2026, 5, 26, 8, 0, 0).unwrap();
        assert!(r.schedule_status("office", tuesday).unwrap().open);
        assert_eq!(
            r.flag("outage").unwrap().spec.destination.as_deref(),
            Some("200")
        );
    })
    .await;
}

#[tokio::test]
async fn changes_reach_the_cache_without_a_restart() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let cache = RoutingCache::load(&store).await.unwrap();
        let held = cache.tenant(a).unwrap();
        let flow = store
            .create_flow(
                "admin",
                a,
                &FlowSpec {
                    name: "ivr".into(),
                    description: "".into(),
                },
            )
            .await
            .unwrap();
        let v1 = store
            .create_flow_version("admin", a, flow.id, &component(1), &serde_json::json!({}))
            .await
            .unwrap();
        let v2 = store
            .create_flow_version("admin", a, flow.id, &component(2), &serde_json::json!({}))
            .await
            .unwrap();
        store
            .activate_flow_version("admin", a, flow.id, Some(v1.id))
            .await
            .unwrap();
        store.create_did("admin", a, &did("+33100")).await.unwrap();
        store
            .create_inbound_route(
                "admin",
                a,
                &InboundRouteSpec {
                    name: "r".into(),
                    pattern: "*".into(),
                    priority: 1,
                    target: RouteTarget::Flow {
                        flow_id: flow.id,
                        version: None,
                    },
                    params: serde_json::json!({}),
                },
            )
            .await
            .unwrap();
        let active = |c: &RoutingCache| {
            c.tenant_for_did("+33100").and_then(|t| {
                t.inbound_route("+33100")
                    .and_then(|r| t.resolve_flow(r).map(|f| f.version.id))
            })
        };
        eventually("the route and v1 are cached", || {
            active(&cache) == Some(v1.id)
        })
        .await;
        // Hot swap: the new version serves new look-ups; a call holding the
        // old snapshot keeps it.
        store
            .activate_flow_version("admin", a, flow.id, Some(v2.id))
            .await
            .unwrap();
        eventually("v2 is active in the cache", || {
            active(&cache) == Some(v2.id)
        })
        .await;
        assert!(
            held.flows.is_empty(),
            "the snapshot a call holds does not change"
        );
        store.delete_tenant("root", a).await.unwrap();
        eventually("the tenant is gone", || {
            cache.tenant(a).is_none() && cache.tenant_for_did("+33100").is_none()
        })
        .await;
    })
    .await;
}

#[tokio::test]
async fn two_nodes_on_one_postgres_see_each_others_changes() {
    let Some(admin) = pg_url() else { return };
    let url = fresh_pg_database(&admin).await;
    let dir = tempfile::TempDir::new().unwrap();
    let node1 = Store::open(&StoreConfig::postgres(dir.path(), &url))
        .await
        .unwrap();
    let node2 = Store::open(&StoreConfig::postgres(dir.path(), &url))
        .await
        .unwrap();
    let mut feed2 = node2.subscribe();
    let mut feed1 = node1.subscribe();
    let cache2 = RoutingCache::load(&node2).await.unwrap();
    let a = tenant(&node1, "a").await;
    let change = tokio::time::timeout(Duration::from_secs(5), feed2.recv())
        .await
        .expect("notified")
        .unwrap();
    assert_eq!((change.tenant, change.kind), (Some(a), ChangeKind::Tenant));
    // The writing node announces its change once, not again from NOTIFY.
    assert_eq!(feed1.recv().await.unwrap().kind, ChangeKind::Tenant);
    node1.create_did("admin", a, &did("+33777")).await.unwrap();
    eventually("node 2's cache knows the DID", || {
        cache2.tenant_for_did("+33777").is_some()
    })
    .await;
    assert_eq!(feed1.recv().await.unwrap().kind, ChangeKind::Did);
    assert!(feed1.try_recv().is_err(), "no echo of node 1's own changes");
}

#[tokio::test]
async fn a_lost_listener_connection_makes_the_cache_reload_everything() {
    let Some(admin) = pg_url() else { return };
    let url = fresh_pg_database(&admin).await;
    let dir = tempfile::TempDir::new().unwrap();
    let node = Store::open(&StoreConfig::postgres(dir.path(), &url))
        .await
        .unwrap();
    let a = tenant(&node, "a").await;
    let cache = RoutingCache::load(&node).await.unwrap();
    // A row written behind the feed's back (no notification)...
    sqlx::query("INSERT INTO dids (id, tenant_id, number, description, created_at, updated_at) VALUES ($1, $2, '+33555', '', 0, 0)")
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(a.to_string())
        .execute(node.pool())
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(cache.tenant_for_did("+33555").is_none());
    // ...appears once the listener's connection drops and comes back.
    sqlx::query("SELECT pg_terminate_backend(pid)::text FROM pg_stat_activity WHERE datname = current_database() AND query LIKE 'LISTEN%'")
        .execute(node.pool())
        .await
        .unwrap();
    eventually("the cache reloaded after the reconnection", || {
        cache.tenant_for_did("+33555").is_some()
    })
    .await;
}
