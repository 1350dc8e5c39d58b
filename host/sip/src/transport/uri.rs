//! The default transport for a request URI.

use super::TransportKind;

/// The transport a request to `uri` goes over by default: TLS for a
/// `sips:` URI or `transport=tls`, TCP for `transport=tcp`, WS and WSS for
/// `transport=ws` and `transport=wss` (RFC 7118 section 7; WSS for `ws`
/// in a `sips:` URI), else UDP (RFC 3261 sections 19.1.2 and 26.2; DNS
/// procedures of RFC 3263 are not applied).
pub fn transport_for_uri(uri: &str) -> TransportKind {
    let uri = uri.trim().trim_start_matches('<');
    let secure = uri
        .get(..5)
        .is_some_and(|s| s.eq_ignore_ascii_case("sips:"));
    let params = uri.split(['?', '>']).next().unwrap_or(uri);
    let mut transport = None;
    for param in params.split(';').skip(1) {
        let (name, value) = param.split_once('=').unwrap_or((param, ""));
        if name.trim().eq_ignore_ascii_case("transport") {
            transport = Some(value.trim().to_ascii_lowercase());
        }
    }
    match (transport.as_deref(), secure) {
        (Some("wss"), _) | (Some("ws"), true) => TransportKind::Wss,
        (Some("ws"), false) => TransportKind::Ws,
        (Some("tls"), _) | (_, true) => TransportKind::Tls,
        (Some("tcp"), false) => TransportKind::Tcp,
        _ => TransportKind::Udp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_transports() {
        assert_eq!(
            transport_for_uri("sips:bob@example.com"),
            TransportKind::Tls
        );
        assert_eq!(
            transport_for_uri("SIPS:bob@example.com"),
            TransportKind::Tls
        );
        assert_eq!(
            transport_for_uri("<sip:bob@192.0.2.1:5061;transport=TLS>"),
            TransportKind::Tls
        );
        assert_eq!(
            transport_for_uri("sip:bob@192.0.2.1;lr;transport=tcp"),
            TransportKind::Tcp
        );
        assert_eq!(transport_for_uri("sip:bob@192.0.2.1"), TransportKind::Udp);
        assert_eq!(
            transport_for_uri("sip:bob@h?x=transport=tls"),
            TransportKind::Udp
        );
        assert_eq!(
            transport_for_uri("<sip:a@df7jal23ls0d.invalid;transport=ws>"),
            TransportKind::Ws
        );
        assert_eq!(
            transport_for_uri("sip:a@h;transport=WSS"),
            TransportKind::Wss
        );
        assert_eq!(
            transport_for_uri("sips:a@h;transport=ws"),
            TransportKind::Wss
        );
        assert_eq!(
            transport_for_uri("sips:a@h;transport=tcp"),
            TransportKind::Tls
        );
    }
}
