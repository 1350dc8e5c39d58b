//! Transaction identifiers and matching (RFC 3261 sections 17.1.3, 17.2.3
//! and 9.2).
//!
//! A [`TransactionKey`] is what the layer's map is keyed by, so matching an
//! incoming message is computing its key and looking it up:
//!
//! * client side (17.1.3): branch of the top Via plus the CSeq method. The
//!   method is needed because a CANCEL carries the branch of the INVITE it
//!   cancels, so their responses differ only by CSeq method;
//! * server side, RFC 3261 peers (17.2.3, branch with the `z9hG4bK` magic
//!   cookie): branch plus sent-by of the top Via plus method, an ACK
//!   counting as INVITE so that the ACK for a non-2xx response finds its
//!   INVITE server transaction;
//! * server side, RFC 2543 peers (no magic cookie): Request-URI, From tag,
//!   Call-ID, CSeq number and the whole top Via, plus method (ACK as
//!   INVITE). The To tag is also part of the RFC 2543 rule but differs
//!   between an INVITE and its ACK, so it is left out of the key and
//!   checked by the layer after lookup ([`legacy_to_tag_matches`]).
//!
//! Branches, sent-by and Via values are compared case-insensitively (RFC
//! 3261 section 7.3.1: parameter values are case-insensitive unless stated
//! otherwise). The Request-URI is compared as text: the RFC 2543 fallback is
//! for old peers that retransmit byte-identical requests.

use crate::message::headers::MAGIC_COOKIE;
use crate::message::{Method, Request, Response, Via};

/// Which side of the exchange a transaction is on. Part of the key so that
/// a request we send and one we receive can never collide (a looped-back
/// request carries the same branch).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    /// We sent the request.
    Client,
    /// We received the request.
    Server,
}

/// The part of a key that identifies the exchange, by RFC generation.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BranchId {
    /// A branch with the magic cookie: globally unique by construction.
    Rfc3261 {
        /// Branch parameter of the top Via, lowercased.
        branch: String,
        /// sent-by of the top Via, lowercased; `None` for client keys
        /// (responses come back to us, only the branch tells them apart).
        sent_by: Option<String>,
    },
    /// No magic cookie: the RFC 2543 fields (To tag checked separately).
    Rfc2543 {
        /// Request-URI as received.
        request_uri: String,
        /// From tag (empty when absent, as RFC 2543 allowed).
        from_tag: String,
        /// Call-ID.
        call_id: String,
        /// CSeq number (the method is the key's method).
        cseq: u32,
        /// The whole top Via value, normalised and lowercased.
        top_via: String,
    },
}

/// Identifies one transaction; see the module documentation for the rules.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct TransactionKey {
    role: Role,
    method: Method,
    id: BranchId,
}

impl TransactionKey {
    /// Client side or server side.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The method of the request that created the transaction (INVITE for
    /// the key computed from an ACK).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The branch-derived part.
    pub fn id(&self) -> &BranchId {
        &self.id
    }

    /// Whether this is an INVITE transaction (which state machine to use).
    pub fn is_invite(&self) -> bool {
        self.method == Method::Invite
    }

    /// The key of a request we are about to send. `None` unless the top Via
    /// has a magic-cookie branch and CSeq is present: we only ever create
    /// RFC 3261 client transactions (section 8.1.1.7 makes the cookie a
    /// MUST), and ACK is never a client transaction of its own.
    pub fn for_client_request(request: &Request) -> Option<TransactionKey> {
        if request.method == Method::Ack {
            return None;
        }
        let via = request.headers.top_via()?;
        if !via.is_rfc3261() {
            return None;
        }
        request.headers.cseq()?;
        Some(TransactionKey {
            role: Role::Client,
            method: request.method.clone(),
            id: BranchId::Rfc3261 {
                branch: via.branch?.to_ascii_lowercase(),
                sent_by: None,
            },
        })
    }

    /// The key of the client transaction a received response belongs to
    /// (RFC 3261 section 17.1.3): top Via branch and CSeq method. `None`
    /// when either is missing (such a response can match nothing).
    pub fn for_response(response: &Response) -> Option<TransactionKey> {
        let via = response.headers.top_via()?;
        let (_, method) = response.headers.cseq()?;
        Some(TransactionKey {
            role: Role::Client,
            method,
            id: BranchId::Rfc3261 {
                branch: via.branch?.to_ascii_lowercase(),
                sent_by: None,
            },
        })
    }

    /// The key of the server transaction a received request belongs to
    /// (RFC 3261 section 17.2.3), an ACK mapping to its INVITE. `None` when
    /// Via, CSeq or (for the RFC 2543 rule) Call-ID is missing.
    pub fn for_server_request(request: &Request) -> Option<TransactionKey> {
        let via = request.headers.top_via()?;
        let (cseq, _) = request.headers.cseq()?;
        let method = match request.method {
            Method::Ack => Method::Invite,
            ref m => m.clone(),
        };
        let id = if via.is_rfc3261() {
            BranchId::Rfc3261 {
                branch: via.branch.clone()?.to_ascii_lowercase(),
                sent_by: Some(via.sent_by.to_ascii_lowercase()),
            }
        } else {
            BranchId::Rfc2543 {
                request_uri: request.uri.trim().to_string(),
                from_tag: request.headers.from_tag().unwrap_or("").to_string(),
                call_id: request.headers.call_id()?.to_string(),
                cseq,
                top_via: normalised_via(&via),
            }
        };
        Some(TransactionKey {
            role: Role::Server,
            method,
            id,
        })
    }

    /// For the key of a received CANCEL, the key of the INVITE server
    /// transaction it targets (RFC 3261 section 9.2: the CANCEL matches as
    /// if its method were the cancelled one; CANCEL copies the INVITE's
    /// Request-URI, Call-ID, From, To, CSeq number and top Via, so the key
    /// is identical but for the method). Only INVITE is considered: the
    /// stack never sends provisional responses to non-INVITE requests, so
    /// cancelling one has no effect worth reporting.
    pub fn cancel_target(&self) -> Option<TransactionKey> {
        (self.role == Role::Server && self.method == Method::Cancel).then(|| TransactionKey {
            role: Role::Server,
            method: Method::Invite,
            id: self.id.clone(),
        })
    }

    /// Whether the key was built by the RFC 2543 fallback, in which case
    /// the layer must also compare To tags ([`legacy_to_tag_matches`]).
    pub fn is_legacy(&self) -> bool {
        matches!(self.id, BranchId::Rfc2543 { .. })
    }
}

/// The remaining RFC 2543 matching rule, applied after a key lookup
/// succeeded: an INVITE (or CANCEL) retransmission must carry the To tag of
/// the request that created the transaction; an ACK must carry the To tag
/// of the response the server transaction sent (section 17.2.3).
pub fn legacy_to_tag_matches(incoming: &Request, expected: Option<&str>) -> bool {
    let got = incoming.headers.to_tag();
    match (got, expected) {
        (None, None) => true,
        (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
        _ => false,
    }
}

/// A fresh RFC 3261 branch: the magic cookie plus 128 random bits, so it is
/// unique across space and time as section 8.1.1.7 requires.
pub fn new_branch() -> String {
    format!(
        "{MAGIC_COOKIE}{:016x}{:016x}",
        rand::random::<u64>(),
        rand::random::<u64>()
    )
}

/// Whether a Via transport token names a reliable transport. Only UDP is
/// unreliable among the transports the stack speaks (TCP, TLS, SCTP, WS,
/// WSS all run over a reliable stream). Used by the layer to pick the
/// timer column of Table 4 for a transaction.
pub fn transport_is_reliable(transport: &str) -> bool {
    !transport.eq_ignore_ascii_case("UDP")
}

fn normalised_via(via: &Via) -> String {
    via.to_string().to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: Method, via: &str, to: &str) -> Request {
        let mut r = Request::new(method.clone(), "sip:100@pbx.example");
        r.headers.push("Via", via);
        r.headers.push("From", "<sip:alice@a.example>;tag=f1");
        r.headers.push("To", to);
        r.headers.push("Call-ID", "c1@a.example");
        r.headers.push("CSeq", &format!("7 {method}"));
        r
    }

    const VIA: &str = "SIP/2.0/UDP a.example:5060;branch=z9hG4bKabc";

    #[test]
    fn ack_and_cancel_map_to_the_invite_server_key() {
        let invite = request(Method::Invite, VIA, "<sip:100@pbx.example>");
        let ack = request(Method::Ack, VIA, "<sip:100@pbx.example>;tag=t9");
        let cancel = request(Method::Cancel, VIA, "<sip:100@pbx.example>");
        let k_inv = TransactionKey::for_server_request(&invite).unwrap();
        assert_eq!(TransactionKey::for_server_request(&ack).unwrap(), k_inv);
        let k_can = TransactionKey::for_server_request(&cancel).unwrap();
        assert_ne!(k_can, k_inv, "CANCEL is a transaction of its own");
        assert_eq!(k_can.cancel_target().unwrap(), k_inv);
        assert!(k_inv.cancel_target().is_none());
    }

    #[test]
    fn sent_by_is_part_of_the_server_key() {
        let a = request(Method::Invite, VIA, "<sip:x@y>");
        let b = request(
            Method::Invite,
            "SIP/2.0/UDP b.example:5060;branch=z9hG4bKabc",
            "<sip:x@y>",
        );
        assert_ne!(
            TransactionKey::for_server_request(&a),
            TransactionKey::for_server_request(&b)
        );
    }

    #[test]
    fn branch_comparison_is_case_insensitive() {
        let a = request(Method::Options, VIA, "<sip:x@y>");
        let b = request(
            Method::Options,
            "SIP/2.0/UDP A.EXAMPLE:5060;branch=z9hG4bKABC",
            "<sip:x@y>",
        );
        assert_eq!(
            TransactionKey::for_server_request(&a),
            TransactionKey::for_server_request(&b)
        );
    }

    #[test]
    fn client_key_distinguishes_invite_and_cancel_responses() {
        let invite = request(Method::Invite, VIA, "<sip:x@y>");
        let cancel = request(Method::Cancel, VIA, "<sip:x@y>");
        let ki = TransactionKey::for_client_request(&invite).unwrap();
        let kc = TransactionKey::for_client_request(&cancel).unwrap();
        assert_ne!(ki, kc);
        let r_inv = invite.response(180, "Ringing", Some("t"));
        let r_can = cancel.response(200, "OK", None);
        assert_eq!(TransactionKey::for_response(&r_inv).unwrap(), ki);
        assert_eq!(TransactionKey::for_response(&r_can).unwrap(), kc);
    }

    #[test]
    fn client_requests_need_a_magic_cookie_and_ack_is_not_a_transaction() {
        let old = request(
            Method::Invite,
            "SIP/2.0/UDP a.example;branch=1",
            "<sip:x@y>",
        );
        assert!(TransactionKey::for_client_request(&old).is_none());
        let ack = request(Method::Ack, VIA, "<sip:x@y>");
        assert!(TransactionKey::for_client_request(&ack).is_none());
    }

    #[test]
    fn rfc2543_fallback_uses_dialog_fields() {
        let via = "SIP/2.0/UDP old.example:5060";
        let invite = request(Method::Invite, via, "<sip:100@pbx.example>");
        let key = TransactionKey::for_server_request(&invite).unwrap();
        assert!(key.is_legacy());
        let again = request(Method::Invite, via, "<sip:100@pbx.example>");
        assert_eq!(TransactionKey::for_server_request(&again).unwrap(), key);
        let mut other_cseq = again.clone();
        other_cseq.headers.set("CSeq", "8 INVITE");
        assert_ne!(
            TransactionKey::for_server_request(&other_cseq).unwrap(),
            key
        );
        let mut other_call = again.clone();
        other_call.headers.set("Call-ID", "other");
        assert_ne!(
            TransactionKey::for_server_request(&other_call).unwrap(),
            key
        );
    }

    #[test]
    fn legacy_to_tag_rule() {
        let ack = request(Method::Ack, "SIP/2.0/UDP o", "<sip:x@y>;tag=t1");
        assert!(legacy_to_tag_matches(&ack, Some("t1")));
        assert!(!legacy_to_tag_matches(&ack, Some("t2")));
        assert!(!legacy_to_tag_matches(&ack, None));
    }

    #[test]
    fn new_branches_are_rfc3261_and_unique() {
        let a = new_branch();
        assert!(a.starts_with(MAGIC_COOKIE));
        assert_ne!(a, new_branch());
    }

    #[test]
    fn only_udp_is_unreliable() {
        assert!(!transport_is_reliable("UDP"));
        assert!(!transport_is_reliable("udp"));
        assert!(transport_is_reliable("TCP"));
        assert!(transport_is_reliable("WSS"));
    }
}
