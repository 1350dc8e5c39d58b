//! A call's state: its legs, forks and dialogs, and how it ended.

use super::extensions::{Reliable, SessionTimer};
use super::transfer::Transfer;
use super::*;
use crate::dialog::prack::RSeqTracker;
use bytes::Bytes;

/// How a call ended, as recorded in the service's call log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallOutcome {
    /// Answered; the caller sent the BYE.
    CallerHungUp,
    /// Answered; the callee sent the BYE.
    CalleeHungUp,
    /// The caller CANCELled before an answer.
    Cancelled,
    /// Never answered: the caller got this final status (404 unknown
    /// extension, 480 no binding or ring timeout, 486 busy, 603 declined,
    /// or the best final of the forks).
    Failed(u16),
    /// Answered, but the caller never ACKed the 2xx (64*T1): both legs
    /// were sent a BYE.
    NoAck,
    /// Answered, then replaced by an attended transfer: the transferor's
    /// consultation call whose other party moved into the transferred
    /// call.
    Transferred,
    /// The session timer (RFC 4028) ran out without a refresh, or our
    /// refresh failed: both legs were sent a BYE.
    SessionExpired,
}

/// One ended call, as kept in [`ServiceHandle::calls`](crate::service::ServiceHandle::calls).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallRecord {
    /// The calling extension (authenticated digest user).
    pub caller: String,
    /// The called extension (Request-URI user).
    pub callee: String,
    /// How many B-leg INVITEs were sent (one per binding).
    pub forks: usize,
    /// Whether the callee answered (a 2xx on the B leg reached the caller).
    pub answered: bool,
    /// Whether the caller's ACK for our 2xx arrived (A leg confirmed).
    pub caller_acked: bool,
    /// re-INVITEs (hold, resume) relayed from one leg to the other and
    /// answered with a 2xx.
    pub reinvites: u32,
    /// Other in-dialog requests (UPDATE, INFO, MESSAGE, NOTIFY, ...)
    /// relayed from one leg to the other and answered with a 2xx.
    pub relayed: u32,
    /// Blind transfers (REFER) completed: the transferor's leg was
    /// replaced by a call to the transfer target.
    pub transfers: u32,
    /// How it ended.
    pub outcome: CallOutcome,
}

/// What the driver must do on behalf of the B2BUA, in order.
// Transient queue items, each moved once: boxing would only add an
// allocation per layer action.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum Effect {
    /// An action of the transaction layer.
    Layer(LayerAction),
    /// A request outside any transaction (ACK for a 2xx) to `Target`.
    Send(SipMessage, Target),
    /// A response outside any transaction (2xx retransmission), routed
    /// like the responses of a request received on that transport and
    /// connection.
    Respond(Response, TransportKind, Option<ConnectionId>),
}

/// Which side of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Leg {
    A,
    B,
}

impl Leg {
    /// 0 for A, 1 for B: an index into per-leg arrays.
    pub(super) fn index(self) -> usize {
        match self {
            Leg::A => 0,
            Leg::B => 1,
        }
    }

    pub(super) fn other(self) -> Leg {
        match self {
            Leg::A => Leg::B,
            Leg::B => Leg::A,
        }
    }
}

/// What a client transaction of ours is for.
#[derive(Debug, Clone)]
pub(super) enum ClientRole {
    /// The B-leg INVITE to fork number `usize`.
    Fork(usize),
    /// A re-INVITE relayed from server transaction `server` of leg `from`.
    Relay {
        server: TransactionKey,
        request: Box<Request>,
        from: Leg,
    },
    /// An INVITE to fork number `usize` of the transfer target.
    TransferFork(usize),
    /// The re-INVITE that gives the transferee the target's SDP.
    TransferReinvite,
    /// The final NOTIFY to the transferor: its answer triggers our BYE.
    TransferDone,
    /// A REGISTER of trunk number `usize`.
    TrunkRegister(usize),
    /// A re-INVITE of ours on this leg (new media after an attended
    /// transfer): its 2xx is ACKed.
    Reoffer(Leg),
    /// Our session-timer refresh (re-INVITE) to the caller.
    SessionRefresh,
    /// An OPTIONS keep-alive of trunk number `usize`.
    TrunkProbe(usize),
    /// BYE, CANCEL, NOTIFY: the answer does not matter.
    Other,
}

/// One B-leg INVITE.
#[derive(Debug)]
pub(super) struct Fork {
    pub(super) key: TransactionKey,
    pub(super) invite: Request,
    pub(super) target: Target,
    pub(super) local: LocalEndpoint,
    pub(super) final_response: Option<Response>,
    /// Order of the callee's reliable provisionals (RFC 3262).
    pub(super) rseq: RSeqTracker,
}

/// One call.
#[derive(Debug)]
pub(super) struct Call {
    pub(super) caller: String,
    pub(super) callee: String,
    pub(super) a_key: TransactionKey,
    pub(super) a_invite: Request,
    pub(super) a_tag: String,
    pub(super) a_target: Target,
    pub(super) a_route: (TransportKind, Option<ConnectionId>),
    pub(super) a_local: LocalEndpoint,
    pub(super) a_dialog: Option<Dialog>,
    pub(super) b_local: LocalEndpoint,
    pub(super) b_dialogs: Dialogs,
    pub(super) b_dialog: Option<DialogId>,
    pub(super) b_target: Option<Target>,
    pub(super) forks: Vec<Fork>,
    pub(super) answered: bool,
    pub(super) a_acked: bool,
    pub(super) reinvites: u32,
    pub(super) relayed: u32,
    pub(super) transfers: u32,
    /// The latest SDP each leg sent (A, B): what a transfer target is
    /// offered on behalf of the leg that stays.
    pub(super) sdp: [Bytes; 2],
    /// Whether each leg's peer (A, B) listed UPDATE in its Allow; an
    /// UPDATE for a peer that did not is sent as a re-INVITE.
    pub(super) allows_update: [bool; 2],
    /// A blind transfer in progress.
    pub(super) transfer: Option<Box<Transfer>>,
    /// Reliable provisionals owed to the caller (RFC 3262).
    pub(super) reliable: Reliable,
    /// The A leg's session timer (RFC 4028), when negotiated.
    pub(super) session: Option<SessionTimer>,
    /// Events for the application, when the call was handed to it.
    pub(super) app: Option<tokio::sync::mpsc::UnboundedSender<crate::service::app::AppEvent>>,
    /// The application's dial in progress, for an application's call.
    pub(super) app_dial: Option<Box<super::app_dial::AppDial>>,
    /// An outbound call's progress through its trunks.
    pub(super) outbound: Option<Box<Outbound>>,
    pub(super) ring_deadline: Option<Duration>,
    pub(super) ended_at: Option<Duration>,
    pub(super) two_xx: Vec<(Leg, TwoXxRetransmitter)>,
    /// Every dialog id this call put in `B2bua::by_dialog`, so dropping the
    /// call removes exactly those entries instead of scanning the map.
    pub(super) dialog_ids: Vec<DialogId>,
}

impl Call {
    pub(super) fn dialog(&self, leg: Leg) -> Option<&Dialog> {
        match leg {
            Leg::A => self.a_dialog.as_ref(),
            Leg::B => self.b_dialogs.get(self.b_dialog.as_ref()?),
        }
    }

    pub(super) fn dialog_mut(&mut self, leg: Leg) -> Option<&mut Dialog> {
        match leg {
            Leg::A => self.a_dialog.as_mut(),
            Leg::B => {
                let id = self.b_dialog.as_ref()?;
                self.b_dialogs.get_mut(id)
            }
        }
    }

    /// Where `leg`'s requests and responses go after a transfer replaced it.
    pub(super) fn set_leg(&mut self, leg: Leg, dialog: Dialog, target: Target) {
        let local = dialog.local_endpoint().clone();
        match leg {
            Leg::A => {
                self.a_target = target;
                self.a_route = (target.transport, target.connection);
                self.a_local = local;
                self.a_dialog = Some(dialog);
            }
            Leg::B => {
                let id = dialog.id().clone();
                self.b_dialogs.insert(dialog);
                self.b_dialog = Some(id);
                self.b_target = Some(target);
                self.b_local = local;
            }
        }
    }

    /// A BYE ending `leg`'s dialog (now terminated) and where it goes,
    /// when the leg has a dialog.
    pub(super) fn bye_leg(&mut self, leg: Leg, now: Duration) -> Option<(Request, Target)> {
        let target = self.target(leg)?;
        let d = self.dialog_mut(leg)?;
        let bye = d.bye(now);
        d.terminate();
        Some((bye, target))
    }

    pub(super) fn target(&self, leg: Leg) -> Option<Target> {
        match leg {
            Leg::A => Some(self.a_target),
            Leg::B => self.b_target,
        }
    }

    pub(super) fn local(&self, leg: Leg) -> &LocalEndpoint {
        match leg {
            Leg::A => &self.a_local,
            Leg::B => &self.b_local,
        }
    }
}
