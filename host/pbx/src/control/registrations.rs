//! The registrations `pbx status` lists, read without asking the database.
//!
//! The SIP registrar keeps its bindings in memory but only answers look-ups
//! by AOR; listing them all would need an accessor in `pbx-sip`. Every
//! binding change, however, goes through the registrar's
//! [`RegistrationStore`] (write-through, including the roll-back of a
//! failed update and the purge of lapsed bindings). [`RegistrationMirror`]
//! wraps that store and keeps a copy of what was written successfully, so
//! the list is always what the store (and so the registrar) holds, with
//! lapsed bindings filtered out at read time.

use super::RegistrationRow;
use async_trait::async_trait;
use pbx_sip::registrar::{Binding, RegistrationStore, StoreError};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// A [`RegistrationStore`] that forwards to another and remembers every
/// binding written. Cheap to clone; give one clone to the SIP service's
/// `ServiceConfig::store` and keep another for status and metrics.
#[derive(Clone)]
pub struct RegistrationMirror {
    inner: Arc<dyn RegistrationStore>,
    /// Keyed by `(aor, contact)`, the store's own key; sorted so listings
    /// are stable. A std mutex: never held across an await.
    bindings: Arc<Mutex<BTreeMap<(String, String), Binding>>>,
}

impl std::fmt::Debug for RegistrationMirror {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RegistrationMirror")
            .field("bindings", &self.table().len())
            .finish_non_exhaustive()
    }
}

impl RegistrationMirror {
    /// Mirror writes to `inner`.
    pub fn new(inner: Arc<dyn RegistrationStore>) -> Self {
        RegistrationMirror {
            inner,
            bindings: Arc::default(),
        }
    }

    fn table(&self) -> MutexGuard<'_, BTreeMap<(String, String), Binding>> {
        self.bindings.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bindings live at `now`, by AOR then contact.
    pub fn bindings(&self, now: SystemTime) -> Vec<Binding> {
        self.table()
            .values()
            .filter(|b| !b.is_expired(now))
            .cloned()
            .collect()
    }

    /// The bindings live at `now`, as `pbx status` rows.
    pub fn rows(&self, now: SystemTime) -> Vec<RegistrationRow> {
        self.bindings(now)
            .iter()
            .map(|b| RegistrationRow::from_binding(b, now))
            .collect()
    }

    /// How many bindings are live at `now` (the `pbx_registrations` gauge).
    pub fn count(&self, now: SystemTime) -> usize {
        self.table().values().filter(|b| !b.is_expired(now)).count()
    }
}

impl RegistrationRow {
    /// The row for `binding` at `now`.
    pub fn from_binding(binding: &Binding, now: SystemTime) -> Self {
        RegistrationRow {
            aor: binding.aor.clone(),
            contact: binding.contact.clone(),
            transport: binding.transport.to_ascii_lowercase(),
            source: binding.source.to_string(),
            expires_in_s: u64::from(binding.remaining(now)),
            user_agent: binding.user_agent.clone(),
        }
    }
}

#[async_trait]
impl RegistrationStore for RegistrationMirror {
    async fn load_all(&self) -> Result<Vec<Binding>, StoreError> {
        let all = self.inner.load_all().await?;
        let mut table = self.table();
        table.clear();
        for b in &all {
            table.insert((b.aor.clone(), b.contact.clone()), b.clone());
        }
        Ok(all)
    }

    async fn upsert(&self, binding: &Binding) -> Result<(), StoreError> {
        self.inner.upsert(binding).await?;
        self.table().insert(
            (binding.aor.clone(), binding.contact.clone()),
            binding.clone(),
        );
        Ok(())
    }

    async fn remove(&self, aor: &str, contact: &str) -> Result<(), StoreError> {
        self.inner.remove(aor, contact).await?;
        self.table().remove(&(aor.to_string(), contact.to_string()));
        Ok(())
    }

    async fn remove_all(&self, aor: &str) -> Result<(), StoreError> {
        self.inner.remove_all(aor).await?;
        self.table().retain(|(a, _), _| a != aor);
        Ok(())
    }

    async fn list(&self, aor: &str) -> Result<Vec<Binding>, StoreError> {
        self.inner.list(aor).await
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.inner.flush().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbx_sip::registrar::InMemoryStore;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    fn binding(aor: &str, contact: &str, expires_at: SystemTime) -> Binding {
        Binding {
            aor: aor.into(),
            contact: contact.into(),
            expires_at,
            q: None,
            call_id: "c".into(),
            cseq: 1,
            instance_id: None,
            reg_id: None,
            source: "127.0.0.1:5062".parse().unwrap(),
            transport: "UDP".into(),
            user_agent: Some("phone/1.0".into()),
            updated_at: SystemTime::now(),
        }
    }

    #[tokio::test]
    async fn mirrors_writes_and_hides_lapsed_bindings() {
        let inner = Arc::new(InMemoryStore::new());
        let m = RegistrationMirror::new(inner.clone());
        let now = SystemTime::now();
        let hour = now + Duration::from_secs(3600);
        m.upsert(&binding("sip:1001@pbx", "sip:a@h", hour))
            .await
            .unwrap();
        m.upsert(&binding("sip:1001@pbx", "sip:b@h", hour))
            .await
            .unwrap();
        m.upsert(&binding("sip:1002@pbx", "sip:c@h", hour))
            .await
            .unwrap();
        m.upsert(&binding(
            "sip:1003@pbx",
            "sip:d@h",
            now - Duration::from_secs(1),
        ))
        .await
        .unwrap();
        assert_eq!(m.count(now), 3);
        m.remove("sip:1001@pbx", "sip:a@h").await.unwrap();
        m.remove_all("sip:1002@pbx").await.unwrap();
        let rows = m.rows(now);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].contact, "sip:b@h");
        assert_eq!(rows[0].transport, "udp");
        assert_eq!(rows[0].source, "127.0.0.1:5062");
        assert_eq!(rows[0].expires_in_s, 3600);
        assert_eq!(rows[0].user_agent.as_deref(), Some("phone/1.0"));
        // The inner store saw the same writes.
        assert_eq!(inner.len(), 2);
    }

    #[tokio::test]
    async fn load_all_fills_the_mirror() {
        let inner = Arc::new(InMemoryStore::new());
        let later = SystemTime::now() + Duration::from_secs(60);
        inner
            .upsert(&binding("sip:1@p", "sip:x@h", later))
            .await
            .unwrap();
        let m = RegistrationMirror::new(inner);
        assert_eq!(m.count(SystemTime::now()), 0);
        assert_eq!(m.load_all().await.unwrap().len(), 1);
        assert_eq!(m.count(SystemTime::now()), 1);
    }

    /// A store that fails on demand.
    struct Flaky {
        inner: InMemoryStore,
        fail: AtomicBool,
    }

    #[async_trait]
    impl RegistrationStore for Flaky {
        async fn load_all(&self) -> Result<Vec<Binding>, StoreError> {
            self.inner.load_all().await
        }
        async fn upsert(&self, b: &Binding) -> Result<(), StoreError> {
            if self.fail.load(Ordering::Relaxed) {
                return Err(StoreError("down".into()));
            }
            self.inner.upsert(b).await
        }
        async fn remove(&self, aor: &str, contact: &str) -> Result<(), StoreError> {
            if self.fail.load(Ordering::Relaxed) {
                return Err(StoreError("down".into()));
            }
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
    async fn failed_writes_are_not_mirrored() {
        let flaky = Arc::new(Flaky {
            inner: InMemoryStore::new(),
            fail: AtomicBool::new(false),
        });
        let m = RegistrationMirror::new(flaky.clone());
        let later = SystemTime::now() + Duration::from_secs(60);
        m.upsert(&binding("sip:1@p", "sip:x@h", later))
            .await
            .unwrap();
        flaky.fail.store(true, Ordering::Relaxed);
        assert!(
            m.upsert(&binding("sip:2@p", "sip:y@h", later))
                .await
                .is_err()
        );
        assert!(m.remove("sip:1@p", "sip:x@h").await.is_err());
        let aors: Vec<_> = m
            .rows(SystemTime::now())
            .into_iter()
            .map(|r| r.aor)
            .collect();
        assert_eq!(aors, ["sip:1@p"]);
    }
}
