//! Noisy neighbour: tenant B's calls are measured alone, then again while
//! tenant A's calls run a flow that loops forever or allocates without
//! bound (each stopped by the sandbox, and the version quarantined once
//! most of its runs were: its calls then get the fallback, refused before
//! they are answered). Target: B's SRD p99 within 10%.

use super::common::{Checks, calls_config, calls_line, srd_p};
use super::lab::{ANSWER, HOSTILE, Lab};
use super::sampler::Window;
use crate::calls::{self, CallEnd, CallPlan, Callees};
use crate::proc_stats::Pid;
use anyhow::Result;
use std::time::Duration;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct Noisy {
    /// Tenant B's calls per second.
    pub rate: f64,
    /// Tenant A's hostile calls per second.
    pub hostile_rate: f64,
    /// Seconds of each phase.
    pub duration: Duration,
    /// Whether the PBX quarantines A's version (`--flow-quarantine`).
    pub quarantine: bool,
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// B's SRD p99 alone, microseconds.
    pub alone_p99_us: u64,
    /// B's SRD p99 with A's load, microseconds.
    pub noisy_p99_us: u64,
    /// B's failed calls with A's load.
    pub noisy_failed: u64,
}

/// Run both phases; print the result. Tenant A is `lab.tenants[0]` (its
/// hostile mode is set when the lab is made), B is `lab.tenants[1]`.
pub async fn run(lab: &Lab, opts: &Noisy, checks: &mut Checks) -> Result<Outcome> {
    let (a, b) = (&lab.tenants[0], &lab.tenants[1]);
    let plan_b = CallPlan {
        callees: Callees::Number(ANSWER.into()),
        ..CallPlan::default()
    };
    let plan_a = CallPlan {
        callees: Callees::Number(HOSTILE.into()),
        end: CallEnd::RemoteBye {
            after: Duration::ZERO,
            within: Duration::from_secs(30),
        },
        ..CallPlan::default()
    };
    println!(
        "noisy neighbour: tenant B {} calls/s alone, then with tenant A's flow in mode `{}` at {} calls/s",
        opts.rate, a.spec.hostile_mode, opts.hostile_rate
    );
    let window = Window::start(Pid::Other(lab.pid()))?;
    let alone = calls::run(calls_config(
        lab,
        b,
        opts.rate,
        opts.duration,
        5000,
        plan_b.clone(),
    ))
    .await?;
    let usage_alone = window.finish().await?;
    println!("  B alone:  {}", calls_line(&alone));
    let window = Window::start(Pid::Other(lab.pid()))?;
    let hostile = tokio::spawn(calls::run(calls_config(
        lab,
        a,
        opts.hostile_rate,
        opts.duration,
        5000,
        plan_a,
    )));
    // Let A's calls pile up before B's are measured.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let noisy = calls::run(calls_config(lab, b, opts.rate, opts.duration, 5000, plan_b)).await?;
    let a_result = hostile.await??;
    let usage = window.finish().await?;
    println!("  B with A: {}", calls_line(&noisy));
    println!("  A:        {}", calls_line(&a_result));
    println!(
        "  A's flow ran for {} of its {} calls (answered, then stopped); {} were refused{}",
        a_result.answered,
        a_result.attempted,
        a_result.attempted - a_result.answered,
        if opts.quarantine {
            " (the version quarantined)"
        } else {
            ""
        }
    );
    let (p_alone, p_noisy) = (srd_p(&alone, 99.0), srd_p(&noisy, 99.0));
    println!(
        "  B's SRD p99: {p_alone} us alone, {p_noisy} us with A ({:+.1}%); PBX {:.0}% then {:.0}% of a core, peak RSS {} MiB",
        100.0 * (p_noisy as f64 / p_alone.max(1) as f64 - 1.0),
        100.0 * usage_alone.cores(),
        100.0 * usage.cores(),
        usage.rss_peak_kib / 1024
    );
    checks.check(
        noisy.failed() == 0 && alone.failed() == 0,
        format!(
            "noisy neighbour: tenant B lost calls ({} alone, {} with A)",
            alone.failed(),
            noisy.failed()
        ),
    );
    checks.check(
        a_result.answered > 0,
        "noisy neighbour: tenant A's hostile calls were never answered",
    );
    if opts.quarantine {
        // Three stops trip the breaker; calls already admitted may add a
        // few more runs.
        checks.check(
            a_result.attempted >= 4 && a_result.answered < a_result.attempted,
            format!(
                "noisy neighbour: tenant A's looping version was not quarantined ({} of {} calls ran it)",
                a_result.answered, a_result.attempted
            ),
        );
    }
    Ok(Outcome {
        alone_p99_us: p_alone,
        noisy_p99_us: p_noisy,
        noisy_failed: noisy.failed(),
    })
}
