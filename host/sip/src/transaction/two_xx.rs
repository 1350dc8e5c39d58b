//! Retransmission of a 2xx to INVITE (RFC 3261 section 13.3.1.4).
//!
//! The INVITE server transaction ends when the TU sends a 2xx, because the
//! ACK for a 2xx is end to end (a new transaction through every proxy) and
//! only the UAS core, which owns the dialog, can match it. Until that ACK
//! arrives the UAS core must resend the 2xx itself: at T1, doubling up to
//! T2, for 64*T1, regardless of transport (a reliable first hop does not
//! make the whole path reliable). This sans-IO helper is that loop, for the
//! dialog layer to own one per unacknowledged 2xx.

use super::TimerConfig;
use crate::message::{Response, SipMessage};
use std::time::Duration;

/// What the dialog layer must do after [`TwoXxRetransmitter::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwoXxEvent {
    /// Send the 2xx again.
    Retransmit(SipMessage),
    /// No ACK within 64*T1: the dialog is confirmed anyway but the session
    /// should be ended with a BYE (13.3.1.4). The helper is finished.
    GaveUp,
}

/// Retransmits one 2xx to INVITE until its ACK arrives or 64*T1 pass.
#[derive(Debug, Clone)]
pub struct TwoXxRetransmitter {
    response: Response,
    interval: Duration,
    t2: Duration,
    next_at: Duration,
    give_up_at: Duration,
    finished: bool,
}

impl TwoXxRetransmitter {
    /// Start after the first transmission of `response` at `now` (the
    /// INVITE server transaction sent it; this helper only resends).
    pub fn new(response: Response, config: &TimerConfig, now: Duration) -> Self {
        TwoXxRetransmitter {
            response,
            interval: config.t1,
            t2: config.t2,
            next_at: now + config.t1,
            give_up_at: now + config.timeout(),
            finished: false,
        }
    }

    /// The 2xx being retransmitted.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// When [`poll`](Self::poll) next has something to do; `None` once
    /// finished (ACKed or given up), so the driver can drop the helper.
    pub fn next_deadline(&self) -> Option<Duration> {
        (!self.finished).then(|| self.next_at.min(self.give_up_at))
    }

    /// Whether the ACK arrived or the helper gave up.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// The ACK for this 2xx arrived: stop.
    pub fn ack_received(&mut self) {
        self.finished = true;
    }

    /// Advance to `now`. At most one retransmission per call: a driver that
    /// wakes late sends once and reschedules from `now` rather than
    /// bursting the missed copies.
    pub fn poll(&mut self, now: Duration) -> Option<TwoXxEvent> {
        if self.finished {
            return None;
        }
        if now >= self.give_up_at {
            self.finished = true;
            return Some(TwoXxEvent::GaveUp);
        }
        if now < self.next_at {
            return None;
        }
        self.interval = (self.interval * 2).min(self.t2);
        self.next_at = now + self.interval;
        Some(TwoXxEvent::Retransmit(SipMessage::Response(
            self.response.clone(),
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::message::Method;

    fn ok() -> Response {
        response(&request(Method::Invite), 200)
    }

    #[test]
    fn doubles_to_t2_then_gives_up_at_64_t1() {
        let mut r = TwoXxRetransmitter::new(ok(), &TimerConfig::default(), ms(1_000));
        let mut sends = Vec::new();
        let mut gave_up = None;
        while let Some(at) = r.next_deadline() {
            match r.poll(at) {
                Some(TwoXxEvent::Retransmit(m)) => {
                    assert_eq!(m, SipMessage::Response(ok()));
                    sends.push(at - ms(1_000));
                }
                Some(TwoXxEvent::GaveUp) => gave_up = Some(at - ms(1_000)),
                None => panic!("deadline with nothing to do"),
            }
        }
        let expected: Vec<_> = [
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
        ]
        .into_iter()
        .map(ms)
        .collect();
        assert_eq!(sends, expected);
        assert_eq!(gave_up, Some(ms(32_000)));
        assert!(r.is_finished());
    }

    #[test]
    fn ack_stops_retransmission() {
        let mut r = TwoXxRetransmitter::new(ok(), &TimerConfig::default(), ms(0));
        assert!(matches!(r.poll(ms(500)), Some(TwoXxEvent::Retransmit(_))));
        r.ack_received();
        assert_eq!(r.next_deadline(), None);
        assert_eq!(r.poll(ms(40_000)), None, "no GaveUp after the ACK");
    }

    #[test]
    fn nothing_before_the_deadline_and_no_burst_when_late() {
        let mut r = TwoXxRetransmitter::new(ok(), &TimerConfig::default(), ms(0));
        assert_eq!(r.poll(ms(499)), None);
        assert!(r.poll(ms(5_000)).is_some());
        assert_eq!(r.poll(ms(5_000)), None);
        assert_eq!(r.next_deadline(), Some(ms(6_000)));
    }
}
