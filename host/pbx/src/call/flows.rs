//! Compiled flow versions for calls, by version id.
//!
//! A version is compiled once (the engine's on-disk cache makes a restart
//! cheap) and shared by every call that runs it; a call holds its own
//! `Arc`, so activating another version never disturbs calls in progress.
//! Active versions are prepared ahead of calls (at start and whenever the
//! routing changes) so that the first call after an activation does not
//! wait for a compile.

use pbx_flow::{FlowEngine, PreparedFlow};
use pbx_store::{FlowVersionId, RoutingCache, Store, TenantId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Prepared flows by version id.
#[derive(Clone)]
pub struct FlowCache {
    engine: FlowEngine,
    store: Store,
    ready: Arc<Mutex<HashMap<FlowVersionId, Arc<PreparedFlow>>>>,
}

impl FlowCache {
    /// An empty cache compiling with `engine` from `store`'s components.
    pub fn new(engine: FlowEngine, store: Store) -> FlowCache {
        FlowCache {
            engine,
            store,
            ready: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// The engine flows run on.
    pub fn engine(&self) -> &FlowEngine {
        &self.engine
    }

    fn ready(&self) -> std::sync::MutexGuard<'_, HashMap<FlowVersionId, Arc<PreparedFlow>>> {
        self.ready.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Version `id` of `tenant`, compiled; an error says why it cannot run.
    pub async fn get(
        &self,
        tenant: TenantId,
        id: FlowVersionId,
    ) -> Result<Arc<PreparedFlow>, String> {
        if let Some(flow) = self.ready().get(&id) {
            return Ok(flow.clone());
        }
        let bytes = self
            .store
            .read_flow_component(tenant, id)
            .await
            .map_err(|e| e.to_string())?;
        let prepared = self
            .engine
            .prepare(&bytes)
            .await
            .map_err(|e| format!("flow version {id} does not load: {e}"))?;
        let prepared = Arc::new(prepared);
        self.ready().insert(id, prepared.clone());
        Ok(prepared)
    }

    /// Prepare every active (or route-pinned) version of every tenant in
    /// `cache`, and forget versions no route uses any more (calls still
    /// running them keep their own `Arc`).
    pub async fn warm(&self, cache: &RoutingCache, tenants: &[TenantId]) {
        let mut wanted = Vec::new();
        for &t in tenants {
            let Some(routing) = cache.tenant(t) else {
                continue;
            };
            for flow in routing.flows.values() {
                if let Some(v) = flow.active_version_id {
                    wanted.push((t, v));
                }
            }
            for (_, route) in &routing.inbound_routes {
                if let pbx_store::RouteTarget::Flow {
                    version: Some(v), ..
                } = route.spec.target
                {
                    wanted.push((t, v));
                }
            }
        }
        for (t, v) in &wanted {
            if let Err(e) = self.get(*t, *v).await {
                tracing::warn!(tenant = %t, version = %v, error = %e, "flow version not prepared");
            }
        }
        self.ready()
            .retain(|id, _| wanted.iter().any(|(_, v)| v == id));
    }
}
