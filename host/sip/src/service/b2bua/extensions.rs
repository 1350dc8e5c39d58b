//! SIP extensions on the B2BUA's legs: reliable provisional responses
//! (RFC 3262, `100rel`) and session timers (RFC 4028, `timer`).
//!
//! 100rel, A leg: when the caller's INVITE says `Require: 100rel`, every
//! 18x relayed to it is sent reliably (RSeq, `Require: 100rel`) and
//! retransmitted until the caller's PRACK, which is answered 200 (481 if it
//! names nothing pending). B leg: our INVITEs say `Supported: 100rel`; a
//! reliable 18x from a callee is PRACKed, processed once and in RSeq order.
//! Other option tags in a caller's `Require` get 420 with `Unsupported`.
//!
//! Session timers, A leg, when [`ServiceConfig::session_timer`]
//! (`UasPolicy`) is set: the caller's Session-Expires is negotiated (422
//! below our Min-SE), the 2xx carries the result. When the caller is the
//! refresher, a session that sees no re-INVITE or UPDATE from it within
//! the interval (less a third, at most 32 s) is torn down with BYEs on
//! both legs; when we are, we refresh it with a re-INVITE at half the
//! interval (same SDP) and tear it down if that fails.
//!
//! [`ServiceConfig::session_timer`]: crate::service::ServiceConfig::session_timer

use super::*;
use crate::dialog::prack::RSeqGenerator;
use crate::dialog::prack::{
    RSeqTracker, RSeqVerdict, ReliableProvisional, TAG_100REL, answer_prack, make_reliable,
    prack_for, requires_100rel,
};
use crate::dialog::session_timer::{
    Refresher, SessionExpires, UasDecision, UasPolicy, expire_after, negotiate_uas, refresh_after,
};

/// Option tags we support in a caller's `Require`.
const SUPPORTED_TAGS: &[&str] = &[TAG_100REL, "timer"];

/// The session timer of a call's A leg.
#[derive(Debug, Clone)]
pub(super) struct SessionTimer {
    /// What the 2xx told the caller.
    expires: SessionExpires,
    /// Whether the caller supports `timer` (gets `Require: timer`).
    require: bool,
    /// The session's last refresh (or its start).
    last_refresh: Duration,
    /// Our refresh re-INVITE is out.
    refreshing: bool,
}

/// Reliable provisionals of one call's A leg.
#[derive(Debug, Default)]
pub(super) struct Reliable {
    /// RSeq numbers for the caller, when it requires 100rel.
    rseq: Option<RSeqGenerator>,
    /// Sent and not yet PRACKed.
    pending: Vec<ReliableProvisional>,
}

/// The 420 for an INVITE requiring an option tag we lack, if it does.
pub(super) fn unsupported_requirement(req: &Request) -> Option<Response> {
    let unsupported: Vec<&str> = req
        .headers
        .get_all("Require")
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .filter(|t| !SUPPORTED_TAGS.iter().any(|s| s.eq_ignore_ascii_case(t)))
        .collect();
    if unsupported.is_empty() {
        return None;
    }
    let mut r = req.response(420, reason_phrase(420), Some(&new_tag()));
    r.headers.push("Unsupported", &unsupported.join(", "));
    Some(r)
}

impl Reliable {
    /// The state for a caller's INVITE.
    pub(super) fn for_invite(req: &Request) -> Reliable {
        Reliable {
            rseq: requires_100rel(&req.headers).then(RSeqGenerator::new),
            pending: Vec::new(),
        }
    }

    /// Make a provisional for the caller reliable if it asked for that,
    /// and track it for retransmission.
    pub(super) fn prepare(
        &mut self,
        provisional: &mut Response,
        config: &TimerConfig,
        now: Duration,
    ) {
        let Some(rseq) = self.rseq.as_mut() else {
            return;
        };
        make_reliable(provisional, rseq.next_rseq());
        if let Some(r) = ReliableProvisional::new(provisional.clone(), config, now) {
            self.pending.push(r);
        }
    }

    /// A final response went out: stop retransmitting.
    pub(super) fn stop(&mut self) {
        self.pending.clear();
    }

    /// Retransmissions due at `now`.
    pub(super) fn poll(&mut self, now: Duration) -> Vec<Response> {
        let due = self
            .pending
            .iter_mut()
            .filter_map(|p| match p.poll(now) {
                Some(crate::dialog::prack::ProvisionalEvent::Retransmit(SipMessage::Response(
                    r,
                ))) => Some(r),
                _ => None,
            })
            .collect();
        self.pending.retain(|p| !p.is_finished());
        due
    }
}

impl B2bua {
    /// The session timer for a caller's INVITE under our policy: `Err`
    /// with the 422 when its interval is too small.
    pub(super) fn session_for(
        policy: Option<&UasPolicy>,
        req: &Request,
        now: Duration,
    ) -> Result<Option<SessionTimer>, Response> {
        let Some(policy) = policy else {
            return Ok(None);
        };
        match negotiate_uas(req, policy) {
            UasDecision::Reject(r) => Err(r),
            UasDecision::Accept {
                session_expires,
                require_timer,
            } => Ok(Some(SessionTimer {
                expires: session_expires,
                require: require_timer,
                last_refresh: now,
                refreshing: false,
            })),
        }
    }

    /// A PRACK from a caller whose call is not confirmed yet (early
    /// dialog): answered from the call's pending reliable provisionals.
    pub(super) fn early_prack(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: &Request,
        out: &mut Vec<Effect>,
    ) {
        let call = req
            .headers
            .to_tag()
            .and_then(|tag| self.by_a_tag.get(tag))
            .and_then(|id| self.calls.get_mut(id));
        let answer = match call {
            Some(call) => answer_prack(req, &mut call.reliable.pending),
            None => no_dialog(req),
        };
        respond(layer, now, key, answer, out);
    }

    /// A provisional on fork `i`: PRACK it if it is reliable. `false` when
    /// it must not be processed (a retransmission or out of order).
    pub(super) fn prack_provisional(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        i: usize,
        resp: &Response,
        out: &mut Vec<Effect>,
    ) -> bool {
        if !requires_100rel(&resp.headers) {
            return true;
        }
        let Some(rseq) = resp
            .headers
            .get("RSeq")
            .and_then(|v| v.trim().parse::<u32>().ok())
        else {
            return false;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        let verdict = call.forks[i].rseq.check(rseq);
        if verdict == RSeqVerdict::OutOfOrder {
            return false;
        }
        let target = call.forks[i].target;
        let prack = Dialogs::id_for_response(resp)
            .and_then(|d| call.b_dialogs.get_mut(&d))
            .and_then(|d| prack_for(d, resp, now));
        if let Some(prack) = prack {
            self.start(layer, now, id, prack, target, ClientRole::Other, out);
        }
        verdict == RSeqVerdict::New
    }

    /// Headers of the caller's 2xx (initial or refresh) for the session
    /// timer of call `id`, which is (re)started at `now`.
    pub(super) fn session_headers(call: &mut Call, response: &mut Response, now: Duration) {
        let Some(session) = call.session.as_mut() else {
            return;
        };
        session.last_refresh = now;
        response
            .headers
            .push("Session-Expires", &session.expires.to_string());
        if session.require {
            response.headers.push("Require", "timer");
        }
    }

    /// Session timers and reliable provisionals of call `id` at `now`.
    pub(super) fn poll_extensions(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        for resp in call.reliable.poll(now) {
            let (kind, conn) = call.a_route;
            out.push(Effect::Respond(resp, kind, conn));
        }
        if call.ended_at.is_some() || !call.answered {
            return;
        }
        let Some(session) = call.session.as_mut() else {
            return;
        };
        let interval = session.expires.interval;
        let uas = session.expires.refresher == Some(Refresher::Uas);
        if uas && !session.refreshing && now >= session.last_refresh + refresh_after(interval) {
            session.refreshing = true;
            self.refresh_session(layer, now, id, out);
        } else if !uas && now >= session.last_refresh + expire_after(interval) {
            tracing::info!(caller = %call.caller, callee = %call.callee, "session expired without refresh");
            self.hang_up_both(layer, now, id, CallOutcome::SessionExpired, out);
        }
    }

    /// Our session refresh: a re-INVITE to the caller with the SDP it has.
    fn refresh_session(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let sdp = call.sdp[Leg::B.index()].clone();
        let expires = call.session.as_ref().map(|s| SessionExpires {
            interval: s.expires.interval,
            refresher: Some(Refresher::Uac),
        });
        let target = call.target(Leg::A);
        let refresh = call.dialog_mut(Leg::A).map(|d| {
            let mut r = d.reinvite(sdp, "application/sdp", now);
            if let Some(se) = expires {
                r.headers.push("Session-Expires", &se.to_string());
                r.headers.push("Supported", "timer");
            }
            r
        });
        if let (Some(refresh), Some(target)) = (refresh, target) {
            self.start(
                layer,
                now,
                id,
                refresh,
                target,
                ClientRole::SessionRefresh,
                out,
            );
        }
    }

    /// The caller's answer to our session refresh.
    pub(super) fn session_refresh_event(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        event: TuEvent,
        out: &mut Vec<Effect>,
    ) {
        let answer = match event {
            TuEvent::Final(resp) => Some(resp),
            TuEvent::Timeout | TuEvent::TransportError => None,
            _ => return,
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        if let Some(s) = call.session.as_mut() {
            s.refreshing = false;
        }
        match answer {
            Some(resp) if (200..300).contains(&resp.status) => {
                let target = call.target(Leg::A);
                if let Some(d) = call.dialog_mut(Leg::A) {
                    d.on_response_received(&resp);
                    if let (Ok(ack), Some(target)) = (d.ack_for_2xx(&resp), target) {
                        out.push(Effect::Send(SipMessage::Request(ack), target));
                    }
                }
                if let Some(s) = call.session.as_mut() {
                    s.last_refresh = now;
                }
            }
            // A glare (491) is retried at the next scan after a pause.
            Some(resp) if resp.status == 491 => {
                if let Some(s) = call.session.as_mut() {
                    s.last_refresh =
                        now - refresh_after(s.expires.interval) + Duration::from_secs(2);
                }
            }
            _ => {
                tracing::info!(caller = %call.caller, "session refresh failed");
                self.hang_up_both(layer, now, id, CallOutcome::SessionExpired, out);
            }
        }
    }

    /// A refresh from the caller (a re-INVITE or UPDATE answered 2xx).
    pub(super) fn caller_refreshed(
        call: &mut Call,
        request: &Request,
        response: &mut Response,
        now: Duration,
    ) {
        if matches!(request.method, Method::Invite | Method::Update) {
            Self::session_headers(call, response, now);
        }
    }

    /// BYE on both legs and end the call with `outcome`.
    pub(super) fn hang_up_both(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        outcome: CallOutcome,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let byes: Vec<_> = [Leg::A, Leg::B]
            .into_iter()
            .filter_map(|leg| call.bye_leg(leg, now))
            .collect();
        call.two_xx.clear();
        for (bye, target) in byes {
            self.start(layer, now, id, bye, target, ClientRole::Other, out);
        }
        self.end(id, now, outcome);
    }
}

/// Per-fork state for reliable provisionals from a callee.
pub(super) fn new_tracker() -> RSeqTracker {
    RSeqTracker::default()
}
