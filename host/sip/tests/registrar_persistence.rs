//! Persistence: bindings survive a restart, lapsed ones are purged from
//! the store, and a failing store leaves nothing half-applied.

mod common;

use async_trait::async_trait;
use common::registrar::*;
use pbx_sip::registrar::{
    Binding, InMemoryStore, Registrar, RegistrarConfig, RegistrationStore, StoreError,
};
use std::sync::Arc;

fn contact_uris(bindings: &[Binding]) -> Vec<&str> {
    bindings.iter().map(|b| b.contact.as_str()).collect()
}

#[tokio::test]
async fn expired_bindings_are_pruned_lazily_and_purged() {
    let (reg, store) = registrar();
    send(&reg, "c1", 1, &["<sip:a@10.0.0.5>"], Some("60"), 0).await;
    send(&reg, "c2", 1, &["<sip:b@10.0.0.5>"], Some("3600"), 0).await;
    assert_eq!(reg.lookup(AOR, at(59)).len(), 2);
    assert_eq!(
        contact_uris(&reg.lookup(AOR, at(60))),
        vec!["sip:b@10.0.0.5"]
    );
    assert_eq!(store.len(), 2, "the store catches up on purge");
    assert_eq!(reg.purge(at(61)).await, 1);
    assert_eq!(store.len(), 1);
    assert_eq!(reg.purge(at(3_600)).await, 1);
    assert!(store.is_empty());
    assert!(reg.lookup(AOR, at(3_600)).is_empty());
}

#[tokio::test]
async fn refresh_after_lazy_prune_is_not_purged() {
    let (reg, store) = registrar();
    send(&reg, "c1", 1, &["<sip:a@10.0.0.5>"], Some("60"), 0).await;
    assert!(reg.lookup(AOR, at(70)).is_empty());
    send(&reg, "c1", 2, &["<sip:a@10.0.0.5>"], Some("60"), 75).await;
    reg.purge(at(80)).await;
    assert_eq!(store.len(), 1);
    assert_eq!(reg.lookup(AOR, at(80)).len(), 1);
}

#[tokio::test]
async fn bindings_survive_a_restart() {
    let store = Arc::new(InMemoryStore::new());
    let reg = Registrar::new(RegistrarConfig::default(), store.clone());
    send(
        &reg,
        "c1",
        1,
        &["<sip:a@10.0.0.5>;expires=100", "<sip:b@10.0.0.5>"],
        None,
        0,
    )
    .await;
    drop(reg);
    let restarted = Registrar::new(RegistrarConfig::default(), store.clone());
    assert_eq!(restarted.load(at(200)).await.unwrap(), 1);
    assert_eq!(
        contact_uris(&restarted.lookup(AOR, at(200))),
        vec!["sip:b@10.0.0.5"]
    );
    assert_eq!(
        store.len(),
        1,
        "the binding that lapsed meanwhile is deleted"
    );
    // CSeq ordering still applies to the reloaded binding.
    let resp = send(&restarted, "c1", 1, &["<sip:b@10.0.0.5>"], None, 201).await;
    assert_eq!(resp.status, 500);
}

/// An [`InMemoryStore`] that refuses to store contacts containing "bad".
struct FlakyStore {
    inner: InMemoryStore,
}

#[async_trait]
impl RegistrationStore for FlakyStore {
    async fn load_all(&self) -> Result<Vec<Binding>, StoreError> {
        self.inner.load_all().await
    }
    async fn upsert(&self, binding: &Binding) -> Result<(), StoreError> {
        if binding.contact.contains("bad") {
            return Err(StoreError("disk full".into()));
        }
        self.inner.upsert(binding).await
    }
    async fn remove(&self, aor: &str, contact: &str) -> Result<(), StoreError> {
        self.inner.remove(aor, contact).await
    }
    async fn remove_all(&self, aor: &str) -> Result<(), StoreError> {
        self.inner.remove_all(aor).await
    }
    async fn list(&self, aor: &str) -> Result<Vec<Binding>, StoreError> {
        self.inner.list(aor).await
    }
}

#[tokio::test]
async fn store_failure_gives_500_and_rolls_back() {
    let store = Arc::new(FlakyStore {
        inner: InMemoryStore::new(),
    });
    let reg = Registrar::new(RegistrarConfig::default(), store.clone());
    let resp = send(&reg, "c1", 1, &["<sip:a@10.0.0.5>"], None, 0).await;
    assert_eq!(resp.status, 200);
    let before = reg.lookup(AOR, at(0));
    // Refresh a, add b, add bad: the third write fails after two succeeded.
    let req = register(
        "c1",
        2,
        &["<sip:a@10.0.0.5>", "<sip:b@10.0.0.5>", "<sip:bad@10.0.0.5>"],
        Some("600"),
    );
    let resp = reg.handle(&req, AOR, source(), at(1)).await;
    assert_eq!(resp.status, 500);
    assert_eq!(reg.lookup(AOR, at(1)), before, "memory unchanged");
    assert_eq!(store.list(AOR).await.unwrap(), before, "store rolled back");
    // Without the failing contact the update goes through.
    let req = register(
        "c1",
        2,
        &["<sip:a@10.0.0.5>", "<sip:b@10.0.0.5>"],
        Some("600"),
    );
    assert_eq!(reg.handle(&req, AOR, source(), at(2)).await.status, 200);
    assert_eq!(store.list(AOR).await.unwrap(), reg.lookup(AOR, at(2)));
}
