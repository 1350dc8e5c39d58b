//! The routing cache: an in-memory snapshot per tenant of everything a
//! call's routing reads, so a call never waits on the database.
//!
//! [`RoutingCache::load`] reads every tenant once, then follows the change
//! feed: a change reloads only its tenant (several queued changes of one
//! tenant reload it once), a lagged feed or a change without tenant reloads
//! everything. Readers get an `Arc<TenantRouting>`: an immutable snapshot
//! that stays valid for the whole call even if a newer one replaces it.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};

use chrono::{DateTime, Utc};
use pbx_calendar::{HolidayCalendar, Schedule, ScheduleStatus};
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;

use crate::change::ChangeKind;
use crate::crud;
use crate::error::{Result, StoreError};
use crate::ids::{FlowId, FlowVersionId, TenantId, TrunkId};
use crate::page::{Page, Paged};
use crate::pattern::NumberPattern;
use crate::repo::blocked::BlockedNumber;
use crate::repo::dids::Did;
use crate::repo::extensions::{ClassOfService, Extension};
use crate::repo::flags::IncidentFlag;
use crate::repo::flow_versions::FlowVersion;
use crate::repo::flows::Flow;
use crate::repo::inbound_routes::{InboundRoute, RouteTarget};
use crate::repo::outbound_routes::OutboundRoute;
use crate::repo::tenants::Tenant;
use crate::repo::trunks::Trunk;
use crate::store::Store;

/// What routing needs of one tenant, as of one moment.
#[derive(Debug, Clone)]
pub struct TenantRouting {
    /// The tenant (limits, language, time zone, fallback).
    pub tenant: Tenant,
    /// Its time zone, parsed.
    pub time_zone: chrono_tz::Tz,
    /// Its DIDs.
    pub dids: Vec<Did>,
    /// Inbound routes, in matching order (priority, then specificity).
    pub inbound_routes: Vec<(NumberPattern, InboundRoute)>,
    /// Outbound routes, in matching order.
    pub outbound_routes: Vec<(NumberPattern, OutboundRoute)>,
    /// Trunks by id.
    pub trunks: HashMap<TrunkId, Trunk>,
    /// Extensions by number.
    pub extensions: HashMap<String, Extension>,
    /// Blocked numbers.
    pub blocked: Vec<BlockedNumber>,
    /// Schedules by name.
    pub schedules: HashMap<String, Schedule>,
    /// Holiday calendars by name.
    pub calendars: BTreeMap<String, HolidayCalendar>,
    /// Incident flags by name.
    pub flags: HashMap<String, IncidentFlag>,
    /// Flows by id.
    pub flows: HashMap<FlowId, Flow>,
    /// Every version an active pointer or a route refers to.
    pub versions: HashMap<FlowVersionId, FlowVersion>,
}

/// The flow a call to a route runs, resolved to one version.
#[derive(Debug, Clone)]
pub struct ResolvedFlow<'a> {
    /// The flow.
    pub flow: &'a Flow,
    /// The version to run (pinned by the route, or the active one).
    pub version: &'a FlowVersion,
    /// The route's parameters.
    pub params: &'a serde_json::Value,
}

impl TenantRouting {
    /// The first inbound route whose pattern matches `dialled`.
    pub fn inbound_route(&self, dialled: &str) -> Option<&InboundRoute> {
        self.inbound_routes
            .iter()
            .find(|(p, _)| p.matches(dialled))
            .map(|(_, r)| r)
    }

    /// The flow version and parameters a route runs; `None` for other
    /// targets or a flow without an active version.
    pub fn resolve_flow<'a>(&'a self, route: &'a InboundRoute) -> Option<ResolvedFlow<'a>> {
        let RouteTarget::Flow { flow_id, version } = &route.spec.target else {
            return None;
        };
        let flow = self.flows.get(flow_id)?;
        let version = self.versions.get(&version.or(flow.active_version_id)?)?;
        Some(ResolvedFlow {
            flow,
            version,
            params: &route.spec.params,
        })
    }

    /// Whether `caller` is blocked.
    pub fn is_blocked(&self, caller: &str) -> bool {
        self.blocked.iter().any(|b| b.spec.blocks(caller))
    }

    /// The extension with this number.
    pub fn extension(&self, number: &str) -> Option<&Extension> {
        self.extensions.get(number)
    }

    /// The first outbound route matching `dialled` that `class` may use,
    /// with its trunk.
    pub fn outbound_route(
        &self,
        dialled: &str,
        class: ClassOfService,
    ) -> Option<(&OutboundRoute, &Trunk)> {
        self.outbound_routes
            .iter()
            .filter(|(p, r)| p.matches(dialled) && class.allows(r.spec.class_of_service))
            .find_map(|(_, r)| self.trunks.get(&r.spec.trunk_id).map(|t| (r, t)))
    }

    /// Whether the schedule called `name` is open at `at`, in the tenant's
    /// time zone, with its holiday calendars; `None` if there is no such
    /// schedule.
    pub fn schedule_status(&self, name: &str, at: DateTime<Utc>) -> Option<ScheduleStatus> {
        let schedule = self.schedules.get(name)?;
        Some(schedule.status_at(at.with_timezone(&self.time_zone), &self.calendars))
    }

    /// The incident flag called `name`.
    pub fn flag(&self, name: &str) -> Option<&IncidentFlag> {
        self.flags.get(name)
    }
}

#[derive(Default)]
struct Snapshot {
    tenants: HashMap<TenantId, Arc<TenantRouting>>,
    /// DID number -> tenant, the first look-up of every incoming call.
    dids: HashMap<String, TenantId>,
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
            match loaded {
                Some(t) => {
                    for d in &t.dids {
                        snap.dids.insert(d.spec.number.clone(), id);
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

async fn collect<T, F, Fut>(mut list: F) -> Result<Vec<T>>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = Result<Paged<T>>>,
{
    let mut out = Vec::new();
    let mut page = Page::first(Page::MAX_LIMIT);
    loop {
        let p = list(page).await?;
        let n = p.items.len();
        out.extend(p.items);
        if n < page.limit as usize {
            return Ok(out);
        }
        page.offset += n as u64;
    }
}

async fn load_tenant(store: &Store, id: TenantId) -> Result<TenantRouting> {
    let tenant = store.get_tenant(id).await?;
    let time_zone = tenant.spec.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let mut inbound: Vec<(NumberPattern, InboundRoute)> = crud::all::<InboundRoute>(store, id)
        .await?
        .into_iter()
        .filter_map(|r| NumberPattern::parse(&r.spec.pattern).ok().map(|p| (p, r)))
        .collect();
    inbound.sort_by_key(|(p, r)| (r.spec.priority, std::cmp::Reverse(p.specificity())));
    let mut outbound: Vec<(NumberPattern, OutboundRoute)> = crud::all::<OutboundRoute>(store, id)
        .await?
        .into_iter()
        .filter_map(|r| NumberPattern::parse(&r.spec.pattern).ok().map(|p| (p, r)))
        .collect();
    outbound.sort_by_key(|(p, r)| (r.spec.priority, std::cmp::Reverse(p.specificity())));
    let flows: HashMap<FlowId, Flow> = crud::all::<Flow>(store, id)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut wanted: HashSet<FlowVersionId> =
        flows.values().filter_map(|f| f.active_version_id).collect();
    for (_, r) in &inbound {
        if let RouteTarget::Flow {
            version: Some(v), ..
        } = &r.spec.target
        {
            wanted.insert(*v);
        }
    }
    let mut versions = HashMap::new();
    for v in wanted {
        versions.insert(v, store.get_flow_version(id, v).await?);
    }
    Ok(TenantRouting {
        time_zone,
        dids: crud::all::<Did>(store, id).await?,
        inbound_routes: inbound,
        outbound_routes: outbound,
        trunks: crud::all::<Trunk>(store, id)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect(),
        extensions: crud::all::<Extension>(store, id)
            .await?
            .into_iter()
            .map(|e| (e.spec.number.clone(), e))
            .collect(),
        blocked: crud::all::<BlockedNumber>(store, id).await?,
        schedules: collect(|p| store.list_schedules(id, p))
            .await?
            .into_iter()
            .map(|s| (s.spec.name, s.spec.schedule))
            .collect(),
        calendars: collect(|p| store.list_calendars(id, p))
            .await?
            .into_iter()
            .map(|c| (c.spec.name, c.spec.holidays))
            .collect(),
        flags: crud::all::<IncidentFlag>(store, id)
            .await?
            .into_iter()
            .map(|f| (f.spec.name.clone(), f))
            .collect(),
        flows,
        versions,
        tenant,
    })
}
