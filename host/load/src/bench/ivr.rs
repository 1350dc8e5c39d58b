//! IVR concurrency: N concurrent calls, each hearing a looping prompt from
//! a Wasm flow and sending two RFC 4733 digits, after which the flow hangs
//! up. Reports the largest N with no failed call and no late packet, the
//! PBX's CPU per call per second and its memory per call.

use super::common::{Checks, calls_config, calls_line, media_line, media_plan};
use super::lab::{IVR, Lab};
use super::sampler::Window;
use crate::calls::{self, CallEnd, CallPlan, Callees};
use crate::media::Codec;
use crate::proc_stats::Pid;
use anyhow::Result;
use std::time::Duration;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct Ivr {
    /// Concurrent calls to try, in order; stops at the first N with a
    /// failed call or a late packet.
    pub counts: Vec<usize>,
    /// Seconds over which a step's calls start.
    pub ramp: Duration,
    /// How long a caller listens before its first digit.
    pub listen: Duration,
}

/// One N's figures.
#[derive(Debug, Clone)]
pub struct Step {
    /// Calls.
    pub calls: usize,
    /// Failed calls.
    pub failed: u64,
    /// Late packets received by the callers.
    pub late: u64,
    /// Lost packets.
    pub lost: u64,
    /// PBX CPU microseconds per call-second.
    pub cpu_us_per_call_second: f64,
    /// PBX peak RSS growth per call, KiB.
    pub kib_per_call: f64,
    /// Calls whose caller heard audio (voiced packets) / packets received.
    pub voiced_ratio: f64,
}

/// Run the steps; print a block per step.
pub async fn run(lab: &Lab, opts: &Ivr, checks: &mut Checks) -> Result<Vec<Step>> {
    let tenant = &lab.tenants[0];
    let second = opts.listen + Duration::from_millis(400);
    let plan = CallPlan {
        callees: Callees::Number(IVR.into()),
        end: CallEnd::RemoteBye {
            after: second,
            within: Duration::from_secs(3),
        },
        media: Some(media_plan(
            Codec::Pcmu,
            &[(opts.listen, '1'), (second, '2')],
        )),
        ..CallPlan::default()
    };
    println!(
        "IVR concurrency: calls start over {} s, listen {} s to a looping prompt, send 1 then 2; \
         the flow hangs up on 12",
        opts.ramp.as_secs_f64(),
        opts.listen.as_secs_f64()
    );
    let mut steps = Vec::new();
    let mut best = None;
    for &n in &opts.counts {
        let rate = n as f64 / opts.ramp.as_secs_f64();
        let cfg = calls_config(lab, tenant, rate, opts.ramp, n, plan.clone());
        let window = Window::start(Pid::Other(lab.pid()))?;
        let result = calls::run(cfg).await?;
        let usage = window.finish().await?;
        let media = result.caller_media.clone().unwrap_or_default();
        let call_seconds = result.completed as f64 * (second.as_secs_f64() + 0.2);
        let step = Step {
            calls: result.attempted as usize,
            failed: result.failed(),
            late: media.late,
            lost: media.lost,
            cpu_us_per_call_second: usage.cpu.as_secs_f64() * 1e6 / call_seconds.max(1e-9),
            kib_per_call: usage.rss_peak_kib.saturating_sub(usage.rss_start_kib) as f64
                / (result.attempted.max(1)) as f64,
            voiced_ratio: media.voiced as f64 / media.received.max(1) as f64,
        };
        println!("  N = {n}: {}", calls_line(&result));
        println!("    {}", media_line("callers", &media));
        println!(
            "    PBX: {:.0} us CPU per call-second ({:.0}% of a core), {:.1} KiB per call (peak RSS {} MiB)",
            step.cpu_us_per_call_second,
            100.0 * usage.cores(),
            step.kib_per_call,
            usage.rss_peak_kib / 1024
        );
        let ok = step.failed == 0 && step.late == 0;
        if media.send_late > 0 {
            println!(
                "    note: the load generator itself was late {} times: it, not the PBX, may be the limit",
                media.send_late
            );
        }
        checks.check(
            step.voiced_ratio > 0.5,
            format!(
                "IVR N={n}: callers heard no prompt (voiced {:.2})",
                step.voiced_ratio
            ),
        );
        steps.push(step);
        if ok {
            best = Some(n);
        } else {
            break;
        }
    }
    match best {
        Some(n) => println!("  largest N with no failed call and no late packet: {n}"),
        None => checks.check(false, "IVR: even the smallest N failed"),
    }
    Ok(steps)
}
