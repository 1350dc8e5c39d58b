//! SIP registrations persisted in the store: the SIP stack's
//! [`RegistrationStore`] trait implemented over `pbx_store`'s
//! registrations table, so that phones stay reachable across a restart.

use async_trait::async_trait;
use pbx_sip::registrar::{Binding, RegistrationStore, StoreError};
use pbx_store::Store;
use pbx_store::repo::registrations::Registration;

/// The registrar's bindings in the database.
#[derive(Clone)]
pub struct StoredRegistrations {
    store: Store,
}

impl StoredRegistrations {
    /// Bindings kept in `store`.
    pub fn new(store: Store) -> Self {
        StoredRegistrations { store }
    }
}

impl std::fmt::Debug for StoredRegistrations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredRegistrations")
            .finish_non_exhaustive()
    }
}

fn to_row(b: &Binding) -> Registration {
    Registration {
        aor: b.aor.clone(),
        contact: b.contact.clone(),
        expires_at: b.expires_at,
        q: b.q,
        call_id: b.call_id.clone(),
        cseq: b.cseq,
        instance_id: b.instance_id.clone(),
        reg_id: b.reg_id,
        source: b.source.to_string(),
        transport: b.transport.clone(),
        user_agent: b.user_agent.clone(),
        updated_at: b.updated_at,
    }
}

/// A stored row as a binding; rows whose source address no longer
/// parses are skipped (the phone re-registers).
fn to_binding(r: Registration) -> Option<Binding> {
    let source = match r.source.parse() {
        Ok(s) => s,
        Err(_) => {
            tracing::warn!(aor = %r.aor, source = %r.source, "stored registration with a bad source address skipped");
            return None;
        }
    };
    Some(Binding {
        aor: r.aor,
        contact: r.contact,
        expires_at: r.expires_at,
        q: r.q,
        call_id: r.call_id,
        cseq: r.cseq,
        instance_id: r.instance_id,
        reg_id: r.reg_id,
        source,
        transport: r.transport,
        user_agent: r.user_agent,
        updated_at: r.updated_at,
    })
}

fn failed(e: impl std::fmt::Display) -> StoreError {
    StoreError(e.to_string())
}

#[async_trait]
impl RegistrationStore for StoredRegistrations {
    async fn load_all(&self) -> Result<Vec<Binding>, StoreError> {
        let rows = self.store.load_registrations().await.map_err(failed)?;
        Ok(rows.into_iter().filter_map(to_binding).collect())
    }

    async fn upsert(&self, binding: &Binding) -> Result<(), StoreError> {
        self.store
            .upsert_registration(&to_row(binding))
            .await
            .map_err(failed)
    }

    async fn remove(&self, aor: &str, contact: &str) -> Result<(), StoreError> {
        self.store
            .remove_registration(aor, contact)
            .await
            .map_err(failed)
    }

    async fn remove_all(&self, aor: &str) -> Result<(), StoreError> {
        self.store.remove_registrations(aor).await.map_err(failed)
    }

    async fn list(&self, aor: &str) -> Result<Vec<Binding>, StoreError> {
        let rows = self.store.list_registrations(aor).await.map_err(failed)?;
        Ok(rows.into_iter().filter_map(to_binding).collect())
    }
}
