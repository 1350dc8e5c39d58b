//! The human-readable report of a calls run.

use super::result::CallsResult;
use crate::report::{PbxUsage, delay_line, pbx_section};
use std::fmt::Write as _;

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
    if result.remote_byes > 0 {
        let _ = writeln!(out, "BYEs from the far end:     {}", result.remote_byes);
    }
    for (who, media) in [
        ("callers", &result.caller_media),
        ("callees", &result.callee_media),
    ] {
        if let Some(m) = media {
            let _ = writeln!(
                out,
                "RTP, {who}: sent {}, received {}, lost {}, late {}, duplicates {}, max jitter {:.1} ms, \
                 voiced {}, DTMF sent {} received {}, generator late ticks {}",
                m.sent,
                m.received,
                m.lost,
                m.late,
                m.duplicates,
                m.max_jitter_ms,
                m.voiced,
                m.dtmf_sent,
                m.dtmf_received.len(),
                m.send_late
            );
        }
    }
    delay_line(
        &mut out,
        "session request delay (SRD, INVITE with credentials to 200)",
        &result.srd_us,
    );
    if let Some(p) = pbx {
        pbx_section(
            &mut out,
            p,
            secs,
            result.completed,
            "  CPU per completed call:  {} us (INVITE/407/ACK, INVITE/200/ACK, BYE/200; both legs)",
            "  calls per CPU-second (= per core): {}",
        );
    }
    out
}
