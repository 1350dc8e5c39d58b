//! Percentiles and the text report.

use crate::proc_stats::Sample;
use crate::register::RegisterResult;
use std::fmt::Write as _;
use std::time::Duration;

/// Nearest-rank percentile `p` (0-100) of sorted `values`; 0 when empty.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// CPU and memory of the PBX over the run.
#[derive(Debug, Clone)]
pub struct PbxUsage {
    /// Where the figures come from, e.g. `pid 1234` or `this process
    /// (includes the load generator)`.
    pub label: String,
    /// Reading before the run.
    pub before: Sample,
    /// Reading after the run.
    pub after: Sample,
}

impl PbxUsage {
    /// CPU time spent during the run.
    pub fn cpu(&self) -> Duration {
        self.after.cpu.saturating_sub(self.before.cpu)
    }
}

/// Microseconds as "1.23 ms".
pub fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

/// The report, one figure a line.
pub fn render(result: &RegisterResult, pbx: Option<&PbxUsage>) -> String {
    let mut out = String::new();
    let failed = result.failed();
    let secs = result.elapsed.as_secs_f64().max(1e-9);
    let window = result.send_window.as_secs_f64().max(1e-9);
    let _ = writeln!(out, "registrations attempted:   {}", result.attempted);
    let _ = writeln!(out, "registrations succeeded:   {}", result.succeeded);
    let _ = writeln!(out, "registrations failed:      {failed}");
    let mut causes: Vec<_> = result.failures.iter().collect();
    causes.sort();
    for (cause, n) in causes {
        let _ = writeln!(out, "  {cause}: {n}");
    }
    let _ = writeln!(
        out,
        "success ratio:             {:.4}",
        result.success_ratio()
    );
    let _ = writeln!(
        out,
        "offered rate:              {:.0} registrations/s over {:.2} s",
        result.attempted as f64 / window,
        window
    );
    let _ = writeln!(
        out,
        "achieved rate:             {:.0} successful registrations/s over {:.2} s (incl. drain)",
        result.succeeded as f64 / secs,
        secs
    );
    let _ = writeln!(out, "retransmissions:           {}", result.retransmissions);
    let _ = writeln!(out, "stray responses:           {}", result.stray_responses);
    delay_line(
        &mut out,
        "registration request delay (RRD, first REGISTER to 200)",
        &result.delays_us,
    );
    if let Some(p) = pbx {
        pbx_section(
            &mut out,
            p,
            secs,
            result.succeeded,
            "  CPU per registration:    {} us (2 REGISTER transactions each)",
            "  registrations per CPU-second (= per core): {}",
        );
    }
    out
}

/// One line of delay percentiles (p50, p95, p99, max) of `sorted_us`.
pub fn delay_line(out: &mut String, what: &str, sorted_us: &[u64]) {
    let _ = writeln!(
        out,
        "{what}: p50 {}, p95 {}, p99 {}, max {}",
        ms(percentile(sorted_us, 50.0)),
        ms(percentile(sorted_us, 95.0)),
        ms(percentile(sorted_us, 99.0)),
        ms(sorted_us.last().copied().unwrap_or(0))
    );
}

/// The PBX's CPU and memory over a run of `secs` that completed `done`
/// units of work (registrations, calls). `per_unit` and `per_cpu_second`
/// are the two lines' texts, `{}` standing for the figure.
pub fn pbx_section(
    out: &mut String,
    p: &PbxUsage,
    secs: f64,
    done: u64,
    per_unit: &str,
    per_cpu_second: &str,
) {
    let cpu = p.cpu().as_secs_f64();
    let _ = writeln!(out, "PBX ({}):", p.label);
    let _ = writeln!(
        out,
        "  CPU time:                {:.2} s ({:.0}% of one core over the run)",
        cpu,
        100.0 * cpu / secs
    );
    if done > 0 && cpu > 0.0 {
        let per = format!("{:.1}", cpu * 1e6 / done as f64);
        let rate = format!("{:.0}", done as f64 / cpu);
        let _ = writeln!(out, "{}", per_unit.replacen("{}", &per, 1));
        let _ = writeln!(out, "{}", per_cpu_second.replacen("{}", &rate, 1));
    }
    let _ = writeln!(
        out,
        "  RSS:                     {} KiB before, {} KiB after (peak {} KiB)",
        p.before.rss_kib, p.after.rss_kib, p.after.hwm_kib
    );
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn nearest_rank() {
        let v: Vec<u64> = (1..=100).collect();
        assert_eq!(percentile(&v, 50.0), 50);
        assert_eq!(percentile(&v, 99.0), 99);
        assert_eq!(percentile(&v, 100.0), 100);
        assert_eq!(percentile(&[7], 95.0), 7);
        assert_eq!(percentile(&[], 95.0), 0);
    }
}
