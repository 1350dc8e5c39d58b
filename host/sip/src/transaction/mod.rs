//! Transactions (RFC 3261 section 17), sans-IO with simulated time.
//!
//! A transaction is a request and all the responses to it, with the
//! retransmission and timeout rules that make SIP work over UDP. This
//! module has one state machine per kind, all of them pure: they take an
//! input (a message, a response from the transaction user, a timer expiry)
//! and return a list of [`Action`]s: messages to hand to the transport,
//! timers to start or cancel, events for the transaction user (TU), and a
//! termination notice. Nothing here owns a socket or a tokio timer, so
//! every timer path is tested with simulated time and the driver (a tokio
//! task, later) stays a thin loop.
//!
//! * [`key`]: transaction identifiers and matching (17.1.3, 17.2.3, CANCEL
//!   per 9.2, the RFC 2543 fallback);
//! * [`timers`]: T1/T2/T4 and Timers A-K (Table 4), configurable;
//! * [`InviteClient`], [`NonInviteClient`], [`InviteServer`],
//!   [`NonInviteServer`]: the four state machines (17.1.1, 17.1.2, 17.2.1,
//!   17.2.2);
//! * [`TransactionLayer`]: the manager the driver talks to: it keys
//!   transactions, dispatches incoming messages and timer expiries, turns
//!   relative timers into deadlines ([`TransactionLayer::next_deadline`],
//!   [`TransactionLayer::poll_timers`]) and reports strays;
//! * [`TwoXxRetransmitter`]: 2xx-to-INVITE retransmission for the dialog
//!   layer (13.3.1.4), which RFC 3261 keeps out of the transaction.
//!
//! Time is a [`Duration`] since an arbitrary epoch
//! chosen by the driver. The state machines themselves are time-free: they
//! only ask for relative timers; the layer adds `now`.
//!
//! Reliability is a per-transaction constructor flag. On a reliable
//! transport Timers A, E and G are never started, and the zero-valued
//! Timers D, I, J and K are not started either: the machine goes straight
//! to Terminated, which is what a zero timer would do one poll later.
//!
//! Known RFC 3261 behaviour kept on purpose (RFC 6026 would change it): the
//! INVITE server transaction terminates when the TU sends a 2xx, so a
//! retransmitted INVITE that crosses the 2xx reaches the TU again as a new
//! request; the dialog layer recognises it by Call-ID, From tag and CSeq
//! and lets its [`TwoXxRetransmitter`] answer.

pub mod key;
pub mod timers;

mod invite_client;
mod invite_server;
mod layer;
mod non_invite_client;
mod non_invite_server;
mod two_xx;

pub use invite_client::{InviteClient, InviteClientState};
pub use invite_server::{InviteServer, InviteServerState};
pub use key::{BranchId, Role, TransactionKey};
pub use layer::{LayerAction, TransactionLayer};
pub use non_invite_client::{NonInviteClient, NonInviteClientState};
pub use non_invite_server::{NonInviteServer, NonInviteServerState};
pub use timers::{Timer, TimerConfig};
pub use two_xx::{TwoXxEvent, TwoXxRetransmitter};

use crate::message::{Request, Response, SipMessage};
use std::time::Duration;

/// What a state machine asks its owner to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Hand this message to the transport the transaction is bound to.
    Send(SipMessage),
    /// Start (or restart) `timer` to fire `after` from now. A running timer
    /// of the same name is replaced, so owners keep one deadline per name.
    StartTimer {
        /// Which timer.
        timer: Timer,
        /// Relative delay.
        after: Duration,
    },
    /// Stop `timer` if running; a stale expiry must then be ignored.
    CancelTimer(Timer),
    /// Tell the transaction user.
    ToTu(TuEvent),
    /// The transaction is over: forget it and its timers. Always last.
    Terminated,
}

/// What the transaction user learns from a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TuEvent {
    /// A new request created a server transaction; the TU must answer it
    /// through [`TransactionLayer::respond`] (a CANCEL matching nothing
    /// arrives this way too and should get 481).
    Request(Request),
    /// A CANCEL matched the INVITE server transaction `invite` (RFC 3261
    /// section 9.2). The CANCEL is its own non-INVITE server transaction
    /// (the key this event comes with): the TU answers it 200 and, if the
    /// INVITE has no final response yet, answers the INVITE 487.
    CancelFor {
        /// The INVITE server transaction being cancelled.
        invite: TransactionKey,
        /// The CANCEL request, to build its 200 from.
        cancel: Request,
    },
    /// A 1xx for a client transaction.
    Provisional(Response),
    /// A final response for a client transaction (for INVITE, a 2xx also
    /// ends the transaction: the dialog layer ACKs it).
    Final(Response),
    /// Timer B or F (no final response), or Timer H on an INVITE server
    /// transaction (the ACK for our non-2xx final response never came).
    Timeout,
    /// The transport failed to send (RFC 3261 sections 17.1.4, 17.2.4);
    /// the transaction is terminated.
    TransportError,
}

/// Why the transaction layer refused an input from the TU.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransactionError {
    /// The request cannot start a client transaction: it lacks a top Via
    /// with a magic-cookie branch or a CSeq, or it is an ACK (never a
    /// transaction of its own).
    #[error("request cannot start a client transaction: {0}")]
    InvalidRequest(&'static str),
    /// A transaction with this key already exists (branch reused).
    #[error("transaction already exists")]
    Exists,
    /// No live transaction has this key (never existed or terminated).
    #[error("no such transaction")]
    NotFound,
    /// `respond` was called with a client transaction's key.
    #[error("not a server transaction")]
    NotServer,
    /// The response is out of range or not allowed in the transaction's
    /// current state (e.g. a second final response); it was not sent.
    #[error("response {status} not allowed in state {state}")]
    ResponseRejected {
        /// Status code of the refused response.
        status: u16,
        /// State the transaction was in.
        state: &'static str,
    },
}

/// 1xx.
fn is_provisional(status: u16) -> bool {
    (100..200).contains(&status)
}

/// 2xx.
fn is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

/// Any valid final status, 200-699.
fn is_final(status: u16) -> bool {
    (200..700).contains(&status)
}

/// Start `timer` unless its value is zero, in which case the caller should
/// act as if it had fired; returns whether it was started.
fn start_unless_zero(actions: &mut Vec<Action>, timer: Timer, after: Duration) -> bool {
    if after.is_zero() {
        return false;
    }
    actions.push(Action::StartTimer { timer, after });
    true
}

/// The opening of a client transaction (RFC 3261 17.1.1.2 and 17.1.2.2):
/// send the request, start the `retransmit` timer (A or E) unless the
/// transport is reliable, and the `timeout` timer (B or F). Returns the
/// actions and the first retransmission interval.
fn client_start(
    request: &Request,
    config: &TimerConfig,
    reliable: bool,
    retransmit: Timer,
    timeout: Timer,
) -> (Vec<Action>, Duration) {
    let mut actions = vec![Action::Send(SipMessage::Request(request.clone()))];
    let interval = config.initial(retransmit, reliable);
    if !reliable {
        actions.push(Action::StartTimer {
            timer: retransmit,
            after: interval,
        });
    }
    actions.push(Action::StartTimer {
        timer: timeout,
        after: config.initial(timeout, reliable),
    });
    (actions, interval)
}

#[cfg(test)]
mod layer_tests;
#[cfg(test)]
mod test_support;
