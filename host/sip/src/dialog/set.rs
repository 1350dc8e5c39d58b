//! The dialogs of a UA core: matching incoming messages to them and
//! handling forked INVITEs (RFC 3261 12.2.2, 13.2.2.4).

use super::{Dialog, DialogError, DialogId, DialogRole, DialogState, LocalEndpoint};
use crate::message::{Method, Request, Response, reason_phrase};
use std::collections::HashMap;

/// What to do with an incoming request, as far as dialogs go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncomingRequest {
    /// No To tag: not in a dialog (a new INVITE, OPTIONS, ...). The
    /// owner handles it outside the dialog layer.
    OutOfDialog,
    /// Matched this dialog and passed its checks (CSeq order); the
    /// dialog's state already reflects it (remote target, BYE).
    InDialog(DialogId),
    /// Answer with this response and stop: 481 for a To tag matching no
    /// dialog (12.2.2), 500 for an out-of-order CSeq.
    Reject(Response),
    /// An ACK with a To tag matching no dialog: ACKs are never answered,
    /// so it is dropped.
    Discard,
}

/// What a response to one of our INVITEs did to the dialogs (13.2.2.4).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UacOutcome {
    /// No dialog involved (100, a 1xx without To tag).
    None,
    /// An early dialog was created or updated by a 1xx with a To tag.
    Early(DialogId),
    /// The first 2xx: this dialog is confirmed and must be ACKed
    /// ([`Dialog::ack_for_2xx`]). `losers` are the other early dialogs of
    /// the same INVITE, now terminated and removed; the B2BUA may BYE
    /// them, and CANCELs the INVITE ([`cancel_for`](super::cancel_for))
    /// only if it still wants other branches to stop.
    Confirmed {
        /// The winning dialog.
        id: DialogId,
        /// Early dialogs that lost, already terminated.
        losers: Vec<Dialog>,
    },
    /// A retransmission of the 2xx that confirmed this dialog: ACK again.
    Retransmitted2xx(DialogId),
    /// A 2xx from another fork after one was already confirmed: the
    /// dialog it creates is not kept; the UAC must ACK it and then send it
    /// a BYE (13.2.2.4), both built from this dialog.
    ExtraFork(Box<Dialog>),
    /// A final non-2xx: the INVITE failed and its early dialogs, removed
    /// here, are over (12.3).
    Failed {
        /// Early dialogs that ended.
        ended: Vec<Dialog>,
    },
}

/// The dialogs of a UA, keyed by [`DialogId`].
#[derive(Debug, Clone, Default)]
pub struct Dialogs {
    map: HashMap<DialogId, Dialog>,
}

impl Dialogs {
    /// No dialogs.
    pub fn new() -> Self {
        Dialogs::default()
    }

    /// Add a dialog (replacing one with the same id, returned).
    pub fn insert(&mut self, dialog: Dialog) -> Option<Dialog> {
        self.map.insert(dialog.id().clone(), dialog)
    }

    /// A dialog by id.
    pub fn get(&self, id: &DialogId) -> Option<&Dialog> {
        self.map.get(id)
    }

    /// A dialog by id, to build requests with.
    pub fn get_mut(&mut self, id: &DialogId) -> Option<&mut Dialog> {
        self.map.get_mut(id)
    }

    /// Forget a dialog.
    pub fn remove(&mut self, id: &DialogId) -> Option<Dialog> {
        self.map.remove(id)
    }

    /// Number of dialogs.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// No dialogs.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Every dialog.
    pub fn iter(&self) -> impl Iterator<Item = &Dialog> {
        self.map.values()
    }

    /// The id an incoming request would belong to: its To tag is ours,
    /// its From tag the peer's. `None` without a To tag.
    pub fn id_for_request(request: &Request) -> Option<DialogId> {
        let h = &request.headers;
        Some(DialogId::new(
            h.call_id()?,
            h.to_tag()?,
            h.from_tag().unwrap_or(""),
        ))
    }

    /// The id a response to our request belongs to: its From tag is ours,
    /// its To tag the peer's.
    pub fn id_for_response(response: &Response) -> Option<DialogId> {
        let h = &response.headers;
        Some(DialogId::new(h.call_id()?, h.from_tag()?, h.to_tag()?))
    }

    /// Dispatch an incoming request (12.2.2): out of dialog without a To
    /// tag, 481 when the To tag matches no dialog (nothing for an ACK),
    /// else the dialog's own checks ([`Dialog::receive_request`]).
    pub fn receive_request(&mut self, request: &Request) -> IncomingRequest {
        let Some(id) = Self::id_for_request(request) else {
            return IncomingRequest::OutOfDialog;
        };
        let Some(dialog) = self
            .map
            .get_mut(&id)
            .filter(|d| d.state() != DialogState::Terminated)
        else {
            if request.method == Method::Ack {
                return IncomingRequest::Discard;
            }
            return IncomingRequest::Reject(no_dialog(request));
        };
        match dialog.receive_request(request) {
            Ok(()) => IncomingRequest::InDialog(id),
            Err(response) => IncomingRequest::Reject(response),
        }
    }

    /// A response to an in-dialog request of ours (not the dialog-creating
    /// INVITE: use [`uac_response`](Self::uac_response) for that); the
    /// dialog's state is updated and its id returned, `None` when no
    /// dialog matches.
    pub fn receive_response(&mut self, response: &Response) -> Option<DialogId> {
        let id = Self::id_for_response(response)?;
        self.map.get_mut(&id)?.on_response_received(response);
        Some(id)
    }

    /// A response to the dialog-creating `invite` we sent: creates early
    /// dialogs (one per remote tag when the INVITE forks), confirms the
    /// first 2xx and terminates the other early dialogs, and reports a
    /// 2xx from a second fork so it can be ACKed and BYEd (13.2.2.4).
    pub fn uac_response(
        &mut self,
        invite: &Request,
        response: &Response,
        local: &LocalEndpoint,
    ) -> Result<UacOutcome, DialogError> {
        let call_id = invite
            .headers
            .call_id()
            .ok_or(DialogError::MissingHeader("Call-ID"))?;
        let local_tag = invite
            .headers
            .from_tag()
            .ok_or(DialogError::MissingHeader("From tag"))?;
        let same_invite = |d: &Dialog| {
            d.role() == DialogRole::Uac
                && d.id().call_id == call_id
                && d.id().local_tag == local_tag
                && d.invite_seq() == invite.headers.cseq().map(|c| c.0)
        };
        if response.status >= 300 {
            let ids: Vec<DialogId> = self
                .map
                .values()
                .filter(|d| same_invite(d) && d.state() == DialogState::Early)
                .map(|d| d.id().clone())
                .collect();
            let ended = self.take_terminated(&ids);
            return Ok(UacOutcome::Failed { ended });
        }
        if response.status == 100 || response.headers.to_tag().is_none() {
            return Ok(UacOutcome::None);
        }
        let id = Self::id_for_response(response).ok_or(DialogError::NoToTag)?;
        if response.status < 200 {
            match self.map.get_mut(&id) {
                Some(d) => d.on_response_received(response),
                None => {
                    self.insert(Dialog::uac(invite, response, local.clone())?);
                }
            }
            return Ok(UacOutcome::Early(id));
        }
        if let Some(d) = self.map.get(&id)
            && d.state() == DialogState::Confirmed
        {
            return Ok(UacOutcome::Retransmitted2xx(id));
        }
        let already_confirmed = self
            .map
            .values()
            .any(|d| same_invite(d) && d.state() == DialogState::Confirmed);
        if already_confirmed {
            let dialog = Dialog::uac(invite, response, local.clone())?;
            self.map.remove(&id);
            return Ok(UacOutcome::ExtraFork(Box::new(dialog)));
        }
        match self.map.get_mut(&id) {
            Some(d) => d.on_response_received(response),
            None => {
                self.insert(Dialog::uac(invite, response, local.clone())?);
            }
        }
        let loser_ids: Vec<DialogId> = self
            .map
            .values()
            .filter(|d| same_invite(d) && d.state() == DialogState::Early && *d.id() != id)
            .map(|d| d.id().clone())
            .collect();
        let losers = self.take_terminated(&loser_ids);
        Ok(UacOutcome::Confirmed { id, losers })
    }

    fn take_terminated(&mut self, ids: &[DialogId]) -> Vec<Dialog> {
        ids.iter()
            .filter_map(|id| self.map.remove(id))
            .map(|mut d| {
                d.terminate();
                d
            })
            .collect()
    }
}

/// The 481 for a request whose To tag names no dialog we know (12.2.2).
pub fn no_dialog(request: &Request) -> Response {
    request.response(481, reason_phrase(481), None)
}
