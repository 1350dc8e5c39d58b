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
//! retransmits its own 2xx until ACKed).
//!
//! Limits: SDP passes through untouched (no media anchoring); a 2xx from a
//! fork that arrives after its transaction ended and after the call is
//! forgotten (32 s after the end) is not ACKed; offers in ACK are not
//! relayed; in-dialog methods other than BYE and INVITE get 501.

use super::register::address_of_record;
use super::{Counters, Shared};
use crate::auth::{Algorithm, Rejection};
use crate::dialog::{
    Dialog, DialogId, Dialogs, LocalEndpoint, UacOutcome, cancel_for, new_tag, no_dialog,
};
use crate::message::{Method, Request, Response, SipMessage, reason_phrase};
use crate::transaction::key::new_branch;
use crate::transaction::{
    LayerAction, TransactionKey, TransactionLayer, TuEvent, TwoXxEvent, TwoXxRetransmitter,
};
use crate::transport::{ConnectionId, Target, TransportKind};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, SystemTime};

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
}

/// One ended call, as kept in [`ServiceHandle::calls`](super::ServiceHandle::calls).
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
enum Leg {
    A,
    B,
}

impl Leg {
    fn other(self) -> Leg {
        match self {
            Leg::A => Leg::B,
            Leg::B => Leg::A,
        }
    }
}

/// What a client transaction of ours is for.
#[derive(Debug, Clone)]
enum ClientRole {
    /// The B-leg INVITE to fork number `usize`.
    Fork(usize),
    /// A re-INVITE relayed from server transaction `server` of leg `from`.
    Relay {
        server: TransactionKey,
        request: Box<Request>,
        from: Leg,
    },
    /// BYE, CANCEL: the answer does not matter.
    Other,
}

/// One B-leg INVITE.
#[derive(Debug)]
struct Fork {
    key: TransactionKey,
    invite: Request,
    target: Target,
    local: LocalEndpoint,
    final_response: Option<Response>,
}

/// One call.
#[derive(Debug)]
struct Call {
    caller: String,
    callee: String,
    a_key: TransactionKey,
    a_invite: Request,
    a_tag: String,
    a_target: Target,
    a_route: (TransportKind, Option<ConnectionId>),
    a_local: LocalEndpoint,
    a_dialog: Option<Dialog>,
    b_local: LocalEndpoint,
    b_dialogs: Dialogs,
    b_dialog: Option<DialogId>,
    b_target: Option<Target>,
    forks: Vec<Fork>,
    answered: bool,
    a_acked: bool,
    reinvites: u32,
    ring_deadline: Option<Duration>,
    ended_at: Option<Duration>,
    two_xx: Vec<(Leg, TwoXxRetransmitter)>,
    /// Every dialog id this call put in `B2bua::by_dialog`, so dropping the
    /// call removes exactly those entries instead of scanning the map.
    dialog_ids: Vec<DialogId>,
}

impl Call {
    fn dialog_mut(&mut self, leg: Leg) -> Option<&mut Dialog> {
        match leg {
            Leg::A => self.a_dialog.as_mut(),
            Leg::B => {
                let id = self.b_dialog.as_ref()?;
                self.b_dialogs.get_mut(id)
            }
        }
    }

    fn target(&self, leg: Leg) -> Option<Target> {
        match leg {
            Leg::A => Some(self.a_target),
            Leg::B => self.b_target,
        }
    }

    fn local(&self, leg: Leg) -> &LocalEndpoint {
        match leg {
            Leg::A => &self.a_local,
            Leg::B => &self.b_local,
        }
    }
}

/// The B2BUA: every live call and the indexes to find them.
pub(crate) struct B2bua {
    shared: Arc<Shared>,
    udp: Option<SocketAddr>,
    tcp: Option<SocketAddr>,
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

/// How long an ended call is kept to absorb late messages (64*T1).
const LINGER: Duration = Duration::from_secs(32);

impl B2bua {
    /// A B2BUA reachable at the service's first UDP and TCP addresses.
    pub(crate) fn new(
        shared: Arc<Shared>,
        udp: Option<SocketAddr>,
        tcp: Option<SocketAddr>,
        ring_timeout: Duration,
    ) -> Self {
        B2bua {
            shared,
            udp,
            tcp,
            ring_timeout,
            next_id: 1,
            calls: HashMap::new(),
            by_a_invite: HashMap::new(),
            by_client: HashMap::new(),
            by_dialog: HashMap::new(),
            by_a_request: HashMap::new(),
            targets: HashMap::new(),
            last_scan: Duration::ZERO,
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

    fn local(&self, transport: TransportKind) -> LocalEndpoint {
        let addr = match transport {
            TransportKind::Tcp => self.tcp.or(self.udp),
            TransportKind::Udp => self.udp.or(self.tcp),
        }
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5060)));
        let param = match transport {
            TransportKind::Tcp => ";transport=tcp",
            TransportKind::Udp => "",
        };
        LocalEndpoint {
            contact: format!("sip:pbx@{addr}{param}"),
            transport: transport.as_str().to_ascii_uppercase(),
            sent_by: addr.to_string(),
        }
    }

    /// The earliest time [`poll`](Self::poll) has something to do.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        (!self.calls.is_empty()).then_some(self.last_scan + SCAN_EVERY)
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

    #[allow(clippy::too_many_arguments)]
    fn new_call(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: Request,
        source: SocketAddr,
        route: (TransportKind, Option<ConnectionId>),
        out: &mut Vec<Effect>,
    ) {
        let tag = new_tag();
        // A retransmitted INVITE that crossed our 2xx: send the 2xx again.
        if let Some(ok) = self.crossed_2xx(&req) {
            respond(layer, now, key, ok, out);
            return;
        }
        let counters = &self.shared.counters;
        let authenticated = match self.shared.authenticator.authenticate(
            &req,
            source.ip(),
            SystemTime::now(),
            self.shared.credentials.as_ref(),
        ) {
            Ok(a) => a,
            Err(rejection) => {
                // `challenged` counts REGISTERs only; 403s count for all.
                if !matches!(rejection, Rejection::Challenge(_)) {
                    Counters::bump(&counters.forbidden);
                }
                respond(layer, now, key, rejection.response().clone(), out);
                return;
            }
        };
        let caller = req
            .headers
            .get("From")
            .and_then(address_of_record)
            .map(|(user, _)| user);
        if caller.as_deref() != Some(authenticated.user.as_str()) {
            Counters::bump(&counters.forbidden);
            let refusal = self.shared.authenticator.forbidden(&req);
            respond(layer, now, key, refusal, out);
            return;
        }
        if let Some(refusal) = self.shared.acl_refusal(&req, &authenticated, source.ip()) {
            respond(layer, now, key, refusal, out);
            return;
        }
        let caller = authenticated.user;
        let Some((callee, aor)) = address_of_record(&format!("<{}>", req.uri)) else {
            respond(
                layer,
                now,
                key,
                req.response(404, reason_phrase(404), Some(&tag)),
                out,
            );
            return;
        };
        let realm = &self.shared.authenticator.config().realm;
        let exists = Algorithm::ALL
            .iter()
            .any(|&alg| self.shared.credentials.ha1(realm, &callee, alg).is_some());
        let status = if !exists {
            Some(404)
        } else if callee == caller {
            Some(486)
        } else {
            None
        };
        let bindings = self.shared.registrar.lookup(&aor, SystemTime::now());
        let status = status.or(bindings.is_empty().then_some(480));
        if let Some(status) = status {
            tracing::info!(%caller, %callee, status, "call refused");
            self.record(CallRecord {
                caller,
                callee,
                forks: 0,
                answered: false,
                caller_acked: false,
                reinvites: 0,
                outcome: CallOutcome::Failed(status),
            });
            let response = req.response(status, reason_phrase(status), Some(&tag));
            respond(layer, now, key, response, out);
            return;
        }

        let id = self.next_id;
        self.next_id += 1;
        let call_id = format!("{}@pbx", new_tag());
        let from_tag = new_tag();
        let from = req.headers.get("From").unwrap_or_default();
        let from = format!("{};tag={from_tag}", without_tag(from));
        let a_target = Target {
            transport: route.0,
            addr: source,
            connection: route.1,
        };
        let mut call = Call {
            caller: caller.clone(),
            callee: callee.clone(),
            a_key: key.clone(),
            a_invite: req.clone(),
            a_tag: tag,
            a_target,
            a_route: route,
            a_local: self.local(route.0),
            a_dialog: None,
            b_local: self.local(TransportKind::Udp),
            b_dialogs: Dialogs::new(),
            b_dialog: None,
            b_target: None,
            forks: Vec::new(),
            answered: false,
            a_acked: false,
            reinvites: 0,
            ring_deadline: Some(now + self.ring_timeout),
            ended_at: None,
            two_xx: Vec::new(),
            dialog_ids: Vec::new(),
        };
        for binding in &bindings {
            let transport = if binding.transport.eq_ignore_ascii_case("TCP") {
                TransportKind::Tcp
            } else {
                TransportKind::Udp
            };
            let local = self.local(transport);
            let mut invite = Request::new(Method::Invite, binding.contact.clone());
            let h = &mut invite.headers;
            h.push(
                "Via",
                &format!(
                    "SIP/2.0/{} {};branch={};rport",
                    local.transport,
                    local.sent_by,
                    new_branch()
                ),
            );
            h.push("Max-Forwards", "70");
            h.push("From", &from);
            h.push("To", &format!("<{aor}>"));
            h.push("Call-ID", &call_id);
            h.push("CSeq", "1 INVITE");
            h.push("Contact", &format!("<{}>", local.contact));
            h.push("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS");
            if let Some(ct) = req.headers.get("Content-Type") {
                h.push("Content-Type", ct);
            }
            invite.body = req.body.clone();
            let target = Target {
                transport,
                addr: binding.source,
                connection: None,
            };
            match layer.start_client(invite.clone(), now) {
                Ok((fork_key, actions)) => {
                    self.targets.insert(fork_key.clone(), target);
                    self.by_client
                        .insert(fork_key.clone(), (id, ClientRole::Fork(call.forks.len())));
                    call.forks.push(Fork {
                        key: fork_key,
                        invite,
                        target,
                        local,
                        final_response: None,
                    });
                    out.extend(actions.into_iter().map(Effect::Layer));
                }
                Err(e) => tracing::warn!(error = %e, "B-leg INVITE not sent"),
            }
        }
        if call.forks.is_empty() {
            let response = req.response(500, reason_phrase(500), Some(&call.a_tag));
            respond(layer, now, key, response, out);
            return;
        }
        tracing::info!(%caller, %callee, forks = call.forks.len(), "call started");
        self.by_a_invite.insert(key.clone(), id);
        if let Some(rid) = request_id(&call.a_invite) {
            self.by_a_request.insert(rid, id);
        }
        self.calls.insert(id, call);
        self.shared.live_calls.fetch_add(1, Ordering::Relaxed);
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

    /// A CANCEL for the A-leg INVITE `invite` (server transaction `key`).
    pub(crate) fn on_cancel(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        invite: &TransactionKey,
        cancel: &Request,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        let ok = cancel.response(200, reason_phrase(200), Some(&new_tag()));
        respond(layer, now, key, ok, &mut out);
        let Some(&id) = self.by_a_invite.get(invite) else {
            return out;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return out;
        };
        if call.answered || call.ended_at.is_some() {
            return out;
        }
        let terminated = call
            .a_invite
            .response(487, reason_phrase(487), Some(&call.a_tag));
        respond(layer, now, &call.a_key.clone(), terminated, &mut out);
        self.cancel_forks(layer, now, id, &mut out);
        self.end(id, now, CallOutcome::Cancelled);
        out
    }

    /// A transaction event for one of our client transactions.
    pub(crate) fn on_client_event(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        event: TuEvent,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        let Some((id, role)) = self.by_client.get(key).cloned() else {
            return out;
        };
        match role {
            ClientRole::Fork(i) => self.fork_event(layer, now, id, i, event, &mut out),
            ClientRole::Relay {
                server,
                request,
                from,
            } => self.relay_event(layer, now, id, &server, &request, from, event, &mut out),
            ClientRole::Other => {}
        }
        out
    }

    fn fork_event(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        i: usize,
        event: TuEvent,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let invite = call.forks[i].invite.clone();
        match event {
            TuEvent::Provisional(resp) => {
                let local = call.forks[i].local.clone();
                let _ = call.b_dialogs.uac_response(&invite, &resp, &local);
                if call.answered || call.ended_at.is_some() || resp.status == 100 {
                    return;
                }
                let mut relayed =
                    call.a_invite
                        .response(resp.status, &resp.reason, Some(&call.a_tag));
                relayed
                    .headers
                    .push("Contact", &format!("<{}>", call.a_local.contact));
                copy_body(&resp, &mut relayed);
                respond(layer, now, &call.a_key.clone(), relayed, out);
            }
            TuEvent::Final(resp) if (200..300).contains(&resp.status) => {
                self.fork_2xx(layer, now, id, i, resp, out);
            }
            TuEvent::Final(resp) => {
                call.forks[i].final_response = Some(resp);
                self.check_failed(layer, now, id, out);
            }
            TuEvent::Timeout | TuEvent::TransportError => {
                call.forks[i].final_response = Some(invite.response(408, reason_phrase(408), None));
                self.check_failed(layer, now, id, out);
            }
            TuEvent::Request(_) | TuEvent::CancelFor { .. } => {}
        }
    }

    /// When every fork has failed, give the caller the best final.
    fn check_failed(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if call.answered
            || call.ended_at.is_some()
            || call.forks.iter().any(|f| f.final_response.is_none())
        {
            return;
        }
        let finals: Vec<&Response> = call
            .forks
            .iter()
            .filter_map(|f| f.final_response.as_ref())
            .collect();
        let best = best_final(&finals);
        let (status, reason) = (best.status, best.reason.clone());
        let response = call.a_invite.response(status, &reason, Some(&call.a_tag));
        respond(layer, now, &call.a_key.clone(), response, out);
        self.end(id, now, CallOutcome::Failed(status));
    }

    fn fork_2xx(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        i: usize,
        resp: Response,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let fork_target = call.forks[i].target;
        let invite = call.forks[i].invite.clone();
        call.forks[i].final_response = Some(resp.clone());
        let local = call.forks[i].local.clone();
        let outcome = call.b_dialogs.uac_response(&invite, &resp, &local);
        let late = call.answered || call.ended_at.is_some();
        match outcome {
            Ok(UacOutcome::Confirmed { id: dialog_id, .. }) => {
                let Some(dialog) = call.b_dialogs.get_mut(&dialog_id) else {
                    return;
                };
                if let Ok(ack) = dialog.ack_for_2xx(&resp) {
                    out.push(Effect::Send(SipMessage::Request(ack), fork_target));
                }
                if late {
                    // Cancelled or timed out meanwhile: hang this one up.
                    let bye = dialog.bye(now);
                    call.b_dialogs.remove(&dialog_id);
                    self.start(layer, now, id, bye, fork_target, ClientRole::Other, out);
                    return;
                }
                call.b_dialog = Some(dialog_id.clone());
                call.b_target = Some(fork_target);
                call.b_local = local;
                call.answered = true;
                call.ring_deadline = None;
                call.dialog_ids.push(dialog_id.clone());
                self.by_dialog.insert(dialog_id, (id, Leg::B));
                let mut ok = call
                    .a_invite
                    .response(200, reason_phrase(200), Some(&call.a_tag));
                ok.headers
                    .push("Contact", &format!("<{}>", call.a_local.contact));
                ok.headers
                    .push("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS");
                copy_body(&resp, &mut ok);
                match Dialog::uas(&call.a_invite, &ok, call.a_local.clone()) {
                    Ok(d) => {
                        call.dialog_ids.push(d.id().clone());
                        self.by_dialog.insert(d.id().clone(), (id, Leg::A));
                        call.a_dialog = Some(d);
                    }
                    Err(e) => tracing::warn!(error = %e, "A-leg dialog not created"),
                }
                call.two_xx.push((
                    Leg::A,
                    TwoXxRetransmitter::new(ok.clone(), layer.config(), now),
                ));
                let a_key = call.a_key.clone();
                tracing::info!(caller = %call.caller, callee = %call.callee, "call answered");
                respond(layer, now, &a_key, ok, out);
                self.cancel_forks(layer, now, id, out);
            }
            Ok(UacOutcome::ExtraFork(dialog)) => {
                let mut dialog = *dialog;
                if let Ok(ack) = dialog.ack_for_2xx(&resp) {
                    out.push(Effect::Send(SipMessage::Request(ack), fork_target));
                }
                let bye = dialog.bye(now);
                self.start(layer, now, id, bye, fork_target, ClientRole::Other, out);
            }
            Ok(UacOutcome::Retransmitted2xx(dialog_id)) => {
                if let Some(ack) = call
                    .b_dialogs
                    .get(&dialog_id)
                    .and_then(|d| d.ack_for_2xx(&resp).ok())
                {
                    out.push(Effect::Send(SipMessage::Request(ack), fork_target));
                }
            }
            Ok(_) => {}
            Err(e) => tracing::debug!(error = %e, "2xx on the B leg not usable"),
        }
    }

    /// CANCEL every fork still without a final response.
    fn cancel_forks(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let pending: Vec<(Request, Target)> = call
            .forks
            .iter()
            .filter(|f| f.final_response.is_none() && layer.contains(&f.key))
            .filter_map(|f| cancel_for(&f.invite).ok().map(|c| (c, f.target)))
            .collect();
        for (cancel, target) in pending {
            self.start(layer, now, id, cancel, target, ClientRole::Other, out);
        }
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

    fn in_dialog(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: Request,
        out: &mut Vec<Effect>,
    ) {
        let found = Dialogs::id_for_request(&req).and_then(|d| self.by_dialog.get(&d).copied());
        let Some((id, leg)) = found else {
            respond(layer, now, key, no_dialog(&req), out);
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            respond(layer, now, key, no_dialog(&req), out);
            return;
        };
        let Some(dialog) = call.dialog_mut(leg) else {
            respond(layer, now, key, no_dialog(&req), out);
            return;
        };
        if let Err(refusal) = dialog.receive_request(&req) {
            respond(layer, now, key, refusal, out);
            return;
        }
        match req.method {
            Method::Bye => {
                respond(
                    layer,
                    now,
                    key,
                    req.response(200, reason_phrase(200), None),
                    out,
                );
                let ended = call.ended_at.is_some();
                call.two_xx.clear();
                let other = leg.other();
                let target = call.target(other);
                let bye = call.dialog_mut(other).map(|d| {
                    let bye = d.bye(now);
                    d.terminate();
                    bye
                });
                if let (Some(bye), Some(target), false) = (bye, target, ended) {
                    self.start(layer, now, id, bye, target, ClientRole::Other, out);
                }
                if !ended {
                    let outcome = match leg {
                        Leg::A => CallOutcome::CallerHungUp,
                        Leg::B => CallOutcome::CalleeHungUp,
                    };
                    self.end(id, now, outcome);
                }
            }
            Method::Invite => {
                let other = leg.other();
                let target = call.target(other);
                let content_type = req
                    .headers
                    .get("Content-Type")
                    .unwrap_or("application/sdp")
                    .to_string();
                let reinvite = call
                    .dialog_mut(other)
                    .map(|d| d.reinvite(req.body.clone(), &content_type, now));
                let (Some(reinvite), Some(target)) = (reinvite, target) else {
                    respond(
                        layer,
                        now,
                        key,
                        req.response(500, reason_phrase(500), None),
                        out,
                    );
                    return;
                };
                let role = ClientRole::Relay {
                    server: key.clone(),
                    request: Box::new(req.clone()),
                    from: leg,
                };
                if self
                    .start(layer, now, id, reinvite, target, role, out)
                    .is_none()
                {
                    respond(
                        layer,
                        now,
                        key,
                        req.response(500, reason_phrase(500), None),
                        out,
                    );
                }
            }
            _ => {
                let mut response = req.response(501, reason_phrase(501), None);
                response
                    .headers
                    .push("Allow", "INVITE, ACK, CANCEL, BYE, OPTIONS");
                respond(layer, now, key, response, out);
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn relay_event(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        server: &TransactionKey,
        request: &Request,
        from: Leg,
        event: TuEvent,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let answer = match event {
            TuEvent::Final(resp) => resp,
            TuEvent::Timeout | TuEvent::TransportError => {
                request.response(408, reason_phrase(408), None)
            }
            _ => return,
        };
        let to = from.other();
        if (200..300).contains(&answer.status) {
            let target = call.target(to);
            if let Some(d) = call.dialog_mut(to) {
                d.on_response_received(&answer);
                if let (Ok(ack), Some(target)) = (d.ack_for_2xx(&answer), target) {
                    out.push(Effect::Send(SipMessage::Request(ack), target));
                }
            }
        } else if let Some(d) = call.dialog_mut(to) {
            d.on_response_received(&answer);
        }
        let mut relayed = request.response(answer.status, &answer.reason, None);
        copy_body(&answer, &mut relayed);
        if (200..300).contains(&answer.status) {
            call.reinvites += 1;
            relayed
                .headers
                .push("Contact", &format!("<{}>", call.local(from).contact));
            call.two_xx.push((
                from,
                TwoXxRetransmitter::new(relayed.clone(), layer.config(), now),
            ));
        }
        respond(layer, now, server, relayed, out);
    }

    /// An ACK matching no server transaction: the ACK for one of our 2xx.
    pub(crate) fn on_stray_ack(&mut self, ack: &Request) {
        let Some((id, leg)) =
            Dialogs::id_for_request(ack).and_then(|d| self.by_dialog.get(&d).copied())
        else {
            tracing::debug!("stray ACK discarded");
            return;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let seq = ack.headers.cseq().map(|c| c.0);
        for (l, r) in &mut call.two_xx {
            if *l == leg && r.response().headers.cseq().map(|c| c.0) == seq {
                r.ack_received();
            }
        }
        call.two_xx.retain(|(_, r)| !r.is_finished());
        if leg == Leg::A && !call.a_acked {
            call.a_acked = true;
            tracing::info!(caller = %call.caller, callee = %call.callee, "call confirmed");
        }
    }

    /// A response matching no client transaction: a retransmitted 2xx to
    /// one of our INVITEs is ACKed again.
    pub(crate) fn on_stray_response(&mut self, resp: &Response) -> Vec<Effect> {
        let mut out = Vec::new();
        if !(200..300).contains(&resp.status)
            || !matches!(resp.headers.cseq(), Some((_, Method::Invite)))
        {
            return out;
        }
        let Some((id, leg)) =
            Dialogs::id_for_response(resp).and_then(|d| self.by_dialog.get(&d).copied())
        else {
            return out;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return out;
        };
        let target = call.target(leg);
        if let (Some(d), Some(target)) = (call.dialog_mut(leg), target)
            && let Ok(ack) = d.ack_for_2xx(resp)
        {
            out.push(Effect::Send(SipMessage::Request(ack), target));
        }
        out
    }

    /// Ring timeouts, 2xx retransmissions and forgetting ended calls.
    pub(crate) fn poll(&mut self, layer: &mut TransactionLayer, now: Duration) -> Vec<Effect> {
        let mut out = Vec::new();
        self.last_scan = now;
        let ids: Vec<u64> = self.calls.keys().copied().collect();
        for id in ids {
            let Some(call) = self.calls.get_mut(&id) else {
                continue;
            };
            if call.ended_at.is_some_and(|t| now >= t + LINGER) {
                self.drop_call(id);
                continue;
            }
            if call.ring_deadline.is_some_and(|d| now >= d) {
                call.ring_deadline = None;
                tracing::info!(caller = %call.caller, callee = %call.callee, "ring timeout");
                let response = call
                    .a_invite
                    .response(480, reason_phrase(480), Some(&call.a_tag));
                let a_key = call.a_key.clone();
                respond(layer, now, &a_key, response, &mut out);
                self.cancel_forks(layer, now, id, &mut out);
                self.end(id, now, CallOutcome::Failed(480));
                continue;
            }
            let mut gave_up = false;
            for (leg, r) in &mut call.two_xx {
                match r.poll(now) {
                    Some(TwoXxEvent::Retransmit(SipMessage::Response(resp))) => {
                        let (kind, conn) = call_route(call.a_route, call.b_target, *leg);
                        out.push(Effect::Respond(resp, kind, conn));
                    }
                    Some(TwoXxEvent::GaveUp) if *leg == Leg::A && !call.a_acked => gave_up = true,
                    _ => {}
                }
            }
            call.two_xx.retain(|(_, r)| !r.is_finished());
            if gave_up && call.ended_at.is_none() {
                let mut byes = Vec::new();
                for leg in [Leg::A, Leg::B] {
                    let target = call.target(leg);
                    let bye = call.dialog_mut(leg).map(|d| d.bye(now));
                    if let (Some(bye), Some(target)) = (bye, target) {
                        byes.push((bye, target));
                    }
                }
                for (bye, target) in byes {
                    self.start(layer, now, id, bye, target, ClientRole::Other, &mut out);
                }
                self.end(id, now, CallOutcome::NoAck);
            }
        }
        out
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
        call.ring_deadline = None;
        tracing::info!(caller = %call.caller, callee = %call.callee, ?outcome, "call ended");
        let record = CallRecord {
            caller: call.caller.clone(),
            callee: call.callee.clone(),
            forks: call.forks.len(),
            answered: call.answered,
            caller_acked: call.a_acked,
            reinvites: call.reinvites,
            outcome,
        };
        self.record(record);
        self.shared.live_calls.fetch_sub(1, Ordering::Relaxed);
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
        if let Some(call) = self.calls.remove(&id) {
            self.by_a_invite.remove(&call.a_key);
            if let Some(rid) = request_id(&call.a_invite) {
                self.by_a_request.remove(&rid);
            }
            for d in &call.dialog_ids {
                self.by_dialog.remove(d);
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
