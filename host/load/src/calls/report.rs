//! The human-readable report of a calls run.

use super::result::CallsResult;
use crate::report::{PbxUsage, percentile};
use std::fmt::Write as _;

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

/// The report, one figure a line.
pub fn render(result: &CallsResult, pbx: Option<&PbxUsage>) -> String {
    let mut out = String::new();
    let secs = result.elapsed.as_secs_f64().max(1e-9);
    let window = result.send_window.as_secs_f64().max(1e-9);
    let _ = writeln!(
        out,
        "callees registered:        {}",
        result.callees_registered
    );
    let _ = writeln!(out, "calls attempted:           {}", result.attempted);
    let _ = writeln!(out, "calls answered:            {}", result.answered);
    let _ = writeln!(out, "calls completed (BYE 200): {}", result.completed);
    let _ = writeln!(out, "calls failed:              {}", result.failed());
    let mut causes: Vec<_> = result.failures.iter().collect();
    causes.sort();
    for (cause, n) in causes {
        let _ = writeln!(out, "  {cause}: {n}");
    }
    let _ = writeln!(
        out,
        "session establishment ratio (SER): {:.4}",
        result.ser()
    );
    let _ = writeln!(
        out,
        "offered rate:              {:.1} calls/s over {:.2} s",
        result.attempted as f64 / window,
        window
    );
    let _ = writeln!(
        out,
        "completed rate:            {:.1} calls/s over {:.2} s (incl. drain)",
        result.completed as f64 / secs,
        secs
    );
    let _ = writeln!(
        out,
        "retransmissions:           {} (re-ACKs {})",
        result.retransmissions, result.reacks
    );
    let _ = writeln!(out, "stray responses:           {}", result.stray_responses);
    let _ = writeln!(
        out,
        "UAS answered:              {} INVITEs, {} BYEs",
        result.uas_invites, result.uas_byes
    );
    let d = &result.srd_us;
    let _ = writeln!(
        out,
        "session request delay (SRD, INVITE with credentials to 200): p50 {}, p95 {}, p99 {}, max {}",
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
        if result.completed > 0 && cpu > 0.0 {
            let _ = writeln!(
                out,
                "  CPU per completed call:  {:.1} us (INVITE/407/ACK, INVITE/200/ACK, BYE/200; both legs)",
                cpu * 1e6 / result.completed as f64
            );
            let _ = writeln!(
                out,
                "  calls per CPU-second (= per core): {:.0}",
                result.completed as f64 / cpu
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
