//! INVITE client transaction (RFC 3261 section 17.1.1, Figure 5).
//!
//! Calling: the INVITE is retransmitted on Timer A (unreliable transports
//! only, doubling each time) until a response arrives or Timer B (64*T1)
//! gives up. Proceeding: a 1xx stopped retransmissions; the transaction
//! waits for a final response with no timeout of its own (the TU bounds
//! ringing). A 2xx ends the transaction at once and goes up to the TU, whose
//! dialog layer ACKs it end to end. A 300-699 is ACKed here (hop by hop,
//! same branch) and the transaction lingers in Completed for Timer D to
//! re-ACK retransmissions of that response.

use super::{Action, Timer, TimerConfig, TuEvent, is_final, is_provisional, is_success};
use super::{client_start, start_unless_zero};
use crate::message::{Method, Request, Response, SipMessage};
use std::time::Duration;

/// States of Figure 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InviteClientState {
    /// INVITE sent, no response yet.
    Calling,
    /// A provisional response arrived.
    Proceeding,
    /// A non-2xx final response arrived and was ACKed.
    Completed,
    /// Over.
    Terminated,
}

/// The INVITE client transaction state machine.
#[derive(Debug, Clone)]
pub struct InviteClient {
    request: Request,
    state: InviteClientState,
    config: TimerConfig,
    reliable: bool,
    timer_a: Duration,
    ack: Option<Request>,
}

impl InviteClient {
    /// Start the transaction: sends the INVITE and starts Timers A (unless
    /// `reliable`) and B. The request must already carry its top Via with
    /// the transaction's branch (the layer checks this).
    pub fn new(request: Request, config: TimerConfig, reliable: bool) -> (Self, Vec<Action>) {
        let (actions, timer_a) = client_start(&request, &config, reliable, Timer::A, Timer::B);
        let tx = InviteClient {
            request,
            state: InviteClientState::Calling,
            config,
            reliable,
            timer_a,
            ack: None,
        };
        (tx, actions)
    }

    /// Current state.
    pub fn state(&self) -> InviteClientState {
        self.state
    }

    /// The INVITE this transaction sends.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// A response matched to this transaction arrived.
    pub fn on_response(&mut self, response: Response) -> Vec<Action> {
        use InviteClientState::*;
        let status = response.status;
        let mut actions = Vec::new();
        match self.state {
            Calling | Proceeding if is_provisional(status) => {
                self.leave_calling(&mut actions);
                self.state = Proceeding;
                actions.push(Action::ToTu(TuEvent::Provisional(response)));
            }
            Calling | Proceeding if is_success(status) => {
                self.leave_calling(&mut actions);
                actions.push(Action::ToTu(TuEvent::Final(response)));
                self.terminate(&mut actions);
            }
            Calling | Proceeding if is_final(status) => {
                self.leave_calling(&mut actions);
                let ack = build_ack(&self.request, &response);
                actions.push(Action::Send(SipMessage::Request(ack.clone())));
                self.ack = Some(ack);
                actions.push(Action::ToTu(TuEvent::Final(response)));
                self.state = Completed;
                let d = self.config.initial(Timer::D, self.reliable);
                if !start_unless_zero(&mut actions, Timer::D, d) {
                    self.terminate(&mut actions);
                }
            }
            Completed if is_final(status) && !is_success(status) => {
                // A retransmission of the final response: our ACK was lost.
                if let Some(ack) = &self.ack {
                    actions.push(Action::Send(SipMessage::Request(ack.clone())));
                }
            }
            _ => tracing::debug!(status, state = ?self.state, "INVITE client ignores response"),
        }
        actions
    }

    /// A timer started by this transaction fired. Stale timers (for a state
    /// already left) are ignored.
    pub fn on_timer(&mut self, timer: Timer) -> Vec<Action> {
        use InviteClientState::*;
        let mut actions = Vec::new();
        match (self.state, timer) {
            (Calling, Timer::A) => {
                actions.push(Action::Send(SipMessage::Request(self.request.clone())));
                self.timer_a = self.config.next_interval(Timer::A, self.timer_a);
                actions.push(Action::StartTimer {
                    timer: Timer::A,
                    after: self.timer_a,
                });
            }
            (Calling, Timer::B) => {
                actions.push(Action::ToTu(TuEvent::Timeout));
                self.terminate(&mut actions);
            }
            (Completed, Timer::D) => self.terminate(&mut actions),
            _ => {}
        }
        actions
    }

    /// The transport could not send the INVITE or the ACK (17.1.4).
    pub fn on_transport_error(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.state != InviteClientState::Terminated {
            actions.push(Action::ToTu(TuEvent::TransportError));
            self.terminate(&mut actions);
        }
        actions
    }

    fn leave_calling(&mut self, actions: &mut Vec<Action>) {
        if self.state == InviteClientState::Calling {
            if !self.reliable {
                actions.push(Action::CancelTimer(Timer::A));
            }
            actions.push(Action::CancelTimer(Timer::B));
        }
    }

    fn terminate(&mut self, actions: &mut Vec<Action>) {
        self.state = InviteClientState::Terminated;
        actions.push(Action::Terminated);
    }
}

/// The ACK for a non-2xx final response (RFC 3261 section 17.1.1.3): same
/// Request-URI, Call-ID, From and CSeq number as the INVITE, a single Via
/// equal to the INVITE's top Via (so it matches the server transaction),
/// To from the response (it carries the tag the server chose), the
/// INVITE's Route set and Max-Forwards; no body.
fn build_ack(invite: &Request, response: &Response) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    if let Some(via) = invite.headers.get("Via") {
        // One Via only; a folded "v1, v2" value is cut to its first element.
        match (via.contains(','), invite.headers.top_via()) {
            (true, Some(top)) => ack.headers.push("Via", &top.to_string()),
            _ => ack.headers.push("Via", via),
        }
    }
    ack.headers.push(
        "Max-Forwards",
        invite.headers.get("Max-Forwards").unwrap_or("70"),
    );
    for route in invite.headers.get_all("Route") {
        ack.headers.push("Route", route);
    }
    if let Some(from) = invite.headers.get("From") {
        ack.headers.push("From", from);
    }
    if let Some(to) = response.headers.get("To").or(invite.headers.get("To")) {
        ack.headers.push("To", to);
    }
    if let Some(call_id) = invite.headers.get("Call-ID") {
        ack.headers.push("Call-ID", call_id);
    }
    let n = invite.headers.cseq().map_or(1, |(n, _)| n);
    ack.headers.push("CSeq", &format!("{n} ACK"));
    ack
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;

    fn start(reliable: bool) -> (InviteClient, Clock, Vec<Action>) {
        let (tx, actions) =
            InviteClient::new(request(Method::Invite), TimerConfig::default(), reliable);
        let mut clock = Clock::default();
        clock.apply(&actions);
        (tx, clock, actions)
    }

    #[test]
    fn timer_a_doubles_until_timer_b_reports_timeout() {
        let (mut tx, mut clock, first) = start(false);
        assert_eq!(sent_methods(&first), vec![Method::Invite]);
        let mut sends = vec![clock.now];
        loop {
            let timer = clock.next().expect("a timer is always armed until the end");
            let actions = tx.on_timer(timer);
            clock.apply(&actions);
            if !sent(&actions).is_empty() {
                sends.push(clock.now);
            }
            if terminated(&actions) {
                assert_eq!(timer, Timer::B);
                assert_eq!(clock.now, ms(32_000));
                assert_eq!(tu_events(&actions), vec![TuEvent::Timeout]);
                break;
            }
        }
        let expected: Vec<_> = [0, 500, 1500, 3500, 7500, 15500, 31500]
            .into_iter()
            .map(ms)
            .collect();
        assert_eq!(sends, expected);
        assert_eq!(tx.state(), InviteClientState::Terminated);
    }

    #[test]
    fn reliable_transport_never_retransmits_but_still_times_out() {
        let (mut tx, mut clock, first) = start(true);
        assert_eq!(started(&first, Timer::A), None);
        assert_eq!(clock.next(), Some(Timer::B));
        assert_eq!(clock.now, ms(32_000));
        let actions = tx.on_timer(Timer::B);
        assert!(sent(&actions).is_empty());
        assert_eq!(tu_events(&actions), vec![TuEvent::Timeout]);
        assert!(terminated(&actions));
    }

    #[test]
    fn provisional_stops_retransmission_and_timer_b() {
        let (mut tx, mut clock, _) = start(false);
        let ringing = response(tx.request(), 180);
        let actions = tx.on_response(ringing.clone());
        clock.apply(&actions);
        assert!(cancelled(&actions, Timer::A) && cancelled(&actions, Timer::B));
        assert!(clock.is_idle());
        assert_eq!(tu_events(&actions), vec![TuEvent::Provisional(ringing)]);
        assert_eq!(tx.state(), InviteClientState::Proceeding);
        // A stale Timer A expiry must not resend.
        assert!(tx.on_timer(Timer::A).is_empty());
    }

    #[test]
    fn two_xx_is_passed_up_and_terminates_without_ack() {
        let (mut tx, _, _) = start(false);
        let _ = tx.on_response(response(tx.request(), 180));
        let ok = response(tx.request(), 200);
        let actions = tx.on_response(ok.clone());
        assert!(sent(&actions).is_empty(), "the dialog layer ACKs 2xx");
        assert_eq!(tu_events(&actions), vec![TuEvent::Final(ok)]);
        assert!(terminated(&actions));
    }

    #[test]
    fn non_2xx_is_acked_with_rfc_headers() {
        let (mut tx, mut clock, _) = start(false);
        let busy = response(tx.request(), 486);
        let actions = tx.on_response(busy.clone());
        clock.apply(&actions);
        let SipMessage::Request(ack) = &sent(&actions)[0] else {
            panic!("expected the ACK")
        };
        let invite = tx.request();
        assert_eq!(ack.method, Method::Ack);
        assert_eq!(ack.uri, invite.uri);
        assert_eq!(ack.headers.get_all("Via").count(), 1);
        assert_eq!(ack.headers.get("Via"), invite.headers.get("Via"));
        assert_eq!(ack.headers.get("From"), invite.headers.get("From"));
        assert_eq!(ack.headers.get("To"), busy.headers.get("To"));
        assert_eq!(ack.headers.to_tag(), Some("ttag"));
        assert_eq!(ack.headers.call_id(), invite.headers.call_id());
        assert_eq!(ack.headers.get("CSeq"), Some("1 ACK"));
        assert_eq!(ack.headers.get("Route"), invite.headers.get("Route"));
        assert_eq!(ack.headers.max_forwards(), Some(70));
        assert_eq!(ack.headers.get("Contact"), None);
        assert!(ack.body.is_empty());
        assert_eq!(tu_events(&actions), vec![TuEvent::Final(busy.clone())]);
        assert_eq!(tx.state(), InviteClientState::Completed);

        // Retransmitted 486: ACKed again, not passed up.
        let again = tx.on_response(busy);
        assert_eq!(sent_methods(&again), vec![Method::Ack]);
        assert!(tu_events(&again).is_empty());

        // Timer D (32 s on UDP) ends it.
        assert_eq!(clock.next(), Some(Timer::D));
        assert_eq!(clock.now, ms(32_000));
        assert!(terminated(&tx.on_timer(Timer::D)));
    }

    #[test]
    fn reliable_non_2xx_terminates_at_once() {
        let (mut tx, _, _) = start(true);
        let actions = tx.on_response(response(tx.request(), 404));
        assert_eq!(sent_methods(&actions), vec![Method::Ack]);
        assert_eq!(started(&actions, Timer::D), None);
        assert!(terminated(&actions));
    }

    #[test]
    fn transport_error_is_reported_and_terminates() {
        let (mut tx, _, _) = start(false);
        let actions = tx.on_transport_error();
        assert_eq!(tu_events(&actions), vec![TuEvent::TransportError]);
        assert!(terminated(&actions));
        assert!(tx.on_transport_error().is_empty());
    }
}
