//! Tenants and extensions: CRUD, pagination, tenant scoping, conflicts,
//! limits, validation and the audit log.

use pbx_store::{
    Action, CallerScope, ClassOfService, ExtensionId, ExtensionSpec, ForwardCondition,
    ForwardingRule, Page, StoreError,
};

use crate::common::{on_each, tenant, tenant_spec};

pub fn extension(number: &str) -> ExtensionSpec {
    ExtensionSpec {
        number: number.into(),
        display_name: format!("Ext {number}"),
        sip_username: format!("u{number}"),
        sip_password: "correct horse battery".into(),
        voicemail_pin: Some("1234".into()),
        class_of_service: ClassOfService::National,
        pickup_group: Some("sales".into()),
        call_group: None,
        forwarding: vec![ForwardingRule {
            condition: ForwardCondition::NoAnswer,
            callers: CallerScope::External,
            destination: "voicemail".into(),
            delay_secs: Some(20),
            enabled: true,
        }],
        personal_flow_id: None,
        personal_flow_params: serde_json::json!({}),
        language: None,
    }
}

#[tokio::test]
async fn tenant_crud_and_unique_name() {
    on_each(|store| async move {
        let t = store
            .create_tenant("root", &tenant_spec("acme"))
            .await
            .unwrap();
        assert_eq!(store.get_tenant(t.id).await.unwrap(), t);
        let mut spec = t.spec.clone();
        spec.max_extensions = 3;
        let updated = store.update_tenant("root", t.id, &spec).await.unwrap();
        assert_eq!(updated.spec.max_extensions, 3);
        assert!(updated.updated_at >= t.updated_at);
        let dup = store
            .create_tenant("root", &tenant_spec("acme"))
            .await
            .unwrap_err();
        assert!(matches!(dup, StoreError::Conflict { .. }), "{dup}");
        store
            .create_tenant("root", &tenant_spec("beta"))
            .await
            .unwrap();
        let page = store
            .list_tenants(Page {
                limit: 1,
                offset: 1,
            })
            .await
            .unwrap();
        assert_eq!(page.total, 2);
        assert_eq!(page.items[0].spec.name, "beta");
        store.delete_tenant("root", t.id).await.unwrap();
        assert!(matches!(
            store.get_tenant(t.id).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn bad_tenant_fields_are_refused_with_a_hint() {
    on_each(|store| async move {
        let mut spec = tenant_spec("x");
        spec.time_zone = "Europe/Pariss".into();
        let err = store.create_tenant("root", &spec).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, .. } if field == "time_zone"),
            "{err}"
        );
        assert!(err.to_string().contains("Europe/Paris"));
        let mut spec = tenant_spec("x");
        spec.max_dids = -1;
        assert!(matches!(
            store.create_tenant("root", &spec).await,
            Err(StoreError::Invalid { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn extensions_round_trip_and_stay_in_their_tenant() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let b = tenant(&store, "b").await;
        let e = store
            .create_extension("admin", a, &extension("100"))
            .await
            .unwrap();
        assert_eq!(e.spec, extension("100"));
        assert_eq!(store.get_extension(a, e.id).await.unwrap(), e);
        assert_eq!(
            store.find_extension_by_number(a, "100").await.unwrap().id,
            e.id
        );
        // Tenant b can neither read, change nor delete a's extension.
        assert!(matches!(
            store.get_extension(b, e.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store
                .update_extension("admin", b, e.id, &extension("101"))
                .await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.delete_extension("admin", b, e.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert_eq!(
            store
                .list_extensions(b, Page::default())
                .await
                .unwrap()
                .total,
            0
        );
        // The same number is fine in another tenant, not twice in one.
        store
            .create_extension("admin", b, &extension("100"))
            .await
            .unwrap();
        let dup = store
            .create_extension("admin", a, &extension("100"))
            .await
            .unwrap_err();
        assert!(matches!(dup, StoreError::Conflict { .. }), "{dup}");
        // Update and delete.
        let mut spec = extension("100");
        spec.display_name = "Reception".into();
        spec.forwarding.clear();
        let up = store
            .update_extension("admin", a, e.id, &spec)
            .await
            .unwrap();
        assert_eq!(up.spec.display_name, "Reception");
        store.delete_extension("admin", a, e.id).await.unwrap();
        assert!(matches!(
            store.get_extension(a, e.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(matches!(
            store.get_extension(a, ExtensionId::new()).await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn extension_pages_are_ordered_and_counted() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        for n in ["105", "101", "103", "102", "104"] {
            store
                .create_extension("admin", a, &extension(n))
                .await
                .unwrap();
        }
        let p1 = store
            .list_extensions(
                a,
                Page {
                    limit: 2,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        let p3 = store
            .list_extensions(
                a,
                Page {
                    limit: 2,
                    offset: 4,
                },
            )
            .await
            .unwrap();
        assert_eq!(p1.total, 5);
        let numbers: Vec<_> = p1.items.iter().map(|e| e.spec.number.as_str()).collect();
        assert_eq!(numbers, ["101", "102"]);
        assert_eq!(p3.items.len(), 1);
        assert_eq!(p3.items[0].spec.number, "105");
        let err = store
            .list_extensions(
                a,
                Page {
                    limit: 0,
                    offset: 0,
                },
            )
            .await
            .unwrap_err();
        assert!(err.to_string().contains("1 to 1000"), "{err}");
    })
    .await;
}

#[tokio::test]
async fn extension_limit_is_enforced() {
    on_each(|store| async move {
        let mut spec = tenant_spec("small");
        spec.max_extensions = 2;
        let t = store.create_tenant("root", &spec).await.unwrap().id;
        store
            .create_extension("admin", t, &extension("100"))
            .await
            .unwrap();
        store
            .create_extension("admin", t, &extension("101"))
            .await
            .unwrap();
        let err = store
            .create_extension("admin", t, &extension("102"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, StoreError::LimitReached { limit: 2, .. }),
            "{err}"
        );
    })
    .await;
}

#[tokio::test]
async fn bad_extensions_are_refused() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let mut spec = extension("10a");
        assert!(matches!(
            store.create_extension("x", a, &spec).await,
            Err(StoreError::Invalid { .. })
        ));
        spec = extension("100");
        spec.forwarding[0].delay_secs = None;
        let err = store.create_extension("x", a, &spec).await.unwrap_err();
        assert!(err.to_string().contains("5 to 300"), "{err}");
        spec = extension("100");
        spec.voicemail_pin = Some("12".into());
        assert!(matches!(
            store.create_extension("x", a, &spec).await,
            Err(StoreError::Invalid { .. })
        ));
        // A personal flow of another tenant is refused.
        let b = tenant(&store, "b").await;
        let flow_b = store
            .create_flow(
                "x",
                b,
                &pbx_store::FlowSpec {
                    name: "follow-me".into(),
                    description: "".into(),
                },
            )
            .await
            .unwrap();
        spec = extension("100");
        spec.personal_flow_id = Some(flow_b.id);
        let err = store.create_extension("x", a, &spec).await.unwrap_err();
        assert!(
            matches!(&err, StoreError::Invalid { field, .. } if field == "personal_flow_id"),
            "{err}"
        );
        assert!(matches!(
            store
                .create_extension("x", pbx_store::TenantId::new(), &extension("100"))
                .await,
            Err(StoreError::NotFound { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn every_admin_change_is_audited() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let e = store
            .create_extension("alice", a, &extension("100"))
            .await
            .unwrap();
        let mut spec = extension("100");
        spec.display_name = "Changed".into();
        store.update_extension("bob", a, e.id, &spec).await.unwrap();
        store.delete_extension("carol", a, e.id).await.unwrap();
        let log = store.list_audit(a, Page::default()).await.unwrap();
        // Tenant creation + three extension changes, newest first.
        assert_eq!(log.total, 4);
        let ext: Vec<_> = log
            .items
            .iter()
            .filter(|r| r.entity == "extension")
            .collect();
        assert_eq!(ext.len(), 3);
        assert_eq!(
            (ext[0].action, ext[0].actor.as_str()),
            (Action::Delete, "carol")
        );
        assert_eq!(
            (ext[1].action, ext[1].actor.as_str()),
            (Action::Update, "bob")
        );
        assert_eq!(
            (ext[2].action, ext[2].actor.as_str()),
            (Action::Create, "alice")
        );
        assert_eq!(ext[1].before.as_ref().unwrap()["display_name"], "Ext 100");
        assert_eq!(ext[1].after.as_ref().unwrap()["display_name"], "Changed");
        assert!(ext[0].after.is_none() && ext[2].before.is_none());
        assert_eq!(ext[0].entity_id, e.id.to_string());
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_all_succeed() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                let number = format!("{}", 200 + i);
                let e = store
                    .create_extension("admin", a, &extension(&number))
                    .await?;
                let mut spec = extension(&number);
                spec.display_name = format!("Renamed {i}");
                store.update_extension("admin", a, e.id, &spec).await?;
                // A clash in the middle of the others must stay a clean Conflict.
                match store
                    .create_extension("admin", a, &extension(&number))
                    .await
                {
                    Err(StoreError::Conflict { .. }) => Ok(()),
                    other => panic!("expected a conflict, got {other:?}"),
                }
            }));
        }
        for t in tasks {
            let r: Result<(), StoreError> = t.await.unwrap();
            r.unwrap();
        }
        assert_eq!(
            store
                .list_extensions(a, Page::default())
                .await
                .unwrap()
                .total,
            24
        );
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creations_never_exceed_the_limit() {
    on_each(|store| async move {
        let mut spec = tenant_spec("small");
        spec.max_extensions = 3;
        let t = store.create_tenant("root", &spec).await.unwrap().id;
        let tasks: Vec<_> = (0..12)
            .map(|i| {
                let store = store.clone();
                tokio::spawn(async move {
                    store
                        .create_extension("admin", t, &extension(&format!("{}", 300 + i)))
                        .await
                })
            })
            .collect();
        let mut created = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(_) => created += 1,
                Err(StoreError::LimitReached { limit: 3, .. }) => {}
                Err(e) => panic!("unexpected {e}"),
            }
        }
        assert_eq!(created, 3);
        assert_eq!(
            store
                .list_extensions(t, Page::default())
                .await
                .unwrap()
                .total,
            3
        );
    })
    .await;
}
