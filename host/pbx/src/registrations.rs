//! SIP registrations persisted in the store: the SIP stack's
//! [`RegistrationStore`] trait implemented over `pbx_store`'s
//! registrations table, so that phones stay reachable across a restart.
//!
//! Changes are written behind: the registrar's change is queued, the
//! REGISTER is answered, and a background task writes whatever queued up
//! in one transaction a moment later ([`LINGER`]). One transaction per
//! REGISTER (and the hand-offs to the database thread it costs) made the
//! store most of a registration's CPU time. A crash loses at most the
//! last [`LINGER`] of changes: those phones are found again at their next
//! refresh. Reads ([`RegistrationStore::list`], `load_all`) and
//! [`RegistrationStore::flush`] (called when the SIP service stops) write
//! what is queued first.

use async_trait::async_trait;
use pbx_sip::registrar::{Binding, RegistrationStore, StoreError};
use pbx_store::Store;
use pbx_store::repo::registrations::{Registration, RegistrationChange};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

/// How long a change waits for others to share its transaction.
pub const LINGER: Duration = Duration::from_millis(50);

/// The registrar's bindings in the database.
#[derive(Clone)]
pub struct StoredRegistrations {
    store: Store,
    queue: Arc<Queue>,
    /// Serialises writers: the background task and explicit flushes.
    writing: Arc<tokio::sync::Mutex<()>>,
}

/// Changes accepted but not yet written.
#[derive(Default)]
struct Queue {
    /// A std mutex: never held across an await.
    pending: Mutex<Vec<RegistrationChange>>,
    wake: Arc<Notify>,
}

impl StoredRegistrations {
    /// Bindings kept in `store`, written behind by a task of the current
    /// tokio runtime (it ends once every clone of this value is gone).
    pub fn new(store: Store) -> Self {
        let me = StoredRegistrations {
            store,
            queue: Arc::default(),
            writing: Arc::default(),
        };
        let (store, writing) = (me.store.clone(), me.writing.clone());
        let queue = Arc::downgrade(&me.queue);
        tokio::spawn(async move {
            while let Some(wake) = queue.upgrade().map(|q| q.wake_handle()) {
                // Look again now and then, so the task ends with its store.
                if tokio::time::timeout(Duration::from_secs(1), wake.notified())
                    .await
                    .is_err()
                {
                    continue;
                }
                tokio::time::sleep(LINGER).await;
                let Some(q) = queue.upgrade() else { break };
                if let Err(e) = write_pending(&store, &q, &writing).await {
                    tracing::error!(error = %e, "registrations not saved (phones re-register at their next refresh)");
                }
            }
        });
        me
    }

    fn enqueue(&self, change: RegistrationChange) {
        if let Ok(mut p) = self.queue.pending.lock() {
            p.push(change);
        }
        self.queue.wake.notify_one();
    }

    /// Write what is queued, in one transaction.
    async fn write_pending(&self) -> Result<(), StoreError> {
        write_pending(&self.store, &self.queue, &self.writing).await
    }
}

impl Queue {
    /// The notifier, shared so a waiter does not keep the queue alive.
    fn wake_handle(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

/// Write what `queue` holds to `store` in one transaction; `writing`
/// keeps writers in order.
async fn write_pending(
    store: &Store,
    queue: &Queue,
    writing: &tokio::sync::Mutex<()>,
) -> Result<(), StoreError> {
    let _writing = writing.lock().await;
    let changes = match queue.pending.lock() {
        Ok(mut p) => std::mem::take(&mut *p),
        Err(_) => return Ok(()),
    };
    store
        .apply_registration_changes(&changes)
        .await
        .map_err(failed)
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
        self.write_pending().await?;
        let rows = self.store.load_registrations().await.map_err(failed)?;
        Ok(rows.into_iter().filter_map(to_binding).collect())
    }

    async fn upsert(&self, binding: &Binding) -> Result<(), StoreError> {
        self.enqueue(RegistrationChange::Upsert(to_row(binding)));
        Ok(())
    }

    async fn remove(&self, aor: &str, contact: &str) -> Result<(), StoreError> {
        self.enqueue(RegistrationChange::Remove {
            aor: aor.to_string(),
            contact: contact.to_string(),
        });
        Ok(())
    }

    async fn remove_all(&self, aor: &str) -> Result<(), StoreError> {
        self.enqueue(RegistrationChange::RemoveAll {
            aor: aor.to_string(),
        });
        Ok(())
    }

    async fn flush(&self) -> Result<(), StoreError> {
        self.write_pending().await
    }

    async fn list(&self, aor: &str) -> Result<Vec<Binding>, StoreError> {
        self.write_pending().await?;
        let rows = self.store.list_registrations(aor).await.map_err(failed)?;
        Ok(rows.into_iter().filter_map(to_binding).collect())
    }
}
