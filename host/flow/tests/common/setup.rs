//! Call set-up: fallbacks, parameters, call set-up builders and the
//! fallback assertions.

use super::fake_call::{Action, CallLog, FakeCall};
use super::fake_tenant::FakeTenant;
use pbx_flow::bindings::Value;
use pbx_flow::bindings::call::{CallState, TransferTarget};
use pbx_flow::{CallSetup, Fallback, FlowPermissions, Params, PreparedFlow, TenantData};
use std::sync::Arc;

/// The apology prompt of [`apology_fallback`].
pub const APOLOGY: &str = "technical-difficulties";

/// A fallback that apologises and transfers to the operator, extension 0.
pub fn apology_fallback() -> Fallback {
    Fallback {
        apology_prompt: Some(APOLOGY.into()),
        destination: Some(TransferTarget::Extension("0".into())),
    }
}

/// Route parameters for the hostile flow.
pub fn hostile_params(mode: &str) -> Arc<Params> {
    Arc::new(Params::from_values(vec![(
        "mode".to_string(),
        Value::Text(mode.to_string()),
    )]))
}

/// The auto-attendant's parameters with every default (and `given` on top).
pub fn defaults_of(flow: &PreparedFlow, given: Vec<(String, Value)>) -> Arc<Params> {
    Arc::new(Params::resolve(&flow.description, given).expect("params fit the schema"))
}

/// A call of `tenant` on `call`, with a default [`FakeTenant`] and the
/// apology fallback. Returns the set-up and the test's view of the call.
pub fn call_setup(tenant: &str, call: FakeCall, params: Arc<Params>) -> (CallSetup, CallLog) {
    call_setup_with(tenant, call, params, Arc::new(FakeTenant::default()))
}

/// Like [`call_setup`], with a given tenant's data.
pub fn call_setup_with(
    tenant: &str,
    call: FakeCall,
    params: Arc<Params>,
    data: Arc<dyn TenantData>,
) -> (CallSetup, CallLog) {
    let log = call.log();
    let setup = CallSetup {
        control: Box::new(call),
        tenant: data,
        tenant_id: tenant.to_string(),
        params,
        permissions: FlowPermissions::default(),
        fallback: apology_fallback(),
        flow_label: "test-flow v1".into(),
    };
    (setup, log)
}

/// A plain ringing call of the hostile flow in `mode`.
pub fn hostile_call(tenant: &str, mode: &str) -> (CallSetup, CallLog) {
    call_setup(tenant, FakeCall::new(tenant), hostile_params(mode))
}

/// Assert that the fallback ran on `log`: the apology prompt, then the
/// transfer to the operator, as the last actions.
pub fn assert_fallback_ran(log: &CallLog) {
    let actions = log.actions();
    let n = actions.len();
    assert!(n >= 2, "too few actions for a fallback: {actions:?}");
    assert_eq!(
        actions[n - 2],
        Action {
            name: "play",
            detail: APOLOGY.into()
        },
        "apology prompt expected before the transfer: {actions:?}"
    );
    assert_eq!(
        actions[n - 1],
        Action {
            name: "transfer",
            detail: format!("{:?}", TransferTarget::Extension("0".into()))
        },
        "transfer to the operator expected last: {actions:?}"
    );
    assert_eq!(log.state(), CallState::Ended);
}

/// The fallback's steps as recorded in the trace.
pub fn fallback_steps(trace: &pbx_flow::Trace) -> Vec<&'static str> {
    trace
        .host_calls()
        .filter(|(i, _)| *i == "fallback")
        .map(|(_, f)| f)
        .collect()
}
