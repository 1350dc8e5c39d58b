//! What the scenarios share: building a calls run against a lab tenant,
//! one-line summaries of calls and media, and the quick mode's checks.

use super::lab::{Lab, LabTenant, PASSWORD, REALM};
use crate::calls::{CallPlan, CallsConfig, CallsResult};
use crate::media::{Codec, MediaPlan, MediaStats};
use crate::report::{ms, percentile};
use std::time::Duration;

/// A calls run from `tenant`'s extensions to the PBX of `lab`.
pub fn calls_config(
    lab: &Lab,
    tenant: &LabTenant,
    rate: f64,
    duration: Duration,
    concurrency: usize,
    plan: CallPlan,
) -> CallsConfig {
    CallsConfig {
        target: lab.sip(),
        users: tenant.spec.users,
        first_user: tenant.spec.first_user,
        password: PASSWORD.to_string(),
        realm: REALM.to_string(),
        rate,
        duration,
        hold: Duration::ZERO,
        concurrency,
        sources: 4,
        plan,
    }
}

/// G.711 both ways with `digits` sent at the given offsets (the defaults
/// otherwise: telephone-event 101; a packet more than 40 ms behind the
/// best transit time of its stream counts as late).
pub fn media_plan(codec: Codec, digits: &[(Duration, char)]) -> MediaPlan {
    MediaPlan {
        codec,
        dtmf: digits.to_vec(),
        ..MediaPlan::default()
    }
}

/// `attempted/completed/failed`, failure causes and SRD percentiles.
pub fn calls_line(r: &CallsResult) -> String {
    let mut causes: Vec<String> = r
        .failures
        .iter()
        .map(|(f, n)| format!("{f}: {n}"))
        .collect();
    causes.sort();
    format!(
        "attempted {}, completed {}, failed {} ({:.2}%){}; SRD p50 {} p95 {} p99 {}",
        r.attempted,
        r.completed,
        r.failed(),
        100.0 * r.failure_ratio(),
        if causes.is_empty() {
            String::new()
        } else {
            format!(" [{}]", causes.join(", "))
        },
        ms(percentile(&r.srd_us, 50.0)),
        ms(percentile(&r.srd_us, 95.0)),
        ms(percentile(&r.srd_us, 99.0)),
    )
}

/// RTP sent/received/lost/late of one side.
pub fn media_line(who: &str, m: &MediaStats) -> String {
    format!(
        "{who} RTP: sent {}, received {}, lost {}, late {}, max jitter {:.1} ms, voiced {}, \
         DTMF sent {}; generator late ticks {}",
        m.sent, m.received, m.lost, m.late, m.max_jitter_ms, m.voiced, m.dtmf_sent, m.send_late
    )
}

/// SRD percentile in microseconds.
pub fn srd_p(r: &CallsResult, p: f64) -> u64 {
    percentile(&r.srd_us, p)
}

/// The quick mode's checks: each failed one is kept with its reason.
#[derive(Debug, Default)]
pub struct Checks {
    /// What failed.
    pub failed: Vec<String>,
}

impl Checks {
    /// Record `what` as failed unless `ok`.
    pub fn check(&mut self, ok: bool, what: impl Into<String>) {
        if !ok {
            let what = what.into();
            println!("  CHECK FAILED: {what}");
            self.failed.push(what);
        }
    }

    /// Add another set's failures.
    pub fn merge(&mut self, other: Checks) {
        self.failed.extend(other.failed);
    }
}
