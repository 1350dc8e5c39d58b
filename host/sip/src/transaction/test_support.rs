//! Builders and action inspectors shared by the transaction tests.

use super::{Action, Timer, TuEvent};
use crate::message::{Method, Request, Response, SipMessage};
use std::time::Duration;

pub fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// A request as a UA would send it, with the given transport and branch.
pub fn request_via(method: Method, transport: &str, branch: &str) -> Request {
    let mut r = Request::new(method.clone(), "sip:100@pbx.example");
    let via = format!("SIP/2.0/{transport} a.example:5060;branch={branch}");
    r.headers.push("Via", &via);
    r.headers.push("Max-Forwards", "70");
    r.headers.push("Route", "<sip:proxy.example;lr>");
    r.headers
        .push("From", "\"Alice\" <sip:alice@a.example>;tag=ftag");
    r.headers.push("To", "<sip:100@pbx.example>");
    r.headers.push("Call-ID", "call-1@a.example");
    r.headers.push("CSeq", &format!("1 {method}"));
    r.headers.push("Contact", "<sip:alice@a.example>");
    r
}

/// A UDP request with a fixed magic-cookie branch.
pub fn request(method: Method) -> Request {
    request_via(method, "UDP", "z9hG4bKtest1")
}

/// The ACK a UAC sends for a non-2xx final response to `invite`.
pub fn ack_for(invite: &Request, to_tag: &str) -> Request {
    let mut ack = Request::new(Method::Ack, invite.uri.clone());
    ack.headers.push("Via", invite.headers.get("Via").unwrap());
    ack.headers
        .push("From", invite.headers.get("From").unwrap());
    let to = format!("{};tag={to_tag}", invite.headers.get("To").unwrap());
    ack.headers.push("To", &to);
    ack.headers
        .push("Call-ID", invite.headers.call_id().unwrap());
    let (n, _) = invite.headers.cseq().unwrap();
    ack.headers.push("CSeq", &format!("{n} ACK"));
    ack
}

/// The CANCEL for `invite` (RFC 3261 section 9.1).
pub fn cancel_for(invite: &Request) -> Request {
    let mut c = Request::new(Method::Cancel, invite.uri.clone());
    for h in ["Via", "From", "To", "Call-ID"] {
        c.headers.push(h, invite.headers.get(h).unwrap());
    }
    let (n, _) = invite.headers.cseq().unwrap();
    c.headers.push("CSeq", &format!("{n} CANCEL"));
    c
}

pub fn response(req: &Request, status: u16) -> Response {
    let tag = (status > 100).then_some("ttag");
    req.response(status, crate::message::reason_phrase(status), tag)
}

/// Messages sent, in order.
pub fn sent(actions: &[Action]) -> Vec<SipMessage> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::Send(m) => Some(m.clone()),
            _ => None,
        })
        .collect()
}

/// The status of every response sent.
pub fn sent_statuses(actions: &[Action]) -> Vec<u16> {
    sent(actions)
        .into_iter()
        .filter_map(|m| match m {
            SipMessage::Response(r) => Some(r.status),
            _ => None,
        })
        .collect()
}

/// The methods of every request sent.
pub fn sent_methods(actions: &[Action]) -> Vec<Method> {
    sent(actions)
        .into_iter()
        .filter_map(|m| match m {
            SipMessage::Request(r) => Some(r.method),
            _ => None,
        })
        .collect()
}

/// The delay of `timer` if this batch starts it.
pub fn started(actions: &[Action], timer: Timer) -> Option<Duration> {
    actions.iter().find_map(|a| match a {
        Action::StartTimer { timer: t, after } if *t == timer => Some(*after),
        _ => None,
    })
}

pub fn cancelled(actions: &[Action], timer: Timer) -> bool {
    actions.contains(&Action::CancelTimer(timer))
}

pub fn tu_events(actions: &[Action]) -> Vec<TuEvent> {
    actions
        .iter()
        .filter_map(|a| match a {
            Action::ToTu(e) => Some(e.clone()),
            _ => None,
        })
        .collect()
}

pub fn terminated(actions: &[Action]) -> bool {
    actions.last() == Some(&Action::Terminated)
}

/// Simulated time for a single state machine: applies timer actions and
/// pops the earliest deadline, advancing `now` to it.
#[derive(Debug, Default)]
pub struct Clock {
    pub now: Duration,
    timers: std::collections::BTreeMap<Timer, Duration>,
}

impl Clock {
    pub fn apply(&mut self, actions: &[Action]) {
        for a in actions {
            match a {
                Action::StartTimer { timer, after } => {
                    self.timers.insert(*timer, self.now + *after);
                }
                Action::CancelTimer(t) => {
                    self.timers.remove(t);
                }
                Action::Terminated => self.timers.clear(),
                _ => {}
            }
        }
    }

    /// The earliest armed timer, removed, with `now` moved to its deadline.
    pub fn next(&mut self) -> Option<Timer> {
        let (&t, &at) = self.timers.iter().min_by_key(|(t, at)| (**at, **t))?;
        self.timers.remove(&t);
        self.now = at;
        Some(t)
    }

    pub fn is_idle(&self) -> bool {
        self.timers.is_empty()
    }
}
