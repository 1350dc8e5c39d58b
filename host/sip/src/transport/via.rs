//! Via handling at the transport: stamping `received`/`rport` on
//! incoming requests (RFC 3261 section 18.2.1, RFC 3581 section 4) and
//! choosing where a response goes (RFC 3261 section 18.2.2, RFC 3581
//! section 4).

use crate::message::{Headers, Via};
use std::net::{IpAddr, SocketAddr};

/// The default SIP port when a Via sent-by has none.
pub const DEFAULT_SIP_PORT: u16 = 5060;

/// The default port for SIP over TLS (RFC 3261 section 19.1.2) when a
/// `TLS` Via sent-by has none.
pub const DEFAULT_SIPS_PORT: u16 = 5061;

/// Split a sent-by (`host[:port]`, IPv6 hosts in brackets) into host
/// (brackets removed) and port.
pub fn split_host_port(sent_by: &str) -> (&str, Option<u16>) {
    let s = sent_by.trim();
    if let Some(rest) = s.strip_prefix('[') {
        return match rest.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':').and_then(|p| p.parse().ok())),
            None => (rest, None),
        };
    }
    match s.rsplit_once(':') {
        // More than one colon and no brackets: a bare IPv6 address.
        Some((host, _)) if host.contains(':') => (s, None),
        Some((host, port)) => (host, port.parse().ok()),
        None => (s, None),
    }
}

/// Parse an IP address as it may appear in a Via (`received`, `maddr`,
/// sent-by host): IPv6 with or without brackets.
pub fn parse_ip(text: &str) -> Option<IpAddr> {
    let t = text.trim();
    let t = t
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or(t);
    t.parse().ok()
}

/// An IPv4-mapped IPv6 address as plain IPv4; other addresses unchanged.
fn canonical_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// Rewrite one Via value for a request received from `source`:
/// `received=<source ip>` is added (or replaced) when the sent-by host is
/// not that IP, or when `rport` is present (RFC 3581 requires it then),
/// and an empty `rport` becomes `rport=<source port>`. Returns `None`
/// when nothing changes or the value is not a Via.
pub fn stamp_via_value(value: &str, source: SocketAddr) -> Option<String> {
    let via = Via::parse(value)?;
    let src_ip = canonical_ip(source.ip());
    let (host, _) = split_host_port(&via.sent_by);
    let host_matches = parse_ip(host).is_some_and(|ip| canonical_ip(ip) == src_ip);
    let wants_rport = matches!(via.param("rport"), Some(None));
    let has_rport = via.param("rport").is_some();
    let need_received = !host_matches || has_rport;
    if !need_received && !wants_rport {
        return None;
    }
    let first = value.split(',').next().unwrap_or(value).trim();
    let mut parts = first.split(';');
    let mut out = String::with_capacity(first.len() + 48);
    out.push_str(parts.next().unwrap_or("").trim());
    for part in parts {
        let name = part.split('=').next().unwrap_or("").trim();
        if name.eq_ignore_ascii_case("received") && need_received {
            continue; // replaced below
        }
        out.push(';');
        if name.eq_ignore_ascii_case("rport") && wants_rport && !part.contains('=') {
            out.push_str(&format!("rport={}", source.port()));
        } else {
            out.push_str(part.trim());
        }
    }
    if need_received {
        out.push_str(&format!(";received={src_ip}"));
    }
    Some(out)
}

/// Apply [`stamp_via_value`] to the top Via of `headers`, keeping every
/// other header in place. Returns whether the top Via changed.
pub fn stamp_received(headers: &mut Headers, source: SocketAddr) -> bool {
    let Some(new_value) = headers.get("Via").and_then(|v| stamp_via_value(v, source)) else {
        return false;
    };
    let mut rebuilt = Headers::default();
    let mut done = false;
    for (name, value) in headers.iter() {
        if !done && name == "Via" {
            rebuilt.push(name, &new_value);
            done = true;
        } else {
            rebuilt.push(name, value);
        }
    }
    *headers = rebuilt;
    true
}

/// Where a response goes, from the top Via of the request (as stamped on
/// receipt): an IP address or a host name to resolve, and a port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseTarget {
    /// A literal address.
    Addr(SocketAddr),
    /// A host name (sent-by without `received`) and port.
    Name(String, u16),
}

/// RFC 3261 section 18.2.2 with RFC 3581: `maddr` when present (for
/// unreliable transports only), else `received`, else the sent-by host.
/// The port is sent-by's (default 5060, 5061 for a `TLS` Via), replaced over unreliable
/// transports by `rport` when it has a value. (Over a reliable transport
/// this is the fallback for when the request's connection is gone.)
pub fn response_target(via: &Via, reliable: bool) -> Option<ResponseTarget> {
    let (host, sent_port) = split_host_port(&via.sent_by);
    let rport = via
        .param("rport")
        .flatten()
        .and_then(|p| p.trim().parse::<u16>().ok());
    let default_port = if via.transport.eq_ignore_ascii_case("TLS") {
        DEFAULT_SIPS_PORT
    } else {
        DEFAULT_SIP_PORT
    };
    let sent_port = sent_port.unwrap_or(default_port);
    if !reliable && let Some(Some(maddr)) = via.param("maddr") {
        if let Some(ip) = parse_ip(maddr) {
            return Some(ResponseTarget::Addr(SocketAddr::new(ip, sent_port)));
        }
        return Some(ResponseTarget::Name(maddr.to_string(), sent_port));
    }
    // Over a reliable transport the fallback is a new connection to the
    // sent-by port (18.2.2); rport names the client's ephemeral port.
    let port = if reliable {
        sent_port
    } else {
        rport.unwrap_or(sent_port)
    };
    if let Some(Some(received)) = via.param("received")
        && let Some(ip) = parse_ip(received)
    {
        return Some(ResponseTarget::Addr(SocketAddr::new(ip, port)));
    }
    if host.is_empty() {
        return None;
    }
    Some(match parse_ip(host) {
        Some(ip) => ResponseTarget::Addr(SocketAddr::new(ip, port)),
        None => ResponseTarget::Name(host.to_string(), port),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn src() -> SocketAddr {
        "192.0.2.7:40000".parse().unwrap()
    }

    #[test]
    fn tls_via_defaults_to_5061() {
        let via = Via::parse("SIP/2.0/TLS 192.0.2.9;branch=z9hG4bKx").unwrap();
        assert_eq!(
            response_target(&via, true),
            Some(ResponseTarget::Addr("192.0.2.9:5061".parse().unwrap()))
        );
    }

    #[test]
    fn split_forms() {
        assert_eq!(split_host_port("a.example:5070"), ("a.example", Some(5070)));
        assert_eq!(split_host_port("a.example"), ("a.example", None));
        assert_eq!(split_host_port("[::1]:5062"), ("::1", Some(5062)));
        assert_eq!(split_host_port("[::1]"), ("::1", None));
        assert_eq!(split_host_port("2001:db8::1"), ("2001:db8::1", None));
    }

    #[test]
    fn same_host_no_rport_unchanged() {
        let v = "SIP/2.0/UDP 192.0.2.7:5060;branch=z9hG4bK1";
        assert_eq!(stamp_via_value(v, src()), None);
    }

    #[test]
    fn different_host_gets_received() {
        let v = "SIP/2.0/UDP pc.example:5060;branch=z9hG4bK1";
        assert_eq!(
            stamp_via_value(v, src()).unwrap(),
            "SIP/2.0/UDP pc.example:5060;branch=z9hG4bK1;received=192.0.2.7"
        );
    }

    #[test]
    fn empty_rport_filled_and_received_forced() {
        let v = "SIP/2.0/UDP 192.0.2.7:5060;rport;branch=z9hG4bK1";
        assert_eq!(
            stamp_via_value(v, src()).unwrap(),
            "SIP/2.0/UDP 192.0.2.7:5060;rport=40000;branch=z9hG4bK1;received=192.0.2.7"
        );
    }

    #[test]
    fn stale_received_replaced() {
        let v = "SIP/2.0/UDP h:5060;received=10.0.0.1;branch=z9hG4bK1";
        assert_eq!(
            stamp_via_value(v, src()).unwrap(),
            "SIP/2.0/UDP h:5060;branch=z9hG4bK1;received=192.0.2.7"
        );
    }

    #[test]
    fn only_top_via_rewritten() {
        let mut h = Headers::default();
        h.push("Via", "SIP/2.0/UDP h1;branch=z9hG4bK1");
        h.push("From", "<sip:a@b>;tag=1");
        h.push("Via", "SIP/2.0/UDP h2;branch=z9hG4bK2");
        assert!(stamp_received(&mut h, src()));
        let vias: Vec<_> = h.get_all("Via").collect();
        assert_eq!(
            vias,
            [
                "SIP/2.0/UDP h1;branch=z9hG4bK1;received=192.0.2.7",
                "SIP/2.0/UDP h2;branch=z9hG4bK2"
            ]
        );
        assert_eq!(h.iter().nth(1).unwrap().0, "From");
    }

    #[test]
    fn targets() {
        let t = |v: &str, rel| response_target(&Via::parse(v).unwrap(), rel).unwrap();
        let a = |s: &str| ResponseTarget::Addr(s.parse().unwrap());
        assert_eq!(
            t("SIP/2.0/UDP h:5070;received=192.0.2.7;rport=40000", false),
            a("192.0.2.7:40000")
        );
        assert_eq!(
            t("SIP/2.0/UDP h:5070;received=192.0.2.7", false),
            a("192.0.2.7:5070")
        );
        assert_eq!(t("SIP/2.0/UDP 192.0.2.9", false), a("192.0.2.9:5060"));
        assert_eq!(
            t("SIP/2.0/UDP h;received=2001:db8::1;rport=7", false),
            a("[2001:db8::1]:7")
        );
        assert_eq!(
            t("SIP/2.0/UDP h:5070;maddr=239.1.1.1", false),
            a("239.1.1.1:5070")
        );
        assert_eq!(
            t("SIP/2.0/TCP h:5070;received=192.0.2.7;rport=40000", true),
            a("192.0.2.7:5070")
        );
        assert_eq!(
            t("SIP/2.0/TCP h:5070", true),
            ResponseTarget::Name("h".into(), 5070)
        );
    }
}
