//! Non-INVITE client transaction (RFC 3261 section 17.1.2, Figure 6).
//!
//! Trying: the request is retransmitted on Timer E (unreliable transports
//! only), doubling up to T2. Proceeding: a 1xx arrived; retransmissions go
//! on at T2 (non-INVITE requests must keep reaching servers that did not
//! see them; the 1xx only proves one hop). Timer F (64*T1) bounds both. A
//! final response goes up and the transaction waits in Completed for Timer
//! K to absorb retransmitted responses.

use super::{
    Action, Timer, TimerConfig, TuEvent, client_start, is_final, is_provisional, start_unless_zero,
};
use crate::message::{Request, Response, SipMessage};
use std::time::Duration;

/// States of Figure 6.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonInviteClientState {
    /// Request sent, no response yet.
    Trying,
    /// A provisional response arrived.
    Proceeding,
    /// A final response arrived.
    Completed,
    /// Over.
    Terminated,
}

/// The non-INVITE client transaction state machine.
#[derive(Debug, Clone)]
pub struct NonInviteClient {
    request: Request,
    state: NonInviteClientState,
    config: TimerConfig,
    reliable: bool,
    timer_e: Duration,
}

impl NonInviteClient {
    /// Start the transaction: sends the request and starts Timers E (unless
    /// `reliable`) and F.
    pub fn new(request: Request, config: TimerConfig, reliable: bool) -> (Self, Vec<Action>) {
        let (actions, timer_e) = client_start(&request, &config, reliable, Timer::E, Timer::F);
        let tx = NonInviteClient {
            request,
            state: NonInviteClientState::Trying,
            config,
            reliable,
            timer_e,
        };
        (tx, actions)
    }

    /// Current state.
    pub fn state(&self) -> NonInviteClientState {
        self.state
    }

    /// The request this transaction sends.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// A response matched to this transaction arrived.
    pub fn on_response(&mut self, response: Response) -> Vec<Action> {
        use NonInviteClientState::*;
        let status = response.status;
        let mut actions = Vec::new();
        match self.state {
            Trying | Proceeding if is_provisional(status) => {
                self.state = Proceeding;
                actions.push(Action::ToTu(TuEvent::Provisional(response)));
            }
            Trying | Proceeding if is_final(status) => {
                if !self.reliable {
                    actions.push(Action::CancelTimer(Timer::E));
                }
                actions.push(Action::CancelTimer(Timer::F));
                actions.push(Action::ToTu(TuEvent::Final(response)));
                self.state = Completed;
                let k = self.config.initial(Timer::K, self.reliable);
                if !start_unless_zero(&mut actions, Timer::K, k) {
                    self.terminate(&mut actions);
                }
            }
            // Completed: retransmitted responses are absorbed.
            _ => tracing::debug!(status, state = ?self.state, "non-INVITE client absorbs response"),
        }
        actions
    }

    /// A timer started by this transaction fired; stale ones are ignored.
    pub fn on_timer(&mut self, timer: Timer) -> Vec<Action> {
        use NonInviteClientState::*;
        let mut actions = Vec::new();
        match (self.state, timer) {
            (Trying | Proceeding, Timer::E) => {
                actions.push(Action::Send(SipMessage::Request(self.request.clone())));
                self.timer_e = match self.state {
                    Trying => self.config.next_interval(Timer::E, self.timer_e),
                    _ => self.config.t2,
                };
                actions.push(Action::StartTimer {
                    timer: Timer::E,
                    after: self.timer_e,
                });
            }
            (Trying | Proceeding, Timer::F) => {
                actions.push(Action::ToTu(TuEvent::Timeout));
                self.terminate(&mut actions);
            }
            (Completed, Timer::K) => self.terminate(&mut actions),
            _ => {}
        }
        actions
    }

    /// The transport could not send the request (17.1.4).
    pub fn on_transport_error(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.state != NonInviteClientState::Terminated {
            actions.push(Action::ToTu(TuEvent::TransportError));
            self.terminate(&mut actions);
        }
        actions
    }

    fn terminate(&mut self, actions: &mut Vec<Action>) {
        self.state = NonInviteClientState::Terminated;
        actions.push(Action::Terminated);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::message::Method;

    fn start(reliable: bool) -> (NonInviteClient, Clock) {
        let (tx, actions) =
            NonInviteClient::new(request(Method::Options), TimerConfig::default(), reliable);
        let mut clock = Clock::default();
        clock.apply(&actions);
        assert_eq!(sent_methods(&actions), vec![Method::Options]);
        (tx, clock)
    }

    /// Runs timers until termination; returns the send times and the final
    /// batch of actions.
    fn run(tx: &mut NonInviteClient, clock: &mut Clock) -> (Vec<Duration>, Vec<Action>) {
        let mut sends = Vec::new();
        while let Some(timer) = clock.next() {
            let actions = tx.on_timer(timer);
            clock.apply(&actions);
            if !sent(&actions).is_empty() {
                sends.push(clock.now);
            }
            if terminated(&actions) {
                return (sends, actions);
            }
        }
        panic!("never terminated")
    }

    #[test]
    fn timer_e_doubles_to_t2_and_timer_f_times_out() {
        let (mut tx, mut clock) = start(false);
        let (sends, last) = run(&mut tx, &mut clock);
        // Intervals 500, 1000, 2000, 4000, 4000, ... (capped at T2).
        let expected: Vec<_> = [
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
        ]
        .into_iter()
        .map(ms)
        .collect();
        assert_eq!(sends, expected);
        assert_eq!(clock.now, ms(32_000));
        assert_eq!(tu_events(&last), vec![TuEvent::Timeout]);
    }

    #[test]
    fn proceeding_retransmits_at_t2() {
        let (mut tx, mut clock) = start(false);
        let trying = response(tx.request(), 100);
        let actions = tx.on_response(trying.clone());
        assert_eq!(tu_events(&actions), vec![TuEvent::Provisional(trying)]);
        assert_eq!(tx.state(), NonInviteClientState::Proceeding);
        assert_eq!(clock.next(), Some(Timer::E));
        let actions = tx.on_timer(Timer::E);
        assert_eq!(sent_methods(&actions), vec![Method::Options]);
        assert_eq!(started(&actions, Timer::E), Some(ms(4_000)));
    }

    #[test]
    fn reliable_transport_does_not_retransmit_but_times_out() {
        let (mut tx, mut clock) = start(true);
        let (sends, last) = run(&mut tx, &mut clock);
        assert!(sends.is_empty());
        assert_eq!(clock.now, ms(32_000));
        assert_eq!(tu_events(&last), vec![TuEvent::Timeout]);
    }

    #[test]
    fn final_response_goes_up_once_and_timer_k_absorbs_retransmissions() {
        let (mut tx, mut clock) = start(false);
        let ok = response(tx.request(), 200);
        let actions = tx.on_response(ok.clone());
        clock.apply(&actions);
        assert_eq!(tu_events(&actions), vec![TuEvent::Final(ok.clone())]);
        assert!(cancelled(&actions, Timer::E) && cancelled(&actions, Timer::F));
        assert_eq!(tx.state(), NonInviteClientState::Completed);
        assert!(tx.on_response(ok).is_empty(), "retransmission absorbed");
        assert_eq!(clock.next(), Some(Timer::K));
        assert_eq!(clock.now, ms(5_000));
        assert!(terminated(&tx.on_timer(Timer::K)));
    }

    #[test]
    fn reliable_final_terminates_at_once() {
        let (mut tx, _) = start(true);
        let actions = tx.on_response(response(tx.request(), 404));
        assert_eq!(started(&actions, Timer::K), None);
        assert!(terminated(&actions));
    }

    #[test]
    fn transport_error_is_reported() {
        let (mut tx, _) = start(false);
        let actions = tx.on_transport_error();
        assert_eq!(tu_events(&actions), vec![TuEvent::TransportError]);
        assert!(terminated(&actions));
    }
}
