//! Quarantine of a flow version that keeps exhausting its resources.
//!
//! The sandbox stops a flow that computes past its CPU allowance or grows
//! past its memory cap, but each stop has already cost up to the allowance
//! (50 ms of a core by default). A version that does it on every call, at a
//! few calls per second, takes a share of the cores the other tenants'
//! calls need. So each flow version keeps a breaker: when most of its
//! recent runs were stopped for resources, new calls get the tenant's
//! fallback without running it, for a cooldown that doubles each time the
//! version trips again. Activating another version (a fix, a rollback)
//! starts afresh: the breaker belongs to the version.

use crate::run::FlowOutcome;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// When a flow version is quarantined, and for how long.
#[derive(Debug, Clone, PartialEq)]
pub struct QuarantinePolicy {
    /// Resource stops (CPU deadline, memory limit) within [`window`]
    /// that trip the breaker, if they are also at least half of the runs
    /// that ended in it (of the latest `4 * stops` runs, the ones kept).
    /// 0 turns quarantine off.
    ///
    /// [`window`]: QuarantinePolicy::window
    pub stops: u32,
    /// How far back stops are counted.
    pub window: Duration,
    /// The first quarantine's length; each trip within [`forgive`] of
    /// the end of the last one doubles it, up to [`max_cooldown`].
    ///
    /// [`forgive`]: QuarantinePolicy::forgive
    /// [`max_cooldown`]: QuarantinePolicy::max_cooldown
    pub cooldown: Duration,
    /// The longest quarantine.
    pub max_cooldown: Duration,
    /// A version that runs this long after a quarantine without tripping
    /// again starts over at [`cooldown`](QuarantinePolicy::cooldown).
    pub forgive: Duration,
}

impl Default for QuarantinePolicy {
    fn default() -> Self {
        QuarantinePolicy {
            stops: 3,
            window: Duration::from_secs(10),
            cooldown: Duration::from_secs(30),
            max_cooldown: Duration::from_secs(600),
            forgive: Duration::from_secs(600),
        }
    }
}

/// Whether a call may run the version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Run it.
    Run,
    /// Do not: the version is quarantined for this much longer.
    Quarantined(Duration),
}

/// One flow version's breaker.
#[derive(Debug, Default)]
pub struct Breaker {
    state: Mutex<BreakerState>,
}

#[derive(Debug, Default)]
struct BreakerState {
    /// Ends of the recent runs, oldest first: (when, stopped for
    /// resources).
    recent: std::collections::VecDeque<(Instant, bool)>,
    /// The quarantine in force, if any: until when.
    until: Option<Instant>,
    /// The length of the last quarantine (zero before the first).
    last_cooldown: Duration,
    /// How many times the version was quarantined.
    trips: u32,
}

/// What a breaker has done, for status pages and logs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerStatus {
    /// How much longer the current quarantine lasts (`None`: not
    /// quarantined).
    pub quarantined_for: Option<Duration>,
    /// How many times the version was quarantined since it was loaded.
    pub trips: u32,
}

/// Whether an outcome is a resource stop, the kind that costs the
/// neighbours.
fn resource_stop(outcome: &FlowOutcome) -> bool {
    matches!(outcome, FlowOutcome::CpuDeadline | FlowOutcome::MemoryLimit)
}

impl Breaker {
    /// May a call starting at `now` run the version?
    pub fn admit(&self, now: Instant) -> Admission {
        let state = self.state.lock().expect("breaker lock");
        match state.until {
            Some(until) if now < until => Admission::Quarantined(until - now),
            _ => Admission::Run,
        }
    }

    /// A run of the version ended at `now` with `outcome`. Returns the
    /// length of the quarantine this started, if it started one.
    pub fn finished(
        &self,
        policy: &QuarantinePolicy,
        now: Instant,
        outcome: &FlowOutcome,
    ) -> Option<Duration> {
        if policy.stops == 0 {
            return None;
        }
        let stopped = resource_stop(outcome);
        let mut state = self.state.lock().expect("breaker lock");
        if state.until.is_some_and(|until| now < until) {
            // A call admitted before the trip: already accounted for.
            return None;
        }
        while state
            .recent
            .front()
            .is_some_and(|(at, _)| now.duration_since(*at) > policy.window)
        {
            state.recent.pop_front();
        }
        // Only the stops matter: keep at most what a trip needs to see.
        state.recent.push_back((now, stopped));
        let cap = 4 * policy.stops as usize;
        while state.recent.len() > cap {
            state.recent.pop_front();
        }
        if !stopped {
            return None;
        }
        let stops = state.recent.iter().filter(|(_, s)| *s).count();
        if stops < policy.stops as usize || 2 * stops < state.recent.len() {
            return None;
        }
        let forgiven = state
            .until
            .is_none_or(|until| now.duration_since(until) > policy.forgive);
        let cooldown = if forgiven || state.last_cooldown.is_zero() {
            policy.cooldown
        } else {
            (state.last_cooldown * 2).min(policy.max_cooldown)
        };
        state.until = Some(now + cooldown);
        state.last_cooldown = cooldown;
        state.trips += 1;
        state.recent.clear();
        Some(cooldown)
    }

    /// What the breaker has done, as of `now`.
    pub fn status(&self, now: Instant) -> BreakerStatus {
        let state = self.state.lock().expect("breaker lock");
        BreakerStatus {
            quarantined_for: state.until.filter(|u| now < *u).map(|u| u - now),
            trips: state.trips,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> QuarantinePolicy {
        QuarantinePolicy {
            stops: 3,
            window: Duration::from_secs(10),
            cooldown: Duration::from_secs(30),
            max_cooldown: Duration::from_secs(100),
            forgive: Duration::from_secs(300),
        }
    }

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn three_stops_in_a_row_quarantine_the_version_for_the_cooldown() {
        let (b, p, t0) = (Breaker::default(), policy(), Instant::now());
        assert_eq!(b.finished(&p, t0, &FlowOutcome::CpuDeadline), None);
        assert_eq!(b.finished(&p, t0 + S(1), &FlowOutcome::MemoryLimit), None);
        assert_eq!(b.admit(t0 + S(1)), Admission::Run);
        assert_eq!(
            b.finished(&p, t0 + S(2), &FlowOutcome::CpuDeadline),
            Some(S(30))
        );
        assert_eq!(b.admit(t0 + S(12)), Admission::Quarantined(S(20)));
        assert_eq!(b.admit(t0 + S(32)), Admission::Run);
        assert_eq!(
            b.status(t0 + S(3)),
            BreakerStatus {
                quarantined_for: Some(S(29)),
                trips: 1
            }
        );
    }

    #[test]
    fn occasional_stops_among_good_runs_or_far_apart_do_not() {
        let (b, p, t0) = (Breaker::default(), policy(), Instant::now());
        // Three stops among four good runs: under half.
        for (i, o) in [
            FlowOutcome::CpuDeadline,
            FlowOutcome::Completed,
            FlowOutcome::CpuDeadline,
            FlowOutcome::CallerHungUp,
            FlowOutcome::Completed,
            FlowOutcome::Completed,
            FlowOutcome::CpuDeadline,
        ]
        .iter()
        .enumerate()
        {
            assert_eq!(b.finished(&p, t0 + S(i as u64), o), None, "run {i}");
        }
        // Three stops, eleven seconds apart each: never three in a window.
        let b = Breaker::default();
        for i in 0..5 {
            assert_eq!(
                b.finished(&p, t0 + S(11 * i), &FlowOutcome::CpuDeadline),
                None
            );
        }
        // Other failures are the tenant's own business.
        let b = Breaker::default();
        for i in 0..10 {
            let o = FlowOutcome::Trapped("panic".into());
            assert_eq!(b.finished(&p, t0 + S(i), &o), None);
        }
        assert_eq!(b.status(t0).trips, 0);
    }

    #[test]
    fn tripping_again_doubles_the_cooldown_up_to_its_cap_and_time_forgives() {
        let (b, p, t0) = (Breaker::default(), policy(), Instant::now());
        let trip = |at: Instant| {
            b.finished(&p, at, &FlowOutcome::CpuDeadline);
            b.finished(&p, at, &FlowOutcome::CpuDeadline);
            b.finished(&p, at, &FlowOutcome::CpuDeadline)
        };
        assert_eq!(trip(t0), Some(S(30)));
        assert_eq!(trip(t0 + S(31)), Some(S(60)));
        assert_eq!(trip(t0 + S(92)), Some(S(100)));
        assert_eq!(trip(t0 + S(193)), Some(S(100)));
        // 293 s quarantined until; well-behaved past `forgive` after it.
        assert_eq!(trip(t0 + S(293 + 301)), Some(S(30)));
        assert_eq!(b.status(t0).trips, 5);
    }

    #[test]
    fn runs_that_end_during_a_quarantine_do_not_extend_it_and_zero_turns_it_off() {
        let (b, p, t0) = (Breaker::default(), policy(), Instant::now());
        for _ in 0..3 {
            b.finished(&p, t0, &FlowOutcome::CpuDeadline);
        }
        // Calls admitted before the trip end during the quarantine.
        for i in 1..10 {
            assert_eq!(b.finished(&p, t0 + S(i), &FlowOutcome::CpuDeadline), None);
        }
        assert_eq!(b.admit(t0 + S(30)), Admission::Run);
        let off = QuarantinePolicy {
            stops: 0,
            ..policy()
        };
        let b = Breaker::default();
        for i in 0..10 {
            assert_eq!(b.finished(&off, t0 + S(i), &FlowOutcome::CpuDeadline), None);
        }
        assert_eq!(b.admit(t0 + S(10)), Admission::Run);
    }
}
