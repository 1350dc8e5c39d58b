//! The flow simulator: run a call flow against a scripted call, with no
//! SIP and no media, and check what it did.
//!
//! A scenario file sets the caller, the dialled number, the date and time,
//! the tenant's data, the keys the caller presses and the results of
//! dials, queues and voicemail; it lists the actions the flow is expected
//! to take. The simulator implements the flow runtime's [`CallControl`]
//! and [`TenantData`] traits on a virtual clock, exactly where the real
//! call model plugs in, so a flow cannot tell the difference.
//!
//! [`CallControl`]: pbx_flow::CallControl
//! [`TenantData`]: pbx_flow::TenantData

pub mod action;
pub mod call;
pub mod expect;
pub mod keys;
pub mod scenario;
pub mod tenant;

use action::{Action, parse_transfer_target};
use call::{Journal, SimCall};
use chrono_tz::Tz;
use expect::Mismatch;
use pbx_flow::bindings::Value;
use pbx_flow::bindings::call::{CallInfo, Origin};
use pbx_flow::trace::TraceEvent;
use pbx_flow::{
    CallSetup, Fallback, FlowEngine, FlowOutcome, FlowPermissions, Params, PreparedFlow, Trace,
};
pub use scenario::{Scenario, ScenarioError};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tenant::SimTenant;

/// The result of one simulated call.
#[derive(Debug)]
pub struct SimReport {
    /// How the flow ended.
    pub outcome: FlowOutcome,
    /// Every host call, log event and output line.
    pub trace: Trace,
    /// The call-control actions, in order.
    pub actions: Vec<Action>,
    /// Call-record fields the flow set.
    pub fields: std::collections::BTreeMap<String, String>,
    /// Whether the tenant's fallback was applied.
    pub fallback_applied: bool,
    /// The first expectation that failed, if any.
    pub mismatch: Option<Mismatch>,
}

impl SimReport {
    /// Whether every expectation held.
    pub fn passed(&self) -> bool {
        self.mismatch.is_none()
    }
}

/// Run `flow` against `scenario` on `engine`.
pub async fn run(
    engine: &FlowEngine,
    flow: &PreparedFlow,
    scenario: &Scenario,
) -> Result<SimReport, ScenarioError> {
    let invalid = |m: String| ScenarioError::Invalid(m);
    let tz: Tz = scenario
        .call
        .timezone
        .parse()
        .map_err(|_| invalid("bad time zone".into()))?;
    let start = tenant::start_time(tz, scenario.call.at).map_err(invalid)?;
    let clock = Arc::new(AtomicU64::new(0));
    let journal = Arc::new(Mutex::new(Journal::default()));
    let info = call_info(scenario, &start)?;
    let params = Params::resolve(&flow.description, params_from_toml(&scenario.params)?)
        .map_err(|e| invalid(e.to_string()))?;
    let fallback = Fallback {
        apology_prompt: scenario.route.fallback_prompt.clone(),
        destination: match &scenario.route.fallback_destination {
            Some(d) => Some(parse_transfer_target(d).ok_or_else(|| {
                invalid(format!(
                    "fallback-destination `{d}`: use ext:N, queue:N, vm:N or tel:N"
                ))
            })?),
            None => None,
        },
    };
    let setup = CallSetup {
        control: Box::new(SimCall::new(scenario, info, clock.clone(), journal.clone())),
        tenant: Arc::new(SimTenant::new(scenario, start, clock)),
        tenant_id: scenario.call.tenant.clone(),
        params: Arc::new(params),
        permissions: FlowPermissions {
            set_flags: scenario.route.allow_set_flags,
        },
        fallback,
        flow_label: format!("{} {}", flow.description.name, flow.description.version),
    };
    let report = engine.run_call(flow, setup).await;
    let journal = std::mem::take(&mut *journal.lock().expect("journal"));
    let logs: Vec<String> = report
        .trace
        .events
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Log { name, .. } => Some(name.clone()),
            _ => None,
        })
        .collect();
    let mismatch = expect::check_actions(&scenario.expect, &journal.actions)
        .and_then(|_| expect::check_logs(&scenario.expect_logs, &logs))
        .and_then(|_| match &scenario.expect_outcome {
            Some(o) if o != report.outcome.name() => Err(Mismatch {
                index: scenario.expect.len() + 1,
                message: format!(
                    "expected the flow to end `{o}`, it ended `{}` ({:?})",
                    report.outcome.name(),
                    report.outcome
                ),
            }),
            _ => Ok(()),
        })
        .err();
    Ok(SimReport {
        outcome: report.outcome,
        trace: report.trace,
        actions: journal.actions,
        fields: journal.fields,
        fallback_applied: report.fallback_applied,
        mismatch,
    })
}

fn call_info(s: &Scenario, start: &chrono::DateTime<Tz>) -> Result<CallInfo, ScenarioError> {
    let origin = match s.call.origin.split_once(':') {
        Some(("trunk", name)) => Origin::Trunk(name.to_string()),
        Some(("extension", n)) => Origin::Extension(n.to_string()),
        _ => {
            return Err(ScenarioError::Invalid(format!(
                "call.origin `{}`: use trunk:NAME or extension:NUMBER",
                s.call.origin
            )));
        }
    };
    Ok(CallInfo {
        call_id: "sim-0001".into(),
        tenant: s.call.tenant.clone(),
        caller_number: s.call.caller.clone(),
        caller_name: s.call.caller_name.clone(),
        dialled_number: s.call.dialled.clone(),
        did: s.call.did.clone(),
        origin,
        language: s.call.language.clone(),
        started_at: pbx_flow::tenant_time::to_wit(start),
    })
}

/// Route parameters from the scenario's `[params]` table.
fn params_from_toml(t: &toml::Table) -> Result<Vec<(String, Value)>, ScenarioError> {
    t.iter()
        .map(|(k, v)| {
            let value = match v {
                toml::Value::String(s) => Value::Text(s.clone()),
                toml::Value::Integer(i) => Value::Integer(*i),
                toml::Value::Boolean(b) => Value::Boolean(*b),
                toml::Value::Array(a) => Value::TextList(
                    a.iter()
                        .map(|x| x.as_str().map(str::to_string))
                        .collect::<Option<Vec<_>>>()
                        .ok_or_else(|| {
                            ScenarioError::Invalid(format!("params.{k}: lists hold strings only"))
                        })?,
                ),
                _ => {
                    return Err(ScenarioError::Invalid(format!(
                        "params.{k}: use a string, integer, boolean or list of strings"
                    )));
                }
            };
            Ok((k.clone(), value))
        })
        .collect()
}
