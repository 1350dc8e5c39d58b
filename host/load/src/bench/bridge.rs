//! Bridged calls: N concurrent calls from one extension to another through
//! a flow that dials (so media is anchored and relayed by the PBX), G.711
//! RTP both ways; the callee answers with the caller's codec (relay) or
//! the other G.711 law (transcoding).

use super::common::{Checks, calls_config, calls_line, media_line, media_plan};
use super::lab::{BRIDGE_PREFIX, Lab};
use super::sampler::Window;
use crate::calls::{self, CallPlan, Callees};
use crate::media::Codec;
use crate::proc_stats::Pid;
use anyhow::Result;
use std::time::Duration;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct Bridge {
    /// Concurrent calls to try, in order; stops at the first N with a
    /// failed call, 0.1% late packets or 1% of packets not delivered.
    pub counts: Vec<usize>,
    /// Seconds over which a step's calls start.
    pub ramp: Duration,
    /// How long each call talks after it is answered.
    pub talk: Duration,
    /// The callee answers PCMA to the caller's PCMU.
    pub transcode: bool,
}

/// One N's figures.
#[derive(Debug, Clone)]
pub struct Step {
    /// Calls.
    pub calls: usize,
    /// Failed calls.
    pub failed: u64,
    /// Late packets, both sides.
    pub late: u64,
    /// Lost packets, both sides.
    pub lost: u64,
    /// Packets received, both sides.
    pub received: u64,
    /// PBX CPU microseconds per call-second.
    pub cpu_us_per_call_second: f64,
}

/// Run the steps; print a block per step.
pub async fn run(lab: &Lab, opts: &Bridge, checks: &mut Checks) -> Result<Vec<Step>> {
    let tenant = &lab.tenants[0];
    let callee_codec = if opts.transcode {
        Codec::Pcma
    } else {
        Codec::Pcmu
    };
    let plan = CallPlan {
        callees: Callees::Prefixed(BRIDGE_PREFIX.into()),
        media: Some(media_plan(Codec::Pcmu, &[])),
        callee_media: Some(media_plan(callee_codec, &[])),
        ..CallPlan::default()
    };
    println!(
        "bridged calls ({}): calls start over {} s, talk {} s each, RTP both ways",
        if opts.transcode {
            "PCMU caller, PCMA callee: transcoded"
        } else {
            "PCMU both sides: relayed"
        },
        opts.ramp.as_secs_f64(),
        opts.talk.as_secs_f64()
    );
    let mut steps = Vec::new();
    for &n in &opts.counts {
        let rate = n as f64 / opts.ramp.as_secs_f64();
        let mut cfg = calls_config(lab, tenant, rate, opts.ramp, n, plan.clone());
        cfg.hold = opts.talk;
        if cfg.users < 2 * n {
            println!("  (only {} extensions: callers repeat)", cfg.users);
        }
        let window = Window::start(Pid::Other(lab.pid()))?;
        let result = calls::run(cfg).await?;
        let usage = window.finish().await?;
        let a = result.caller_media.clone().unwrap_or_default();
        let b = result.callee_media.clone().unwrap_or_default();
        let call_seconds = result.completed as f64 * opts.talk.as_secs_f64();
        let step = Step {
            calls: result.attempted as usize,
            failed: result.failed(),
            late: a.late + b.late,
            lost: a.lost + b.lost,
            received: a.received + b.received,
            cpu_us_per_call_second: usage.cpu.as_secs_f64() * 1e6 / call_seconds.max(1e-9),
        };
        println!("  N = {n}: {}", calls_line(&result));
        println!("    {}", media_line("callers", &a));
        println!("    {}", media_line("callees", &b));
        // The PBX numbers the packets it relays itself: one it drops is
        // no gap in the receiver's sequence, only a packet less.
        let delivered = (a.received + b.received) as f64 / (a.sent + b.sent).max(1) as f64;
        println!(
            "    delivered: {:.2}% of the packets sent reached the other side",
            100.0 * delivered
        );
        if result.callee_refused > 0 {
            println!("    callees refused {} offers", result.callee_refused);
        }
        println!(
            "    PBX: {:.0} us CPU per call-second ({:.0}% of a core), peak RSS {} MiB",
            step.cpu_us_per_call_second,
            100.0 * usage.cores(),
            usage.rss_peak_kib / 1024
        );
        // Both directions must carry audio through the PBX.
        checks.check(
            a.received > 0 && b.received > 0,
            format!(
                "bridge N={n}: RTP did not flow both ways ({} / {})",
                a.received, b.received
            ),
        );
        // Relayed packets inherit the load generator's own lateness (its
        // late ticks above), so a step passes with under 0.1% late.
        let ok = step.failed == 0
            && (step.late as f64) < 0.001 * step.received as f64
            && delivered > 0.99;
        steps.push(step);
        if !ok {
            break;
        }
    }
    Ok(steps)
}
