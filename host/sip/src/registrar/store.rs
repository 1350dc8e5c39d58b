//! Persistence of registrations.
//!
//! Phones re-register only every few minutes to an hour; if the PBX
//! forgot its bindings on restart, every phone would be unreachable until
//! its next refresh. The registrar therefore writes through a
//! [`RegistrationStore`] (implemented on the database by another crate)
//! and reloads it at start. [`InMemoryStore`] serves tests and the
//! simulator.

use super::binding::Binding;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;

/// A store failure. The registrar answers 500 and leaves its bindings as
/// they were (RFC 3261 10.3 step 7: all updates or none).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("registration store: {0}")]
pub struct StoreError(pub String);

/// Durable storage for bindings, keyed by `(aor, contact)`.
///
/// Every method must be idempotent: removing a missing binding is not an
/// error, and upserting replaces whatever had the same key.
#[async_trait]
pub trait RegistrationStore: Send + Sync {
    /// Every stored binding (called once at start; expired ones are
    /// dropped by the registrar).
    async fn load_all(&self) -> Result<Vec<Binding>, StoreError>;

    /// Insert or replace the binding with the same `(aor, contact)`.
    async fn upsert(&self, binding: &Binding) -> Result<(), StoreError>;

    /// Remove the binding `(aor, contact)` if present.
    async fn remove(&self, aor: &str, contact: &str) -> Result<(), StoreError>;

    /// Remove every binding of `aor` (`Contact: *`).
    async fn remove_all(&self, aor: &str) -> Result<(), StoreError>;

    /// The bindings of `aor`.
    async fn list(&self, aor: &str) -> Result<Vec<Binding>, StoreError>;

    /// Make every change accepted so far durable. A store that writes
    /// behind (batching changes for a moment) writes them now; the service
    /// calls this when it stops. The default has nothing to do.
    async fn flush(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// Bindings held in memory only.
#[derive(Debug, Default)]
pub struct InMemoryStore {
    bindings: Mutex<HashMap<String, Vec<Binding>>>,
}

impl InMemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Binding>>> {
        self.bindings.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Number of stored bindings over all AORs.
    pub fn len(&self) -> usize {
        self.lock().values().map(Vec::len).sum()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl RegistrationStore for InMemoryStore {
    async fn load_all(&self) -> Result<Vec<Binding>, StoreError> {
        Ok(self.lock().values().flatten().cloned().collect())
    }

    async fn upsert(&self, binding: &Binding) -> Result<(), StoreError> {
        let mut map = self.lock();
        let list = map.entry(binding.aor.clone()).or_default();
        match list.iter_mut().find(|b| b.contact == binding.contact) {
            Some(existing) => *existing = binding.clone(),
            None => list.push(binding.clone()),
        }
        Ok(())
    }

    async fn remove(&self, aor: &str, contact: &str) -> Result<(), StoreError> {
        let mut map = self.lock();
        if let Some(list) = map.get_mut(aor) {
            list.retain(|b| b.contact != contact);
            if list.is_empty() {
                map.remove(aor);
            }
        }
        Ok(())
    }

    async fn remove_all(&self, aor: &str) -> Result<(), StoreError> {
        self.lock().remove(aor);
        Ok(())
    }

    async fn list(&self, aor: &str) -> Result<Vec<Binding>, StoreError> {
        Ok(self.lock().get(aor).cloned().unwrap_or_default())
    }
}
