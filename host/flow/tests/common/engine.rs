//! Engine and limits.

use pbx_flow::{FlowEngine, FlowLimits, PreparedFlow, QuarantinePolicy};
use std::time::Duration;

/// Limits for tests: the production CPU allowances, a small pool, a wall
/// clock that ends a stuck test instead of hanging it.
pub fn test_limits() -> FlowLimits {
    FlowLimits {
        cpu_per_step: Duration::from_millis(50),
        wall_clock_per_call: Duration::from_secs(20),
        memory_bytes: 16 << 20,
        instances_per_tenant: 100,
        instances_total: 16,
        upload_bytes: 50 << 20,
        describe_timeout: Duration::from_secs(5),
        // The tests run misbehaving modes in turn on one version; the
        // quarantine tests turn it on.
        quarantine: QuarantinePolicy {
            stops: 0,
            ..QuarantinePolicy::default()
        },
        ..FlowLimits::default()
    }
}

/// An engine without code cache.
pub fn engine(limits: FlowLimits) -> FlowEngine {
    FlowEngine::new(limits, None).expect("flow engine")
}

/// Prepare `bytes`, panicking with the upload error if refused.
pub async fn prepare(engine: &FlowEngine, bytes: &[u8]) -> PreparedFlow {
    match engine.prepare(bytes).await {
        Ok(flow) => flow,
        Err(e) => panic!("prepare failed: {e}"),
    }
}
