//! One dialog: its state (RFC 3261 12.1, 12.2) and the requests it builds.

use super::route::RouteSet;
use super::{DialogId, uri_of};
use crate::message::{Method, Request, Response, reason_phrase};
use crate::transaction::key::new_branch;
use bytes::Bytes;
use std::time::Duration;

/// Where this UA is reachable, needed to build requests: the Contact URI
/// put in target-refresh requests (where the peer sends its requests) and
/// the Via sent-by (where responses come back).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocalEndpoint {
    /// Our Contact URI, without brackets (e.g. `sip:pbx@10.0.0.1:5060`).
    pub contact: String,
    /// Via transport token (`UDP`, `TCP`, `TLS`, ...).
    pub transport: String,
    /// Via sent-by, `host[:port]`.
    pub sent_by: String,
}

/// Which side of the dialog-creating INVITE we were: it decides the route
/// set order and which tag comes from which header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogRole {
    /// We sent the INVITE.
    Uac,
    /// We received it.
    Uas,
}

/// Dialog state (RFC 3261 section 12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogState {
    /// Created by a 1xx with a To tag: requests may flow (PRACK, UPDATE,
    /// BYE from the caller) but the INVITE may still fail.
    Early,
    /// A 2xx to the INVITE was sent or received.
    Confirmed,
    /// Ended (BYE, non-2xx final for an early dialog, 481/408 in dialog,
    /// or a fork that lost). Kept so the owner can see why it is gone.
    Terminated,
}

/// Why a dialog could not be created or a request built.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DialogError {
    /// A header the operation needs is missing or malformed.
    #[error("missing or malformed {0}")]
    MissingHeader(&'static str),
    /// The response carries no To tag, so it creates no dialog (12.1).
    #[error("response has no To tag")]
    NoToTag,
    /// Only 101-199 and 2xx responses to INVITE create dialogs.
    #[error("status {0} does not create a dialog")]
    NotDialogCreating(u16),
    /// The message belongs to another dialog or method.
    #[error("message does not match this dialog: {0}")]
    Mismatch(&'static str),
}

/// One dialog, from this UA's point of view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dialog {
    id: DialogId,
    role: DialogRole,
    state: DialogState,
    local_seq: Option<u32>,
    remote_seq: Option<u32>,
    local_party: String,
    remote_party: String,
    remote_target: String,
    route_set: RouteSet,
    local: LocalEndpoint,
    invite_seq: Option<u32>,
    last_request_at: Option<Duration>,
}

fn header<'a>(h: &'a crate::message::Headers, name: &'static str) -> Result<&'a str, DialogError> {
    h.get(name)
        .map(str::trim)
        .ok_or(DialogError::MissingHeader(name))
}

/// Early for 101-199, confirmed for 2xx, else an error.
fn state_for(status: u16) -> Result<DialogState, DialogError> {
    match status {
        101..=199 => Ok(DialogState::Early),
        200..=299 => Ok(DialogState::Confirmed),
        s => Err(DialogError::NotDialogCreating(s)),
    }
}

/// Methods that replace the remote target (12.2: re-INVITE and UPDATE;
/// SUBSCRIBE, NOTIFY and REFER in RFC 6665 and 3515 do too).
pub(crate) fn is_target_refresh(method: &Method) -> bool {
    matches!(
        method,
        Method::Invite | Method::Update | Method::Subscribe | Method::Notify | Method::Refer
    )
}

impl Dialog {
    /// The UAS dialog created by `invite` and the 101-199 (with To tag) or
    /// 2xx `response` we send to it (12.1.1): route set from Record-Route
    /// as received, remote target from the INVITE's Contact, remote CSeq
    /// from the INVITE, local CSeq empty until we send a request. The
    /// caller puts a tag from [`new_tag`](super::new_tag) in the response
    /// (`invite.response(180, "Ringing", Some(&tag))`).
    pub fn uas(
        invite: &Request,
        response: &Response,
        local: LocalEndpoint,
    ) -> Result<Dialog, DialogError> {
        let state = state_for(response.status)?;
        let h = &invite.headers;
        let call_id = h.call_id().ok_or(DialogError::MissingHeader("Call-ID"))?;
        let remote_tag = h.from_tag().ok_or(DialogError::MissingHeader("From tag"))?;
        let local_tag = response.headers.to_tag().ok_or(DialogError::NoToTag)?;
        let (seq, _) = h.cseq().ok_or(DialogError::MissingHeader("CSeq"))?;
        let contact = header(h, "Contact")?;
        Ok(Dialog {
            id: DialogId::new(call_id, local_tag, remote_tag),
            role: DialogRole::Uas,
            state,
            local_seq: None,
            remote_seq: Some(seq),
            local_party: header(&response.headers, "To")?.to_string(),
            remote_party: header(h, "From")?.to_string(),
            remote_target: uri_of(contact).to_string(),
            route_set: RouteSet::for_uas(h),
            local,
            invite_seq: None,
            last_request_at: None,
        })
    }

    /// The UAC dialog created by our `invite` and a received 101-199 with
    /// a To tag or 2xx `response` (12.1.2): route set from the response's
    /// Record-Route reversed, remote target from its Contact (the INVITE's
    /// Request-URI if a 1xx has none), local CSeq from the INVITE.
    pub fn uac(
        invite: &Request,
        response: &Response,
        local: LocalEndpoint,
    ) -> Result<Dialog, DialogError> {
        let state = state_for(response.status)?;
        let h = &invite.headers;
        let call_id = h.call_id().ok_or(DialogError::MissingHeader("Call-ID"))?;
        if response.headers.call_id() != Some(call_id) {
            return Err(DialogError::Mismatch("Call-ID"));
        }
        let local_tag = h.from_tag().ok_or(DialogError::MissingHeader("From tag"))?;
        let remote_tag = response.headers.to_tag().ok_or(DialogError::NoToTag)?;
        let (seq, _) = h.cseq().ok_or(DialogError::MissingHeader("CSeq"))?;
        let remote_target = response
            .headers
            .get("Contact")
            .map_or(invite.uri.as_str(), uri_of);
        Ok(Dialog {
            id: DialogId::new(call_id, local_tag, remote_tag),
            role: DialogRole::Uac,
            state,
            local_seq: Some(seq),
            remote_seq: None,
            local_party: header(h, "From")?.to_string(),
            remote_party: header(&response.headers, "To")?.to_string(),
            remote_target: remote_target.to_string(),
            route_set: RouteSet::for_uac(&response.headers),
            local,
            invite_seq: Some(seq),
            last_request_at: None,
        })
    }

    /// The dialog id.
    pub fn id(&self) -> &DialogId {
        &self.id
    }

    /// UAC or UAS.
    pub fn role(&self) -> DialogRole {
        self.role
    }

    /// Early, confirmed or terminated.
    pub fn state(&self) -> DialogState {
        self.state
    }

    /// Local CSeq: the number of the last request we sent (`None` for a
    /// UAS that has sent none).
    pub fn local_seq(&self) -> Option<u32> {
        self.local_seq
    }

    /// Remote CSeq: the highest number received from the peer.
    pub fn remote_seq(&self) -> Option<u32> {
        self.remote_seq
    }

    /// Where requests go (the peer's Contact URI).
    pub fn remote_target(&self) -> &str {
        &self.remote_target
    }

    /// The route set, next hop first.
    pub fn route_set(&self) -> &RouteSet {
        &self.route_set
    }

    /// Our side of the dialog: Contact, Via transport and sent-by.
    pub fn local_endpoint(&self) -> &LocalEndpoint {
        &self.local
    }

    /// Our From value (with our tag) for requests we send.
    pub fn local_party(&self) -> &str {
        &self.local_party
    }

    /// Our To value (with the peer's tag) for requests we send.
    pub fn remote_party(&self) -> &str {
        &self.remote_party
    }

    /// When we last built a request in this dialog (for idle/refresh
    /// bookkeeping by the owner).
    pub fn last_request_at(&self) -> Option<Duration> {
        self.last_request_at
    }

    /// End the dialog (BYE sent or a fork lost).
    pub fn terminate(&mut self) {
        self.state = DialogState::Terminated;
    }

    /// A response we (UAS) sent in this dialog: a 2xx to INVITE confirms
    /// an early dialog; a non-2xx final to the INVITE ends an early one
    /// (12.3); a 2xx to a target refresh changes nothing on our side.
    pub fn on_response_sent(&mut self, response: &Response) {
        let is_invite = matches!(response.headers.cseq(), Some((_, Method::Invite)));
        if !is_invite || self.state != DialogState::Early {
            return;
        }
        match response.status {
            200..=299 => self.state = DialogState::Confirmed,
            300..=699 => self.state = DialogState::Terminated,
            _ => {}
        }
    }

    /// A response to a request of ours in this dialog (or to the INVITE
    /// that created it). A 2xx to INVITE confirms an early dialog and
    /// recomputes its route set from the 2xx (13.2.2.4); a 2xx to a target
    /// refresh replaces the remote target with its Contact (12.2.1.2); a
    /// 481 or 408 ends the dialog (12.2.1.2); a non-2xx final to INVITE
    /// ends an early dialog (12.3).
    pub fn on_response_received(&mut self, response: &Response) {
        let Some((_, method)) = response.headers.cseq() else {
            return;
        };
        match response.status {
            200..=299 => {
                if method == Method::Invite && self.state == DialogState::Early {
                    self.state = DialogState::Confirmed;
                    if self.role == DialogRole::Uac {
                        self.route_set = RouteSet::for_uac(&response.headers);
                    }
                }
                if is_target_refresh(&method)
                    && let Some(contact) = response.headers.get("Contact")
                {
                    self.remote_target = uri_of(contact).to_string();
                }
            }
            408 | 481 if method != Method::Invite || self.state == DialogState::Confirmed => {
                self.state = DialogState::Terminated;
            }
            300..=699 if method == Method::Invite && self.state == DialogState::Early => {
                self.state = DialogState::Terminated;
            }
            _ => {}
        }
    }

    /// Check and absorb a request received in this dialog (12.2.2): a CSeq
    /// lower than the remote CSeq is out of order and gets the returned
    /// 500; otherwise the remote CSeq advances, a target refresh with a
    /// Contact replaces the remote target, and a BYE ends the dialog. ACK
    /// carries its INVITE's CSeq and is accepted as is.
    pub fn receive_request(&mut self, request: &Request) -> Result<(), Response> {
        let Some((seq, _)) = request.headers.cseq() else {
            return Err(request.response(400, "Bad Request", None));
        };
        if request.method == Method::Ack {
            return Ok(());
        }
        if self.remote_seq.is_some_and(|r| seq < r) {
            return Err(request.response(500, reason_phrase(500), None));
        }
        self.remote_seq = Some(seq);
        if is_target_refresh(&request.method)
            && let Some(contact) = request.headers.get("Contact")
        {
            self.remote_target = uri_of(contact).to_string();
        }
        if request.method == Method::Bye {
            self.state = DialogState::Terminated;
        }
        Ok(())
    }

    /// Headers common to every request we send in the dialog (12.2.1.1).
    fn build(&self, method: Method, seq: u32) -> Request {
        let (uri, routes) = self.route_set.destination(&self.remote_target);
        let mut r = Request::new(method.clone(), uri);
        let via = format!(
            "SIP/2.0/{} {};branch={};rport",
            self.local.transport,
            self.local.sent_by,
            new_branch()
        );
        r.headers.push("Via", &via);
        r.headers.push("Max-Forwards", "70");
        for route in &routes {
            r.headers.push("Route", route);
        }
        r.headers.push("From", &self.local_party);
        r.headers.push("To", &self.remote_party);
        r.headers.push("Call-ID", &self.id.call_id);
        r.headers.push("CSeq", &format!("{seq} {method}"));
        r
    }

    /// A new in-dialog request (12.2.1.1): Request-URI and Route from the
    /// route set and remote target, From/To with both tags, the Call-ID,
    /// the local CSeq plus one (a random start below 2^31 for a UAS that
    /// has sent nothing, 8.1.1.5), Max-Forwards 70, a Via with a fresh
    /// branch, and our Contact for target-refresh methods. ACK must come
    /// from [`ack_for_2xx`](Self::ack_for_2xx) and CANCEL from
    /// [`cancel_for`]: neither takes a new CSeq.
    pub fn request(&mut self, method: Method, now: Duration) -> Request {
        let seq = match self.local_seq {
            Some(n) => n.wrapping_add(1),
            None => rand::random_range(1..1u32 << 31),
        };
        self.local_seq = Some(seq);
        if method == Method::Invite {
            self.invite_seq = Some(seq);
        }
        self.last_request_at = Some(now);
        let refresh = is_target_refresh(&method);
        let mut r = self.build(method, seq);
        if refresh {
            r.headers
                .push("Contact", &format!("<{}>", self.local.contact));
        }
        r
    }

    /// A BYE ending the dialog. The dialog is left as is: it terminates
    /// when the BYE's response arrives or its transaction times out.
    pub fn bye(&mut self, now: Duration) -> Request {
        self.request(Method::Bye, now)
    }

    /// A re-INVITE carrying `body` (an SDP offer for hold or resume, built
    /// by the media layer and not inspected here) of `content_type`.
    pub fn reinvite(&mut self, body: Bytes, content_type: &str, now: Duration) -> Request {
        let mut r = self.request(Method::Invite, now);
        if !body.is_empty() {
            r.headers.push("Content-Type", content_type);
        }
        r.body = body;
        r
    }

    /// The ACK for a 2xx to one of our INVITEs (13.2.2.4): a request of its
    /// own, outside any transaction, with the INVITE's CSeq number and
    /// method ACK, routed like any in-dialog request, with a fresh branch.
    pub fn ack_for_2xx(&self, response: &Response) -> Result<Request, DialogError> {
        if !(200..300).contains(&response.status) {
            return Err(DialogError::Mismatch("not a 2xx"));
        }
        let Some((seq, Method::Invite)) = response.headers.cseq() else {
            return Err(DialogError::Mismatch("not a response to INVITE"));
        };
        if response.headers.call_id() != Some(self.id.call_id.as_str())
            || response.headers.to_tag() != Some(self.id.remote_tag.as_str())
        {
            return Err(DialogError::Mismatch("another dialog"));
        }
        Ok(self.build(Method::Ack, seq))
    }

    /// CSeq number of our last INVITE in this dialog, if any.
    pub fn invite_seq(&self) -> Option<u32> {
        self.invite_seq
    }
}

/// The CANCEL for an INVITE we sent that has no final response yet
/// (9.1): same Request-URI, Call-ID, From, To, CSeq number and Route, and
/// only the INVITE's top Via (same branch), so that it matches the
/// INVITE's server transaction hop by hop. For a B2BUA that stops ringing
/// the losing forks, or the whole call.
pub fn cancel_for(invite: &Request) -> Result<Request, DialogError> {
    let h = &invite.headers;
    let (seq, _) = h.cseq().ok_or(DialogError::MissingHeader("CSeq"))?;
    let mut r = Request::new(Method::Cancel, invite.uri.clone());
    r.headers
        .push("Via", header(h, "Via")?.split(',').next().unwrap_or(""));
    r.headers.push("Max-Forwards", "70");
    for route in h.get_all("Route") {
        r.headers.push("Route", route);
    }
    r.headers.push("From", header(h, "From")?);
    r.headers.push("To", header(h, "To")?);
    r.headers.push("Call-ID", header(h, "Call-ID")?);
    r.headers.push("CSeq", &format!("{seq} CANCEL"));
    Ok(r)
}
