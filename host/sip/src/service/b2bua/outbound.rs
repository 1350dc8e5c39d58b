//! Calls through trunks: outbound (an extension dials a number that is
//! not an extension and an outbound route matches) and inbound (a
//! carrier sends an INVITE for one of our DIDs); and the trunks' own
//! REGISTERs and OPTIONS keep-alives.
//!
//! Outbound: the route rewrites the number (strip, prefix) and the caller
//! id; trunks are tried one after the other, healthy ones first. A 401 or
//! 407 from the carrier is answered once with the trunk's credentials (the
//! same Call-ID and From tag, CSeq plus one). A timeout, a 408 or a 5xx
//! moves on to the next trunk (and counts against the trunk's health);
//! any other failure is the callee's answer and goes back to the caller.
//!
//! Inbound: an INVITE from a trunk's exact address is not challenged (the
//! carrier authenticated its customer's call, not us); its Request-URI
//! user is a DID, mapped to the extension that rings; unknown DIDs get
//! 404.

use super::*;
use crate::auth::client::{ClientAnswer, authorization, select_challenge};
use crate::service::app::{NewCall, RouteDecision};
use crate::trunk::CallerId;

/// An outbound call's progress through its trunks.
#[derive(Debug)]
pub(super) struct Outbound {
    /// Trunk indexes to try, in order.
    trunks: Vec<usize>,
    /// Position in `trunks` of the trunk being tried.
    current: usize,
    /// The number as the carrier wants it.
    number: String,
    /// Who the carrier is told is calling.
    caller_id: CallerId,
    /// Whether the current trunk's challenge was answered already.
    challenged: bool,
}

impl B2bua {
    /// An extension dialled `callee`, a number routed to trunks.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn outbound_call(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: Request,
        source: SocketAddr,
        route: (TransportKind, Option<ConnectionId>),
        caller: String,
        callee: String,
        out: &mut Vec<Effect>,
    ) {
        let Some((routed, trunks)) = self.trunks.route(&callee) else {
            return self.refuse(layer, now, key, &req, caller, callee, 404, out);
        };
        let mut call = self.open_call(now, key, &req, source, route, caller, callee);
        call.outbound = Some(Box::new(Outbound {
            trunks,
            current: 0,
            number: routed.number,
            caller_id: routed.caller_id.apply(&call.caller),
            challenged: false,
        }));
        let id = self.next_id;
        self.next_id += 1;
        while call.forks.is_empty() && !self.try_next_trunk(layer, now, id, &mut call, out) {}
        self.launch(layer, now, key, id, call, out);
    }

    /// Send the INVITE to the current trunk of `call` (or, if it cannot be
    /// sent, move on). `false` while more trunks remain to try.
    fn try_next_trunk(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        call: &mut Call,
        out: &mut Vec<Effect>,
    ) -> bool {
        let Some(ob) = call.outbound.as_mut() else {
            return true;
        };
        let Some(trunk) = ob
            .trunks
            .get(ob.current)
            .and_then(|&i| self.trunks.trunk(i))
        else {
            return true;
        };
        ob.challenged = false;
        let target = Target {
            transport: trunk.transport,
            addr: trunk.address,
            connection: None,
        };
        let local = self.local(trunk.transport);
        let invite = trunk_invite(trunk, ob, &call.a_invite, &local);
        tracing::info!(trunk = %trunk.name, number = %ob.number, "outbound call via trunk");
        if self.add_fork(layer, now, id, call, invite, target, local, out) {
            return true;
        }
        let ob = call.outbound.as_mut().expect("checked above");
        ob.current += 1;
        ob.current >= ob.trunks.len()
    }

    /// A non-2xx final (or `None` for a timeout) on fork `i` of an outbound
    /// call: answer a challenge or fail over. `true` when a new INVITE went
    /// out, so the call goes on.
    pub(super) fn outbound_failure(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        i: usize,
        resp: Option<&Response>,
        out: &mut Vec<Effect>,
    ) -> bool {
        let Some(mut call) = self.calls.remove(&id) else {
            return false;
        };
        let retried = self.retry_outbound(layer, now, id, &mut call, i, resp, out);
        self.calls.insert(id, call);
        retried
    }

    #[allow(clippy::too_many_arguments)]
    fn retry_outbound(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        id: u64,
        call: &mut Call,
        i: usize,
        resp: Option<&Response>,
        out: &mut Vec<Effect>,
    ) -> bool {
        if call.answered || call.ended_at.is_some() {
            return false;
        }
        let Some(ob) = call.outbound.as_mut() else {
            return false;
        };
        let Some(&trunk_index) = ob.trunks.get(ob.current) else {
            return false;
        };
        let status = resp.map_or(408, |r| r.status);
        if matches!(status, 401 | 407) && !ob.challenged {
            ob.challenged = true;
            let retry = self.trunks.trunk(trunk_index).and_then(|trunk| {
                let prior = &call.forks[i].invite;
                authorized_retry(trunk, prior, resp?)
            });
            if let Some(invite) = retry {
                let (target, local) = (call.forks[i].target, call.forks[i].local.clone());
                // The challenged attempt must not look like the callee's
                // answer if everything fails.
                call.forks[i].final_response =
                    Some(call.forks[i].invite.response(503, reason_phrase(503), None));
                return self.add_fork(layer, now, id, call, invite, target, local, out);
            }
        }
        let failover = matches!(status, 401 | 407 | 408 | 500..=599);
        if !failover {
            return false;
        }
        if matches!(status, 408 | 500..=599) {
            self.trunks.record(trunk_index, false, now);
        }
        let challenged = matches!(status, 401 | 407);
        if challenged || resp.is_none() {
            call.forks[i].final_response =
                Some(call.forks[i].invite.response(503, reason_phrase(503), None));
        }
        let ob = call.outbound.as_mut().expect("checked above");
        ob.current += 1;
        if ob.current >= ob.trunks.len() {
            return false;
        }
        let forks = call.forks.len();
        while call.forks.len() == forks && !self.try_next_trunk(layer, now, id, call, out) {}
        call.forks.len() > forks
    }

    /// A carrier's INVITE for one of our DIDs, from trunk `trunk`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn inbound_call(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        req: Request,
        source: SocketAddr,
        route: (TransportKind, Option<ConnectionId>),
        trunk: usize,
        out: &mut Vec<Effect>,
    ) {
        let caller = req
            .headers
            .get("From")
            .and_then(address_of_record)
            .map_or_else(|| "anonymous".to_string(), |(user, _)| user);
        let Some((did, aor)) = address_of_record(&format!("<{}>", req.uri)) else {
            return self.refuse(layer, now, key, &req, caller, String::new(), 404, out);
        };
        let new = NewCall {
            caller: caller.clone(),
            callee: did.clone(),
            trunk: self.trunks.trunk(trunk).map(|t| t.name.clone()),
            source,
        };
        match self.decide(&new) {
            RouteDecision::Default => {}
            RouteDecision::Application => {
                return self.app_call(layer, now, key, req, source, route, new, out);
            }
            RouteDecision::Reject(status) => {
                return self.refuse(layer, now, key, &req, caller, did, status, out);
            }
        }
        let Some(extension) = self.trunks.did_extension(&did).map(str::to_string) else {
            tracing::info!(%did, "inbound call to an unknown DID");
            return self.refuse(layer, now, key, &req, caller, did, 404, out);
        };
        let host = aor.rsplit_once('@').map_or("", |(_, h)| h);
        let aor = format!("sip:{extension}@{host}");
        let bindings = match self.extension_bindings(&extension, &aor) {
            Ok(b) => b,
            Err(status) => {
                return self.refuse(layer, now, key, &req, caller, extension, status, out);
            }
        };
        let name = self.trunks.trunk(trunk).map(|t| t.name.clone());
        tracing::info!(%did, %extension, trunk = ?name, "inbound trunk call");
        let call = self.open_call(now, key, &req, source, route, caller, extension);
        self.ring(layer, now, key, call, &bindings, &aor, out);
    }

    /// Send the trunks' REGISTERs and keep-alives that are due.
    pub(super) fn poll_trunks(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        out: &mut Vec<Effect>,
    ) {
        for (i, request, register) in self.trunks.due(now) {
            self.send_trunk_request(layer, now, i, request, register, out);
        }
    }

    fn send_trunk_request(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        i: usize,
        request: Request,
        register: bool,
        out: &mut Vec<Effect>,
    ) {
        let Some(trunk) = self.trunks.trunk(i) else {
            return;
        };
        let target = Target {
            transport: trunk.transport,
            addr: trunk.address,
            connection: None,
        };
        let role = if register {
            ClientRole::TrunkRegister(i)
        } else {
            ClientRole::TrunkProbe(i)
        };
        if self
            .start(layer, now, 0, request, target, role, out)
            .is_none()
        {
            self.trunk_event(layer, now, i, register, TuEvent::TransportError, out);
        }
    }

    /// The answer to a trunk's REGISTER or keep-alive.
    pub(super) fn trunk_event(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        i: usize,
        register: bool,
        event: TuEvent,
        out: &mut Vec<Effect>,
    ) {
        let answered = match &event {
            TuEvent::Final(resp) => Some(resp),
            TuEvent::Timeout | TuEvent::TransportError => None,
            _ => return,
        };
        if !register {
            self.trunks.record(i, answered.is_some(), now);
            self.publish_trunk(i, answered.is_some());
            return;
        }
        let Some(reg) = self.trunks.registration(i) else {
            return;
        };
        let next = match answered {
            Some(resp) => reg.on_response(resp, now),
            None => {
                reg.on_timeout(now);
                None
            }
        };
        self.publish_trunk(i, false);
        if let Some(next) = next {
            self.send_trunk_request(layer, now, i, next, true, out);
        }
    }

    /// Copy trunk `i`'s status to the shared state the handle reads.
    fn publish_trunk(&self, i: usize, keepalive_answered: bool) {
        let mut all = self.shared.trunks.lock().unwrap_or_else(|e| e.into_inner());
        let answered = all
            .get(self.trunks.trunk(i).map_or("", |t| t.name.as_str()))
            .map_or(0, |s| s.keepalives_answered)
            + u64::from(keepalive_answered);
        if let Some((name, status)) = self.trunks.status(i, answered) {
            all.insert(name, status);
        }
    }
}

/// The INVITE to `trunk` for an outbound call.
fn trunk_invite(
    trunk: &crate::service::trunks::TrunkConfig,
    ob: &Outbound,
    a_invite: &Request,
    local: &LocalEndpoint,
) -> Request {
    let domain = trunk.domain();
    let uri = format!("sip:{}@{domain}", ob.number);
    let mut invite = Request::new(Method::Invite, uri.clone());
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
    let asserted = format!("<sip:{}@{domain}>", ob.caller_id.number);
    if ob.caller_id.anonymous {
        h.push(
            "From",
            &format!(
                "\"Anonymous\" <sip:anonymous@anonymous.invalid>;tag={}",
                new_tag()
            ),
        );
        h.push("P-Asserted-Identity", &asserted);
        h.push("Privacy", "id");
    } else {
        h.push("From", &format!("{asserted};tag={}", new_tag()));
    }
    h.push("To", &format!("<{uri}>"));
    h.push("Call-ID", &format!("{}@pbx", new_tag()));
    h.push("CSeq", "1 INVITE");
    h.push("Contact", &format!("<{}>", local.contact));
    h.push("Allow", ALLOW);
    h.push("Supported", "100rel");
    if !a_invite.body.is_empty()
        && let Some(ct) = a_invite.headers.get("Content-Type")
    {
        h.push("Content-Type", ct);
    }
    invite.body = a_invite.body.clone();
    invite
}

/// `prior` again with credentials answering `challenge`'s 401/407: same
/// Call-ID and From tag, CSeq plus one, a new branch. `None` when the
/// trunk has no credentials or the challenge cannot be answered.
fn authorized_retry(
    trunk: &crate::service::trunks::TrunkConfig,
    prior: &Request,
    challenge: &Response,
) -> Option<Request> {
    let (user, password) = trunk.credentials.as_ref()?;
    let (ask, answer) = if challenge.status == 407 {
        ("Proxy-Authenticate", "Proxy-Authorization")
    } else {
        ("WWW-Authenticate", "Authorization")
    };
    let parsed = select_challenge(challenge.headers.get_all(ask))?;
    let cnonce = new_tag();
    let value = authorization(
        &parsed,
        &ClientAnswer {
            username: user,
            password,
            method: "INVITE",
            uri: &prior.uri,
            nc: 1,
            cnonce: &cnonce,
        },
    )
    .ok()?;
    let mut retry = prior.clone();
    let (seq, _) = prior.headers.cseq()?;
    let via = prior.headers.get("Via")?;
    let via = match via.find(";branch=") {
        Some(at) => {
            let rest = &via[at + 8..];
            let end = rest.find(';').map_or(via.len(), |e| at + 8 + e);
            format!("{};branch={}{}", &via[..at], new_branch(), &via[end..])
        }
        None => via.to_string(),
    };
    retry.headers.set("Via", &via);
    retry
        .headers
        .set("CSeq", &format!("{} INVITE", seq.wrapping_add(1)));
    retry.headers.set(answer, &value);
    Some(retry)
}
