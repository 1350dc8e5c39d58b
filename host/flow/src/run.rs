//! Running one call through its flow: admission, instantiation, the call
//! itself under its limits, the outcome, and the fallback when it failed.

use crate::backend::{CallControl, TenantData};
use crate::bindings::Error;
use crate::bindings::call::{CallState, HangupCause};
use crate::engine::FlowEngine;
use crate::fallback::{self, Fallback};
use crate::params::Params;
use crate::quarantine::Admission;
use crate::state::{FlowPermissions, FlowState, Stop};
use crate::trace::Trace;
use crate::version::PreparedFlow;
use std::sync::Arc;
use std::time::Instant;

/// Everything a call brings to its flow.
pub struct CallSetup {
    /// The call's control (real dialog and media, or a simulated call).
    pub control: Box<dyn CallControl>,
    /// The tenant's data.
    pub tenant: Arc<dyn TenantData>,
    /// Tenant id, for the per-tenant instance limit and logs.
    pub tenant_id: String,
    /// The route's parameters.
    pub params: Arc<Params>,
    /// What the route lets the flow do.
    pub permissions: FlowPermissions,
    /// What happens to the caller if the flow fails.
    pub fallback: Fallback,
    /// "flow-name v3", for logs.
    pub flow_label: String,
}

/// How a flow's handling of a call ended.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowOutcome {
    /// `handle-call` returned `ok`.
    Completed,
    /// `handle-call` returned `error::hangup`: the caller left.
    CallerHungUp,
    /// `handle-call` returned another error.
    FlowError(Error),
    /// The flow trapped (a panic, an out-of-bounds access, `unreachable`).
    Trapped(String),
    /// The flow computed past its CPU allowance between two host calls.
    CpuDeadline,
    /// The flow tried to grow its memory past the cap.
    MemoryLimit,
    /// The call spent longer in its flow than the wall-clock limit.
    WallClock,
    /// The tenant already has its maximum of live flow instances.
    TenantInstanceLimit,
    /// The version is quarantined: most of its recent runs were stopped
    /// for CPU or memory (see [`crate::quarantine`]). It was not run.
    Quarantined,
    /// The instance could not be created (pool exhausted, ...).
    InstantiateFailed(String),
}

impl FlowOutcome {
    /// Whether this outcome is a failure of the flow (the fallback applies).
    pub fn is_failure(&self) -> bool {
        !matches!(self, FlowOutcome::Completed | FlowOutcome::CallerHungUp)
    }

    /// A short, stable name for call records and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            FlowOutcome::Completed => "completed",
            FlowOutcome::CallerHungUp => "caller-hung-up",
            FlowOutcome::FlowError(_) => "flow-error",
            FlowOutcome::Trapped(_) => "trapped",
            FlowOutcome::CpuDeadline => "cpu-deadline",
            FlowOutcome::MemoryLimit => "memory-limit",
            FlowOutcome::WallClock => "wall-clock",
            FlowOutcome::TenantInstanceLimit => "tenant-instance-limit",
            FlowOutcome::Quarantined => "quarantined",
            FlowOutcome::InstantiateFailed(_) => "instantiate-failed",
        }
    }
}

/// What became of the call: the outcome, the trace, and the control handed
/// back so the call model can finish the call.
pub struct CallReport {
    /// How the flow ended.
    pub outcome: FlowOutcome,
    /// What the flow did.
    pub trace: Trace,
    /// Whether the tenant's fallback was applied.
    pub fallback_applied: bool,
    /// The call's control, back from the sandbox.
    pub control: Box<dyn CallControl>,
}

impl FlowEngine {
    /// Run `flow` for one call. Never panics and never returns an error:
    /// whatever the flow does, the result is an outcome and the caller was
    /// given the fallback if the flow failed while the call was up.
    pub async fn run_call(&self, flow: &PreparedFlow, setup: CallSetup) -> CallReport {
        let CallSetup {
            mut control,
            tenant,
            tenant_id,
            params,
            permissions,
            fallback,
            flow_label,
        } = setup;
        if let Admission::Quarantined(left) = flow.breaker.admit(Instant::now()) {
            let mut trace = Trace::default();
            fallback::apply(&fallback, control.as_mut(), &mut trace).await;
            tracing::debug!(tenant = %tenant_id, flow = %flow_label, left = ?left, "flow quarantined; fallback applied");
            return CallReport {
                outcome: FlowOutcome::Quarantined,
                trace,
                fallback_applied: true,
                control,
            };
        }
        let Some(_slot) = self.admit(&tenant_id) else {
            let mut trace = Trace::default();
            fallback::apply(&fallback, control.as_mut(), &mut trace).await;
            tracing::warn!(tenant = %tenant_id, flow = %flow_label, "flow instance limit reached; fallback applied");
            return CallReport {
                outcome: FlowOutcome::TenantInstanceLimit,
                trace,
                fallback_applied: true,
                control,
            };
        };
        let state = FlowState::new(
            Some(control),
            Some(tenant),
            params,
            permissions,
            self.inner.limits.memory_bytes,
        );
        let mut store = self.new_store(state);
        let run = async {
            let instance = flow
                .pre
                .instantiate_async(&mut store)
                .await
                .map_err(Failure::Instantiate)?;
            instance
                .pbx_flow_handler()
                .call_handle_call(&mut store)
                .await
                .map_err(Failure::Trap)
        };
        let result = tokio::time::timeout(self.inner.limits.wall_clock_per_call, run).await;
        let stop = store.data().stop;
        let outcome = match result {
            Err(_) => FlowOutcome::WallClock,
            Ok(Ok(Ok(()))) => FlowOutcome::Completed,
            Ok(Ok(Err(Error::Hangup))) => FlowOutcome::CallerHungUp,
            Ok(Ok(Err(e))) => FlowOutcome::FlowError(e),
            Ok(Err(Failure::Instantiate(e))) => FlowOutcome::InstantiateFailed(format!("{e:#}")),
            Ok(Err(Failure::Trap(e))) => match stop {
                Some(Stop::CpuDeadline) => FlowOutcome::CpuDeadline,
                Some(Stop::MemoryLimit) => FlowOutcome::MemoryLimit,
                None => FlowOutcome::Trapped(format!("{e:#}")),
            },
        };
        let state = store.data_mut();
        // The flow hung up or handed the call over: the host must neither
        // apply the fallback nor hang up a call that is no longer the flow's.
        let released = state.ended;
        let mut trace = state.take_trace();
        let mut control = state.control.take().expect("control is only taken here");
        drop(store);
        let policy = &self.inner.limits.quarantine;
        if let Some(cooldown) = flow.breaker.finished(policy, Instant::now(), &outcome) {
            tracing::warn!(
                tenant = %tenant_id,
                flow = %flow_label,
                cooldown = ?cooldown,
                "flow quarantined: most of its recent runs were stopped for CPU or memory; \
                 its calls get the fallback until the cooldown ends or another version is activated"
            );
        }

        let mut fallback_applied = false;
        if outcome.is_failure() {
            tracing::warn!(
                tenant = %tenant_id,
                flow = %flow_label,
                outcome = outcome.name(),
                detail = ?outcome,
                "call flow failed"
            );
            if !released && control.state() != CallState::Ended {
                fallback::apply(&fallback, control.as_mut(), &mut trace).await;
                fallback_applied = true;
            }
        } else if !released && control.state() != CallState::Ended {
            // The flow returned with the call still up: end it normally.
            let r = control.hangup(HangupCause::Normal).await;
            trace.push_host(crate::trace::TraceEvent::HostCall {
                at_ms: control.elapsed_ms(),
                interface: "host",
                function: "hangup",
                args: "Normal (the flow returned)".into(),
                result: format!("{r:?}"),
            });
        }
        CallReport {
            outcome,
            trace,
            fallback_applied,
            control,
        }
    }
}

enum Failure {
    Instantiate(wasmtime::Error),
    Trap(wasmtime::Error),
}
