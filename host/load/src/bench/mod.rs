//! Benchmark scenarios against a real `pbx serve` that this tool starts
//! and provisions itself ([`lab`]): registrations, call rate through a
//! flow, IVR concurrency with DTMF, bridged calls with and without
//! transcoding, hot swap under load, and a noisy neighbour. Each reports
//! RFC 6076 figures and the PBX's CPU time and memory from `/proc`.
//!
//! [`quick`] runs every scenario for a few seconds at a low rate with loose
//! checks; the test command runs it so a regression that breaks a scenario
//! fails CI.

pub mod bridge;
pub mod call_rate;
pub mod common;
pub mod hot_swap;
pub mod ivr;
pub mod lab;
pub mod noisy;
pub mod registrations;
pub mod sampler;

use anyhow::Result;
use common::Checks;
use lab::{Lab, TenantSpec};
use std::path::PathBuf;
use std::time::Duration;

/// A tenant named `name` with `users` extensions from `first_user`.
pub fn tenant(name: &str, first_user: u32, users: usize, hostile_mode: &str) -> TenantSpec {
    TenantSpec {
        name: name.to_string(),
        first_user,
        users,
        max_calls: 100_000,
        hostile_mode: hostile_mode.to_string(),
    }
}

/// Every scenario, briefly, with loose checks: calls succeed, no late
/// packets at low load, audio both ways, no memory growth across two
/// identical runs. Returns the failed checks.
pub async fn quick(pbx_bin: Option<PathBuf>) -> Result<Checks> {
    let mut checks = Checks::default();
    let lab = Lab::start(
        pbx_bin,
        &[
            tenant("load-a", 100_000, 40, "loop"),
            tenant("load-b", 200_000, 40, "loop"),
        ],
    )
    .await?;
    println!("PBX pid {} on {}", lab.pid(), lab.sip());

    let reg = registrations::run(
        &lab,
        &registrations::Registrations {
            rate: Some(200.0),
            concurrency: 32,
            duration: Duration::from_secs(2),
        },
        &mut checks,
    )
    .await?;
    checks.check(reg.per_second > 0.0, "registrations: none succeeded");

    let steps = call_rate::run(
        &lab,
        &call_rate::CallRate {
            rates: vec![20.0],
            step: Duration::from_secs(2),
            prompt: false,
        },
        &mut checks,
    )
    .await?;
    checks.check(
        steps.iter().all(|s| s.failure_ratio == 0.0),
        "call rate: calls failed at 20/s",
    );
    call_rate::run(
        &lab,
        &call_rate::CallRate {
            rates: vec![10.0],
            step: Duration::from_secs(2),
            prompt: true,
        },
        &mut checks,
    )
    .await?;

    // IVR twice: the second run must not leave the PBX bigger.
    let ivr = ivr::Ivr {
        counts: vec![20],
        ramp: Duration::from_secs(1),
        listen: Duration::from_millis(1500),
    };
    let mut after = Vec::new();
    for _ in 0..2 {
        let steps = ivr::run(&lab, &ivr, &mut checks).await?;
        checks.check(
            steps.iter().all(|s| s.failed == 0 && s.late == 0),
            "IVR: failed calls or late packets at N = 20",
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        after.push(crate::proc_stats::sample(crate::proc_stats::Pid::Other(lab.pid()))?.rss_kib);
    }
    println!(
        "  PBX RSS after each IVR run: {} KiB, {} KiB",
        after[0], after[1]
    );
    checks.check(
        after[1] <= after[0] + 8 * 1024,
        format!(
            "memory grew by {} KiB across two identical IVR runs",
            after[1].saturating_sub(after[0])
        ),
    );

    for transcode in [false, true] {
        let steps = bridge::run(
            &lab,
            &bridge::Bridge {
                counts: vec![10],
                ramp: Duration::from_secs(1),
                talk: Duration::from_secs(2),
                transcode,
            },
            &mut checks,
        )
        .await?;
        checks.check(
            steps.iter().all(|s| s.failed == 0 && s.late == 0),
            format!("bridge (transcode {transcode}): failed calls or late packets at N = 10"),
        );
    }

    hot_swap::run(
        &lab,
        &hot_swap::HotSwap {
            rate: 10.0,
            duration: Duration::from_secs(3),
            every: Duration::from_millis(500),
        },
        &mut checks,
    )
    .await?;

    noisy::run(
        &lab,
        &noisy::Noisy {
            rate: 10.0,
            hostile_rate: 4.0,
            duration: Duration::from_secs(2),
            quarantine: true,
        },
        &mut checks,
    )
    .await?;
    Ok(checks)
}
