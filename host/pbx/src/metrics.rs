//! The PBX's counters and gauges, rendered in the Prometheus text
//! exposition format (version 0.0.4) for `GET /metrics`.
//!
//! Unlabelled values are atomics, so the call path never waits for a
//! scrape. Labelled counters (per tenant, per reason, per outcome) sit in
//! small maps behind std mutexes: the label sets are bounded (tenants,
//! a handful of reasons and outcomes), each update is one map operation
//! and no await happens while a lock is held.
//!
//! Rates (calls per second) are not computed here: Prometheus derives them
//! from the counters, e.g. `rate(pbx_calls_total[1m])`.

use crate::live::LiveCalls;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Flow outcomes that are not failures (`pbx_flow::FlowOutcome::name` of
/// the outcomes for which `is_failure` is false).
const SUCCESS_OUTCOMES: [&str; 2] = ["completed", "caller-hung-up"];

/// A counter per label value. A `BTreeMap` so the output is sorted and
/// stable between scrapes.
#[derive(Debug, Default)]
struct LabelledCounter {
    values: Mutex<BTreeMap<String, u64>>,
}

impl LabelledCounter {
    fn add(&self, label: &str, n: u64) {
        let mut values = self.values.lock().unwrap_or_else(|e| e.into_inner());
        match values.get_mut(label) {
            Some(v) => *v = v.saturating_add(n),
            None => {
                values.insert(label.to_string(), n);
            }
        }
    }

    fn get(&self) -> BTreeMap<String, u64> {
        self.values
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// The PBX's metrics. Shared as `Arc<Metrics>`; every method takes `&self`.
#[derive(Debug)]
pub struct Metrics {
    /// For the uptime gauge (monotonic, immune to clock changes).
    started: Instant,
    /// For the start-time gauge (wall clock, what dashboards show).
    started_wall: SystemTime,
    calls_total: LabelledCounter,
    calls_rejected: LabelledCounter,
    flow_instances_live: AtomicU64,
    flow_runs: LabelledCounter,
    flow_failures: LabelledCounter,
    rtp_received: AtomicU64,
    rtp_lost: AtomicU64,
}

/// One metric family's header lines.
fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A sample without labels.
fn sample(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = writeln!(out, "{name} {value}");
}

/// A labelled family: header and one sample per label value.
fn family(out: &mut String, name: &str, help: &str, label: &str, values: &BTreeMap<String, u64>) {
    header(out, name, "counter", help);
    for (value, n) in values {
        let _ = writeln!(out, "{name}{{{label}=\"{}\"}} {n}", escape_label(value));
    }
}

/// A HELP text: backslash and line feed escaped (exposition format 0.0.4).
fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

/// A label value: backslash, double quote and line feed escaped.
pub fn escape_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

impl Metrics {
    /// Fresh metrics, all zero; uptime counts from now.
    pub fn new() -> Arc<Metrics> {
        Arc::new(Metrics {
            started: Instant::now(),
            started_wall: SystemTime::now(),
            calls_total: LabelledCounter::default(),
            calls_rejected: LabelledCounter::default(),
            flow_instances_live: AtomicU64::new(0),
            flow_runs: LabelledCounter::default(),
            flow_failures: LabelledCounter::default(),
            rtp_received: AtomicU64::new(0),
            rtp_lost: AtomicU64::new(0),
        })
    }

    /// A call of `tenant` (its name) arrived and was admitted.
    pub fn call_started(&self, tenant: &str) {
        self.calls_total.add(tenant, 1);
    }

    /// A call was refused; `reason` is a short stable word such as
    /// `blocked`, `limit`, `no-route`, `unauthenticated`.
    pub fn call_rejected(&self, reason: &str) {
        self.calls_rejected.add(reason, 1);
    }

    /// A flow instance started handling a call.
    pub fn flow_started(&self) {
        self.flow_instances_live.fetch_add(1, Ordering::Relaxed);
    }

    /// A flow instance ended with `outcome` (`FlowOutcome::name`:
    /// `completed`, `caller-hung-up`, `trapped`, ...). Outcomes other than
    /// `completed` and `caller-hung-up` also count as a failure of that
    /// kind.
    pub fn flow_ended(&self, outcome: &str) {
        // Saturating: an unmatched `flow_ended` must not wrap the gauge to
        // 2^64 - 1.
        let _ = self
            .flow_instances_live
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                Some(n.saturating_sub(1))
            });
        self.flow_runs.add(outcome, 1);
        if !SUCCESS_OUTCOMES.contains(&outcome) {
            self.flow_failures.add(outcome, 1);
        }
    }

    /// Add one media leg's RTP counts (call it once per leg, at close).
    pub fn rtp(&self, received: u64, lost: u64) {
        self.rtp_received.fetch_add(received, Ordering::Relaxed);
        self.rtp_lost.fetch_add(lost, Ordering::Relaxed);
    }

    /// Every metric in the Prometheus text format 0.0.4; `live` gives the
    /// calls in progress and `registrations` the number of live SIP
    /// registrations (bindings).
    pub fn render(&self, live: &LiveCalls, registrations: usize) -> String {
        let mut out = String::with_capacity(2048);
        header(
            &mut out,
            "pbx_calls_in_progress",
            "gauge",
            "Calls in progress now (ringing, in a flow or bridged).",
        );
        sample(&mut out, "pbx_calls_in_progress", live.len());
        family(
            &mut out,
            "pbx_calls_total",
            "Calls admitted since start, by tenant. Calls per second: rate(pbx_calls_total[1m]).",
            "tenant",
            &self.calls_total.get(),
        );
        family(
            &mut out,
            "pbx_calls_rejected_total",
            "Calls refused since start, by reason.",
            "reason",
            &self.calls_rejected.get(),
        );
        header(
            &mut out,
            "pbx_flow_instances_live",
            "gauge",
            "Flow instances (WebAssembly) running now.",
        );
        sample(
            &mut out,
            "pbx_flow_instances_live",
            self.flow_instances_live.load(Ordering::Relaxed),
        );
        family(
            &mut out,
            "pbx_flow_runs_total",
            "Flow runs ended since start, by outcome.",
            "outcome",
            &self.flow_runs.get(),
        );
        family(
            &mut out,
            "pbx_flow_failures_total",
            "Flow runs that failed (the fallback applied), by kind.",
            "kind",
            &self.flow_failures.get(),
        );
        header(
            &mut out,
            "pbx_registrations",
            "gauge",
            "Live SIP registrations (bindings) now.",
        );
        sample(&mut out, "pbx_registrations", registrations);
        header(
            &mut out,
            "pbx_rtp_packets_received_total",
            "counter",
            "RTP packets received on closed media legs.",
        );
        sample(
            &mut out,
            "pbx_rtp_packets_received_total",
            self.rtp_received.load(Ordering::Relaxed),
        );
        header(
            &mut out,
            "pbx_rtp_packets_lost_total",
            "counter",
            "RTP packets lost (sequence gaps) on closed media legs.",
        );
        sample(
            &mut out,
            "pbx_rtp_packets_lost_total",
            self.rtp_lost.load(Ordering::Relaxed),
        );
        header(
            &mut out,
            "pbx_uptime_seconds",
            "gauge",
            "Seconds since the PBX started.",
        );
        sample(
            &mut out,
            "pbx_uptime_seconds",
            format_args!("{:.3}", self.started.elapsed().as_secs_f64()),
        );
        header(
            &mut out,
            "pbx_start_time_seconds",
            "gauge",
            "When the PBX started, in seconds since the Unix epoch.",
        );
        let start = self
            .started_wall
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        sample(
            &mut out,
            "pbx_start_time_seconds",
            format_args!("{start:.3}"),
        );
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::{CallPhase, CallSnapshot};
    use std::collections::HashMap;

    /// A sample's identity: metric name and its labels, sorted.
    type Series = (String, Vec<(String, String)>);

    /// Parse the exposition text back: every sample, with its value; every
    /// family's TYPE. Panics on a line that is not valid 0.0.4 text.
    fn parse(text: &str) -> (HashMap<Series, f64>, HashMap<String, String>) {
        let mut samples = HashMap::new();
        let mut types = HashMap::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
                assert!(
                    types.insert(name.to_string(), kind.to_string()).is_none(),
                    "TYPE of {name} twice"
                );
                continue;
            }
            if line.starts_with("# HELP ") {
                continue;
            }
            assert!(!line.starts_with('#') && !line.is_empty(), "line {line:?}");
            let (series, value) = line.rsplit_once(' ').expect("name value");
            let value: f64 = value.parse().expect("numeric value");
            let (name, labels) = match series.split_once('{') {
                None => (series.to_string(), Vec::new()),
                Some((name, rest)) => {
                    let body = rest.strip_suffix('}').expect("closing brace");
                    (name.to_string(), parse_labels(body))
                }
            };
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
                "metric name {name}"
            );
            assert!(
                types.keys().any(|t| *t == name),
                "sample {name} before its TYPE"
            );
            assert!(
                samples.insert((name, labels), value).is_none(),
                "duplicate sample {line}"
            );
        }
        (samples, types)
    }

    /// `a="x",b="y\"z"` with escapes undone.
    fn parse_labels(body: &str) -> Vec<(String, String)> {
        let mut labels = Vec::new();
        let mut chars = body.chars().peekable();
        while chars.peek().is_some() {
            let name: String = chars.by_ref().take_while(|c| *c != '=').collect();
            assert_eq!(chars.next(), Some('"'), "label value opens with a quote");
            let mut value = String::new();
            loop {
                match chars.next().expect("unterminated label value") {
                    '\\' => match chars.next().expect("escape") {
                        'n' => value.push('\n'),
                        c @ ('\\' | '"') => value.push(c),
                        c => panic!("bad escape \\{c}"),
                    },
                    '"' => break,
                    c => value.push(c),
                }
            }
            labels.push((name, value));
            if chars.peek() == Some(&',') {
                chars.next();
            }
        }
        labels.sort();
        labels
    }

    fn value(samples: &HashMap<Series, f64>, name: &str, labels: &[(&str, &str)]) -> Option<f64> {
        let mut labels: Vec<(String, String)> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        labels.sort();
        samples.get(&(name.to_string(), labels)).copied()
    }

    #[test]
    fn every_family_has_a_type_and_starts_at_zero() {
        let m = Metrics::new();
        let (samples, types) = parse(&m.render(&LiveCalls::new(), 0));
        for (name, kind) in [
            ("pbx_calls_in_progress", "gauge"),
            ("pbx_calls_total", "counter"),
            ("pbx_calls_rejected_total", "counter"),
            ("pbx_flow_instances_live", "gauge"),
            ("pbx_flow_runs_total", "counter"),
            ("pbx_flow_failures_total", "counter"),
            ("pbx_registrations", "gauge"),
            ("pbx_rtp_packets_received_total", "counter"),
            ("pbx_rtp_packets_lost_total", "counter"),
            ("pbx_uptime_seconds", "gauge"),
            ("pbx_start_time_seconds", "gauge"),
        ] {
            assert_eq!(types.get(name).map(String::as_str), Some(kind), "{name}");
        }
        assert_eq!(value(&samples, "pbx_calls_in_progress", &[]), Some(0.0));
        assert_eq!(value(&samples, "pbx_flow_instances_live", &[]), Some(0.0));
        assert!(value(&samples, "pbx_start_time_seconds", &[]).unwrap() > 1.6e9);
    }

    #[test]
    fn values_follow_the_calls() {
        let m = Metrics::new();
        let live = LiveCalls::new();
        m.call_started("acme");
        m.call_started("acme");
        m.call_started("globex");
        m.call_rejected("limit");
        m.flow_started();
        m.flow_started();
        m.flow_ended("completed");
        m.flow_started();
        m.flow_ended("trapped");
        m.rtp(100, 3);
        m.rtp(50, 2);
        let _call = live.insert(CallSnapshot {
            id: "c1".into(),
            tenant: "acme".into(),
            caller: "1001".into(),
            callee: "1002".into(),
            state: CallPhase::Ringing,
            flow: None,
            started: SystemTime::now(),
        });
        let (s, _) = parse(&m.render(&live, 7));
        assert_eq!(
            value(&s, "pbx_calls_total", &[("tenant", "acme")]),
            Some(2.0)
        );
        assert_eq!(
            value(&s, "pbx_calls_total", &[("tenant", "globex")]),
            Some(1.0)
        );
        assert_eq!(
            value(&s, "pbx_calls_rejected_total", &[("reason", "limit")]),
            Some(1.0)
        );
        assert_eq!(value(&s, "pbx_flow_instances_live", &[]), Some(1.0));
        assert_eq!(
            value(&s, "pbx_flow_runs_total", &[("outcome", "completed")]),
            Some(1.0)
        );
        assert_eq!(
            value(&s, "pbx_flow_runs_total", &[("outcome", "trapped")]),
            Some(1.0)
        );
        assert_eq!(
            value(&s, "pbx_flow_failures_total", &[("kind", "trapped")]),
            Some(1.0)
        );
        assert_eq!(
            value(&s, "pbx_flow_failures_total", &[("kind", "completed")]),
            None
        );
        assert_eq!(
            value(&s, "pbx_rtp_packets_received_total", &[]),
            Some(150.0)
        );
        assert_eq!(value(&s, "pbx_rtp_packets_lost_total", &[]), Some(5.0));
        assert_eq!(value(&s, "pbx_registrations", &[]), Some(7.0));
        assert_eq!(value(&s, "pbx_calls_in_progress", &[]), Some(1.0));
    }

    #[test]
    fn the_flow_gauge_never_goes_below_zero() {
        let m = Metrics::new();
        m.flow_ended("completed");
        let (s, _) = parse(&m.render(&LiveCalls::new(), 0));
        assert_eq!(value(&s, "pbx_flow_instances_live", &[]), Some(0.0));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::new();
        let odd = "a \"quoted\" back\\slash\nnew line";
        m.call_started(odd);
        let text = m.render(&LiveCalls::new(), 0);
        assert!(text.contains(r#"tenant="a \"quoted\" back\\slash\nnew line""#));
        let (s, _) = parse(&text);
        assert_eq!(value(&s, "pbx_calls_total", &[("tenant", odd)]), Some(1.0));
    }

    /// The failure kinds agree with the flow runtime's own notion of
    /// failure for every outcome that can be built here.
    #[test]
    fn failures_match_the_flow_runtime() {
        use pbx_flow::FlowOutcome;
        for outcome in [
            FlowOutcome::Completed,
            FlowOutcome::CallerHungUp,
            FlowOutcome::Trapped("x".into()),
            FlowOutcome::CpuDeadline,
            FlowOutcome::MemoryLimit,
            FlowOutcome::WallClock,
            FlowOutcome::TenantInstanceLimit,
            FlowOutcome::Quarantined,
            FlowOutcome::InstantiateFailed("x".into()),
        ] {
            let m = Metrics::new();
            m.flow_ended(outcome.name());
            let (s, _) = parse(&m.render(&LiveCalls::new(), 0));
            let failed = value(&s, "pbx_flow_failures_total", &[("kind", outcome.name())]);
            assert_eq!(failed.is_some(), outcome.is_failure(), "{}", outcome.name());
        }
    }
}
