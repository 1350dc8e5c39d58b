//! Dialling on behalf of the application: the caller's leg stays with the
//! application (its media session), and the extensions it dials are rung
//! as forks of the same call with the application's own SDP offer. The
//! answered party becomes the call's B leg; the application bridges the
//! two media sessions itself. Unlike the built-in B2BUA, nothing of the B
//! leg is relayed to the caller: every step is an [`AppEvent`].

use super::*;
use crate::service::app::{AppEvent, DialRequest};

/// A dial in progress for an application's call.
#[derive(Debug)]
pub(super) struct AppDial {
    /// Forks from this index on belong to this dial (earlier ones to
    /// earlier dials).
    pub(super) first_fork: usize,
    /// The extension each of this dial's forks rings, by fork index.
    pub(super) users: Vec<(usize, String)>,
    /// A fork answered: the B leg is up.
    pub(super) answered: bool,
}

impl AppDial {
    fn user_of(&self, fork: usize) -> String {
        self.users
            .iter()
            .find(|(i, _)| *i == fork)
            .map(|(_, u)| u.clone())
            .unwrap_or_default()
    }
}

impl B2bua {
    fn app_event(&self, id: u64, event: AppEvent) {
        if let Some(app) = self.calls.get(&id).and_then(|c| c.app.as_ref()) {
            let _ = app.send(event);
        }
    }

    /// Start ringing `request.users` for application call `id`.
    pub(super) fn app_dial(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        request: DialRequest,
        out: &mut Vec<Effect>,
    ) {
        self.app_drop_dial(layer, now, id, out);
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let host = address_of_record(&format!("<{}>", call.a_invite.uri))
            .and_then(|(_, aor)| aor.rsplit_once('@').map(|(_, h)| h.to_string()))
            .unwrap_or_else(|| "localhost".to_string());
        let mut bindings = Vec::new();
        let mut best = 404;
        for user in &request.users {
            let aor = format!("sip:{user}@{host}");
            match self.extension_bindings(user, &aor) {
                Ok(found) => {
                    bindings.extend(found.into_iter().map(|b| (user.clone(), aor.clone(), b)))
                }
                // 480 (no contact) says more than 404 (no such user).
                Err(status) => best = best.max(status).min(480),
            }
        }
        if bindings.is_empty() {
            self.app_event(id, AppEvent::DialFailed { status: best });
            return;
        }
        let Some(mut call) = self.calls.remove(&id) else {
            return;
        };
        let from = match &request.caller_id {
            Some((number, name)) => {
                let display = name
                    .as_deref()
                    .map(|n| format!("\"{}\" ", n.replace(['"', '\\'], "")))
                    .unwrap_or_default();
                format!("{display}<sip:{number}@{host}>;tag={}", new_tag())
            }
            None => {
                let from = call.a_invite.headers.get("From").unwrap_or_default();
                format!("{};tag={}", without_tag(from), new_tag())
            }
        };
        let call_id = format!("{}@pbx", new_tag());
        let mut dial = AppDial {
            first_fork: call.forks.len(),
            users: Vec::new(),
            answered: false,
        };
        call.sdp[Leg::A.index()] = request.offer.clone();
        for (user, aor, binding) in &bindings {
            let (invite, target, local) = self.fork_invite(
                binding,
                &from,
                aor,
                &call_id,
                &request.offer,
                Some("application/sdp"),
            );
            let index = call.forks.len();
            if self.add_fork(layer, now, id, &mut call, invite, target, local, out) {
                dial.users.push((index, user.clone()));
            }
        }
        let sent = !dial.users.is_empty();
        call.app_dial = sent.then(|| Box::new(dial));
        self.calls.insert(id, call);
        if !sent {
            self.app_event(id, AppEvent::DialFailed { status: 500 });
        }
    }

    /// Stop application call `id`'s dial: CANCEL what still rings, BYE
    /// the party that answered.
    pub(super) fn app_drop_dial(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        out: &mut Vec<Effect>,
    ) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(dial) = call.app_dial.take() else {
            return;
        };
        if dial.answered {
            if let Some((bye, target)) = call.bye_leg(Leg::B, now) {
                self.start(layer, now, id, bye, target, ClientRole::Other, out);
            }
            if let Some(call) = self.calls.get_mut(&id) {
                call.b_dialog = None;
                call.b_target = None;
            }
        }
        self.cancel_forks(layer, now, id, out);
    }

    /// A response to fork `i` of application call `id`.
    pub(super) fn app_fork_event(
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
        let current = call
            .app_dial
            .as_ref()
            .filter(|d| i >= d.first_fork && call.ended_at.is_none());
        let ringing = current.is_some_and(|d| !d.answered);
        match event {
            TuEvent::Provisional(resp) => {
                let local = call.forks[i].local.clone();
                let _ = call.b_dialogs.uac_response(&invite, &resp, &local);
                if !self.prack_provisional(layer, now, id, i, &resp, out) {
                    return;
                }
                if ringing && matches!(resp.status, 180 | 183) {
                    let Some(call) = self.calls.get(&id) else {
                        return;
                    };
                    let user = call.app_dial.as_ref().map(|d| d.user_of(i));
                    let early_media =
                        (resp.status == 183 && !resp.body.is_empty()).then(|| resp.body.clone());
                    self.app_event(
                        id,
                        AppEvent::DialRinging {
                            user: user.unwrap_or_default(),
                            early_media,
                        },
                    );
                }
            }
            TuEvent::Final(resp) if (200..300).contains(&resp.status) => {
                self.app_fork_2xx(layer, now, id, i, ringing, resp, out);
            }
            TuEvent::Final(resp) => {
                call.forks[i].final_response = Some(resp);
                if ringing {
                    self.app_check_failed(id);
                }
            }
            TuEvent::Timeout | TuEvent::TransportError => {
                call.forks[i].final_response = Some(invite.response(408, reason_phrase(408), None));
                if ringing {
                    self.app_check_failed(id);
                }
            }
            TuEvent::Request(_) | TuEvent::CancelFor { .. } => {}
        }
    }

    /// When every fork of the current dial failed, tell the application.
    fn app_check_failed(&mut self, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(dial) = call.app_dial.as_ref() else {
            return;
        };
        let forks = &call.forks[dial.first_fork..];
        if forks.iter().any(|f| f.final_response.is_none()) {
            return;
        }
        let finals: Vec<&Response> = forks
            .iter()
            .filter_map(|f| f.final_response.as_ref())
            .collect();
        let status = best_final(&finals).status;
        call.app_dial = None;
        self.app_event(id, AppEvent::DialFailed { status });
    }

    /// A 2xx on fork `i`: the first one of a ringing dial becomes the B
    /// leg; any other is ACKed and hung up.
    #[allow(clippy::too_many_arguments)]
    fn app_fork_2xx(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        i: usize,
        ringing: bool,
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
        match outcome {
            Ok(UacOutcome::Confirmed { id: dialog_id, .. }) => {
                let Some(dialog) = call.b_dialogs.get_mut(&dialog_id) else {
                    return;
                };
                if let Ok(ack) = dialog.ack_for_2xx(&resp) {
                    out.push(Effect::Send(SipMessage::Request(ack), fork_target));
                }
                if !ringing {
                    // Dropped or ended meanwhile: hang this one up.
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
                call.dialog_ids.push(dialog_id.clone());
                let user = call
                    .app_dial
                    .as_mut()
                    .map(|d| {
                        d.answered = true;
                        d.user_of(i)
                    })
                    .unwrap_or_default();
                self.by_dialog.insert(dialog_id, (id, Leg::B));
                tracing::info!(caller = %call.caller, %user, "dialled party answered");
                self.cancel_forks(layer, now, id, out);
                self.app_event(
                    id,
                    AppEvent::DialAnswered {
                        user,
                        sdp: resp.body,
                    },
                );
            }
            Ok(other) => self.other_2xx(layer, now, id, other, &resp, fork_target, out),
            Err(e) => tracing::debug!(error = %e, "2xx on a dialled leg not usable"),
        }
    }

    /// The dialled party of application call `id` sent a BYE (already
    /// answered 200): the caller's leg stays with the application.
    pub(super) fn app_callee_left(&mut self, id: u64) {
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        call.app_dial = None;
        call.b_dialog = None;
        call.b_target = None;
        self.app_event(id, AppEvent::DialHungUp);
    }
}
