//! Requests within a connected call (BYE, REFER, and the ones relayed to
//! the other leg: re-INVITE, UPDATE, INFO, ...) and strays.

use super::*;

impl B2bua {
    pub(super) fn in_dialog(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: Request,
        out: &mut Vec<Effect>,
    ) {
        let dialog_id = Dialogs::id_for_request(&req);
        if let Some(d) = dialog_id
            .as_ref()
            .filter(|d| self.detached.contains_key(*d))
        {
            let d = d.clone();
            self.detached_request(layer, now, key, &d, req, out);
            return;
        }
        let found = dialog_id.and_then(|d| self.by_dialog.get(&d).copied());
        if found.is_none() && req.method == Method::Prack {
            self.early_prack(layer, now, key, &req, out);
            return;
        }
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
                if self.transferor_left(id, leg) {
                    return;
                }
                let app = self.calls.get(&id).is_some_and(|c| c.app.is_some());
                if app && leg == Leg::B {
                    return self.app_callee_left(id);
                }
                if app {
                    self.cancel_forks(layer, now, id, out);
                }
                self.abort_transfer(layer, now, id, out);
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
                call.transfer = None;
                let ended = call.ended_at.is_some();
                call.two_xx.clear();
                let bye = call.bye_leg(leg.other(), now);
                if let (Some((bye, target)), false) = (bye, ended) {
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
            Method::Refer => self.on_refer(layer, now, key, id, leg, req, out),
            // We never send reliable provisionals, so no PRACK can match.
            Method::Prack => respond(layer, now, key, no_dialog(&req), out),
            _ if self.calls.get(&id).is_some_and(|c| c.app.is_some()) => {
                self.app_in_dialog(layer, now, key, id, leg, req, out)
            }
            _ => self.relay_request(layer, now, key, id, leg, req, out),
        }
    }

    /// Relay an in-dialog request (re-INVITE, UPDATE, INFO, MESSAGE,
    /// NOTIFY, OPTIONS, ...) of `leg` as a new request of the same method
    /// in the other leg's dialog, with its body and the headers that give
    /// the body its meaning; the final answer is relayed back by
    /// [`relay_event`](Self::relay_event).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn relay_request(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        id: u64,
        leg: Leg,
        req: Request,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            respond(layer, now, key, no_dialog(&req), out);
            return;
        };
        if call.transfer.is_some() && req.method == Method::Invite {
            // A re-INVITE while a transfer re-arranges the legs.
            let pending = req.response(491, reason_phrase(491), None);
            respond(layer, now, key, pending, out);
            return;
        }
        if matches!(req.method, Method::Invite | Method::Update) && !req.body.is_empty() {
            call.sdp[leg.index()] = req.body.clone();
        }
        let other = leg.other();
        let mut method = req.method.clone();
        if method == Method::Update && !call.allows_update[other.index()] {
            if req.body.is_empty() {
                // A refresh without an offer: nothing for the other side.
                let ok = req.response(200, reason_phrase(200), None);
                respond(layer, now, key, ok, out);
                return;
            }
            // RFC 3311 5.1: no UPDATE to a peer that does not allow it;
            // the same offer goes as a re-INVITE.
            method = Method::Invite;
        }
        let target = call.target(other);
        let relayed = call.dialog_mut(other).map(|d| {
            let mut r = d.request(method.clone(), now);
            copy_content_headers(&req.headers, &mut r.headers);
            r.body = req.body.clone();
            r
        });
        let (Some(relayed), Some(target)) = (relayed, target) else {
            respond(layer, now, key, no_dialog(&req), out);
            return;
        };
        let role = ClientRole::Relay {
            server: key.clone(),
            request: Box::new(req.clone()),
            from: leg,
        };
        if self
            .start(layer, now, id, relayed, target, role, out)
            .is_none()
        {
            let failed = req.response(500, reason_phrase(500), None);
            respond(layer, now, key, failed, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn relay_event(
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
        let invite = request.method == Method::Invite;
        // What we sent on the other leg: an UPDATE may have gone as a
        // re-INVITE, whose 2xx we must ACK.
        let sent_invite = invite || matches!(answer.headers.cseq(), Some((_, Method::Invite)));
        let ok = (200..300).contains(&answer.status);
        let offer_answer = sent_invite || request.method == Method::Update;
        if offer_answer && ok && !answer.body.is_empty() {
            call.sdp[to.index()] = answer.body.clone();
        }
        let target = call.target(to);
        if let Some(d) = call.dialog_mut(to) {
            d.on_response_received(&answer);
            if sent_invite
                && ok
                && let (Ok(ack), Some(target)) = (d.ack_for_2xx(&answer), target)
            {
                out.push(Effect::Send(SipMessage::Request(ack), target));
            }
        }
        let mut relayed = request.response(answer.status, &answer.reason, None);
        copy_content_headers(&answer.headers, &mut relayed.headers);
        relayed.body = answer.body.clone();
        if ok {
            if invite {
                call.reinvites += 1;
            } else {
                call.relayed += 1;
            }
            if invite || request.method == Method::Update {
                relayed
                    .headers
                    .push("Contact", &format!("<{}>", call.local(from).contact));
            }
            if from == Leg::A {
                Self::caller_refreshed(call, request, &mut relayed, now);
            }
        }
        if invite && ok {
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
            if let Some(app) = call.app.as_ref() {
                let _ = app.send(AppEvent::Confirmed);
            }
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
}
