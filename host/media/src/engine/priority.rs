//! Real-time scheduling for media workers. A worker must wake every 20 ms
//! and finish its tick within a few milliseconds; on a machine also busy
//! with signalling, databases or builds, the ordinary time-sharing
//! scheduler can leave it waiting for tens of milliseconds. Round-robin
//! real-time priority (Linux `SCHED_RR`) lets it preempt them; the kernel's
//! real-time throttling still keeps a share of CPU for everything else.

/// Real-time priority used for workers (1-99; low, to stay below kernel threads).
pub const RT_PRIORITY: i32 = 10;

/// Gives the calling thread real-time round-robin priority; without the
/// right (not root, no CAP_SYS_NICE, no RLIMIT_RTPRIO) it falls back to a
/// higher nice level, and says which it got.
pub fn raise_current_thread() -> &'static str {
    #[cfg(target_os = "linux")]
    {
        let param = libc::sched_param {
            sched_priority: RT_PRIORITY,
        };
        // SAFETY: pid 0 means the calling thread; param is a valid struct.
        if unsafe { libc::sched_setscheduler(0, libc::SCHED_RR, &param) } == 0 {
            return "SCHED_RR";
        }
        // SAFETY: gettid has no preconditions; setpriority on our own tid.
        let tid = unsafe { libc::gettid() };
        if unsafe { libc::setpriority(libc::PRIO_PROCESS, tid as libc::id_t, -10) } == 0 {
            return "nice -10";
        }
        "normal (no right to raise it)"
    }
    #[cfg(not(target_os = "linux"))]
    {
        "normal (not Linux)"
    }
}
