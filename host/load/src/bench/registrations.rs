//! Registrations: REGISTER with digest authentication (401, then
//! REGISTER with `Authorization`, 200) against the PBX's real extensions,
//! as fast as a concurrency cap allows.

use super::common::Checks;
use super::lab::{Lab, PASSWORD, REALM};
use super::sampler::Window;
use crate::proc_stats::Pid;
use crate::register::{self, AlgorithmChoice, RegisterConfig};
use crate::report::{ms, percentile};
use anyhow::Result;
use std::time::Duration;

/// The scenario's parameters.
#[derive(Debug, Clone)]
pub struct Registrations {
    /// Registrations per second, or `None` for as fast as `concurrency`
    /// allows.
    pub rate: Option<f64>,
    /// Most in flight.
    pub concurrency: usize,
    /// Seconds.
    pub duration: Duration,
}

/// What happened.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// Successful registrations per second of wall time.
    pub per_second: f64,
    /// Failed / attempted.
    pub failure_ratio: f64,
    /// PBX CPU microseconds per registration.
    pub cpu_us_per_registration: f64,
}

/// Run it; print the result.
pub async fn run(lab: &Lab, opts: &Registrations, checks: &mut Checks) -> Result<Outcome> {
    let tenant = &lab.tenants[0];
    let cfg = RegisterConfig {
        target: lab.sip(),
        users: tenant.spec.users,
        first_user: tenant.spec.first_user,
        password: PASSWORD.to_string(),
        realm: REALM.to_string(),
        rate: opts.rate,
        concurrency: opts.concurrency,
        duration: opts.duration,
        sources: 4,
        algorithm: AlgorithmChoice::Auto,
        expires: 3600,
    };
    println!(
        "registrations: {} extensions, rate {}, concurrency {}, {} s",
        cfg.users,
        opts.rate.map_or("max".to_string(), |r| format!("{r}/s")),
        opts.concurrency,
        opts.duration.as_secs_f64()
    );
    let window = Window::start(Pid::Other(lab.pid()))?;
    let result = register::run(cfg).await?;
    let usage = window.finish().await?;
    let secs = result.elapsed.as_secs_f64().max(1e-9);
    let out = Outcome {
        per_second: result.succeeded as f64 / secs,
        failure_ratio: 1.0 - result.success_ratio(),
        cpu_us_per_registration: usage.cpu_us_per(result.succeeded),
    };
    println!(
        "  attempted {}, succeeded {}, failed {} ({:.2}%), {:.0} REGISTER/s; RRD p50 {} p95 {} p99 {}",
        result.attempted,
        result.succeeded,
        result.failed(),
        100.0 * out.failure_ratio,
        out.per_second,
        ms(percentile(&result.delays_us, 50.0)),
        ms(percentile(&result.delays_us, 95.0)),
        ms(percentile(&result.delays_us, 99.0)),
    );
    println!(
        "  PBX: {:.1} us CPU per registration ({:.0} per CPU-second), {:.0}% of a core",
        out.cpu_us_per_registration,
        if out.cpu_us_per_registration > 0.0 {
            1e6 / out.cpu_us_per_registration
        } else {
            0.0
        },
        100.0 * usage.cores()
    );
    checks.check(
        out.failure_ratio < 0.01,
        format!("registrations: {:.2}% failed", 100.0 * out.failure_ratio),
    );
    Ok(out)
}
