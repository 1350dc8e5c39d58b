//! The PBX's CPU time and memory over a measured window, sampled from
//! `/proc` while the window runs (peak RSS is the highest sample, not the
//! process's lifetime high-water mark).

use crate::proc_stats::{self, Pid, Sample};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;
use tokio::time::Instant;

/// What the PBX used during a window.
#[derive(Debug, Clone, Copy, Default)]
pub struct Usage {
    /// CPU time (user + system, all threads) spent in the window.
    pub cpu: Duration,
    /// Wall time of the window.
    pub wall: Duration,
    /// RSS at the start, KiB.
    pub rss_start_kib: u64,
    /// RSS at the end, KiB.
    pub rss_end_kib: u64,
    /// Highest RSS sampled during the window, KiB.
    pub rss_peak_kib: u64,
}

impl Usage {
    /// CPU time as a share of one core over the window.
    pub fn cores(&self) -> f64 {
        self.cpu.as_secs_f64() / self.wall.as_secs_f64().max(1e-9)
    }

    /// CPU microseconds per unit of work (0 for none).
    pub fn cpu_us_per(&self, units: u64) -> f64 {
        if units == 0 {
            0.0
        } else {
            self.cpu.as_secs_f64() * 1e6 / units as f64
        }
    }
}

/// A running window; [`Window::finish`] ends it.
pub struct Window {
    pid: Pid,
    start: Sample,
    started: Instant,
    peak: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Window {
    /// Start measuring `pid`, sampling its RSS every 100 ms.
    pub fn start(pid: Pid) -> anyhow::Result<Window> {
        let start = proc_stats::sample(pid)?;
        let peak = Arc::new(AtomicU64::new(start.rss_kib));
        let stop = Arc::new(AtomicBool::new(false));
        let task = {
            let (peak, stop) = (peak.clone(), stop.clone());
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    if let Ok(s) = proc_stats::sample(pid) {
                        peak.fetch_max(s.rss_kib, Ordering::Relaxed);
                    }
                }
            })
        };
        Ok(Window {
            pid,
            start,
            started: Instant::now(),
            peak,
            stop,
            task,
        })
    }

    /// End the window.
    pub async fn finish(self) -> anyhow::Result<Usage> {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.task.await;
        let end = proc_stats::sample(self.pid)?;
        Ok(Usage {
            cpu: end.cpu.saturating_sub(self.start.cpu),
            wall: self.started.elapsed(),
            rss_start_kib: self.start.rss_kib,
            rss_end_kib: end.rss_kib,
            rss_peak_kib: self.peak.load(Ordering::Relaxed).max(end.rss_kib),
        })
    }
}
