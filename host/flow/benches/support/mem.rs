//! Memory figures of this process (memory_per_live_instance).

/// Memory figures of this process, in KiB.
#[derive(Debug, Clone, Copy, Default)]
pub struct Mem {
    pub rss: i64,
    anon: i64,
    file: i64,
    shmem: i64,
    /// Proportional set size: a page mapped N times counts 1/N each time,
    /// so copy-on-write image pages shared by many slots count once.
    pub pss: i64,
}

impl Mem {
    pub fn read() -> Mem {
        fn field(text: &str, name: &str) -> i64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1)
        }
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
        Mem {
            rss: field(&status, "VmRSS:"),
            anon: field(&status, "RssAnon:"),
            file: field(&status, "RssFile:"),
            shmem: field(&status, "RssShmem:"),
            pss: field(&rollup, "Pss:"),
        }
    }

    pub fn minus(self, o: Mem) -> Mem {
        Mem {
            rss: self.rss - o.rss,
            anon: self.anon - o.anon,
            file: self.file - o.file,
            shmem: self.shmem - o.shmem,
            pss: self.pss - o.pss,
        }
    }

    pub fn per(self, n: usize) -> String {
        let n = n as f64;
        format!(
            "VmRSS {:.1} KiB (anon {:.1}, file {:.1}, shmem {:.1}), PSS {:.1} KiB",
            self.rss as f64 / n,
            self.anon as f64 / n,
            self.file as f64 / n,
            self.shmem as f64 / n,
            self.pss as f64 / n
        )
    }
}
