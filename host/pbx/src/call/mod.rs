//! The call model: where SIP, media, flows and the store meet.
//!
//! The SIP service asks the [`Router`] what to do with each new call;
//! calls routed to a flow arrive here as [`AppCall`]s. Each gets a task
//! (under a tracing span carrying its tenant and call id) that resolves the
//! route's flow version, runs the flow against a [`SipCall`] (the caller's
//! SIP leg and its anchored media) and the tenant's data, carries out a
//! transfer the flow asked for, and hands the call record to the batching
//! writer.

pub mod clock;
mod control;
pub mod dial;
pub mod flows;
pub mod limits;
pub mod observe;
pub mod record;
pub mod router;
pub mod session;
pub mod tenant;
pub mod tones;
pub mod voicemail;

pub use clock::Clock;
pub use router::{Resolution, Router};
pub use session::{CallDeps, SipCall};

use chrono::Utc;
use flows::FlowCache;
use limits::TenantCalls;
use pbx_flow::bindings::Value;
use pbx_flow::bindings::call::{CallInfo, Origin, TransferTarget};
use pbx_flow::tenant_time::to_wit;
use pbx_flow::{CallSetup, Fallback, FlowPermissions, Params};
use pbx_media::prompt::Playlist;
use pbx_sip::service::{AppCall, NewCall};
use pbx_store::{CallRecordWriter, Direction, Store};
use std::sync::Arc;
use tenant::{RegisteredCheck, StoreTenant};
use tokio::sync::mpsc::UnboundedReceiver;
use tracing::Instrument;

/// Prompts by name, for a tenant and a language.
pub trait PromptSource: Send + Sync {
    /// The playlist of `names`; `Err(name)` names the first one missing.
    fn playlist(&self, tenant: &str, language: &str, names: &[String]) -> Result<Playlist, String>;
    /// Prompt names that speak `digits` one by one.
    fn digits(&self, language: &str, digits: &str) -> Vec<String>;
    /// Prompt names that speak the number `n`.
    fn number(&self, language: &str, n: i64) -> Vec<String>;
}

/// Hooks for observability: told when calls and flows start and end.
pub trait CallObserver: Send + Sync {
    /// A flow-driven call started.
    fn call_started(&self, tenant: &str, call_id: &str, caller: &str, callee: &str, flow: &str);
    /// The caller was bridged to `peer`, or (`None`) is back with its flow.
    fn call_bridged(&self, call_id: &str, peer: Option<&str>);
    /// It ended; `outcome` is the flow's outcome name.
    fn call_ended(&self, tenant: &str, call_id: &str, outcome: &str, failed: bool, rtp: (u64, u64));
}

/// Everything the call model needs.
pub struct CallModel {
    /// Shared by every call.
    pub deps: Arc<CallDeps>,
    /// Routing decisions.
    pub router: Router,
    /// Compiled flows.
    pub flows: FlowCache,
    /// The store.
    pub store: Store,
    /// The PBX's clock.
    pub clock: Clock,
    /// Live calls per tenant.
    pub calls: TenantCalls,
    /// Call records.
    pub records: CallRecordWriter,
    /// Whether an extension has a registered phone.
    pub registered: RegisteredCheck,
    /// Observability hooks.
    pub observer: Option<Arc<dyn CallObserver>>,
}

/// The tenant's fallback for a failed flow: the apology prompt, then its
/// fallback destination ("extension:N", "voicemail:N" or a bare extension
/// number) or a hang-up.
pub fn fallback_for(destination: Option<&str>) -> Fallback {
    let destination = destination
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| match d.split_once(':') {
            Some(("voicemail", n)) => TransferTarget::Voicemail(n.to_string()),
            Some(("extension", n)) => TransferTarget::Extension(n.to_string()),
            _ => TransferTarget::Extension(d.to_string()),
        });
    Fallback {
        apology_prompt: Some("technical-difficulties".to_string()),
        destination,
    }
}

/// A route's JSON parameters as the contract's values (unknown shapes are
/// skipped; the schema check reports what is missing).
fn params_from_json(json: &serde_json::Value) -> Vec<(String, Value)> {
    let Some(map) = json.as_object() else {
        return Vec::new();
    };
    map.iter()
        .filter_map(|(k, v)| {
            let value = match v {
                serde_json::Value::String(s) => Value::Text(s.clone()),
                serde_json::Value::Number(n) => Value::Integer(n.as_i64()?),
                serde_json::Value::Bool(b) => Value::Boolean(*b),
                serde_json::Value::Array(items) => Value::TextList(
                    items
                        .iter()
                        .map(|x| x.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()?,
                ),
                _ => return None,
            };
            Some((k.clone(), value))
        })
        .collect()
}

impl CallModel {
    /// Take calls from `incoming` until the SIP service stops.
    pub fn spawn(
        self: Arc<Self>,
        mut incoming: UnboundedReceiver<AppCall>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            while let Some(call) = incoming.recv().await {
                let model = self.clone();
                tokio::spawn(async move { model.handle(call).await });
            }
        })
    }

    async fn handle(self: Arc<Self>, app: AppCall) {
        let new = NewCall {
            caller: app.caller.clone(),
            callee: app.callee.clone(),
            trunk: app.trunk.clone(),
            source: ([0, 0, 0, 0], 0).into(),
        };
        let route = match self.router.resolve(&new) {
            Resolution::Flow(route) => route,
            // The routing changed between the router's answer and now.
            Resolution::Reject(status, _) => return app.reject(status),
            Resolution::Builtin => return app.reject(480),
        };
        let span = tracing::info_span!(
            "call",
            tenant = %route.tenant.tenant.spec.name,
            call_id = %app.call_id,
            caller = %app.caller,
            callee = %app.callee,
        );
        self.run(app, *route).instrument(span).await
    }

    async fn run(&self, app: AppCall, route: router::FlowRoute) {
        let tenant = route.tenant.clone();
        let tenant_id = tenant.tenant.id;
        let tenant_key = tenant_id.to_string();
        let _count = self.calls.enter(&tenant_key);
        let started_at = Utc::now();
        let label = format!("{} v{}", route.flow_name, route.version);
        tracing::info!(flow = %label, route = %route.route_name, "call handed to its flow");
        let flow = match self.flows.get(tenant_id, route.version_id).await {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "flow version cannot run; call refused");
                app.reject(503);
                return;
            }
        };
        let caller_number = match app.trunk {
            None => tenant
                .extension_by_user(&app.caller)
                .map_or_else(|| app.caller.clone(), |e| e.spec.number.clone()),
            Some(_) => app.caller.clone(),
        };
        let info = CallInfo {
            call_id: app.call_id.clone(),
            tenant: tenant.tenant.spec.name.clone(),
            caller_number: caller_number.clone(),
            caller_name: app.caller_name.clone(),
            dialled_number: app.callee.clone(),
            did: app.trunk.as_ref().map(|_| app.callee.clone()),
            origin: match &app.trunk {
                Some(t) => Origin::Trunk(t.clone()),
                None => Origin::Extension(caller_number.clone()),
            },
            language: route.language.clone(),
            started_at: to_wit(&self.clock.now().with_timezone(&tenant.time_zone)),
        };
        if let Some(o) = &self.observer {
            o.call_started(
                &tenant_key,
                &app.call_id,
                &caller_number,
                &app.callee,
                &label,
            );
        }
        let (call_id, callee, trunk) = (app.call_id.clone(), app.callee.clone(), app.trunk.clone());
        let caller_name = app.caller_name.clone();
        let mut control = SipCall::new(self.deps.clone(), app, info, tenant.clone());
        control.observer = self.observer.clone();
        let params = match Params::resolve(&flow.description, params_from_json(&route.params)) {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "route parameters do not fit the flow; fallback");
                // Run the flow anyway would misbehave: give the fallback.
                Params::from_values(Vec::new())
            }
        };
        let tenant_data = Arc::new(StoreTenant::new(
            tenant.clone(),
            self.router.cache().clone(),
            self.store.clone(),
            self.clock,
            self.registered.clone(),
        ));
        let setup = CallSetup {
            control: Box::new(control),
            tenant: tenant_data,
            tenant_id: tenant_key.clone(),
            params: Arc::new(params),
            permissions: FlowPermissions::default(),
            fallback: fallback_for(tenant.tenant.spec.fallback_destination.as_deref()),
            flow_label: label.clone(),
        };
        let report = self.flows.engine().run_call(&flow, setup).await;
        let failed = report.outcome.is_failure();
        tracing::info!(
            outcome = report.outcome.name(),
            fallback = report.fallback_applied,
            "flow done"
        );
        let Ok(mut call) = report.control.into_any().downcast::<SipCall>() else {
            tracing::error!("call control of another type came back");
            return;
        };
        call.complete_handover().await;
        call.finish().await;
        let trace = serde_json::to_value(&report.trace).unwrap_or_default();
        let record = record::build(
            record::Finished {
                tenant: tenant_id,
                call_id: &call_id,
                direction: if trunk.is_some() {
                    Direction::Inbound
                } else {
                    Direction::Internal
                },
                caller: &caller_number,
                caller_name: caller_name.as_deref(),
                dialled: &callee,
                did: trunk.as_ref().map(|_| &callee[..]),
                started_at,
                flow: Some((&route.flow_name, route.version)),
                flow_outcome: report.outcome.name(),
                flow_failed: failed,
                trace,
            },
            &call.log,
        );
        if let Some(o) = &self.observer {
            o.call_ended(
                &tenant.tenant.spec.name,
                &call_id,
                report.outcome.name(),
                failed,
                (call.log.rtp_received, call.log.rtp_lost),
            );
        }
        if let Err(full) = self.records.try_record(record) {
            // Never wait on the call path: a full queue waits here, in this
            // call's own task, after the caller is gone.
            self.records.record(*full.0).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fallback_destinations_parse() {
        assert_eq!(fallback_for(None).destination, None);
        assert_eq!(
            fallback_for(Some("voicemail:1001")).destination,
            Some(TransferTarget::Voicemail("1001".into()))
        );
        assert_eq!(
            fallback_for(Some("1003")).destination,
            Some(TransferTarget::Extension("1003".into()))
        );
    }

    #[test]
    fn json_params_become_values() {
        let v = params_from_json(&serde_json::json!({
            "a": "x", "b": 3, "c": true, "d": ["1", "2"], "e": {"no": 1}
        }));
        assert_eq!(v.len(), 4);
        assert!(v.contains(&("b".to_string(), Value::Integer(3))));
    }
}
