//! Requests within a connected call (BYE, re-INVITE) and strays.

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
}
