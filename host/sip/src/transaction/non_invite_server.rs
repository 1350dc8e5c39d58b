//! Non-INVITE server transaction (RFC 3261 section 17.2.2, Figure 8).
//!
//! Trying: the request went up to the TU; retransmissions are discarded
//! (there is nothing to resend yet, and the TU must see the request once).
//! Proceeding: a provisional response was sent; retransmissions get it
//! again. Completed: the final response was sent; retransmissions get it
//! again until Timer J (64*T1 on unreliable transports, zero on reliable
//! ones) ends the transaction.

use super::{Action, Timer, TimerConfig, TransactionError, TuEvent, is_final, start_unless_zero};
use crate::message::{Request, Response, SipMessage};

/// States of Figure 8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NonInviteServerState {
    /// Request passed up, nothing sent yet.
    Trying,
    /// A provisional response was sent.
    Proceeding,
    /// The final response was sent.
    Completed,
    /// Over.
    Terminated,
}

impl NonInviteServerState {
    fn name(self) -> &'static str {
        match self {
            NonInviteServerState::Trying => "Trying",
            NonInviteServerState::Proceeding => "Proceeding",
            NonInviteServerState::Completed => "Completed",
            NonInviteServerState::Terminated => "Terminated",
        }
    }
}

/// The non-INVITE server transaction state machine.
#[derive(Debug, Clone)]
pub struct NonInviteServer {
    request: Request,
    state: NonInviteServerState,
    config: TimerConfig,
    reliable: bool,
    last_response: Option<Response>,
}

impl NonInviteServer {
    /// Create the transaction for a new request and pass it up to the TU.
    pub fn new(request: Request, config: TimerConfig, reliable: bool) -> (Self, Vec<Action>) {
        let tx = NonInviteServer {
            request: request.clone(),
            state: NonInviteServerState::Trying,
            config,
            reliable,
            last_response: None,
        };
        (tx, vec![Action::ToTu(TuEvent::Request(request))])
    }

    /// Current state.
    pub fn state(&self) -> NonInviteServerState {
        self.state
    }

    /// The request that created the transaction.
    pub fn request(&self) -> &Request {
        &self.request
    }

    /// A retransmission of the request arrived: answered with the last
    /// response, if any; never passed up.
    pub fn on_request(&mut self, _request: Request) -> Vec<Action> {
        match (self.state, &self.last_response) {
            (NonInviteServerState::Proceeding | NonInviteServerState::Completed, Some(r)) => {
                vec![Action::Send(SipMessage::Response(r.clone()))]
            }
            _ => Vec::new(),
        }
    }

    /// The TU sends a response. Refused (nothing sent) once a final
    /// response went out, or for a status outside 100-699.
    pub fn on_send(&mut self, response: Response) -> Result<Vec<Action>, TransactionError> {
        use NonInviteServerState::*;
        let status = response.status;
        if !matches!(self.state, Trying | Proceeding) || !(100..700).contains(&status) {
            return Err(TransactionError::ResponseRejected {
                status,
                state: self.state.name(),
            });
        }
        let mut actions = vec![Action::Send(SipMessage::Response(response.clone()))];
        self.last_response = Some(response);
        if is_final(status) {
            self.state = Completed;
            let j = self.config.initial(Timer::J, self.reliable);
            if !start_unless_zero(&mut actions, Timer::J, j) {
                self.terminate(&mut actions);
            }
        } else {
            self.state = Proceeding;
        }
        Ok(actions)
    }

    /// A timer started by this transaction fired; stale ones are ignored.
    pub fn on_timer(&mut self, timer: Timer) -> Vec<Action> {
        let mut actions = Vec::new();
        if (self.state, timer) == (NonInviteServerState::Completed, Timer::J) {
            self.terminate(&mut actions);
        }
        actions
    }

    /// The transport could not send a response (17.2.4).
    pub fn on_transport_error(&mut self) -> Vec<Action> {
        let mut actions = Vec::new();
        if self.state != NonInviteServerState::Terminated {
            actions.push(Action::ToTu(TuEvent::TransportError));
            self.terminate(&mut actions);
        }
        actions
    }

    fn terminate(&mut self, actions: &mut Vec<Action>) {
        self.state = NonInviteServerState::Terminated;
        actions.push(Action::Terminated);
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::message::Method;

    fn start(reliable: bool) -> (NonInviteServer, Clock) {
        let req = request(Method::Register);
        let (tx, actions) = NonInviteServer::new(req.clone(), TimerConfig::default(), reliable);
        assert_eq!(tu_events(&actions), vec![TuEvent::Request(req)]);
        assert!(sent(&actions).is_empty());
        (tx, Clock::default())
    }

    #[test]
    fn retransmission_in_trying_is_discarded() {
        let (mut tx, _) = start(false);
        assert!(tx.on_request(request(Method::Register)).is_empty());
    }

    #[test]
    fn retransmission_in_proceeding_gets_the_provisional() {
        let (mut tx, _) = start(false);
        let _ = tx.on_send(response(tx.request(), 100)).unwrap();
        assert_eq!(tx.state(), NonInviteServerState::Proceeding);
        let actions = tx.on_request(request(Method::Register));
        assert_eq!(sent_statuses(&actions), vec![100]);
    }

    #[test]
    fn completed_resends_final_until_timer_j() {
        let (mut tx, mut clock) = start(false);
        let actions = tx.on_send(response(tx.request(), 200)).unwrap();
        clock.apply(&actions);
        assert_eq!(sent_statuses(&actions), vec![200]);
        let actions = tx.on_request(request(Method::Register));
        assert_eq!(sent_statuses(&actions), vec![200]);
        assert!(tu_events(&actions).is_empty());
        assert!(tx.on_send(response(tx.request(), 500)).is_err());
        assert_eq!(clock.next(), Some(Timer::J));
        assert_eq!(clock.now, ms(32_000));
        assert!(terminated(&tx.on_timer(Timer::J)));
        assert!(tx.on_request(request(Method::Register)).is_empty());
    }

    #[test]
    fn reliable_final_terminates_at_once() {
        let (mut tx, _) = start(true);
        let actions = tx.on_send(response(tx.request(), 200)).unwrap();
        assert_eq!(started(&actions, Timer::J), None);
        assert!(terminated(&actions));
    }

    #[test]
    fn invalid_status_is_refused() {
        let (mut tx, _) = start(false);
        assert!(tx.on_send(response(tx.request(), 99)).is_err());
        assert!(tx.on_send(response(tx.request(), 700)).is_err());
        assert_eq!(tx.state(), NonInviteServerState::Trying);
    }
}
