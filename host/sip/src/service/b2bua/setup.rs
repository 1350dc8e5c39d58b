//! A new call: checks on the A-leg INVITE and the start of the B leg.

use super::*;
use crate::service::app::{NewCall, RouteDecision};

impl B2bua {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new_call(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: Request,
        source: SocketAddr,
        route: (TransportKind, Option<ConnectionId>),
        out: &mut Vec<Effect>,
    ) {
        // A retransmitted INVITE that crossed our 2xx: send the 2xx again.
        if let Some(ok) = self.crossed_2xx(&req) {
            respond(layer, now, key, ok, out);
            return;
        }
        if let Some(refusal) = extensions::unsupported_requirement(&req) {
            respond(layer, now, key, refusal, out);
            return;
        }
        if let Err(too_small) = Self::session_for(self.session_policy.as_ref(), &req, now) {
            respond(layer, now, key, too_small, out);
            return;
        }
        if let Some(trunk) = self.trunks.inbound(source) {
            return self.inbound_call(layer, now, key, req, source, route, trunk, out);
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
            return self.refuse(layer, now, key, &req, caller, String::new(), 404, out);
        };
        let new = NewCall {
            caller: caller.clone(),
            callee: callee.clone(),
            trunk: None,
            source,
        };
        match self.decide(&new) {
            RouteDecision::Default => {}
            RouteDecision::Application => {
                return self.app_call(layer, now, key, req, source, route, new, out);
            }
            RouteDecision::Reject(status) => {
                return self.refuse(layer, now, key, &req, caller, callee, status, out);
            }
        }
        if callee == caller {
            return self.refuse(layer, now, key, &req, caller, callee, 486, out);
        }
        let bindings = match self.extension_bindings(&callee, &aor) {
            Ok(bindings) => bindings,
            Err(404) if self.trunks.route(&callee).is_some() => {
                return self
                    .outbound_call(layer, now, key, req, source, route, caller, callee, out);
            }
            Err(status) => return self.refuse(layer, now, key, &req, caller, callee, status, out),
        };
        let call = self.open_call(now, key, &req, source, route, caller, callee);
        self.ring(layer, now, key, call, &bindings, &aor, out);
    }

    /// Refuse a new call with `status` and log it.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn refuse(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: &Request,
        caller: String,
        callee: String,
        status: u16,
        out: &mut Vec<Effect>,
    ) {
        tracing::info!(%caller, %callee, status, "call refused");
        self.record(CallRecord {
            caller,
            callee,
            forks: 0,
            answered: false,
            caller_acked: false,
            reinvites: 0,
            relayed: 0,
            transfers: 0,
            outcome: CallOutcome::Failed(status),
        });
        let response = req.response(status, reason_phrase(status), Some(&new_tag()));
        respond(layer, now, key, response, out);
    }

    /// The state of a new call whose A leg is `req`, before any B leg.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn open_call(
        &mut self,
        now: Duration,
        key: &TransactionKey,
        req: &Request,
        source: SocketAddr,
        route: (TransportKind, Option<ConnectionId>),
        caller: String,
        callee: String,
    ) -> Call {
        let a_target = Target {
            transport: route.0,
            addr: source,
            connection: route.1,
        };
        Call {
            caller,
            callee,
            a_key: key.clone(),
            a_invite: req.clone(),
            a_tag: new_tag(),
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
            relayed: 0,
            transfers: 0,
            sdp: [req.body.clone(), Bytes::new()],
            allows_update: [allows(&req.headers, "UPDATE"), false],
            transfer: None,
            reliable: extensions::Reliable::for_invite(req),
            session: Self::session_for(self.session_policy.as_ref(), req, now)
                .ok()
                .flatten(),
            outbound: None,
            app: None,
            app_dial: None,
            ring_deadline: Some(now + self.ring_timeout),
            ended_at: None,
            two_xx: Vec::new(),
            dialog_ids: Vec::new(),
        }
    }

    /// Ring every binding of `aor` for `call` and register the call.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn ring(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        mut call: Call,
        bindings: &[Binding],
        aor: &str,
        out: &mut Vec<Effect>,
    ) {
        let id = self.next_id;
        self.next_id += 1;
        let call_id = format!("{}@pbx", new_tag());
        let from = call.a_invite.headers.get("From").unwrap_or_default();
        let from = format!("{};tag={}", without_tag(from), new_tag());
        let content_type = call
            .a_invite
            .headers
            .get("Content-Type")
            .map(str::to_string);
        for binding in bindings {
            let (invite, target, local) = self.fork_invite(
                binding,
                &from,
                aor,
                &call_id,
                &call.a_invite.body,
                content_type.as_deref(),
            );
            self.add_fork(layer, now, id, &mut call, invite, target, local, out);
        }
        self.launch(layer, now, key, id, call, out);
    }

    /// Start B-leg INVITE `invite` to `target` as a fork of `call`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn add_fork(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        call: &mut Call,
        invite: Request,
        target: Target,
        local: LocalEndpoint,
        out: &mut Vec<Effect>,
    ) -> bool {
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
                    rseq: extensions::new_tracker(),
                });
                out.extend(actions.into_iter().map(Effect::Layer));
                true
            }
            Err(e) => {
                tracing::warn!(error = %e, "B-leg INVITE not sent");
                false
            }
        }
    }

    /// Register call `id` once its forks are out (500 when none could be
    /// sent).
    pub(super) fn launch(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        id: u64,
        call: Call,
        out: &mut Vec<Effect>,
    ) {
        if call.forks.is_empty() {
            let response = call
                .a_invite
                .response(500, reason_phrase(500), Some(&call.a_tag));
            respond(layer, now, key, response, out);
            return;
        }
        tracing::info!(caller = %call.caller, callee = %call.callee, forks = call.forks.len(), "call started");
        self.register_call(key, id, call);
    }

    /// Index and keep call `id`, whose A-leg INVITE is server transaction
    /// `key`.
    pub(super) fn register_call(&mut self, key: &TransactionKey, id: u64, call: Call) {
        self.by_a_invite.insert(key.clone(), id);
        self.by_a_tag.insert(call.a_tag.clone(), id);
        if let Some(rid) = request_id(&call.a_invite) {
            self.by_a_request.insert(rid, id);
        }
        self.calls.insert(id, call);
        self.live.insert(id);
        self.shared.live_calls.fetch_add(1, Ordering::Relaxed);
        self.shared.held_calls.fetch_add(1, Ordering::Relaxed);
    }

    /// A B-leg INVITE to one `binding` of `aor`: a new Via branch, From
    /// `from` (with our tag), To `aor`, our Contact, `body`, sent to where
    /// the binding's REGISTER came from (NAT) over its transport.
    pub(super) fn fork_invite(
        &self,
        binding: &Binding,
        from: &str,
        aor: &str,
        call_id: &str,
        body: &Bytes,
        content_type: Option<&str>,
    ) -> (Request, Target, LocalEndpoint) {
        let transport = TransportKind::from_token(&binding.transport).unwrap_or(TransportKind::Udp);
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
        h.push("From", from);
        h.push("To", &format!("<{aor}>"));
        h.push("Call-ID", call_id);
        h.push("CSeq", "1 INVITE");
        h.push("Contact", &format!("<{}>", local.contact));
        h.push("Allow", ALLOW);
        h.push("Supported", "100rel");
        if let Some(ct) = content_type.filter(|_| !body.is_empty()) {
            h.push("Content-Type", ct);
        }
        invite.body = body.clone();
        let target = Target {
            transport,
            addr: binding.source,
            connection: None,
        };
        (invite, target, local)
    }

    /// The live bindings of extension `user` at `aor`: 404 when no such
    /// account exists, 480 when it has no live binding.
    pub(super) fn extension_bindings(&self, user: &str, aor: &str) -> Result<Vec<Binding>, u16> {
        let realm = &self.shared.authenticator.config().realm;
        let exists = Algorithm::ALL
            .iter()
            .any(|&alg| self.shared.credentials.ha1(realm, user, alg).is_some());
        if !exists {
            return Err(404);
        }
        let bindings = self.shared.registrar.lookup(aor, SystemTime::now());
        if bindings.is_empty() {
            return Err(480);
        }
        Ok(bindings)
    }
}
