//! Flows and versions: content-addressed files, activation, and deletion
//! rules.

use pbx_store::{FlowSpec, InboundRouteSpec, Page, RouteTarget, StoreError};

use crate::common::{on_each, tenant};

/// A minimal but real Wasm header followed by distinguishing bytes.
pub fn component(tag: u8) -> Vec<u8> {
    let mut bytes = b"\0asm\x0d\0\x01\0".to_vec();
    bytes.extend(std::iter::repeat_n(tag, 64));
    bytes
}

#[tokio::test]
async fn versions_are_numbered_stored_by_hash_and_read_back() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let f = store
            .create_flow(
                "admin",
                a,
                &FlowSpec {
                    name: "main-ivr".into(),
                    description: "".into(),
                },
            )
            .await
            .unwrap();
        let describe = serde_json::json!({"name": "main-ivr", "params": {"greeting": "string"}});
        let v1 = store
            .create_flow_version("alice", a, f.id, &component(1), &describe)
            .await
            .unwrap();
        let v2 = store
            .create_flow_version("alice", a, f.id, &component(2), &describe)
            .await
            .unwrap();
        assert_eq!((v1.version, v2.version), (1, 2));
        assert_eq!(v1.uploaded_by, "alice");
        assert_eq!(v1.size, component(1).len() as i64);
        assert_eq!(v1.describe, describe);
        let path = store.flow_file_path(&v1.sha256);
        assert!(path.starts_with(store.data_dir().join("flows")));
        assert_eq!(std::fs::read(&path).unwrap(), component(1));
        assert_eq!(
            store.read_flow_component(a, v2.id).await.unwrap(),
            component(2)
        );
        let listed = store
            .list_flow_versions(a, f.id, Page::default())
            .await
            .unwrap();
        assert_eq!(
            listed.items.iter().map(|v| v.version).collect::<Vec<_>>(),
            [2, 1]
        );

        // Activation, and the active version cannot be deleted.
        let active = store
            .activate_flow_version("admin", a, f.id, Some(v1.id))
            .await
            .unwrap();
        assert_eq!(active.active_version_id, Some(v1.id));
        let err = store
            .delete_flow_version("admin", a, v1.id)
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Conflict { .. }), "{err}");
        // A pinned version cannot either.
        let route = InboundRouteSpec {
            name: "pinned".into(),
            pattern: "*".into(),
            priority: 1,
            target: RouteTarget::Flow {
                flow_id: f.id,
                version: Some(v2.id),
            },
            params: serde_json::json!({"greeting": "hello"}),
        };
        let r = store
            .create_inbound_route("admin", a, &route)
            .await
            .unwrap();
        assert!(matches!(
            store.delete_flow_version("admin", a, v2.id).await,
            Err(StoreError::Conflict { .. })
        ));
        store.delete_inbound_route("admin", a, r.id).await.unwrap();
        store.delete_flow_version("admin", a, v2.id).await.unwrap();
        assert!(
            !store.flow_file_path(&v2.sha256).exists(),
            "unused file removed"
        );
        assert!(path.exists(), "the active version's file stays");
    })
    .await;
}

#[tokio::test]
async fn same_content_is_stored_once_and_kept_while_used() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let b = tenant(&store, "b").await;
        let spec = FlowSpec {
            name: "ivr".into(),
            description: "".into(),
        };
        let fa = store.create_flow("admin", a, &spec).await.unwrap();
        let fb = store.create_flow("admin", b, &spec).await.unwrap();
        let va = store
            .create_flow_version("x", a, fa.id, &component(7), &serde_json::json!({}))
            .await
            .unwrap();
        let vb = store
            .create_flow_version("x", b, fb.id, &component(7), &serde_json::json!({}))
            .await
            .unwrap();
        assert_eq!(va.sha256, vb.sha256);
        // b cannot read a's version.
        assert!(matches!(
            store.read_flow_component(b, va.id).await,
            Err(StoreError::NotFound { .. })
        ));
        store.delete_flow_version("x", a, va.id).await.unwrap();
        assert!(
            store.flow_file_path(&vb.sha256).exists(),
            "b still uses the file"
        );
        store.delete_tenant("root", b).await.unwrap();
        assert_eq!(store.collect_flow_files().await.unwrap(), 1);
        assert!(!store.flow_file_path(&vb.sha256).exists());
    })
    .await;
}

#[tokio::test]
async fn bad_uploads_and_foreign_activations_are_refused() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let f1 = store
            .create_flow(
                "x",
                a,
                &FlowSpec {
                    name: "one".into(),
                    description: "".into(),
                },
            )
            .await
            .unwrap();
        let f2 = store
            .create_flow(
                "x",
                a,
                &FlowSpec {
                    name: "two".into(),
                    description: "".into(),
                },
            )
            .await
            .unwrap();
        let err = store
            .create_flow_version("x", a, f1.id, b"MZ not wasm", &serde_json::json!({}))
            .await
            .unwrap_err();
        assert!(err.to_string().contains(".wasm"), "{err}");
        let v = store
            .create_flow_version("x", a, f1.id, &component(3), &serde_json::json!({}))
            .await
            .unwrap();
        let err = store
            .activate_flow_version("x", a, f2.id, Some(v.id))
            .await
            .unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }), "{err}");
        let dup = store
            .create_flow(
                "x",
                a,
                &FlowSpec {
                    name: "one".into(),
                    description: "".into(),
                },
            )
            .await
            .unwrap_err();
        assert!(matches!(dup, StoreError::Conflict { .. }));
        assert_eq!(store.find_flow_by_name(a, "two").await.unwrap().id, f2.id);
        // Deleting a flow takes its versions and their files along.
        store.delete_flow("x", a, f1.id).await.unwrap();
        assert!(matches!(
            store.get_flow_version(a, v.id).await,
            Err(StoreError::NotFound { .. })
        ));
        assert!(!store.flow_file_path(&v.sha256).exists());
    })
    .await;
}
