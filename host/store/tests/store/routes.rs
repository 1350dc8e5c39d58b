//! DIDs, inbound and outbound routes, trunks, blocked numbers and flags.

use pbx_store::{
    BlockedSpec, CallerIdMode, ClassOfService, DidSpec, FlagSpec, InboundRouteSpec, MatchKind,
    OutboundRouteSpec, Page, RouteTarget, StoreError, TrunkSpec, TrunkTransport,
};

use crate::common::{on_each, tenant, tenant_spec};
use crate::tenants::extension;

pub fn did(number: &str) -> DidSpec {
    DidSpec {
        number: number.into(),
        description: "main".into(),
    }
}

pub fn trunk(name: &str) -> TrunkSpec {
    TrunkSpec {
        name: name.into(),
        host: "sip.carrier.example".into(),
        port: 5060,
        transport: TrunkTransport::Udp,
        username: Some("acct".into()),
        password: Some("secret".into()),
        register: true,
        max_calls: Some(30),
    }
}

#[tokio::test]
async fn a_did_belongs_to_one_tenant_pbx_wide_and_counts_against_the_limit() {
    on_each(|store| async move {
        let mut spec = tenant_spec("a");
        spec.max_dids = 1;
        let a = store.create_tenant("root", &spec).await.unwrap().id;
        let b = tenant(&store, "b").await;
        let d = store
            .create_did("admin", a, &did("+33123456789"))
            .await
            .unwrap();
        let taken = store
            .create_did("admin", b, &did("+33123456789"))
            .await
            .unwrap_err();
        assert!(matches!(taken, StoreError::Conflict { .. }), "{taken}");
        assert!(taken.to_string().contains("another tenant"));
        let over = store
            .create_did("admin", a, &did("+33999"))
            .await
            .unwrap_err();
        assert!(
            matches!(over, StoreError::LimitReached { limit: 1, .. }),
            "{over}"
        );
        assert!(matches!(
            store.get_did(b, d.id).await,
            Err(StoreError::NotFound { .. })
        ));
        store.delete_did("admin", a, d.id).await.unwrap();
        store
            .create_did("admin", b, &did("+33123456789"))
            .await
            .unwrap();
    })
    .await;
}

#[tokio::test]
async fn inbound_routes_target_only_the_same_tenants_rows() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let b = tenant(&store, "b").await;
        let ext_b = store
            .create_extension("admin", b, &extension("200"))
            .await
            .unwrap();
        let foreign = InboundRouteSpec {
            name: "to b".into(),
            pattern: "+331*".into(),
            priority: 10,
            target: RouteTarget::Extension {
                extension_id: ext_b.id,
            },
            params: serde_json::json!({}),
        };
        let err = store
            .create_inbound_route("admin", a, &foreign)
            .await
            .unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, .. } if field == "target.extension_id"),
            "{err}"
        );
        let ext_a = store
            .create_extension("admin", a, &extension("100"))
            .await
            .unwrap();
        let spec = InboundRouteSpec {
            target: RouteTarget::Voicemail {
                extension_id: ext_a.id,
            },
            ..foreign.clone()
        };
        let r = store.create_inbound_route("admin", a, &spec).await.unwrap();
        assert_eq!(store.get_inbound_route(a, r.id).await.unwrap().spec, spec);
        // The extension cannot go while the route points at it.
        let busy = store
            .delete_extension("admin", a, ext_a.id)
            .await
            .unwrap_err();
        assert!(matches!(busy, StoreError::Conflict { .. }), "{busy}");
        let queue = InboundRouteSpec {
            target: RouteTarget::Queue {
                queue: "support".into(),
            },
            ..spec
        };
        store
            .update_inbound_route("admin", a, r.id, &queue)
            .await
            .unwrap();
        store.delete_extension("admin", a, ext_a.id).await.unwrap();
        let bad = InboundRouteSpec {
            pattern: "1a*".into(),
            ..queue.clone()
        };
        assert!(matches!(
            store.create_inbound_route("admin", a, &bad).await,
            Err(StoreError::Invalid { .. })
        ));
        let bad = InboundRouteSpec {
            params: serde_json::json!([1]),
            name: "p".into(),
            ..queue
        };
        assert!(matches!(
            store.create_inbound_route("admin", a, &bad).await,
            Err(StoreError::Invalid { .. })
        ));
        assert_eq!(
            store
                .list_inbound_routes(a, Page::default())
                .await
                .unwrap()
                .total,
            1
        );
    })
    .await;
}

#[tokio::test]
async fn outbound_routes_need_a_trunk_of_the_tenant_and_keep_it_alive() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let b = tenant(&store, "b").await;
        let tb = store
            .create_trunk("admin", b, &trunk("carrier"))
            .await
            .unwrap();
        let ta = store
            .create_trunk("admin", a, &trunk("carrier"))
            .await
            .unwrap();
        assert_eq!(
            store.get_trunk(a, ta.id).await.unwrap().spec,
            trunk("carrier")
        );
        let spec = OutboundRouteSpec {
            name: "national".into(),
            pattern: "0XXXXXXXXX".into(),
            priority: 1,
            class_of_service: ClassOfService::National,
            trunk_id: tb.id,
            strip_digits: 1,
            prepend: "+33".into(),
            caller_id_mode: CallerIdMode::Fixed,
            caller_id_number: Some("+33123456789".into()),
        };
        assert!(matches!(
            store.create_outbound_route("admin", a, &spec).await,
            Err(StoreError::Invalid { .. })
        ));
        let spec = OutboundRouteSpec {
            trunk_id: ta.id,
            ..spec
        };
        let r = store
            .create_outbound_route("admin", a, &spec)
            .await
            .unwrap();
        assert_eq!(r.spec.rewrite("0612345678"), "+33612345678");
        assert!(matches!(
            store.delete_trunk("admin", a, ta.id).await,
            Err(StoreError::Conflict { .. })
        ));
        let no_number = OutboundRouteSpec {
            caller_id_number: None,
            name: "x".into(),
            ..spec
        };
        let err = store
            .create_outbound_route("admin", a, &no_number)
            .await
            .unwrap_err();
        assert!(err.to_string().contains("needs a number"), "{err}");
        store.delete_outbound_route("admin", a, r.id).await.unwrap();
        store.delete_trunk("admin", a, ta.id).await.unwrap();
    })
    .await;
}

#[tokio::test]
async fn blocked_numbers_and_flags() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let prefix = BlockedSpec {
            number: "+33899".into(),
            match_kind: MatchKind::Prefix,
            reason: "premium".into(),
        };
        let exact = BlockedSpec {
            number: "+33899".into(),
            match_kind: MatchKind::Exact,
            reason: "x".into(),
        };
        store.create_blocked("admin", a, &prefix).await.unwrap();
        store.create_blocked("admin", a, &exact).await.unwrap();
        assert!(matches!(
            store.create_blocked("admin", a, &prefix).await,
            Err(StoreError::Conflict { .. })
        ));
        assert!(prefix.blocks("+33899123") && !exact.blocks("+33899123") && exact.blocks("+33899"));
        assert_eq!(
            store.list_blocked(a, Page::default()).await.unwrap().total,
            2
        );

        let flag = FlagSpec {
            name: "outage".into(),
            active: false,
            message: Some("We know".into()),
            destination: None,
        };
        let f = store.create_flag("admin", a, &flag).await.unwrap();
        let on = store
            .set_flag_active("flow", a, "outage", true)
            .await
            .unwrap();
        assert!(on.spec.active);
        assert_eq!(on.spec.message.as_deref(), Some("We know"));
        assert!(store.get_flag(a, f.id).await.unwrap().spec.active);
        assert!(matches!(
            store.set_flag_active("flow", a, "nope", true).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}
