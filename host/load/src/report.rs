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

fn ms(us: u64) -> String {
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
    let d = &result.delays_us;
    let _ = writeln!(
        out,
        "registration request delay (RRD, first REGISTER to 200): p50 {}, p95 {}, p99 {}, max {}",
        ms(percentile(d, 50.0)),
        ms(percentile(d, 95.0)),
        ms(percentile(d, 99.0)),
        ms(d.last().copied().unwrap_or(0))
    );
    if let Some(p) = pbx {
        let cpu = p.cpu().as_secs_f64();
        let _ = writeln!(out, "PBX ({}):", p.label);
        let _ = writeln!(
            out,
            "  CPU time:                {:.2} s ({:.0}% of one core over the run)",
            cpu,
            100.0 * cpu / secs
        );
        if result.succeeded > 0 && cpu > 0.0 {
            let _ = writeln!(
                out,
                "  CPU per registration:    {:.1} us (2 REGISTER transactions each)",
                cpu * 1e6 / result.succeeded as f64
            );
            let _ = writeln!(
                out,
                "  registrations per CPU-second (= per core): {:.0}",
                result.succeeded as f64 / cpu
            );
        }
        let _ = writeln!(
            out,
            "  RSS:                     {} KiB before, {} KiB after (peak {} KiB)",
            p.before.rss_kib, p.after.rss_kib, p.after.hwm_kib
        );
    }
    out
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
