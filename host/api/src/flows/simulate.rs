//! Running a simulator scenario server-side and shaping its report as JSON.

use crate::error::{ApiError, ErrorCode};
use pbx_flow::{FlowEngine, PreparedFlow, Trace};
use pbx_simulator::Scenario;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;

/// Longest scenario text accepted, in bytes.
pub const MAX_SCENARIO_BYTES: usize = 256 * 1024;

/// A scenario to run against a flow version.
#[derive(Debug, Clone, Deserialize, ToSchema)]
pub struct SimulateRequest {
    /// The scenario in the simulator's TOML format (docs/simulator.md);
    /// `extends` is not available server-side: send the whole scenario.
    pub scenario: String,
}

/// What the flow did with the simulated call.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SimulateReport {
    /// Whether every expectation of the scenario held.
    pub passed: bool,
    /// How the flow ended: completed, caller-hung-up, flow-error, trapped,
    /// cpu-deadline, memory-limit, wall-clock, ...
    pub outcome: String,
    /// Details of the outcome (the error or trap message), if any.
    pub outcome_detail: Option<String>,
    /// Call-control actions in order, e.g. `play welcome`.
    pub actions: Vec<String>,
    /// Call-record fields the flow set.
    pub fields: BTreeMap<String, String>,
    /// Whether the tenant's fallback was applied.
    pub fallback_applied: bool,
    /// The first expectation that failed, if any.
    pub mismatch: Option<String>,
    /// Every host call, log event and output line.
    #[schema(value_type = Object)]
    pub trace: Trace,
}

/// Parse `text` as a scenario, with a message saying what is wrong.
pub fn parse_scenario(text: &str) -> Result<Scenario, ApiError> {
    if text.len() > MAX_SCENARIO_BYTES {
        return Err(ApiError::new(
            ErrorCode::PayloadTooLarge,
            format!("the scenario is over {MAX_SCENARIO_BYTES} bytes: shorten it"),
        )
        .with_field("scenario"));
    }
    Scenario::parse(text).map_err(|e| {
        ApiError::new(
            ErrorCode::ScenarioInvalid,
            format!("{e} (see docs/simulator.md for the format)"),
        )
        .with_field("scenario")
    })
}

/// Run `scenario` against `flow` and report.
pub async fn run(
    engine: &FlowEngine,
    flow: &PreparedFlow,
    scenario: &Scenario,
) -> Result<SimulateReport, ApiError> {
    let report = pbx_simulator::run(engine, flow, scenario)
        .await
        .map_err(|e| {
            ApiError::new(ErrorCode::ScenarioInvalid, e.to_string()).with_field("scenario")
        })?;
    let outcome_detail = match &report.outcome {
        pbx_flow::FlowOutcome::FlowError(e) => Some(format!("{e:?}")),
        pbx_flow::FlowOutcome::Trapped(m) | pbx_flow::FlowOutcome::InstantiateFailed(m) => {
            Some(m.clone())
        }
        _ => None,
    };
    Ok(SimulateReport {
        passed: report.passed(),
        outcome: report.outcome.name().to_string(),
        outcome_detail,
        actions: report.actions.iter().map(|a| a.to_string()).collect(),
        fields: report.fields,
        fallback_applied: report.fallback_applied,
        mismatch: report
            .mismatch
            .map(|m| format!("expectation {}: {}", m.index, m.message)),
        trace: report.trace,
    })
}
