//! Hot swap under load: calls arrive at a fixed rate while the tenant's
//! flow alternates between two versions every interval. Target: no failed
//! call.

use super::common::{Checks, calls_config, calls_line};
use super::lab::{Lab, SWAP};
use crate::calls::{self, CallEnd, CallPlan, Callees};
use crate::report::{ms, percentile};
use anyhow::Result;
use std::time::Duration;
use tokio::time::Instant;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct HotSwap {
    /// Calls per second.
    pub rate: f64,
    /// Seconds of calls.
    pub duration: Duration,
    /// Time between activations.
    pub every: Duration,
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Activations done.
    pub swaps: usize,
    /// Calls attempted.
    pub attempted: u64,
    /// Calls failed.
    pub failed: u64,
}

/// Run it; print the result.
pub async fn run(lab: &Lab, opts: &HotSwap, checks: &mut Checks) -> Result<Outcome> {
    let tenant = &lab.tenants[0];
    let plan = CallPlan {
        callees: Callees::Number(SWAP.into()),
        end: CallEnd::RemoteBye {
            after: Duration::ZERO,
            within: Duration::from_secs(5),
        },
        ..CallPlan::default()
    };
    println!(
        "hot swap: {} calls/s for {} s to a flow switched between two versions every {} ms",
        opts.rate,
        opts.duration.as_secs_f64(),
        opts.every.as_millis()
    );
    let cfg = calls_config(lab, tenant, opts.rate, opts.duration, 5000, plan);
    let calls = tokio::spawn(calls::run(cfg));
    let (flow, versions) = &tenant.swap;
    let end = Instant::now() + opts.duration;
    let mut swaps = 0usize;
    let mut api_us = Vec::new();
    let mut next = Instant::now() + opts.every;
    while next < end {
        tokio::time::sleep_until(next).await;
        let version = &versions[(swaps + 1) % 2];
        let t = Instant::now();
        lab.admin.activate(&tenant.id, flow, version).await?;
        api_us.push(t.elapsed().as_micros() as u64);
        swaps += 1;
        next += opts.every;
    }
    let result = calls.await??;
    api_us.sort_unstable();
    println!("  {}", calls_line(&result));
    println!(
        "  {swaps} activations; activate API call p50 {}, max {}",
        ms(percentile(&api_us, 50.0)),
        ms(api_us.last().copied().unwrap_or(0))
    );
    checks.check(swaps >= 2, format!("hot swap: only {swaps} activations"));
    checks.check(
        result.failed() == 0,
        format!("hot swap: {} calls failed", result.failed()),
    );
    Ok(Outcome {
        swaps,
        attempted: result.attempted,
        failed: result.failed(),
    })
}
