//! Which tenant and route a new call belongs to, decided from the routing
//! cache (memory only: the SIP driver asks for every new call).
//!
//! Internal calls belong to the caller's tenant (found by the extension's
//! SIP user name); trunk calls to the tenant owning the dialled DID. The
//! tenant's blocked numbers, its concurrent-call limit and the caller's
//! class of service are enforced here, before any flow runs.

use super::limits::TenantCalls;
use pbx_sip::service::{CallRouter, NewCall, RouteDecision};
use pbx_store::RouteTarget;
use pbx_store::RoutingCache;
use pbx_store::TenantRouting;
use pbx_store::{FlowId, FlowVersionId};
use std::sync::Arc;

/// SIP status for a blocked caller: 603 Decline.
pub const BLOCKED_STATUS: u16 = 603;
/// SIP status over the tenant's concurrent-call limit: 486 Busy Here.
pub const LIMIT_STATUS: u16 = 486;
/// SIP status when the caller's class of service forbids the number.
pub const FORBIDDEN_STATUS: u16 = 403;

/// A call that runs a flow: which one, with which parameters.
#[derive(Debug, Clone)]
pub struct FlowRoute {
    /// The tenant's snapshot at the call's start.
    pub tenant: Arc<TenantRouting>,
    /// The flow.
    pub flow_id: FlowId,
    /// Its name.
    pub flow_name: String,
    /// The version the call runs (the active one at the call's start, or
    /// the one the route pins).
    pub version_id: FlowVersionId,
    /// Its number.
    pub version: i64,
    /// The route's parameters (JSON object).
    pub params: serde_json::Value,
    /// The route's name ("personal flow of 1002" for an extension's own).
    pub route_name: String,
    /// Language for prompts.
    pub language: String,
}

/// What to do with a new call.
#[derive(Debug, Clone)]
pub enum Resolution {
    /// Run a flow.
    Flow(Box<FlowRoute>),
    /// Leave it to the SIP service's built-in routing (extension to
    /// extension, outbound trunks).
    Builtin,
    /// Refuse it with a SIP status, for a reason (metrics, logs).
    Reject(u16, &'static str),
}

/// Told the reason of every refused call (metrics).
pub type RejectHook = Arc<dyn Fn(&'static str) + Send + Sync>;

/// The call router: the routing cache plus the live-call counts.
#[derive(Clone)]
pub struct Router {
    cache: RoutingCache,
    calls: TenantCalls,
    on_reject: Option<RejectHook>,
}

impl Router {
    /// A router reading `cache`, counting calls in `calls`.
    pub fn new(cache: RoutingCache, calls: TenantCalls) -> Router {
        Router {
            cache,
            calls,
            on_reject: None,
        }
    }

    /// The same router, telling `hook` why it refuses calls.
    pub fn on_reject(mut self, hook: RejectHook) -> Router {
        self.on_reject = Some(hook);
        self
    }

    /// The routing cache.
    pub fn cache(&self) -> &RoutingCache {
        &self.cache
    }

    /// The tenant of a new call.
    pub fn tenant_of(&self, call: &NewCall) -> Option<Arc<TenantRouting>> {
        match &call.trunk {
            Some(_) => self.cache.tenant_for_did(&call.callee),
            None => self.cache.tenant_for_user(&call.caller),
        }
    }

    /// The decision for `call`.
    pub fn resolve(&self, call: &NewCall) -> Resolution {
        let Some(tenant) = self.tenant_of(call) else {
            // Not a tenant's extension or DID: the SIP service's own
            // routing (and its 404) applies.
            return Resolution::Builtin;
        };
        // The caller's number as the tenant knows it.
        let caller_extension = call
            .trunk
            .is_none()
            .then(|| tenant.extension_by_user(&call.caller))
            .flatten();
        let caller_number = caller_extension
            .map(|e| e.spec.number.as_str())
            .unwrap_or(call.caller.as_str());
        if tenant.is_blocked(caller_number) {
            return Resolution::Reject(BLOCKED_STATUS, "blocked");
        }
        let language = caller_extension
            .and_then(|e| e.spec.language.clone())
            .unwrap_or_else(|| tenant.tenant.spec.language.clone());
        if let Some(route) = tenant.inbound_route(&call.callee) {
            if let Some(resolved) = tenant.resolve_flow(route) {
                if self.over_limit(&tenant) {
                    return Resolution::Reject(LIMIT_STATUS, "limit");
                }
                return Resolution::Flow(Box::new(FlowRoute {
                    flow_id: resolved.flow.id,
                    flow_name: resolved.flow.spec.name.clone(),
                    version_id: resolved.version.id,
                    version: resolved.version.version,
                    params: resolved.params.clone(),
                    route_name: route.spec.name.clone(),
                    language,
                    tenant: tenant.clone(),
                }));
            }
            if matches!(route.spec.target, RouteTarget::Flow { .. }) {
                // A flow route without an active version: nothing can
                // answer it.
                return Resolution::Reject(480, "no-active-version");
            }
        }
        if let Some(callee) = tenant.extension(&call.callee)
            && let Some(flow_id) = callee.spec.personal_flow_id
            && let Some(flow) = tenant.flows.get(&flow_id)
            && let Some(version) = flow.active_version_id.and_then(|v| tenant.versions.get(&v))
        {
            if self.over_limit(&tenant) {
                return Resolution::Reject(LIMIT_STATUS, "limit");
            }
            return Resolution::Flow(Box::new(FlowRoute {
                flow_id,
                flow_name: flow.spec.name.clone(),
                version_id: version.id,
                version: version.version,
                params: callee.spec.personal_flow_params.clone(),
                route_name: format!("personal flow of {}", callee.spec.number),
                language: callee.spec.language.clone().unwrap_or(language),
                tenant: tenant.clone(),
            }));
        }
        if let Some(ext) = caller_extension
            && tenant.extension(&call.callee).is_none()
            && tenant
                .outbound_routes
                .iter()
                .any(|(pattern, _)| pattern.matches(&call.callee))
            && tenant
                .outbound_route(&call.callee, ext.spec.class_of_service)
                .is_none()
        {
            return Resolution::Reject(FORBIDDEN_STATUS, "class-of-service");
        }
        Resolution::Builtin
    }

    fn over_limit(&self, tenant: &TenantRouting) -> bool {
        let max = tenant.tenant.spec.max_inbound_calls.max(0) as usize;
        self.calls.count(&tenant.tenant.id.to_string()) >= max
    }
}

impl CallRouter for Router {
    fn route(&self, call: &NewCall) -> RouteDecision {
        match self.resolve(call) {
            Resolution::Flow(_) => RouteDecision::Application,
            Resolution::Builtin => RouteDecision::Default,
            Resolution::Reject(status, reason) => {
                if let Some(hook) = &self.on_reject {
                    hook(reason);
                }
                tracing::info!(caller = %call.caller, callee = %call.callee, status, reason, "call refused");
                RouteDecision::Reject(status)
            }
        }
    }
}
