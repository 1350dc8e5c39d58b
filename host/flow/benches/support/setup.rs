//! Call set-up, runtime, engine and outcome helpers.

use super::TENANT;
use super::fake_call::{FakeCall, Gate};
use pbx_flow::{
    CallSetup, Fallback, FlowEngine, FlowLimits, FlowOutcome, FlowPermissions, Params,
    PreparedFlow, TenantData,
};
use std::path::Path;
use std::sync::Arc;
use tokio::runtime::Runtime;

/// What one call brings: a fresh fake call, the shared tenant and the
/// route's parameters (the flow's defaults).
pub fn setup(tenant: &Arc<dyn TenantData>, params: &Arc<Params>, gate: Option<Gate>) -> CallSetup {
    CallSetup {
        control: Box::new(FakeCall::new(gate)),
        tenant: tenant.clone(),
        tenant_id: TENANT.to_string(),
        params: params.clone(),
        permissions: FlowPermissions::default(),
        fallback: Fallback::default(),
        flow_label: "bench v1".to_string(),
    }
}

pub fn default_params(flow: &PreparedFlow) -> Arc<Params> {
    Arc::new(Params::resolve(&flow.description, Vec::new()).expect("flow defaults resolve"))
}

pub fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// An engine with these limits. Every engine of the run shares one on-disk
/// code cache, so each component is compiled once per configuration.
pub fn engine(limits: FlowLimits, cache: &Path) -> FlowEngine {
    FlowEngine::new(limits, Some(cache.to_path_buf())).expect("flow engine")
}

pub fn prepare(rt: &Runtime, engine: &FlowEngine, bytes: &[u8]) -> Arc<PreparedFlow> {
    Arc::new(rt.block_on(engine.prepare(bytes)).expect("prepare flow"))
}

pub fn assert_completed(outcome: &FlowOutcome) {
    assert_eq!(
        outcome,
        &FlowOutcome::Completed,
        "bench call did not complete"
    );
}
