//! The B leg's forks: their responses, the winner, the losers, CANCEL.

use super::*;

impl B2bua {
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
            ClientRole::TransferFork(i) => {
                self.transfer_fork_event(layer, now, id, i, event, &mut out)
            }
            ClientRole::TransferReinvite => {
                self.transfer_reinvite_event(layer, now, id, event, &mut out)
            }
            ClientRole::TransferDone => {
                if matches!(
                    event,
                    TuEvent::Final(_) | TuEvent::Timeout | TuEvent::TransportError
                ) {
                    self.transfer_done(layer, now, id, &mut out);
                }
            }
            ClientRole::Reoffer(leg) => out.extend(self.reoffer_event(id, leg, event)),
            ClientRole::SessionRefresh => {
                self.session_refresh_event(layer, now, id, event, &mut out)
            }
            ClientRole::TrunkRegister(t) => self.trunk_event(layer, now, t, true, event, &mut out),
            ClientRole::TrunkProbe(t) => self.trunk_event(layer, now, t, false, event, &mut out),
            ClientRole::Other => {}
        }
        out
    }

    pub(super) fn fork_event(
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
        if call.app.is_some() {
            return self.app_fork_event(layer, now, id, i, event, out);
        }
        let invite = call.forks[i].invite.clone();
        match event {
            TuEvent::Provisional(resp) => {
                let local = call.forks[i].local.clone();
                let _ = call.b_dialogs.uac_response(&invite, &resp, &local);
                if !self.prack_provisional(layer, now, id, i, &resp, out) {
                    return;
                }
                let Some(call) = self.calls.get_mut(&id) else {
                    return;
                };
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
                call.reliable.prepare(&mut relayed, layer.config(), now);
                respond(layer, now, &call.a_key.clone(), relayed, out);
            }
            TuEvent::Final(resp) if (200..300).contains(&resp.status) => {
                self.fork_2xx(layer, now, id, i, resp, out);
            }
            TuEvent::Final(resp) => {
                call.forks[i].final_response = Some(resp.clone());
                if !self.outbound_failure(layer, now, id, i, Some(&resp), out) {
                    self.check_failed(layer, now, id, out);
                }
            }
            TuEvent::Timeout | TuEvent::TransportError => {
                call.forks[i].final_response = Some(invite.response(408, reason_phrase(408), None));
                if !self.outbound_failure(layer, now, id, i, None, out) {
                    self.check_failed(layer, now, id, out);
                }
            }
            TuEvent::Request(_) | TuEvent::CancelFor { .. } => {}
        }
    }

    /// When every fork has failed, give the caller the best final.
    pub(super) fn check_failed(
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

    pub(super) fn fork_2xx(
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
                call.sdp[Leg::B.index()] = resp.body.clone();
                call.allows_update[Leg::B.index()] = allows(&resp.headers, "UPDATE");
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
                ok.headers.push("Allow", ALLOW);
                ok.headers.push("Supported", SUPPORTED);
                call.reliable.stop();
                Self::session_headers(call, &mut ok, now);
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
            Ok(other) => self.other_2xx(layer, now, id, other, &resp, fork_target, out),
            Err(e) => tracing::debug!(error = %e, "2xx on the B leg not usable"),
        }
    }

    /// A 2xx that does not make call `id`'s B leg: another fork's answer
    /// (ACKed, then hung up) or a retransmission (ACKed again).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn other_2xx(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        outcome: UacOutcome,
        resp: &Response,
        target: Target,
        out: &mut Vec<Effect>,
    ) {
        match outcome {
            UacOutcome::ExtraFork(dialog) => {
                let mut dialog = *dialog;
                if let Ok(ack) = dialog.ack_for_2xx(resp) {
                    out.push(Effect::Send(SipMessage::Request(ack), target));
                }
                let bye = dialog.bye(now);
                self.start(layer, now, id, bye, target, ClientRole::Other, out);
            }
            UacOutcome::Retransmitted2xx(dialog_id) => {
                let ack = self
                    .calls
                    .get(&id)
                    .and_then(|c| c.b_dialogs.get(&dialog_id))
                    .and_then(|d| d.ack_for_2xx(resp).ok());
                if let Some(ack) = ack {
                    out.push(Effect::Send(SipMessage::Request(ack), target));
                }
            }
            _ => {}
        }
    }

    /// CANCEL every fork still without a final response.
    pub(super) fn cancel_forks(
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
}
