//! The hot-swap fixture of swap_to_first_call.

use super::fake_tenant::FakeTenant;
use super::setup::{assert_completed, default_params, setup};
use super::{FLOW_NAME, TENANT};
use pbx_flow::{FlowEngine, FlowRegistry, Params, TenantData};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

pub struct SwapFixture {
    pub registry: FlowRegistry,
    pub tenant: Arc<dyn TenantData>,
    v1_params: Arc<Params>,
    pub v2_params: Arc<Params>,
}

/// A registry with v1 = hostile_flow and v2 = auto_attendant uploaded under
/// one name, v1 active and one v1 call served.
pub fn swap_fixture(rt: &Runtime, engine: &FlowEngine, v1: &[u8], v2: &[u8]) -> SwapFixture {
    let registry = FlowRegistry::new(engine.clone());
    let tenant: Arc<dyn TenantData> = Arc::new(FakeTenant);
    let up1 = rt
        .block_on(registry.upload(TENANT, FLOW_NAME, v1, "bench"))
        .expect("upload v1");
    let up2 = rt
        .block_on(registry.upload(TENANT, FLOW_NAME, v2, "bench"))
        .expect("upload v2");
    assert_eq!((up1.number, up2.number), (1, 2), "two distinct versions");
    let fixture = SwapFixture {
        v1_params: default_params(&up1.flow),
        v2_params: default_params(&up2.flow),
        registry,
        tenant,
    };
    fixture
        .registry
        .activate(TENANT, FLOW_NAME, 1)
        .expect("activate v1");
    rt.block_on(fixture.v1_call());
    fixture
}

impl SwapFixture {
    /// A call on the active version, which must be v1.
    pub async fn v1_call(&self) {
        let v = self.registry.active(TENANT, FLOW_NAME).expect("active");
        assert_eq!(v.number, 1);
        let report = self
            .registry
            .engine()
            .run_call(&v.flow, setup(&self.tenant, &self.v1_params, None))
            .await;
        assert_completed(&report.outcome);
    }

    /// Activate v2 and look it up as a new call does; returns when the call
    /// holds v2.
    pub fn swap_and_observe(&self) -> Arc<pbx_flow::FlowVersion> {
        self.registry
            .activate(TENANT, FLOW_NAME, 2)
            .expect("activate v2");
        let v = self.registry.active(TENANT, FLOW_NAME).expect("active");
        assert_eq!(v.number, 2, "first call after the swap sees v2");
        v
    }

    /// Swap to v2 and run the first call on it; returns (time until the
    /// call held v2, time until it completed).
    pub async fn swap_and_first_call(&self) -> (Duration, Duration) {
        let t0 = Instant::now();
        let v = self.swap_and_observe();
        let observed = t0.elapsed();
        let report = self
            .registry
            .engine()
            .run_call(&v.flow, setup(&self.tenant, &self.v2_params, None))
            .await;
        let completed = t0.elapsed();
        assert_completed(&report.outcome);
        (observed, completed)
    }
}
