//! Blind transfer (RFC 3515 REFER, RFC 5589 section 6), carried out by
//! the B2BUA itself.
//!
//! In a connected call, the *transferor* (either leg) sends a REFER whose
//! `Refer-To` names an extension; the other leg, the *transferee*, stays.
//! The B2BUA checks the target (404 no such extension, 480 not
//! registered, answered to the REFER directly), accepts with 202 and
//! reports progress to the transferor in NOTIFYs of the implicit `refer`
//! subscription (`message/sipfrag` bodies: 100 Trying, 180 Ringing, then
//! the final status). It rings every binding of the target with the
//! transferee's latest SDP; when the target answers, it ACKs, re-INVITEs
//! the transferee with the target's SDP, and once that is answered the
//! target's dialog replaces the transferor's leg in the call. The
//! transferor gets the final `NOTIFY` (200, subscription terminated) and
//! then a BYE, unless it hung up first: a transferor may leave right after
//! the 202, and the transfer goes on without it.
//!
//! A target that does not answer, or a transferee refusing the
//! re-INVITE, fails the transfer: the transferor gets the failure in the
//! final NOTIFY and keeps its call (or, if it already left, the
//! transferee's call ends). Attended transfer (`Replaces` in Refer-To) is
//! in [`super::attended`]; other headers embedded in Refer-To get 501.

use super::*;
use crate::dialog::uri_of;

/// A blind transfer in progress.
#[derive(Debug)]
pub(super) struct Transfer {
    /// The leg that sent the REFER and is being replaced.
    transferor: Leg,
    /// Whether the transferor is still in the call.
    transferor_present: bool,
    /// The INVITEs to the target's bindings.
    forks: Vec<Fork>,
    /// The target's dialogs (one per answering fork).
    dialogs: Dialogs,
    /// The answering fork's dialog while the transferee is re-INVITEd.
    answered: Option<(DialogId, Target)>,
    /// Whether the transferor was told the target rings.
    ringing_notified: bool,
}

/// A transferor's dialog after it left its call: its BYE is answered
/// without touching the call.
#[derive(Debug)]
pub(super) struct Detached {
    /// The call the transferor left.
    call: u64,
    dialog: Dialog,
    target: Target,
}

impl Detached {
    /// `dialog` of a transferor that left call `call`, reached at `target`.
    pub(super) fn new(call: u64, dialog: Dialog, target: Target) -> Detached {
        Detached {
            call,
            dialog,
            target,
        }
    }
}

/// A `message/sipfrag` NOTIFY body for `status`.
fn sipfrag(status: u16, reason: &str) -> Bytes {
    Bytes::from(format!("SIP/2.0 {status} {reason}\r\n"))
}

impl B2bua {
    /// A REFER from `leg` of call `id`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn on_refer(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        id: u64,
        leg: Leg,
        req: Request,
        out: &mut Vec<Effect>,
    ) {
        let refuse = |layer: &mut TransactionLayer, out: &mut Vec<Effect>, status: u16| {
            respond(
                layer,
                now,
                key,
                req.response(status, reason_phrase(status), None),
                out,
            );
        };
        let Some(call) = self.calls.get(&id) else {
            return refuse(layer, out, 481);
        };
        if !call.answered || call.ended_at.is_some() {
            return refuse(layer, out, 403);
        }
        if call.transfer.is_some() {
            return refuse(layer, out, 491);
        }
        let mut refer_to = req.headers.get_all("Refer-To");
        let (Some(refer_to), None) = (refer_to.next(), refer_to.next()) else {
            return refuse(layer, out, 400);
        };
        if let Some(replaces) = super::attended::Replaces::from_refer_to(refer_to) {
            let req = req.clone();
            return self.attended_transfer(layer, now, key, id, leg, req, replaces, out);
        }
        if uri_of(refer_to).contains('?') {
            // Other embedded headers than Replaces are not supported.
            return refuse(layer, out, 501);
        }
        let Some((user, aor)) = address_of_record(refer_to) else {
            return refuse(layer, out, 416);
        };
        let bindings = match self.extension_bindings(&user, &aor) {
            Ok(b) => b,
            Err(status) => return refuse(layer, out, status),
        };
        let transferee = leg.other();
        let Some(from) = call
            .dialog(transferee)
            .map(|d| without_tag(d.remote_party()))
        else {
            return refuse(layer, out, 481);
        };
        let body = call.sdp[transferee.index()].clone();
        let _ = call;
        let from = format!("{from};tag={}", new_tag());
        let call_id = format!("{}@pbx", new_tag());
        let mut forks = Vec::new();
        for binding in &bindings {
            let content_type = Some("application/sdp");
            let (invite, target, local) =
                self.fork_invite(binding, &from, &aor, &call_id, &body, content_type);
            let role = ClientRole::TransferFork(forks.len());
            if let Some(fork_key) = self.start(layer, now, id, invite.clone(), target, role, out) {
                forks.push(Fork {
                    key: fork_key,
                    invite,
                    target,
                    local,
                    final_response: None,
                    rseq: super::extensions::new_tracker(),
                });
            }
        }
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.transfer = Some(Box::new(Transfer {
            transferor: leg,
            transferor_present: true,
            forks,
            dialogs: Dialogs::new(),
            answered: None,
            ringing_notified: false,
        }));
        self.notify_transferor(layer, now, id, 100, false, out);
        if self.calls[&id]
            .transfer
            .as_ref()
            .is_some_and(|t| t.forks.is_empty())
        {
            self.transfer_failed(layer, now, id, 500, out);
        }
    }

    /// Send the transferor a NOTIFY with `status` (final: the subscription
    /// ends and the answer to the NOTIFY triggers our BYE).
    fn notify_transferor(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        status: u16,
        last: bool,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(transfer) = call.transfer.as_ref() else {
            return;
        };
        if !transfer.transferor_present {
            return;
        }
        let leg = transfer.transferor;
        let target = call.target(leg);
        let notify = call.dialog_mut(leg).map(|d| notify(d, status, last, now));
        if let (Some(notify), Some(target)) = (notify, target) {
            let role = if last && (200..300).contains(&status) {
                ClientRole::TransferDone
            } else {
                ClientRole::Other
            };
            self.start(layer, now, id, notify, target, role, out);
        }
    }

    /// An event of the INVITE to transfer fork `i`.
    pub(super) fn transfer_fork_event(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        i: usize,
        event: TuEvent,
        out: &mut Vec<Effect>,
    ) {
        let Some(transfer) = self.calls.get_mut(&id).and_then(|c| c.transfer.as_mut()) else {
            return;
        };
        let Some(fork) = transfer.forks.get_mut(i) else {
            return;
        };
        let invite = fork.invite.clone();
        let fork_target = fork.target;
        let local = fork.local.clone();
        match event {
            TuEvent::Provisional(resp) => {
                let _ = transfer.dialogs.uac_response(&invite, &resp, &local);
                if (180..=183).contains(&resp.status) && !transfer.ringing_notified {
                    transfer.ringing_notified = true;
                    self.notify_transferor(layer, now, id, 180, false, out);
                }
            }
            TuEvent::Final(resp) if (200..300).contains(&resp.status) => {
                fork.final_response = Some(resp.clone());
                let outcome = transfer.dialogs.uac_response(&invite, &resp, &local);
                let first = transfer.answered.is_none();
                let dialog_id = match outcome {
                    Ok(UacOutcome::Confirmed { id: d, .. }) => d,
                    Ok(UacOutcome::ExtraFork(dialog)) => {
                        let mut dialog = *dialog;
                        if let Ok(ack) = dialog.ack_for_2xx(&resp) {
                            out.push(Effect::Send(SipMessage::Request(ack), fork_target));
                        }
                        let bye = dialog.bye(now);
                        self.start(layer, now, id, bye, fork_target, ClientRole::Other, out);
                        return;
                    }
                    _ => return,
                };
                let Some(dialog) = transfer.dialogs.get_mut(&dialog_id) else {
                    return;
                };
                if let Ok(ack) = dialog.ack_for_2xx(&resp) {
                    out.push(Effect::Send(SipMessage::Request(ack), fork_target));
                }
                if !first {
                    let bye = dialog.bye(now);
                    transfer.dialogs.remove(&dialog_id);
                    self.start(layer, now, id, bye, fork_target, ClientRole::Other, out);
                    return;
                }
                transfer.answered = Some((dialog_id, fork_target));
                self.cancel_transfer_forks(layer, now, id, out);
                self.reinvite_transferee(layer, now, id, resp, out);
            }
            TuEvent::Final(resp) => {
                fork.final_response = Some(resp);
                self.check_transfer_failed(layer, now, id, out);
            }
            TuEvent::Timeout | TuEvent::TransportError => {
                fork.final_response = Some(invite.response(408, reason_phrase(408), None));
                self.check_transfer_failed(layer, now, id, out);
            }
            TuEvent::Request(_) | TuEvent::CancelFor { .. } => {}
        }
    }

    /// Give the transferee the target's SDP (`answer`'s body).
    fn reinvite_transferee(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        answer: Response,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(transferee) = call.transfer.as_ref().map(|t| t.transferor.other()) else {
            return;
        };
        let content_type = answer
            .headers
            .get("Content-Type")
            .unwrap_or("application/sdp")
            .to_string();
        let target = call.target(transferee);
        let reinvite = call
            .dialog_mut(transferee)
            .map(|d| d.reinvite(answer.body.clone(), &content_type, now));
        let started = match (reinvite, target) {
            (Some(reinvite), Some(target)) => self
                .start(
                    layer,
                    now,
                    id,
                    reinvite,
                    target,
                    ClientRole::TransferReinvite,
                    out,
                )
                .is_some(),
            _ => false,
        };
        if started {
            if let Some(call) = self.calls.get_mut(&id) {
                let transferor = call.transfer.as_ref().map_or(Leg::B, |t| t.transferor);
                call.sdp[transferor.index()] = answer.body;
            }
        } else {
            self.transfer_failed(layer, now, id, 500, out);
        }
    }

    /// The transferee's answer to the re-INVITE: complete or fail.
    pub(super) fn transfer_reinvite_event(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        event: TuEvent,
        out: &mut Vec<Effect>,
    ) {
        let answer = match event {
            TuEvent::Final(resp) => resp,
            TuEvent::Timeout | TuEvent::TransportError => {
                return self.transfer_failed(layer, now, id, 408, out);
            }
            _ => return,
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(transferee) = call.transfer.as_ref().map(|t| t.transferor.other()) else {
            return;
        };
        let target = call.target(transferee);
        if let Some(d) = call.dialog_mut(transferee) {
            d.on_response_received(&answer);
            if let (Ok(ack), Some(target)) = (d.ack_for_2xx(&answer), target) {
                out.push(Effect::Send(SipMessage::Request(ack), target));
            }
        }
        if (200..300).contains(&answer.status) {
            if !answer.body.is_empty() {
                call.sdp[transferee.index()] = answer.body.clone();
            }
            self.complete_transfer(layer, now, id, out);
        } else {
            self.transfer_failed(layer, now, id, answer.status, out);
        }
    }

    /// The target's dialog replaces the transferor's leg.
    fn complete_transfer(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        self.notify_transferor(layer, now, id, 200, true, out);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(mut transfer) = call.transfer.take() else {
            return;
        };
        let Some((new_id, new_target)) = transfer.answered.take() else {
            return;
        };
        let Some(new_dialog) = transfer.dialogs.remove(&new_id) else {
            return;
        };
        let leg = transfer.transferor;
        let old_target = call.target(leg);
        let old = match leg {
            Leg::A => call.a_dialog.take(),
            Leg::B => call.b_dialog.take().and_then(|d| call.b_dialogs.remove(&d)),
        };
        call.set_leg(leg, new_dialog, new_target);
        call.transfers += 1;
        call.dialog_ids.push(new_id.clone());
        tracing::info!(caller = %call.caller, callee = %call.callee, ?leg, "transfer completed");
        self.by_dialog.insert(new_id, (id, leg));
        if let Some(old) = old {
            self.by_dialog.remove(old.id());
            if let (true, Some(target)) = (transfer.transferor_present, old_target) {
                self.detached.insert(
                    old.id().clone(),
                    Detached {
                        call: id,
                        dialog: old,
                        target,
                    },
                );
            }
        }
    }

    /// The final NOTIFY was answered: hang up on the transferor (if it has
    /// not left by itself meanwhile).
    pub(super) fn transfer_done(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        let Some(dialog_id) = self
            .detached
            .iter()
            .find(|(_, d)| d.call == id)
            .map(|(k, _)| k.clone())
        else {
            return;
        };
        if let Some(mut detached) = self.detached.remove(&dialog_id) {
            let bye = detached.dialog.bye(now);
            detached.dialog.terminate();
            let target = detached.target;
            self.start(layer, now, id, bye, target, ClientRole::Other, out);
        }
    }

    /// A request in a transferor's dialog after it left its call.
    pub(super) fn detached_request(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        dialog_id: &DialogId,
        req: Request,
        out: &mut Vec<Effect>,
    ) {
        if req.method == Method::Bye {
            self.detached.remove(dialog_id);
            let ok = req.response(200, reason_phrase(200), None);
            respond(layer, now, key, ok, out);
        } else {
            respond(layer, now, key, no_dialog(&req), out);
        }
    }

    /// The transferor hung up during its transfer: answer its BYE and let
    /// the transfer go on without it. `false` when no transfer by `leg` is
    /// in progress (a normal BYE).
    pub(super) fn transferor_left(&mut self, id: u64, leg: Leg) -> bool {
        let Some(call) = self.calls.get_mut(&id) else {
            return false;
        };
        match call.transfer.as_mut() {
            Some(t) if t.transferor == leg => {
                t.transferor_present = false;
                if let Some(d) = call.dialog_mut(leg) {
                    d.terminate();
                }
                tracing::info!(?leg, "transferor left before the transfer completed");
                true
            }
            _ => false,
        }
    }

    /// When every fork to the target failed: the best final fails the
    /// transfer.
    fn check_transfer_failed(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        let Some(transfer) = self.calls.get(&id).and_then(|c| c.transfer.as_ref()) else {
            return;
        };
        if transfer.answered.is_some() || transfer.forks.iter().any(|f| f.final_response.is_none())
        {
            return;
        }
        let finals: Vec<&Response> = transfer
            .forks
            .iter()
            .filter_map(|f| f.final_response.as_ref())
            .collect();
        let status = best_final(&finals).status;
        self.transfer_failed(layer, now, id, status, out);
    }

    /// The transfer failed with `status`: tell the transferor, which keeps
    /// its call; if it already left, the transferee's call ends.
    fn transfer_failed(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        status: u16,
        out: &mut Vec<Effect>,
    ) {
        tracing::info!(status, "transfer failed");
        self.notify_transferor(layer, now, id, status, true, out);
        self.abort_transfer(layer, now, id, out);
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(transfer) = call.transfer.take() else {
            return;
        };
        if transfer.transferor_present || call.ended_at.is_some() {
            return;
        }
        let transferee = transfer.transferor.other();
        if let Some((bye, target)) = call.bye_leg(transferee, now) {
            self.start(layer, now, id, bye, target, ClientRole::Other, out);
        }
        let outcome = match transfer.transferor {
            Leg::A => CallOutcome::CallerHungUp,
            Leg::B => CallOutcome::CalleeHungUp,
        };
        self.end(id, now, outcome);
    }

    /// Stop a transfer's target: CANCEL ringing forks, BYE an answered one.
    pub(super) fn abort_transfer(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        self.cancel_transfer_forks(layer, now, id, out);
        let Some(transfer) = self.calls.get_mut(&id).and_then(|c| c.transfer.as_mut()) else {
            return;
        };
        if let Some((dialog_id, target)) = transfer.answered.take()
            && let Some(mut dialog) = transfer.dialogs.remove(&dialog_id)
        {
            let bye = dialog.bye(now);
            self.start(layer, now, id, bye, target, ClientRole::Other, out);
        }
    }

    /// CANCEL every transfer fork still without a final response.
    fn cancel_transfer_forks(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        let Some(transfer) = self.calls.get(&id).and_then(|c| c.transfer.as_ref()) else {
            return;
        };
        let pending: Vec<(Request, Target)> = transfer
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

/// A NOTIFY of the `refer` subscription in `dialog` with `status`.
pub(super) fn notify(dialog: &mut Dialog, status: u16, last: bool, now: Duration) -> Request {
    let mut n = dialog.request(Method::Notify, now);
    n.headers.push("Event", "refer");
    let state = if last {
        "terminated;reason=noresource"
    } else {
        "active;expires=60"
    };
    n.headers.push("Subscription-State", state);
    n.headers
        .push("Content-Type", "message/sipfrag;version=2.0");
    n.body = sipfrag(status, reason_phrase(status));
    n
}
