//! Internal calls between registered extensions: a back-to-back user
//! agent (B2BUA) owned by the driver.
//!
//! An INVITE from an extension (the *A leg*) is digest-authenticated with
//! a 407 challenge, the caller must be the From user (and its ACL, if any,
//! must allow the source address: else the same 403), and the Request-URI
//! user is the callee: 404 when no such account exists, 480 when it has no
//! live binding. Otherwise the B2BUA starts a *B leg*: a new INVITE (new
//! Call-ID, From the caller with our tag, To the callee, our Contact and
//! Via, the A leg's body unchanged) to every binding's contact, sent to
//! the address and transport the binding's REGISTER came from (NAT). The
//! first 2xx wins: it is ACKed, the other forks are CANCELled, and the A
//! leg gets a 200 with the B leg's body and our Contact, retransmitted
//! until the caller's ACK ([`TwoXxRetransmitter`]). 180/183 are relayed to
//! the A leg with their body. When every fork fails the caller gets the
//! best final (6xx, else 486, else the lowest status: a simplified RFC 3261
//! 16.7). A ring timeout CANCELs the B leg and answers 480; a CANCEL from
//! the caller gets 200, the INVITE 487, and the B leg a CANCEL.
//!
//! Once connected, a BYE from either side is answered 200 and a BYE is sent
//! on the other leg; a re-INVITE (hold, resume) is relayed as an in-dialog
//! re-INVITE on the other leg with its body, and the final answer relayed
//! back (the B2BUA ACKs the leg it sent the re-INVITE on itself and
//! retransmits its own 2xx until ACKed). Other in-dialog requests
//! (UPDATE, INFO with DTMF, MESSAGE, NOTIFY, OPTIONS) are relayed the same
//! way with their body and content headers. A REFER is a blind transfer
//! carried out by the B2BUA itself (`b2bua/transfer.rs`).
//!
//! Limits: SDP passes through untouched (no media anchoring); a 2xx from a
//! fork that arrives after its transaction ended and after the call is
//! forgotten (32 s after the end) is not ACKed; offers in ACK are not
//! relayed.

use super::app::{AppCommand, AppConfig, AppEvent};
use super::register::address_of_record;
use super::trunks::{TrunkSet, TrunksConfig};
use super::{Counters, Shared};
use crate::auth::{Algorithm, Rejection};
use crate::dialog::session_timer::UasPolicy;
use crate::dialog::{
    Dialog, DialogId, Dialogs, LocalEndpoint, UacOutcome, cancel_for, new_tag, no_dialog,
};
use crate::message::{Headers, Method, Request, Response, SipMessage, reason_phrase};
use crate::registrar::Binding;
use crate::transaction::TimerConfig;
use crate::transaction::key::new_branch;
use crate::transaction::{
    LayerAction, TransactionKey, TransactionLayer, TuEvent, TwoXxEvent, TwoXxRetransmitter,
};
use crate::transport::{ConnectionId, Target, TransportKind};
use bytes::Bytes;
use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

mod app_calls;
mod app_dial;
mod attended;
mod call;
mod extensions;
mod forks;
mod in_dialog;
mod outbound;
mod setup;
mod timers;
mod transfer;
use outbound::Outbound;
use transfer::Detached;

pub(crate) use call::Effect;
use call::*;
pub use call::{CallOutcome, CallRecord};

/// The B2BUA: every live call and the indexes to find them.
pub(crate) struct B2bua {
    shared: Arc<Shared>,
    /// The first bound address of each transport.
    locals: HashMap<TransportKind, SocketAddr>,
    /// The host to put in our Contact and Via instead of the bound
    /// address (a public address or name in front of NAT).
    advertised: Option<String>,
    ring_timeout: Duration,
    next_id: u64,
    calls: HashMap<u64, Call>,
    by_a_invite: HashMap<TransactionKey, u64>,
    by_client: HashMap<TransactionKey, (u64, ClientRole)>,
    by_dialog: HashMap<DialogId, (u64, Leg)>,
    /// A-leg INVITEs by (Call-ID, From tag, CSeq number): a retransmitted
    /// INVITE that crosses our 2xx is found without scanning every call.
    by_a_request: HashMap<RequestId, u64>,
    targets: HashMap<TransactionKey, Target>,
    /// When `poll` last scanned the calls; see [`SCAN_EVERY`].
    last_scan: Duration,
    /// Dialogs of transferors that left their call (REFER): their BYE and
    /// late requests are answered without touching the call.
    detached: HashMap<DialogId, Detached>,
    /// Trunks: routes, DIDs, registrations and keep-alives.
    trunks: TrunkSet,
    /// Calls by the To tag we gave the caller (PRACKs in early dialogs).
    by_a_tag: HashMap<String, u64>,
    /// Session-timer policy for callers (RFC 4028), if enabled.
    session_policy: Option<UasPolicy>,
    /// Calls in progress: the only ones the timer scan visits.
    live: HashSet<u64>,
    /// Ended calls by the time they are forgotten, oldest first: those
    /// that may still see late messages ([`LINGER`] after their end), and
    /// those that cannot ([`CLEAN_LINGER`]); each queue stays in order.
    lingering: [VecDeque<(Duration, u64)>; 2],
    /// Where calls go to the application, if anywhere.
    app: Option<AppConfig>,
    /// The application's commands to the driver (cloned into every
    /// [`AppCall`](crate::service::app::AppCall)).
    commands: tokio::sync::mpsc::UnboundedSender<AppCommand>,
}

/// Identity of an A-leg INVITE for retransmission matching.
type RequestId = (String, String, u32);

fn request_id(req: &Request) -> Option<RequestId> {
    let h = &req.headers;
    Some((
        h.call_id()?.to_string(),
        h.from_tag()?.to_string(),
        h.cseq()?.0,
    ))
}

/// How often the call timers (ring timeout, 2xx retransmission, lingering
/// ended calls) are scanned while calls exist. Scanning on a fixed tick
/// instead of computing the exact next deadline after every message keeps
/// the per-message cost independent of the number of calls; SIP's timers
/// (T1 = 500 ms) tolerate 20 ms of lateness.
const SCAN_EVERY: Duration = Duration::from_millis(20);

/// Ended calls kept in the service's call log (between this and twice this).
const CALL_LOG_KEEP: usize = 10_000;

/// The methods the B2BUA accepts, for Allow headers.
/// The extensions our requests and answers announce.
const SUPPORTED: &str = "100rel, timer";

const ALLOW: &str = "INVITE, ACK, CANCEL, BYE, OPTIONS, UPDATE, INFO, MESSAGE, NOTIFY, REFER";

/// How long an ended call is kept to absorb late messages (64*T1).
const LINGER: Duration = Duration::from_secs(32);

/// How long an ended call that can see no late message is kept: one that
/// never had a B leg, fork, trunk attempt or transfer, and whose answer
/// (if any) the caller ACKed. Its transactions absorb retransmissions on
/// their own (an ended call's BYE transaction lives 32 s), and an
/// in-dialog request after it is forgotten gets 481, as after any BYE.
/// Forgetting it sooner keeps a PBX taking thousands of flow calls a
/// second from holding 32 s of them (about 7 KiB each).
const CLEAN_LINGER: Duration = Duration::from_secs(2);

/// The B2BUA's share of the [`ServiceConfig`](super::ServiceConfig).
pub(crate) struct Settings {
    /// How long a call may ring.
    pub(crate) ring_timeout: Duration,
    /// Trunks, routes and DIDs.
    pub(crate) trunks: TrunksConfig,
    /// Session timers for callers, if enabled.
    pub(crate) session_policy: Option<UasPolicy>,
    /// The application that routes and takes calls, if any.
    pub(crate) app: Option<AppConfig>,
    /// The host our Contact and Via advertise, if not the bound address.
    pub(crate) advertised: Option<String>,
}

impl B2bua {
    /// A B2BUA reachable at the service's first UDP and TCP addresses;
    /// applications' commands come back through `commands`.
    pub(crate) fn new(
        shared: Arc<Shared>,
        locals: HashMap<TransportKind, SocketAddr>,
        settings: Settings,
        commands: tokio::sync::mpsc::UnboundedSender<AppCommand>,
    ) -> Self {
        let Settings {
            ring_timeout,
            trunks,
            session_policy,
            app,
            advertised,
        } = settings;
        let udp = locals.get(&TransportKind::Udp).copied();
        B2bua {
            shared,
            locals,
            advertised,
            ring_timeout,
            next_id: 1,
            calls: HashMap::new(),
            by_a_invite: HashMap::new(),
            by_client: HashMap::new(),
            by_dialog: HashMap::new(),
            by_a_request: HashMap::new(),
            targets: HashMap::new(),
            last_scan: Duration::ZERO,
            detached: HashMap::new(),
            trunks: TrunkSet::new(trunks, udp),
            by_a_tag: HashMap::new(),
            session_policy,
            live: HashSet::new(),
            lingering: [VecDeque::new(), VecDeque::new()],
            app,
            commands,
        }
    }

    /// Where a client transaction of ours sends its requests.
    pub(crate) fn target(&self, key: &TransactionKey) -> Option<Target> {
        self.targets.get(key).copied()
    }

    /// Whether `invite` is the A leg of a call (its CANCEL is ours).
    pub(crate) fn owns_invite(&self, invite: &TransactionKey) -> bool {
        self.by_a_invite.contains_key(invite)
    }

    /// A transaction ended: forget its target.
    pub(crate) fn forget(&mut self, key: &TransactionKey) {
        self.targets.remove(key);
        self.by_client.remove(key);
        self.by_a_invite.remove(key);
    }

    /// Our Contact, Via transport and sent-by for messages over
    /// `transport`: its listening address (or, without a listener of that
    /// transport, UDP's, then any), with the advertised host if set.
    fn local(&self, transport: TransportKind) -> LocalEndpoint {
        let addr = self
            .locals
            .get(&transport)
            .or_else(|| self.locals.get(&TransportKind::Udp))
            .or_else(|| self.locals.values().next())
            .copied()
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5060)));
        let addr = match &self.advertised {
            Some(host) if host.contains(':') && !host.starts_with('[') => {
                format!("[{host}]:{}", addr.port())
            }
            Some(host) => format!("{host}:{}", addr.port()),
            None => addr.to_string(),
        };
        let param = match transport {
            TransportKind::Tcp => ";transport=tcp",
            TransportKind::Tls => ";transport=tls",
            TransportKind::Ws => ";transport=ws",
            TransportKind::Wss => ";transport=wss",
            TransportKind::Udp => "",
        };
        LocalEndpoint {
            contact: format!("sip:pbx@{addr}{param}"),
            transport: transport.as_str().to_ascii_uppercase(),
            sent_by: addr,
        }
    }

    /// The earliest time [`poll`](Self::poll) has something to do.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        let calls = if self.live.is_empty() {
            self.lingering
                .iter()
                .filter_map(|q| q.front().map(|&(at, _)| at))
                .min()
        } else {
            Some(self.last_scan + SCAN_EVERY)
        };
        match (calls, self.trunks.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// A new request for the B2BUA: an out-of-dialog INVITE or an
    /// in-dialog request (To tag).
    pub(crate) fn on_request(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: Request,
        source: SocketAddr,
        route: (TransportKind, Option<ConnectionId>),
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        if req.headers.to_tag().is_some() {
            self.in_dialog(layer, now, key, req, &mut out);
        } else if req.method == Method::Invite {
            self.new_call(layer, now, key, req, source, route, &mut out);
        } else {
            respond(
                layer,
                now,
                key,
                req.response(501, reason_phrase(501), None),
                &mut out,
            );
        }
        out
    }

    /// The 2xx already sent for a retransmission of an answered INVITE.
    fn crossed_2xx(&self, req: &Request) -> Option<Response> {
        let id = self.by_a_request.get(&request_id(req)?)?;
        self.calls
            .get(id)?
            .two_xx
            .iter()
            .find(|(leg, _)| *leg == Leg::A)
            .map(|(_, r)| r.response().clone())
    }

    /// Start a client transaction for `request` to `target`.
    #[allow(clippy::too_many_arguments)]
    fn start(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        request: Request,
        target: Target,
        role: ClientRole,
        out: &mut Vec<Effect>,
    ) -> Option<TransactionKey> {
        match layer.start_client(request, now) {
            Ok((key, actions)) => {
                self.targets.insert(key.clone(), target);
                self.by_client.insert(key.clone(), (id, role));
                out.extend(actions.into_iter().map(Effect::Layer));
                Some(key)
            }
            Err(e) => {
                tracing::warn!(error = %e, "request not sent");
                None
            }
        }
    }
    /// Record the end of call `id` (once).
    fn end(&mut self, id: u64, now: Duration, outcome: CallOutcome) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.ended_at.is_some() {
            return;
        }
        call.ended_at = Some(now);
        self.live.remove(&id);
        let clean = call.forks.is_empty()
            && call.b_dialogs.is_empty()
            && call.b_dialog.is_none()
            && call.outbound.is_none()
            && call.app_dial.is_none()
            && call.transfer.is_none()
            && call.transfers == 0
            && (!call.answered || call.a_acked);
        if clean {
            self.lingering[1].push_back((now + CLEAN_LINGER, id));
        } else {
            self.lingering[0].push_back((now + LINGER, id));
        }
        call.ring_deadline = None;
        tracing::info!(caller = %call.caller, callee = %call.callee, ?outcome, "call ended");
        let record = CallRecord {
            caller: call.caller.clone(),
            callee: call.callee.clone(),
            forks: call.forks.len(),
            answered: call.answered,
            caller_acked: call.a_acked,
            reinvites: call.reinvites,
            relayed: call.relayed,
            transfers: call.transfers,
            outcome,
        };
        let app = call.app.take();
        self.record(record);
        self.shared.live_calls.fetch_sub(1, Ordering::Relaxed);
        // Last, so that an application seeing the end sees it everywhere.
        if let Some(app) = app {
            let _ = app.send(AppEvent::Ended(outcome));
        }
    }

    fn record(&self, record: CallRecord) {
        let mut calls = self.shared.calls.lock().unwrap_or_else(|e| e.into_inner());
        // The log is for tests and a live view, not the call records (the
        // store keeps those): keep the most recent ones, dropping the older
        // half at once so the cost per call stays constant.
        if calls.len() >= 2 * CALL_LOG_KEEP {
            calls.drain(..CALL_LOG_KEEP);
        }
        calls.push(record);
    }

    fn drop_call(&mut self, id: u64) {
        self.live.remove(&id);
        if let Some(call) = self.calls.remove(&id) {
            self.shared.held_calls.fetch_sub(1, Ordering::Relaxed);
            self.by_a_invite.remove(&call.a_key);
            self.by_a_tag.remove(&call.a_tag);
            if let Some(rid) = request_id(&call.a_invite) {
                self.by_a_request.remove(&rid);
            }
            for d in &call.dialog_ids {
                self.by_dialog.remove(d);
                self.detached.remove(d);
            }
            // Live client transactions only: ended ones were forgotten.
            self.by_client.retain(|_, (c, _)| *c != id);
        }
    }
}

/// The route of `leg`'s responses.
fn call_route(
    a_route: (TransportKind, Option<ConnectionId>),
    b_target: Option<Target>,
    leg: Leg,
) -> (TransportKind, Option<ConnectionId>) {
    match leg {
        Leg::A => a_route,
        Leg::B => (b_target.map_or(TransportKind::Udp, |t| t.transport), None),
    }
}

/// Answer server transaction `key`, queueing the layer's actions.
fn respond(
    layer: &mut TransactionLayer,
    now: Duration,
    key: &TransactionKey,
    response: Response,
    out: &mut Vec<Effect>,
) {
    match layer.respond(key, response, now) {
        Ok(actions) => out.extend(actions.into_iter().map(Effect::Layer)),
        Err(e) => tracing::debug!(?key, error = %e, "response refused by the transaction layer"),
    }
}

/// Headers that give a relayed body or event its meaning; copied from a
/// request to the one relayed on the other leg, and from a response to
/// the one relayed back.
const CONTENT_HEADERS: &[&str] = &[
    "Content-Type",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Event",
    "Subscription-State",
    "Info-Package",
    "Recv-Info",
    "Allow-Events",
];

/// Copy the [`CONTENT_HEADERS`] of `from` into `to`.
fn copy_content_headers(from: &Headers, to: &mut Headers) {
    for name in CONTENT_HEADERS {
        for value in from.get_all(name) {
            to.push(name, value);
        }
    }
}

/// Whether `headers` have an Allow listing `method`.
fn allows(headers: &Headers, method: &str) -> bool {
    headers
        .get_all("Allow")
        .flat_map(|v| v.split(','))
        .any(|m| m.trim().eq_ignore_ascii_case(method))
}

/// Copy body and Content-Type of `from` into `to`.
fn copy_body(from: &Response, to: &mut Response) {
    if !from.body.is_empty() {
        if let Some(ct) = from.headers.get("Content-Type") {
            to.headers.push("Content-Type", ct);
        }
        to.body = from.body.clone();
    }
}

/// A From/To value without its `tag` parameter.
fn without_tag(value: &str) -> String {
    let lower = value.to_ascii_lowercase();
    let Some(start) = lower.find(";tag=") else {
        return value.trim().to_string();
    };
    let rest = &value[start + 1..];
    let end = rest.find(';').map_or(value.len(), |e| start + 1 + e);
    format!("{}{}", &value[..start], &value[end..])
        .trim()
        .to_string()
}

/// The final response the caller gets when every fork failed (RFC 3261
/// 16.7 simplified): the lowest 6xx, else a 486, else the lowest status.
fn best_final<'a>(finals: &[&'a Response]) -> &'a Response {
    let lowest = |range: std::ops::Range<u16>| {
        finals
            .iter()
            .copied()
            .filter(|r| range.contains(&r.status))
            .min_by_key(|r| r.status)
    };
    lowest(600..700)
        .or_else(|| finals.iter().copied().find(|r| r.status == 486))
        .or_else(|| lowest(300..700))
        .unwrap_or(finals[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16) -> Response {
        Request::new(Method::Invite, "sip:x@y").response(status, "", None)
    }

    #[test]
    fn best_final_prefers_6xx_then_486_then_lowest() {
        let (a, b, c, d) = (resp(486), resp(603), resp(404), resp(480));
        assert_eq!(best_final(&[&a, &b, &c]).status, 603);
        assert_eq!(best_final(&[&c, &a, &d]).status, 486);
        assert_eq!(best_final(&[&d, &c]).status, 404);
    }

    #[test]
    fn tag_is_stripped() {
        assert_eq!(
            without_tag("\"A\" <sip:1001@h>;tag=abc;x=1"),
            "\"A\" <sip:1001@h>;x=1"
        );
        assert_eq!(without_tag("<sip:1001@h>;TAG=abc"), "<sip:1001@h>");
        assert_eq!(without_tag("<sip:1001@h>"), "<sip:1001@h>");
    }
}
