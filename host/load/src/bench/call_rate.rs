//! Call rate: INVITE, the flow answers, a short prompt or none, BYE, at
//! rising rates. Reports the highest rate with under 1% failed calls, the
//! PBX's CPU time per completed call, and the session request delay at
//! half that rate.

use super::common::{Checks, calls_config, calls_line, srd_p};
use super::lab::{ANSWER, Lab, PROMPT};
use super::sampler::Window;
use crate::calls::{self, CallEnd, CallPlan, Callees};
use crate::proc_stats::Pid;
use anyhow::Result;
use std::time::Duration;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct CallRate {
    /// Rates to try, calls per second, in order; stops at the first with
    /// 1% or more failures.
    pub rates: Vec<f64>,
    /// Seconds of calls at each rate.
    pub step: Duration,
    /// Whether the flow plays a short prompt and hangs up (else it
    /// answers and the caller hangs up at once).
    pub prompt: bool,
}

/// One rate's figures.
#[derive(Debug, Clone)]
pub struct Step {
    /// Offered rate.
    pub rate: f64,
    /// Failed / attempted.
    pub failure_ratio: f64,
    /// Completed calls.
    pub completed: u64,
    /// PBX CPU microseconds per completed call.
    pub cpu_us_per_call: f64,
    /// SRD p99, microseconds.
    pub srd_p99_us: u64,
}

/// Run the steps, then half the best rate again; print a line per step.
pub async fn run(lab: &Lab, opts: &CallRate, checks: &mut Checks) -> Result<Vec<Step>> {
    let tenant = &lab.tenants[0];
    let plan = if opts.prompt {
        CallPlan {
            callees: Callees::Number(PROMPT.into()),
            end: CallEnd::RemoteBye {
                after: Duration::ZERO,
                within: Duration::from_secs(5),
            },
            ..CallPlan::default()
        }
    } else {
        CallPlan {
            callees: Callees::Number(ANSWER.into()),
            ..CallPlan::default()
        }
    };
    println!(
        "call rate: INVITE -> flow answers -> {} -> BYE, {} s per step",
        if opts.prompt {
            "short prompt, the flow hangs up"
        } else {
            "no prompt, the caller hangs up"
        },
        opts.step.as_secs_f64()
    );
    let mut steps = Vec::new();
    let mut best: Option<f64> = None;
    for &rate in &opts.rates {
        let step = one(lab, tenant, rate, opts.step, plan.clone()).await?;
        let ok = step.failure_ratio < 0.01;
        if ok {
            best = Some(rate);
        }
        steps.push(step);
        if !ok {
            break;
        }
    }
    match best {
        Some(best) => {
            println!("  highest rate under 1% failures: {best} calls/s");
            let half = one(lab, tenant, best / 2.0, opts.step, plan.clone()).await?;
            println!(
                "  at half that rate ({} calls/s): SRD p99 {} us, {:.0} us CPU per call",
                best / 2.0,
                half.srd_p99_us,
                half.cpu_us_per_call
            );
            steps.push(half);
        }
        None => checks.check(false, "call rate: no rate had under 1% failures"),
    }
    Ok(steps)
}

async fn one(
    lab: &Lab,
    tenant: &super::lab::LabTenant,
    rate: f64,
    step: Duration,
    plan: CallPlan,
) -> Result<Step> {
    let cfg = calls_config(lab, tenant, rate, step, 5000, plan);
    let window = Window::start(Pid::Other(lab.pid()))?;
    let result = calls::run(cfg).await?;
    let usage = window.finish().await?;
    let s = Step {
        rate,
        failure_ratio: result.failure_ratio(),
        completed: result.completed,
        cpu_us_per_call: usage.cpu_us_per(result.completed),
        srd_p99_us: srd_p(&result, 99.0),
    };
    println!(
        "  {rate:>6.0}/s: {}; PBX {:.0} us CPU per completed call ({:.0}% of a core), RSS {} MiB",
        calls_line(&result),
        s.cpu_us_per_call,
        100.0 * usage.cores(),
        usage.rss_end_kib / 1024
    );
    Ok(s)
}
