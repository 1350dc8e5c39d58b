//! The HTTP upgrade of a SIP WebSocket connection (RFC 7118 section 4,
//! RFC 6455 section 4.2): the client must offer the `sip` subprotocol
//! and, when origins are restricted, come from an allowed `Origin`.
//! Refusals are plain HTTP errors whose body says what to change.

use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};
use tokio_tungstenite::tungstenite::http::{HeaderValue, StatusCode, header};

/// The WebSocket subprotocol SIP runs over (RFC 7118 section 4).
pub(super) const SUBPROTOCOL: &str = "sip";

/// Why an upgrade request is refused: the HTTP status and a message for
/// whoever configures the client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Refusal {
    pub(super) status: StatusCode,
    pub(super) reason: String,
}

/// Whether `request` may be upgraded: it must list `sip` in
/// `Sec-WebSocket-Protocol` (a comma-separated list, possibly over several
/// header lines), and when `allowed_origins` is not empty its `Origin`
/// must be one of them (compared without regard to ASCII case, as
/// scheme and host are case-insensitive).
pub(super) fn check(request: &Request, allowed_origins: &[String]) -> Result<(), Refusal> {
    let offers_sip = request
        .headers()
        .get_all(header::SEC_WEBSOCKET_PROTOCOL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case(SUBPROTOCOL));
    if !offers_sip {
        return Err(Refusal {
            status: StatusCode::BAD_REQUEST,
            reason: "SIP over WebSocket needs the subprotocol \"sip\": \
                     send Sec-WebSocket-Protocol: sip (RFC 7118 section 4)"
                .to_string(),
        });
    }
    if allowed_origins.is_empty() {
        return Ok(());
    }
    let origin = request
        .headers()
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .map(str::trim);
    match origin {
        Some(o)
            if allowed_origins
                .iter()
                .any(|a| a.trim().eq_ignore_ascii_case(o)) =>
        {
            Ok(())
        }
        Some(o) => Err(Refusal {
            status: StatusCode::FORBIDDEN,
            reason: format!(
                "origin {o:?} is not allowed to use this SIP WebSocket server; \
                 add it to the server's allowed WebSocket origins"
            ),
        }),
        None => Err(Refusal {
            status: StatusCode::FORBIDDEN,
            reason: "this SIP WebSocket server only accepts requests with an allowed \
                     Origin header"
                .to_string(),
        }),
    }
}

/// The upgrade callback: answers an upgrade request with the accepting
/// response plus `Sec-WebSocket-Protocol: sip`, or with the refusal as an
/// HTTP error with a plain-text body.
pub(super) struct SipUpgrade {
    /// As [`WsConfig::allowed_origins`](super::WsConfig::allowed_origins).
    pub(super) allowed_origins: Vec<String>,
}

impl Callback for SipUpgrade {
    fn on_request(
        self,
        request: &Request,
        mut response: Response,
    ) -> Result<Response, ErrorResponse> {
        match check(request, &self.allowed_origins) {
            Ok(()) => {
                response.headers_mut().insert(
                    header::SEC_WEBSOCKET_PROTOCOL,
                    HeaderValue::from_static(SUBPROTOCOL),
                );
                Ok(response)
            }
            Err(refusal) => Err(error_response(refusal)),
        }
    }
}

/// An HTTP error response carrying `refusal.reason` as its body.
fn error_response(refusal: Refusal) -> ErrorResponse {
    let body = format!("{}\r\n", refusal.reason);
    let mut response = ErrorResponse::new(Some(body.clone()));
    *response.status_mut() = refusal.status;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    headers.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> Request {
        let mut builder = Request::builder().uri("/").method("GET");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn sip_subprotocol_required() {
        assert!(check(&request(&[("Sec-WebSocket-Protocol", "sip")]), &[]).is_ok());
        assert!(check(&request(&[("Sec-WebSocket-Protocol", "chat, SIP")]), &[]).is_ok());
        assert!(
            check(
                &request(&[
                    ("Sec-WebSocket-Protocol", "chat"),
                    ("Sec-WebSocket-Protocol", "sip")
                ]),
                &[]
            )
            .is_ok()
        );
        let refused = check(&request(&[("Sec-WebSocket-Protocol", "chat")]), &[]).unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        assert!(refused.reason.contains("Sec-WebSocket-Protocol: sip"));
        let refused = check(&request(&[]), &[]).unwrap_err();
        assert_eq!(refused.status, StatusCode::BAD_REQUEST);
        // "sips" or "sip2" are other protocols.
        assert!(check(&request(&[("Sec-WebSocket-Protocol", "sips, sip2")]), &[]).is_err());
    }

    #[test]
    fn origins_checked_when_configured() {
        let allowed = vec!["https://phone.example.com".to_string()];
        let ok = request(&[
            ("Sec-WebSocket-Protocol", "sip"),
            ("Origin", "https://PHONE.example.com"),
        ]);
        assert!(check(&ok, &allowed).is_ok());
        let other = request(&[
            ("Sec-WebSocket-Protocol", "sip"),
            ("Origin", "https://evil.example"),
        ]);
        let refused = check(&other, &allowed).unwrap_err();
        assert_eq!(refused.status, StatusCode::FORBIDDEN);
        assert!(refused.reason.contains("evil.example"));
        let none = request(&[("Sec-WebSocket-Protocol", "sip")]);
        assert_eq!(
            check(&none, &allowed).unwrap_err().status,
            StatusCode::FORBIDDEN
        );
        // No list: any origin.
        assert!(check(&other, &[]).is_ok());
    }

    #[test]
    fn answers_carry_the_subprotocol_or_the_reason() {
        let req = request(&[("Sec-WebSocket-Protocol", "sip")]);
        let any = || SipUpgrade {
            allowed_origins: Vec::new(),
        };
        let ok = any().on_request(&req, Response::new(())).unwrap();
        assert_eq!(ok.headers()[header::SEC_WEBSOCKET_PROTOCOL], "sip");
        let err = any()
            .on_request(&request(&[]), Response::new(()))
            .unwrap_err();
        assert_eq!(err.status(), StatusCode::BAD_REQUEST);
        let body = err.body().as_deref().unwrap();
        assert!(body.contains("RFC 7118"));
        assert_eq!(
            err.headers()[header::CONTENT_LENGTH],
            body.len().to_string().as_str()
        );
    }
}
