//! `pbx status`: the registrations and calls of a running `pbx serve`,
//! read over its control socket (`<data_dir>/pbx.sock`).

use clap::Args;
use pbx::control::{self, ClientError, StatusReport};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

/// `pbx status` options.
#[derive(Args, Debug)]
pub struct StatusArgs {
    /// Data directory of the running PBX (the one given to `pbx serve`).
    #[arg(long, default_value = "data")]
    data_dir: PathBuf,
    /// Print the PBX's answer as JSON instead of tables.
    #[arg(long)]
    json: bool,
}

/// Print the status; exit 1 when no PBX answers.
pub async fn run(args: StatusArgs) -> ExitCode {
    let path = control::socket_path(&args.data_dir);
    let report = match control::query_status(&path).await {
        Ok(r) => r,
        Err(ClientError::NotRunning(_)) => {
            eprintln!(
                "no PBX is running on data directory {dir} (nothing answers on {sock}).\n\
                 Start one with: pbx serve --data-dir {dir}",
                dir = args.data_dir.display(),
                sock = path.display()
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(1);
        }
    };
    if args.json {
        match serde_json::to_string_pretty(&report) {
            Ok(text) => println!("{text}"),
            Err(e) => {
                eprintln!("error: cannot print the status as JSON: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        print!("{}", render(&report, SystemTime::now()));
    }
    ExitCode::SUCCESS
}

/// `1h02m03s`, `4m05s`, `12s`.
fn duration(d: Duration) -> String {
    let s = d.as_secs();
    let (h, m, s) = (s / 3600, s / 60 % 60, s % 60);
    if h > 0 {
        format!("{h}h{m:02}m{s:02}s")
    } else if m > 0 {
        format!("{m}m{s:02}s")
    } else {
        format!("{s}s")
    }
}

/// Rows under a header, each column as wide as its widest cell, two
/// spaces apart; the last column is not padded.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.zip(&widths).enumerate() {
            if i + 1 == widths.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.trim_end().to_string() + "\n"
    };
    let mut out = line(&mut header.iter().copied());
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The report as two tables and a totals line; durations relative to
/// `now`.
fn render(report: &StatusReport, now: SystemTime) -> String {
    let mut out = String::new();
    out.push_str(&format!("Registrations ({})\n", report.registrations.len()));
    if report.registrations.is_empty() {
        out.push_str("  (none)\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .registrations
            .iter()
            .map(|r| {
                vec![
                    r.aor.clone(),
                    r.contact.clone(),
                    r.transport.clone(),
                    r.source.clone(),
                    format!("{}s", r.expires_in_s),
                ]
            })
            .collect();
        out.push_str(&table(
            &["AOR", "CONTACT", "TRANSPORT", "SOURCE", "EXPIRES"],
            &rows,
        ));
    }
    out.push('\n');
    out.push_str(&format!("Calls ({})\n", report.calls.len()));
    if report.calls.is_empty() {
        out.push_str("  (none)\n");
    } else {
        let rows: Vec<Vec<String>> = report
            .calls
            .iter()
            .map(|c| {
                vec![
                    c.id.clone(),
                    c.tenant.clone(),
                    c.caller.clone(),
                    c.callee.clone(),
                    c.state.to_string(),
                    c.flow.clone().unwrap_or_else(|| "-".into()),
                    duration(now.duration_since(c.started).unwrap_or_default()),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "ID", "TENANT", "CALLER", "CALLEE", "STATE", "FLOW", "DURATION",
            ],
            &rows,
        ));
    }
    out.push('\n');
    out.push_str(&format!(
        "{}, {} in progress; up {} (pbx {})\n",
        plural(report.registrations.len(), "registration", "registrations"),
        plural(report.calls.len(), "call", "calls"),
        duration(Duration::from_secs(report.uptime_s)),
        report.version
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pbx::control::RegistrationRow;
    use pbx::live::{CallPhase, CallSnapshot};

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(Duration::from_secs(7)), "7s");
        assert_eq!(duration(Duration::from_secs(65)), "1m05s");
        assert_eq!(duration(Duration::from_secs(3723)), "1h02m03s");
    }

    #[test]
    fn columns_line_up() {
        let now = SystemTime::now();
        let report = StatusReport {
            registrations: vec![
                RegistrationRow {
                    aor: "sip:1001@pbx".into(),
                    contact: "sip:1001@127.0.0.1:5062;transport=udp".into(),
                    transport: "udp".into(),
                    source: "127.0.0.1:5062".into(),
                    expires_in_s: 3599,
                    user_agent: None,
                },
                RegistrationRow {
                    aor: "sip:20001@pbx".into(),
                    contact: "sip:x@h".into(),
                    transport: "tcp".into(),
                    source: "127.0.0.1:40000".into(),
                    expires_in_s: 60,
                    user_agent: None,
                },
            ],
            calls: vec![CallSnapshot {
                id: "c-1".into(),
                tenant: "demo".into(),
                caller: "1001".into(),
                callee: "1002".into(),
                state: CallPhase::Bridged {
                    peer: "1002".into(),
                },
                flow: None,
                started: now - Duration::from_secs(65),
            }],
            uptime_s: 3723,
            version: "0.1.0".into(),
        };
        let text = render(&report, now);
        let lines: Vec<&str> = text.lines().collect();
        let header = lines[1];
        let contact_col = header.find("CONTACT").unwrap();
        let expires_col = header.find("EXPIRES").unwrap();
        for row in &lines[2..4] {
            let cells: Vec<&str> = row.split_whitespace().collect();
            assert_eq!(row.find(cells[1]), Some(contact_col), "{text}");
            assert_eq!(row.rfind(cells[4]), Some(expires_col), "{text}");
        }
        assert!(text.contains("bridged to 1002"), "{text}");
        assert!(text.contains("1m05s"), "{text}");
        assert!(
            text.contains("2 registrations, 1 call in progress; up 1h02m03s"),
            "{text}"
        );
    }
}
