//! The routing cache: an in-memory snapshot per tenant of everything a
//! call's routing reads, so a call never waits on the database.
//!
//! [`RoutingCache::load`] reads every tenant once, then follows the change
//! feed: a change reloads only its tenant (several queued changes of one
//! tenant reload it once), a lagged feed or a change without tenant reloads
//! everything. Readers get an `Arc<TenantRouting>`: an immutable snapshot
//! that stays valid for the whole call even if a newer one replaces it.

mod tenant_routing;

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::change::ChangeKind;
use crate::error::{Result, StoreError};
use crate::ids::TenantId;
use crate::store::Store;

pub use tenant_routing::{ResolvedFlow, TenantRouting};
use tenant_routing::{collect, load_tenant};

#[derive(Default)]
struct Snapshot {
    tenants: HashMap<TenantId, Arc<TenantRouting>>,
    /// DID number -> tenant, the first look-up of every incoming call.
    dids: HashMap<String, TenantId>,
    /// SIP user name of an extension -> tenant, for internal calls.
    users: HashMap<String, TenantId>,
}

struct CacheInner {
    store: Store,
    /// A std lock: held only to clone or swap an `Arc`, never across await.
    snapshot: RwLock<Arc<Snapshot>>,
    /// Bumped after every applied reload, so tests and metrics can tell.
    generation: AtomicU64,
    task: std::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Drop for CacheInner {
    fn drop(&mut self) {
        if let Ok(mut t) = self.task.lock()
            && let Some(task) = t.take()
        {
            task.abort();
        }
    }
}

/// Cheap-to-clone handle on the cache; the follower task stops when the
/// last handle drops.
#[derive(Clone)]
pub struct RoutingCache {
    inner: Arc<CacheInner>,
}

impl std::fmt::Debug for RoutingCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RoutingCache")
            .field("generation", &self.generation())
            .finish()
    }
}

impl RoutingCache {
    /// Loads every tenant and starts following the change feed.
    pub async fn load(store: &Store) -> Result<RoutingCache> {
        // Subscribe first: a change committed during the load is then
        // replayed afterwards instead of lost.
        let mut rx = store.subscribe();
        let cache = RoutingCache {
            inner: Arc::new(CacheInner {
                store: store.clone(),
                snapshot: RwLock::new(Arc::new(Snapshot::default())),
                generation: AtomicU64::new(0),
                task: std::sync::Mutex::new(None),
            }),
        };
        cache.reload_all().await?;
        let weak: Weak<CacheInner> = Arc::downgrade(&cache.inner);
        let task = tokio::spawn(async move {
            loop {
                let first = rx.recv().await;
                let Some(inner) = weak.upgrade() else { return };
                let cache = RoutingCache { inner };
                let mut all = false;
                let mut tenants = HashSet::new();
                let mut note = |r: std::result::Result<crate::Change, RecvError>| match r {
                    Ok(c) if !affects_routing(c.kind) => {}
                    Ok(c) => match c.tenant {
                        Some(t) => {
                            tenants.insert(t);
                        }
                        None => all = true,
                    },
                    Err(RecvError::Lagged(_)) => all = true,
                    Err(RecvError::Closed) => {}
                };
                let closed = matches!(first, Err(RecvError::Closed));
                note(first);
                // Coalesce what queued up meanwhile.
                while let Ok(c) = rx.try_recv() {
                    note(Ok(c));
                }
                let result = if all {
                    cache.reload_all().await
                } else {
                    let mut r = Ok(());
                    for t in tenants {
                        r = r.and(cache.reload_tenant(t).await);
                    }
                    r
                };
                if let Err(e) = result {
                    tracing::error!(error = %e, "routing cache reload failed; serving the previous snapshot");
                }
                if closed {
                    return;
                }
            }
        });
        if let Ok(mut t) = cache.inner.task.lock() {
            *t = Some(task);
        }
        Ok(cache)
    }

    /// The snapshot of one tenant.
    pub fn tenant(&self, id: TenantId) -> Option<Arc<TenantRouting>> {
        self.snapshot().tenants.get(&id).cloned()
    }

    /// The snapshot of the tenant owning DID `number`.
    pub fn tenant_for_did(&self, number: &str) -> Option<Arc<TenantRouting>> {
        let snap = self.snapshot();
        let id = snap.dids.get(number)?;
        snap.tenants.get(id).cloned()
    }

    /// The snapshot of the tenant whose extension has SIP user name
    /// `username` (the caller of an internal call).
    pub fn tenant_for_user(&self, username: &str) -> Option<Arc<TenantRouting>> {
        let snap = self.snapshot();
        let id = snap.users.get(username)?;
        snap.tenants.get(id).cloned()
    }

    /// How many reloads have been applied (grows by one per reload).
    pub fn generation(&self) -> u64 {
        self.inner.generation.load(Ordering::Acquire)
    }

    fn snapshot(&self) -> Arc<Snapshot> {
        match self.inner.snapshot.read() {
            Ok(s) => s.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn swap(&self, edit: impl FnOnce(&mut Snapshot)) {
        let mut guard = match self.inner.snapshot.write() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut next = Snapshot {
            tenants: guard.tenants.clone(),
            dids: guard.dids.clone(),
            users: guard.users.clone(),
        };
        edit(&mut next);
        *guard = Arc::new(next);
        drop(guard);
        self.inner.generation.fetch_add(1, Ordering::Release);
    }

    /// Reloads one tenant now (the follower does this by itself).
    pub async fn reload_tenant(&self, id: TenantId) -> Result<()> {
        let loaded = match load_tenant(&self.inner.store, id).await {
            Ok(t) => Some(t),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        self.swap(|snap| {
            snap.dids.retain(|_, t| *t != id);
            snap.users.retain(|_, t| *t != id);
            match loaded {
                Some(t) => {
                    for d in &t.dids {
                        snap.dids.insert(d.spec.number.clone(), id);
                    }
                    for user in t.users.keys() {
                        snap.users.insert(user.clone(), id);
                    }
                    snap.tenants.insert(id, Arc::new(t));
                }
                None => {
                    snap.tenants.remove(&id);
                }
            }
        });
        Ok(())
    }

    /// Reloads every tenant now.
    pub async fn reload_all(&self) -> Result<()> {
        let store = &self.inner.store;
        let tenants = collect(|p| store.list_tenants(p)).await?;
        let mut next = Snapshot::default();
        for t in tenants {
            let r = load_tenant(store, t.id).await?;
            for user in r.users.keys() {
                next.users.insert(user.clone(), t.id);
            }
            for d in &r.dids {
                next.dids.insert(d.spec.number.clone(), t.id);
            }
            next.tenants.insert(t.id, Arc::new(r));
        }
        self.swap(|snap| *snap = next);
        Ok(())
    }
}

/// Whether a change can alter routing (contacts, users and tokens cannot).
fn affects_routing(kind: ChangeKind) -> bool {
    !matches!(
        kind,
        ChangeKind::Contact
            | ChangeKind::User
            | ChangeKind::Token
            | ChangeKind::Voicemail
            | ChangeKind::Recording
    )
}
