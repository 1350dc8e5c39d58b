//! Transaction timers and their values (RFC 3261 section 17 and Table 4).
//!
//! Timers are data, not tokio sleeps: a state machine asks for a timer with
//! [`Action::StartTimer`](super::Action::StartTimer) and is told it fired
//! through `on_timer`. Values derive from T1, T2 and T4 so that a test (or a
//! deployment on a slow network) can change the base values and every timer
//! follows, as the RFC intends.

use std::time::Duration;

/// A transaction timer, named as in RFC 3261 Table 4.
///
/// Timer C (proxy INVITE) is absent: the PBX is a B2BUA, not a proxy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Timer {
    /// INVITE client: request retransmission (unreliable transports only).
    A,
    /// INVITE client: transaction timeout while Calling.
    B,
    /// INVITE client: wait for response retransmissions in Completed.
    D,
    /// Non-INVITE client: request retransmission (unreliable only).
    E,
    /// Non-INVITE client: transaction timeout.
    F,
    /// INVITE server: final response retransmission (unreliable only).
    G,
    /// INVITE server: wait for ACK.
    H,
    /// INVITE server: wait for ACK retransmissions in Confirmed.
    I,
    /// Non-INVITE server: wait for request retransmissions in Completed.
    J,
    /// Non-INVITE client: wait for response retransmissions in Completed.
    K,
    /// INVITE server: send `100 Trying` if the TU has not answered within
    /// [`TimerConfig::trying_delay`] (RFC 3261 section 17.2.1, the 200 ms
    /// rule). Not an RFC timer name, hence the descriptive variant.
    Trying,
}

/// Base values and the timers derived from them.
///
/// Defaults are the RFC values: T1 = 500 ms (RTT estimate), T2 = 4 s (cap
/// for non-INVITE and final-response retransmission intervals), T4 = 5 s
/// (maximum time a message stays in the network), Timer D = 32 s, and a
/// 200 ms delay before an automatic `100 Trying`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimerConfig {
    /// T1: round-trip time estimate, the first retransmission interval.
    pub t1: Duration,
    /// T2: maximum retransmission interval for non-INVITE requests and
    /// INVITE final responses.
    pub t2: Duration,
    /// T4: maximum duration a message remains in the network.
    pub t4: Duration,
    /// Timer D on unreliable transports ("at least 32 s"; not derived
    /// from T1 by the RFC, so configurable on its own).
    pub timer_d: Duration,
    /// How long the INVITE server transaction waits for the TU's first
    /// response before sending `100 Trying` itself. The default 200 ms is
    /// the RFC's allowance: a TU that answers quickly (a 401 challenge, a
    /// 486) saves the extra message. `Duration::ZERO` sends it at once.
    pub trying_delay: Duration,
}

impl Default for TimerConfig {
    fn default() -> Self {
        TimerConfig {
            t1: Duration::from_millis(500),
            t2: Duration::from_secs(4),
            t4: Duration::from_secs(5),
            timer_d: Duration::from_secs(32),
            trying_delay: Duration::from_millis(200),
        }
    }
}

impl TimerConfig {
    /// 64*T1: the common transaction timeout (Timers B, F, H, J).
    pub fn timeout(&self) -> Duration {
        self.t1 * 64
    }

    /// The value of `timer` when first started.
    ///
    /// `reliable` selects the reliable-transport column of Table 4: Timers
    /// D, I, J and K are zero there (the state machines then terminate at
    /// once instead of starting a zero timer) and A, E, G are not used (the
    /// value is returned anyway; the machines never start them).
    pub fn initial(&self, timer: Timer, reliable: bool) -> Duration {
        let unreliable_only = |d: Duration| if reliable { Duration::ZERO } else { d };
        match timer {
            Timer::A | Timer::E | Timer::G => self.t1,
            Timer::B | Timer::F | Timer::H => self.timeout(),
            Timer::D => unreliable_only(self.timer_d),
            Timer::I | Timer::K => unreliable_only(self.t4),
            Timer::J => unreliable_only(self.timeout()),
            Timer::Trying => self.trying_delay,
        }
    }

    /// The next interval for a retransmission timer that just fired after
    /// `current`: Timer A doubles without limit (its run is bounded by
    /// Timer B); Timers E and G double up to T2. Other timers do not
    /// repeat; their value is returned unchanged.
    pub fn next_interval(&self, timer: Timer, current: Duration) -> Duration {
        match timer {
            Timer::A => current * 2,
            Timer::E | Timer::G => (current * 2).min(self.t2),
            _ => current,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn defaults_are_table_4() {
        let c = TimerConfig::default();
        assert_eq!(c.initial(Timer::A, false), ms(500));
        assert_eq!(c.initial(Timer::B, false), ms(32_000));
        assert_eq!(c.initial(Timer::D, false), ms(32_000));
        assert_eq!(c.initial(Timer::E, false), ms(500));
        assert_eq!(c.initial(Timer::F, false), ms(32_000));
        assert_eq!(c.initial(Timer::G, false), ms(500));
        assert_eq!(c.initial(Timer::H, false), ms(32_000));
        assert_eq!(c.initial(Timer::I, false), ms(5_000));
        assert_eq!(c.initial(Timer::J, false), ms(32_000));
        assert_eq!(c.initial(Timer::K, false), ms(5_000));
        assert_eq!(c.initial(Timer::Trying, false), ms(200));
    }

    #[test]
    fn reliable_transport_zeroes_wait_timers_but_not_timeouts() {
        let c = TimerConfig::default();
        for t in [Timer::D, Timer::I, Timer::J, Timer::K] {
            assert_eq!(c.initial(t, true), Duration::ZERO, "{t:?}");
        }
        for t in [Timer::B, Timer::F, Timer::H] {
            assert_eq!(c.initial(t, true), ms(32_000), "{t:?}");
        }
    }

    #[test]
    fn doubling_caps_at_t2_except_timer_a() {
        let c = TimerConfig::default();
        assert_eq!(c.next_interval(Timer::A, ms(4_000)), ms(8_000));
        assert_eq!(c.next_interval(Timer::E, ms(2_000)), ms(4_000));
        assert_eq!(c.next_interval(Timer::E, ms(4_000)), ms(4_000));
        assert_eq!(c.next_interval(Timer::G, ms(4_000)), ms(4_000));
    }

    #[test]
    fn timers_follow_configured_t1() {
        let c = TimerConfig {
            t1: ms(100),
            ..TimerConfig::default()
        };
        assert_eq!(c.initial(Timer::B, false), ms(6_400));
        assert_eq!(c.initial(Timer::J, false), ms(6_400));
    }
}
