//! INVITE server transaction (RFC 3261 section 17.2.1, Figure 7).
//!
//! Proceeding: the INVITE went up to the TU. If the TU has not answered
//! within [`TimerConfig::trying_delay`] (200 ms by default, the RFC's
//! allowance) the transaction sends `100 Trying` itself so the client stops
//! retransmitting; a zero delay sends it at once. Retransmitted INVITEs get
//! the latest provisional response again (or an immediate 100 if none was
//! sent yet: the client evidently needs one). A 2xx from the TU ends the
//! transaction (its retransmission is the dialog layer's job). A 300-699
//! moves to Completed, where it is retransmitted on Timer G (unreliable
//! only, doubling to T2) until the ACK arrives or Timer H (64*T1) gives up.
//! The ACK is absorbed, not passed up; Confirmed then lingers for Timer I
//! to absorb ACK retransmissions.

use super::{Action, Timer, TimerConfig, TransactionError, TuEvent};
use super::{is_final, is_success, start_unless_zero};
use crate::message::{Method, Request, Response, SipMessage, reason_phrase};
use std::time::Duration;

/// States of Figure 7.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteServerState {
    /// Waiting for the TU's final response.
    Proceeding,
    /// A non-2xx final response was sent; waiting for the ACK.
    Completed,
    /// The ACK arrived.
    Confirmed,
    /// Over.
    Terminated,
}

impl InviteServerState {
    fn name(self) -> &'static str {
        match self {
            InviteServerState::Proceeding => "Proceeding",
            InviteServerState::Completed => "Completed",
            InviteServerState::Confirmed => "Confirmed",
            InviteServerState::Terminated => "Terminated",
        }
    }
}

/// The INVITE server transaction state machine.
#[derive(Debug, Clone)]
pub struct InviteServer {
    request: Request,
    state: InviteServerState,
    config: TimerConfig,
    reliable: bool,
    last_response: Option<Response>,
    trying_pending: bool,
    timer_g: Duration,
}

impl InviteServer {
    /// Create the transaction for a new INVITE: passes it up to the TU and
    /// either sends `100 Trying` (zero `trying_delay`) or starts the
    /// [`Timer::Trying`] timer.
    pub fn new(request: Request, config: TimerConfig, reliable: bool) -> (Self, Vec<Action>) {
        let mut tx = InviteServer {
            request: request.clone(),
            state: InviteServerState::Proceeding,
            config,
            reliable,
            last_response: None,
            trying_pending: false,
            timer_g: config.initial(Timer::G, reliable),
        };
        let mut actions = vec![Action::ToTu(TuEvent::Request(request))];
        if start_unless_zero(&mut actions, Timer::Trying, config.trying_delay) {
            tx.trying_pending = true;
        } else {
            tx.send_trying(&mut actions);
        }
        (tx, actions)
    }

    /// Current state.
    pub fn state(&self) -> InviteServerState {
        self.state
    }

    /// The INVITE that created the transaction.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// The last response sent (the layer reads the To tag of the final
    /// response for RFC 2543 ACK matching).
    pub fn last_response(&self) -> Option<&Response> {
        self.last_response.as_ref()
    }

    /// A request matched to this transaction arrived: a retransmitted
    /// INVITE or the ACK for a non-2xx final response. Never passed up.
    pub fn on_request(&mut self, request: Request) -> Vec<Action> {
        use InviteServerState::*;
        let mut actions = Vec::new();
        match (self.state, &request.method) {
            (Proceeding, Method::Invite) => match &self.last_response {
                Some(r) => actions.push(Action::Send(SipMessage::Response(r.clone()))),
                None => {
                    actions.push(Action::CancelTimer(Timer::Trying));
                    self.send_trying(&mut actions);
                }
            },
            (Completed, Method::Invite) => {
                if let Some(r) = &self.last_response {
                    actions.push(Action::Send(SipMessage::Response(r.clone())));
                }
            }
            (Completed, Method::Ack) => {
                if !self.reliable {
                    actions.push(Action::CancelTimer(Timer::G));
                }
                actions.push(Action::CancelTimer(Timer::H));
                self.state = Confirmed;
                let i = self.config.initial(Timer::I, self.reliable);
                if !start_unless_zero(&mut actions, Timer::I, i) {
                    self.terminate(&mut actions);
                }
            }
            _ => {
                tracing::debug!(method = %request.method, state = ?self.state, "INVITE server absorbs request")
            }
        }
        actions
    }

    /// The TU sends a response. Refused (nothing sent) unless the
    /// transaction is still Proceeding and the status is 100-699.
    pub fn on_send(&mut self, response: Response) -> Result<Vec<Action>, TransactionError> {
        let status = response.status;
        if self.state != InviteServerState::Proceeding || !(100..700).contains(&status) {
            return Err(TransactionError::ResponseRejected {
                status,
                state: self.state.name(),
            });
        }
        let mut actions = Vec::new();
        if self.trying_pending {
            self.trying_pending = false;
            actions.push(Action::CancelTimer(Timer::Trying));
        }
        actions.push(Action::Send(SipMessage::Response(response.clone())));
        if is_success(status) {
            self.terminate(&mut actions);
        } else if is_final(status) {
            self.state = InviteServerState::Completed;
            if !self.reliable {
                actions.push(Action::StartTimer {
                    timer: Timer::G,
                    after: self.timer_g,
                });
            }
            actions.push(Action::StartTimer {
                timer: Timer::H,
                after: self.config.initial(Timer::H, self.reliable),
            });
        }
        self.last_response = Some(response);
        Ok(actions)
    }

    /// A timer started by this transaction fired; stale ones are ignored.
    pub fn on_timer(&mut self, timer: Timer) -> Vec<Action> {
        use InviteServerState::*;
        let mut actions = Vec::new();
        match (self.state, timer) {
            (Proceeding, Timer::Trying) if self.trying_pending => self.send_trying(&mut actions),
            (Completed, Timer::G) => {
                if let Some(r) = &self.last_response {
                    actions.push(Action::Send(SipMessage::Response(r.clone())));
                }
                self.timer_g = self.config.next_interval(Timer::G, self.timer_g);
                actions.push(Action::StartTimer {
                    timer: Timer::G,
                    after: self.timer_g,
                });
            }
            (Completed, Timer::H) => {
                actions.push(Action::ToTu(TuEvent::Timeout));
                self.terminate(&mut actions);
            }
            (Confirmed, Timer::I) => self.terminate(&mut actions),
            _ => {}
        }
        actions
    }

    /// The transport could not send a response (17.2.4).
    pub fn on_transport_error(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.state != InviteServerState::Terminated {
            actions.push(Action::ToTu(TuEvent::TransportError));
            self.terminate(&mut actions);
        }
        actions
    }

    fn send_trying(&mut self, actions: &mut Vec<Action>) {
        self.trying_pending = false;
        let trying = self.request.response(100, reason_phrase(100), None);
        actions.push(Action::Send(SipMessage::Response(trying.clone())));
        self.last_response = Some(trying);
    }

    fn terminate(&mut self, actions: &mut Vec<Action>) {
        self.state = InviteServerState::Terminated;
        actions.push(Action::Terminated);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn start_with(config: TimerConfig, reliable: bool) -> (InviteServer, Clock, Vec<Action>) {
        let (tx, actions) = InviteServer::new(request(Method::Invite), config, reliable);
        let mut clock = Clock::default();
        clock.apply(&actions);
        (tx, clock, actions)
    }

    fn start(reliable: bool) -> (InviteServer, Clock) {
        let (tx, clock, _) = start_with(TimerConfig::default(), reliable);
        (tx, clock)
    }

    #[test]
    fn new_invite_goes_up_and_100_trying_follows_after_200ms() {
        let (mut tx, mut clock, first) = start_with(TimerConfig::default(), false);
        assert!(
            matches!(&tu_events(&first)[..], [TuEvent::Request(r)] if r.method == Method::Invite)
        );
        assert!(sent(&first).is_empty(), "no 100 before the delay");
        assert_eq!(clock.next(), Some(Timer::Trying));
        assert_eq!(clock.now, ms(200));
        let actions = tx.on_timer(Timer::Trying);
        assert_eq!(sent_statuses(&actions), vec![100]);
        let SipMessage::Response(trying) = &sent(&actions)[0] else {
            unreachable!()
        };
        assert_eq!(trying.headers.to_tag(), None);
        assert_eq!(trying.headers.get("Via"), tx.request().headers.get("Via"));
    }

    #[test]
    fn tu_answer_within_200ms_suppresses_100_trying() {
        let (mut tx, _) = start(false);
        let actions = tx.on_send(response(tx.request(), 180)).unwrap();
        assert!(cancelled(&actions, Timer::Trying));
        assert_eq!(sent_statuses(&actions), vec![180]);
        assert!(
            tx.on_timer(Timer::Trying).is_empty(),
            "stale expiry ignored"
        );
    }

    #[test]
    fn zero_trying_delay_sends_100_at_once() {
        let config = TimerConfig {
            trying_delay: Duration::ZERO,
            ..TimerConfig::default()
        };
        let (_, clock, first) = start_with(config, false);
        assert_eq!(sent_statuses(&first), vec![100]);
        assert!(clock.is_idle());
    }

    #[test]
    fn retransmitted_invite_gets_the_last_provisional_again() {
        let (mut tx, _) = start(false);
        let _ = tx.on_send(response(tx.request(), 180)).unwrap();
        let _ = tx.on_send(response(tx.request(), 183)).unwrap();
        let actions = tx.on_request(request(Method::Invite));
        assert_eq!(sent_statuses(&actions), vec![183]);
        assert!(tu_events(&actions).is_empty(), "retransmission absorbed");
    }

    #[test]
    fn retransmitted_invite_before_any_response_gets_100_at_once() {
        let (mut tx, _) = start(false);
        let actions = tx.on_request(request(Method::Invite));
        assert_eq!(sent_statuses(&actions), vec![100]);
        assert!(cancelled(&actions, Timer::Trying));
        assert!(tx.on_timer(Timer::Trying).is_empty(), "no second 100");
    }

    #[test]
    fn two_xx_terminates() {
        let (mut tx, _) = start(false);
        let actions = tx.on_send(response(tx.request(), 200)).unwrap();
        assert_eq!(sent_statuses(&actions), vec![200]);
        assert!(terminated(&actions));
    }

    #[test]
    fn non_2xx_final_retransmitted_on_g_until_h_times_out() {
        let (mut tx, mut clock) = start(false);
        let actions = tx.on_send(response(tx.request(), 486)).unwrap();
        clock.apply(&actions);
        let mut resends = Vec::new();
        loop {
            let timer = clock.next().unwrap();
            let actions = tx.on_timer(timer);
            clock.apply(&actions);
            resends.extend(sent_statuses(&actions).into_iter().map(|s| (clock.now, s)));
            if terminated(&actions) {
                assert_eq!(timer, Timer::H);
                assert_eq!(tu_events(&actions), vec![TuEvent::Timeout]);
                break;
            }
        }
        let times: Vec<_> = resends.iter().map(|(t, _)| *t).collect();
        let expected: Vec<_> = [
            500, 1500, 3500, 7500, 11500, 15500, 19500, 23500, 27500, 31500,
        ]
        .into_iter()
        .map(ms)
        .collect();
        assert_eq!(times, expected, "G doubles to T2");
        assert!(resends.iter().all(|(_, s)| *s == 486));
        assert_eq!(clock.now, ms(32_000));
    }

    #[test]
    fn retransmitted_invite_in_completed_gets_the_final_again() {
        let (mut tx, _) = start(false);
        let _ = tx.on_send(response(tx.request(), 486)).unwrap();
        let actions = tx.on_request(request(Method::Invite));
        assert_eq!(sent_statuses(&actions), vec![486]);
    }

    #[test]
    fn ack_stops_g_and_h_then_timer_i_terminates() {
        let (mut tx, mut clock) = start(false);
        clock.apply(&tx.on_send(response(tx.request(), 486)).unwrap());
        assert_eq!(clock.next(), Some(Timer::G));
        clock.apply(&tx.on_timer(Timer::G));
        let ack = ack_for(tx.request(), "ttag");
        let actions = tx.on_request(ack.clone());
        clock.apply(&actions);
        assert!(cancelled(&actions, Timer::G) && cancelled(&actions, Timer::H));
        assert!(tu_events(&actions).is_empty(), "ACK is not passed up");
        assert_eq!(tx.state(), InviteServerState::Confirmed);
        assert!(tx.on_request(ack).is_empty(), "ACK retransmission absorbed");
        assert!(tx.on_request(request(Method::Invite)).is_empty());
        assert_eq!(clock.next(), Some(Timer::I));
        assert_eq!(clock.now, ms(500 + 5_000));
        assert!(terminated(&tx.on_timer(Timer::I)));
        assert!(clock.is_idle());
    }

    #[test]
    fn second_final_response_is_refused() {
        let (mut tx, _) = start(false);
        let _ = tx.on_send(response(tx.request(), 486)).unwrap();
        let err = tx.on_send(response(tx.request(), 200)).unwrap_err();
        assert_eq!(
            err,
            TransactionError::ResponseRejected {
                status: 200,
                state: "Completed"
            }
        );
    }

    #[test]
    fn reliable_transport_no_g_and_ack_terminates_at_once() {
        let (mut tx, _) = start(true);
        let actions = tx.on_send(response(tx.request(), 603)).unwrap();
        assert_eq!(started(&actions, Timer::G), None);
        assert_eq!(started(&actions, Timer::H), Some(ms(32_000)));
        let actions = tx.on_request(ack_for(tx.request(), "ttag"));
        assert_eq!(started(&actions, Timer::I), None);
        assert!(terminated(&actions));
    }

    #[test]
    fn reliable_transport_h_still_times_out() {
        let (mut tx, mut clock) = start(true);
        clock.apply(&tx.on_send(response(tx.request(), 486)).unwrap());
        assert_eq!(clock.next(), Some(Timer::H));
        let actions = tx.on_timer(Timer::H);
        assert_eq!(tu_events(&actions), vec![TuEvent::Timeout]);
        assert!(terminated(&actions));
    }
}
