//! Calls handed to the application (see [`crate::service::app`]): the
//! caller's leg is ours, the application decides what it hears.

use super::*;
use crate::service::app::{AppAction, AppCall, AppCommand, AppEvent, NewCall, RouteDecision};
use tokio::sync::mpsc;

impl B2bua {
    /// The router's decision for a new call (the built-in behaviour when
    /// no application is configured).
    pub(super) fn decide(&self, call: &NewCall) -> RouteDecision {
        self.app
            .as_ref()
            .map_or(RouteDecision::Default, |app| app.router.route(call))
    }

    /// Hand a new call to the application.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn app_call(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: Request,
        source: SocketAddr,
        route: (TransportKind, Option<ConnectionId>),
        new: NewCall,
        out: &mut Vec<Effect>,
    ) {
        let Some(app) = self.app.clone() else {
            return self.refuse(layer, now, key, &req, new.caller, new.callee, 500, out);
        };
        let mut call = self.open_call(
            now,
            key,
            &req,
            source,
            route,
            new.caller.clone(),
            new.callee.clone(),
        );
        let (events, events_rx) = mpsc::unbounded_channel();
        call.app = Some(events);
        let id = self.next_id;
        self.next_id += 1;
        let handed = AppCall {
            id,
            call_id: req.headers.get("Call-ID").unwrap_or_default().to_string(),
            caller_name: req.headers.get("From").and_then(display_name),
            caller: new.caller.clone(),
            callee: new.callee.clone(),
            trunk: new.trunk,
            offer: req.body.clone(),
            content_type: req
                .headers
                .get("Content-Type")
                .unwrap_or_default()
                .to_string(),
            commands: self.commands.clone(),
            events: events_rx,
        };
        if app.calls.send(handed).is_err() {
            tracing::warn!("no application to take the call");
            return self.refuse(layer, now, key, &req, new.caller, new.callee, 503, out);
        }
        tracing::info!(caller = %new.caller, callee = %new.callee, "call handed to the application");
        self.register_call(key, id, call);
    }

    /// Carry out an application's command.
    pub(crate) fn on_app_command(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        command: AppCommand,
    ) -> Vec<Effect> {
        let mut out = Vec::new();
        let id = command.call;
        let Some(call) = self.calls.get_mut(&id) else {
            return out;
        };
        if call.ended_at.is_some() {
            return out;
        }
        let a_key = call.a_key.clone();
        match command.action {
            AppAction::Ring(early) if !call.answered => {
                let status = if early.is_some() { 183 } else { 180 };
                let mut ringing =
                    call.a_invite
                        .response(status, reason_phrase(status), Some(&call.a_tag));
                ringing
                    .headers
                    .push("Contact", &format!("<{}>", call.a_local.contact));
                if let Some(sdp) = early {
                    ringing.headers.push("Content-Type", "application/sdp");
                    ringing.body = sdp;
                }
                call.reliable.prepare(&mut ringing, layer.config(), now);
                respond(layer, now, &a_key, ringing, &mut out);
            }
            AppAction::Answer(sdp) if !call.answered => {
                let mut ok = call
                    .a_invite
                    .response(200, reason_phrase(200), Some(&call.a_tag));
                ok.headers
                    .push("Contact", &format!("<{}>", call.a_local.contact));
                ok.headers.push("Allow", ALLOW);
                ok.headers.push("Supported", SUPPORTED);
                if !sdp.is_empty() {
                    ok.headers.push("Content-Type", "application/sdp");
                }
                ok.body = sdp.clone();
                call.sdp[Leg::B.index()] = sdp;
                call.reliable.stop();
                Self::session_headers(call, &mut ok, now);
                match Dialog::uas(&call.a_invite, &ok, call.a_local.clone()) {
                    Ok(d) => {
                        call.dialog_ids.push(d.id().clone());
                        self.by_dialog.insert(d.id().clone(), (id, Leg::A));
                        call.a_dialog = Some(d);
                    }
                    Err(e) => tracing::warn!(error = %e, "A-leg dialog not created"),
                }
                call.answered = true;
                call.ring_deadline = None;
                call.two_xx.push((
                    Leg::A,
                    TwoXxRetransmitter::new(ok.clone(), layer.config(), now),
                ));
                respond(layer, now, &a_key, ok, &mut out);
            }
            AppAction::Reject(status) if !call.answered => {
                let status = if (400..700).contains(&status) {
                    status
                } else {
                    500
                };
                let refusal =
                    call.a_invite
                        .response(status, reason_phrase(status), Some(&call.a_tag));
                respond(layer, now, &a_key, refusal, &mut out);
                self.end(id, now, CallOutcome::Failed(status));
            }
            AppAction::Hangup if !call.answered => {
                let gone = call
                    .a_invite
                    .response(480, reason_phrase(480), Some(&call.a_tag));
                respond(layer, now, &a_key, gone, &mut out);
                self.end(id, now, CallOutcome::Failed(480));
            }
            AppAction::Dial(request) => self.app_dial(layer, now, id, request, &mut out),
            AppAction::DropDial => self.app_drop_dial(layer, now, id, &mut out),
            AppAction::Hangup => {
                self.app_drop_dial(layer, now, id, &mut out);
                let Some(call) = self.calls.get_mut(&id) else {
                    return out;
                };
                let bye = call.bye_leg(Leg::A, now);
                call.two_xx.clear();
                if let Some((bye, target)) = bye {
                    self.start(layer, now, id, bye, target, ClientRole::Other, &mut out);
                }
                self.end(id, now, CallOutcome::CalleeHungUp);
            }
            // Ring, answer or reject after the answer: nothing to do.
            _ => {}
        }
        out
    }

    /// An in-dialog request of `leg` of an application's call. From the
    /// caller, INFO and MESSAGE become events and an offer is answered
    /// with the application's last SDP; from a dialled party, an offer is
    /// answered with the application's SDP for that leg.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn app_in_dialog(
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
            return respond(layer, now, key, no_dialog(&req), out);
        };
        let event = match req.method {
            Method::Invite | Method::Update if leg == Leg::B => {
                // The dialled party's refresh or hold: answered with the
                // application's SDP for that leg; nothing to report.
                let sdp = call.sdp[Leg::A.index()].clone();
                let mut ok = req.response(200, reason_phrase(200), None);
                ok.headers
                    .push("Contact", &format!("<{}>", call.b_local.contact));
                if !sdp.is_empty() && (!req.body.is_empty() || req.method == Method::Invite) {
                    ok.headers.push("Content-Type", "application/sdp");
                    ok.body = sdp;
                }
                if req.method == Method::Invite {
                    call.two_xx.push((
                        Leg::B,
                        TwoXxRetransmitter::new(ok.clone(), layer.config(), now),
                    ));
                }
                respond(layer, now, key, ok, out);
                None
            }
            Method::Invite | Method::Update => {
                let sdp = call.sdp[Leg::B.index()].clone();
                let mut ok = req.response(200, reason_phrase(200), None);
                ok.headers
                    .push("Contact", &format!("<{}>", call.a_local.contact));
                let offer = !req.body.is_empty() || req.method == Method::Invite;
                if offer && !sdp.is_empty() {
                    ok.headers.push("Content-Type", "application/sdp");
                    ok.body = sdp;
                }
                Self::caller_refreshed(call, &req, &mut ok, now);
                if req.method == Method::Invite {
                    call.reinvites += 1;
                    call.two_xx.push((
                        Leg::A,
                        TwoXxRetransmitter::new(ok.clone(), layer.config(), now),
                    ));
                }
                respond(layer, now, key, ok, out);
                (!req.body.is_empty()).then(|| AppEvent::Reoffer {
                    sdp: req.body.clone(),
                })
            }
            Method::Info | Method::Message if leg == Leg::B => {
                respond(
                    layer,
                    now,
                    key,
                    req.response(200, reason_phrase(200), None),
                    out,
                );
                None
            }
            Method::Info | Method::Message => {
                call.relayed += 1;
                respond(
                    layer,
                    now,
                    key,
                    req.response(200, reason_phrase(200), None),
                    out,
                );
                Some(AppEvent::Info {
                    method: req.method.as_str().to_string(),
                    content_type: req
                        .headers
                        .get("Content-Type")
                        .unwrap_or_default()
                        .to_string(),
                    body: req.body.clone(),
                })
            }
            _ => {
                let mut refusal = req.response(405, reason_phrase(405), None);
                refusal.headers.push("Allow", ALLOW);
                respond(layer, now, key, refusal, out);
                None
            }
        };
        if let (Some(event), Some(app)) = (event, call.app.as_ref()) {
            let _ = app.send(event);
        }
    }
}

/// The display name of a name-addr header value (`"Alice" <sip:...>` or
/// `Alice <sip:...>`), unquoted; `None` when there is none.
fn display_name(value: &str) -> Option<String> {
    let value = value.trim_start();
    let name = if let Some(rest) = value.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = rest.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => name.extend(chars.next()),
                '"' => break,
                c => name.push(c),
            }
        }
        name
    } else {
        value.split_once('<')?.0.trim().to_string()
    };
    (!name.is_empty()).then_some(name)
}

#[cfg(test)]
mod display_name_tests {
    use super::display_name;

    #[test]
    fn quoted_plain_and_absent_names() {
        assert_eq!(
            display_name("\"Ann \\\"A\\\" Lee\" <sip:1@x>;tag=1").as_deref(),
            Some("Ann \"A\" Lee")
        );
        assert_eq!(display_name("Bob <sip:2@x>").as_deref(), Some("Bob"));
        assert_eq!(display_name("<sip:3@x>"), None);
        assert_eq!(display_name("sip:4@x;tag=2"), None);
    }
}
