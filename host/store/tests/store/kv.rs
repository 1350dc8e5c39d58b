//! The per-tenant key-value store behind `pbx:flow/kv`.

use std::time::Duration;

use pbx_store::StoreError;

use crate::common::{on_each, tenant};

#[tokio::test]
async fn set_get_delete_and_tenants_apart() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let b = tenant(&store, "b").await;
        assert_eq!(store.kv_get(a, "last").await.unwrap(), None);
        store.kv_set(a, "last", "+33600", None).await.unwrap();
        store.kv_set(a, "last", "+33700", None).await.unwrap();
        assert_eq!(
            store.kv_get(a, "last").await.unwrap().as_deref(),
            Some("+33700")
        );
        assert_eq!(store.kv_get(b, "last").await.unwrap(), None);
        assert!(store.kv_delete(a, "last").await.unwrap());
        assert!(!store.kv_delete(a, "last").await.unwrap());
        let err = store.kv_set(a, "", "x", None).await.unwrap_err();
        assert!(matches!(err, StoreError::Invalid { .. }));
        let big = "x".repeat(pbx_store::KV_MAX_VALUE + 1);
        assert!(matches!(
            store.kv_set(a, "big", &big, None).await,
            Err(StoreError::Invalid { .. })
        ));
    })
    .await;
}

#[tokio::test]
async fn entries_expire() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        store.kv_set(a, "short", "v", Some(0)).await.unwrap();
        store.kv_set(a, "long", "v", Some(3600)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(store.kv_get(a, "short").await.unwrap(), None);
        assert!(store.kv_get(a, "long").await.unwrap().is_some());
        assert_eq!(store.kv_purge_expired().await.unwrap(), 1);
        // An expired counter starts again from zero.
        store.kv_set(a, "n", "41", Some(0)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert_eq!(store.kv_increment(a, "n", 1, None).await.unwrap(), 1);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn increments_are_atomic_across_concurrent_calls() {
    on_each(|store| async move {
        let a = tenant(&store, "a").await;
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let store = store.clone();
                tokio::spawn(async move { store.kv_increment(a, "calls", 1, None).await.unwrap() })
            })
            .collect();
        let mut seen = Vec::new();
        for t in tasks {
            seen.push(t.await.unwrap());
        }
        seen.sort();
        assert_eq!(seen, (1..=20).collect::<Vec<i64>>());
        assert_eq!(
            store.kv_get(a, "calls").await.unwrap().as_deref(),
            Some("20")
        );
        store.kv_set(a, "word", "abc", None).await.unwrap();
        assert!(matches!(
            store.kv_increment(a, "word", 1, None).await,
            Err(StoreError::Invalid { .. })
        ));
    })
    .await;
}
