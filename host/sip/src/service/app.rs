//! Calls handed to the application: the seam between the SIP service and
//! the call model (which runs flows and media).
//!
//! For every new call that passed authentication (or came from a trunk),
//! the service asks the [`CallRouter`] of [`AppConfig`] what to do. With
//! [`RouteDecision::Default`] the built-in B2BUA handles it (an extension
//! rings with the SDP passed through, or an outbound route, or 404). With
//! [`RouteDecision::Application`] the caller's leg is handed over as an
//! [`AppCall`] on the [`AppConfig::calls`] channel: the application rings,
//! answers with its own SDP (its media session), rejects or hangs up, and
//! receives [`AppEvent`]s for what the caller does. The SIP work (100rel,
//! session timers, 2xx retransmission, CANCEL, ...) stays in the service.

use super::CallOutcome;
use bytes::Bytes;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::sync::mpsc;

/// A new call, as the router sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCall {
    /// The caller: the authenticated extension, or the caller id a trunk
    /// sent.
    pub caller: String,
    /// The dialled number (Request-URI user), or the DID of a trunk call.
    pub callee: String,
    /// The trunk the call came from, if any.
    pub trunk: Option<String>,
    /// Where the INVITE came from.
    pub source: SocketAddr,
}

/// What to do with a new call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteDecision {
    /// The built-in behaviour: ring the extension, else an outbound
    /// route, else 404 (for trunk calls: the DID's extension).
    Default,
    /// Hand the caller's leg to the application as an [`AppCall`].
    Application,
    /// Refuse the call with this status (e.g. 403 for a blocked number,
    /// 486 over a tenant's concurrent-call limit).
    Reject(u16),
}

/// Decides where new calls go. Called on the service's driver task for
/// every new call: it must answer at once (from memory, never the
/// database).
pub trait CallRouter: Send + Sync + 'static {
    /// The decision for `call`.
    fn route(&self, call: &NewCall) -> RouteDecision;
}

/// How the service hands calls to the application.
#[derive(Clone)]
pub struct AppConfig {
    /// Decides for each new call.
    pub router: Arc<dyn CallRouter>,
    /// Where calls routed to the application arrive. If the receiver is
    /// gone, such calls get 503.
    pub calls: mpsc::UnboundedSender<AppCall>,
}

impl std::fmt::Debug for AppConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppConfig").finish_non_exhaustive()
    }
}

/// What happens on an application's call, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppEvent {
    /// The caller ACKed our 2xx: the call is established.
    Confirmed,
    /// The caller sent an in-dialog INFO or MESSAGE (DTMF relay, text);
    /// it was answered 200.
    Info {
        /// `INFO` or `MESSAGE`.
        method: String,
        /// Its Content-Type ("" when absent).
        content_type: String,
        /// Its body.
        body: Bytes,
    },
    /// The caller sent a new offer (re-INVITE or UPDATE, e.g. hold); it
    /// was answered with the application's last SDP.
    Reoffer {
        /// The caller's new SDP.
        sdp: Bytes,
    },
    /// A dialled party rings: 180, or 183 with its early media SDP.
    DialRinging {
        /// The extension that rings.
        user: String,
        /// Its early-media SDP, if it sent one.
        early_media: Option<Bytes>,
    },
    /// A dialled party answered with `sdp`; the others were cancelled.
    DialAnswered {
        /// The extension that answered.
        user: String,
        /// Its SDP answer to the application's offer.
        sdp: Bytes,
    },
    /// The dial failed: every contact gave a final failure (the best one
    /// is `status`: 486 busy, 603 declined, 480/408 no answer, ...), or
    /// no target had a registered contact (480) or existed (404).
    DialFailed {
        /// The best final status of the forks.
        status: u16,
    },
    /// The answered party hung up (BYE); the caller's leg stays up.
    DialHungUp,
    /// The call is over: how it ended.
    Ended(CallOutcome),
}

/// What the application dials for a call: every registered contact of
/// each extension in `users` rings with `offer`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DialRequest {
    /// Extensions (digest user names) to ring, all at once.
    pub users: Vec<String>,
    /// Caller id presented: number (URI user) and display name. `None`
    /// presents the call's caller.
    pub caller_id: Option<(String, Option<String>)>,
    /// The application's SDP offer for the dialled leg.
    pub offer: Bytes,
}

/// What the application asks of the service for a call.
#[derive(Debug)]
pub(crate) enum AppAction {
    Ring(Option<Bytes>),
    Answer(Bytes),
    Reject(u16),
    Hangup,
    Dial(DialRequest),
    DropDial,
}

/// A command for the driver: `action` on call `call`.
#[derive(Debug)]
pub(crate) struct AppCommand {
    pub(crate) call: u64,
    pub(crate) action: AppAction,
}

/// The caller's leg of a call handed to the application.
#[derive(Debug)]
pub struct AppCall {
    /// The service's id of the call (for logs).
    pub id: u64,
    /// The caller's SIP Call-ID.
    pub call_id: String,
    /// The caller's display name (From header), when it sent one.
    pub caller_name: Option<String>,
    /// Who calls, as given to the router.
    pub caller: String,
    /// The dialled number or DID, as given to the router.
    pub callee: String,
    /// The trunk the call came from, if any.
    pub trunk: Option<String>,
    /// The caller's offer (usually SDP) and its Content-Type.
    pub offer: Bytes,
    /// Content-Type of `offer` ("" when there is none).
    pub content_type: String,
    pub(crate) commands: mpsc::UnboundedSender<AppCommand>,
    pub(crate) events: mpsc::UnboundedReceiver<AppEvent>,
}

impl AppCall {
    fn send(&self, action: AppAction) {
        // The driver is gone only when the service stopped: the call is
        // over anyway and `next_event` says so.
        let _ = self.commands.send(AppCommand {
            call: self.id,
            action,
        });
    }

    /// Tell the caller it rings: 180, or 183 with `early_media` SDP.
    pub fn ring(&self, early_media: Option<Bytes>) {
        self.send(AppAction::Ring(early_media));
    }

    /// Answer with `sdp` (200); ignored once answered or ended.
    pub fn answer(&self, sdp: Bytes) {
        self.send(AppAction::Answer(sdp));
    }

    /// Refuse with `status` (4xx-6xx) before answering.
    pub fn reject(&self, status: u16) {
        self.send(AppAction::Reject(status));
    }

    /// Hang up: a BYE once answered, else 480.
    pub fn hangup(&self) {
        self.send(AppAction::Hangup);
    }

    /// Ring the extensions of `request` for this call (the caller's leg
    /// is not touched): [`AppEvent::DialRinging`], then
    /// [`AppEvent::DialAnswered`] or [`AppEvent::DialFailed`] follow, and
    /// [`AppEvent::DialHungUp`] when the answered party hangs up. A dial
    /// in progress is dropped first.
    pub fn dial(&self, request: DialRequest) {
        self.send(AppAction::Dial(request));
    }

    /// Stop the dial: CANCEL the contacts still ringing, or BYE the one
    /// that answered. No event follows.
    pub fn drop_dial(&self) {
        self.send(AppAction::DropDial);
    }

    /// The next event; `None` after [`AppEvent::Ended`] or when the
    /// service stopped.
    pub async fn next_event(&mut self) -> Option<AppEvent> {
        self.events.recv().await
    }
}
