//! CPU time and memory of a process, read from `/proc` (Linux only).
//!
//! CPU time is `utime + stime` of `/proc/PID/stat`, which covers every
//! thread of the process, live or exited. It counts in clock ticks of
//! `USER_HZ`, which Linux fixes at 100 for user space on every mainstream
//! architecture; the resolution is therefore 10 ms, fine for runs of
//! several seconds.

use anyhow::{Context, Result, bail};
use std::time::Duration;

/// Clock ticks per second of `/proc/PID/stat` (`USER_HZ`).
const USER_HZ: u64 = 100;

/// Which process to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pid {
    /// This process (`/proc/self`).
    OwnProcess,
    /// Another process.
    Other(u32),
}

impl Pid {
    fn dir(self) -> String {
        match self {
            Pid::OwnProcess => "/proc/self".to_string(),
            Pid::Other(pid) => format!("/proc/{pid}"),
        }
    }
}

/// One reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sample {
    /// User plus system CPU time, all threads.
    pub cpu: Duration,
    /// Resident set size now, KiB (`VmRSS`).
    pub rss_kib: u64,
    /// Peak resident set size, KiB (`VmHWM`).
    pub hwm_kib: u64,
}

/// Read CPU time and RSS of `pid`.
pub fn sample(pid: Pid) -> Result<Sample> {
    let dir = pid.dir();
    let stat = std::fs::read_to_string(format!("{dir}/stat"))
        .with_context(|| format!("reading {dir}/stat"))?;
    let ticks = parse_stat_cpu_ticks(&stat)?;
    let status = std::fs::read_to_string(format!("{dir}/status"))
        .with_context(|| format!("reading {dir}/status"))?;
    Ok(Sample {
        cpu: Duration::from_millis(ticks * 1000 / USER_HZ),
        rss_kib: status_kib(&status, "VmRSS:").unwrap_or(0),
        hwm_kib: status_kib(&status, "VmHWM:").unwrap_or(0),
    })
}

/// `utime + stime` (fields 14 and 15) of a `/proc/PID/stat` line. The
/// command name (field 2) may hold spaces and parentheses, so fields are
/// counted from the last `)`.
pub fn parse_stat_cpu_ticks(stat: &str) -> Result<u64> {
    let Some(close) = stat.rfind(')') else {
        bail!("malformed /proc stat line");
    };
    // After ")": field 3 (state) is the first.
    let fields: Vec<&str> = stat[close + 1..].split_whitespace().collect();
    let field = |n: usize| -> Result<u64> {
        fields
            .get(n - 3)
            .context("short /proc stat line")?
            .parse::<u64>()
            .context("non-numeric /proc stat field")
    };
    Ok(field(14)? + field(15)?)
}

fn status_kib(status: &str, key: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line_with_odd_command_name() {
        let line = "1234 (a) b (c) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 4 0 100 0 0";
        assert_eq!(parse_stat_cpu_ticks(line).unwrap(), 300);
    }

    #[test]
    fn own_process_reads() {
        let s = sample(Pid::OwnProcess).unwrap();
        assert!(s.rss_kib > 0);
    }
}
