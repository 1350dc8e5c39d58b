//! Answering OPTIONS (RFC 3261 section 11).
//!
//! Phones and trunks send OPTIONS as a keep-alive and to learn what the
//! PBX supports; the answer must not depend on call state, so it is a
//! pure function of the request.

use crate::message::{Request, Response, reason_phrase};

/// Methods the PBX accepts, for `Allow`. Keep in step with what the
/// dialog and call layers handle.
pub const ALLOWED_METHODS: &[&str] = &[
    "INVITE", "ACK", "CANCEL", "BYE", "OPTIONS", "REGISTER", "INFO", "UPDATE", "PRACK", "REFER",
    "NOTIFY",
];

/// Option tags for `Supported`. Keep in step with the extensions the
/// dialog and call layers implement.
pub const SUPPORTED_EXTENSIONS: &[&str] = &["replaces", "timer"];

/// The 200 to an OPTIONS: Allow, Accept (SDP only: the PBX negotiates
/// nothing else), Accept-Encoding, Accept-Language and Supported, as
/// RFC 3261 11.2 recommends. Outside a dialog the To gets a tag
/// (RFC 3261 8.2.6.2).
pub fn answer_options(req: &Request) -> Response {
    let tag = hex::encode(rand::random::<[u8; 8]>());
    let mut resp = req.response(200, reason_phrase(200), Some(&tag));
    resp.headers.push("Allow", &ALLOWED_METHODS.join(", "));
    resp.headers.push("Accept", "application/sdp");
    resp.headers.push("Accept-Encoding", "identity");
    resp.headers.push("Accept-Language", "en");
    resp.headers
        .push("Supported", &SUPPORTED_EXTENSIONS.join(", "));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::Method;

    #[test]
    fn answers_with_capabilities() {
        let mut req = Request::new(Method::Options, "sip:pbx.example.com");
        req.headers
            .push("Via", "SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bKopt");
        req.headers.push("From", "<sip:mon@example.net>;tag=x1");
        req.headers.push("To", "<sip:pbx.example.com>");
        req.headers.push("Call-ID", "opt-1");
        req.headers.push("CSeq", "7 OPTIONS");
        let resp = answer_options(&req);
        assert_eq!(resp.status, 200);
        assert_eq!(resp.reason, "OK");
        let allow = resp.headers.get("Allow").unwrap();
        for m in ["INVITE", "REGISTER", "OPTIONS", "BYE", "CANCEL", "ACK"] {
            assert!(allow.contains(m), "{allow}");
        }
        assert_eq!(resp.headers.get("Accept"), Some("application/sdp"));
        assert!(resp.headers.get("Supported").is_some());
        assert_eq!(resp.headers.get("CSeq"), Some("7 OPTIONS"));
        assert!(resp.headers.to_tag().is_some());
        // In a dialog, the existing To tag is kept.
        req.headers.set("To", "<sip:pbx.example.com>;tag=keep");
        assert_eq!(answer_options(&req).headers.to_tag(), Some("keep"));
    }
}
