//! Start lines: Status-Line, Request-Line and Request-URI.

use super::super::start_line::check_request_uri;
use super::*;

#[test]
fn response_start_lines() {
    let base = "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=2\r\n\
From: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
    let ok = |line: &str| parse_datagram(format!("{line}\r\n{base}").as_bytes());
    match ok("SIP/2.0 180 Ringing").unwrap() {
        SipMessage::Response(r) => {
            assert_eq!((r.status, r.reason.as_str()), (180, "Ringing"));
        }
        _ => panic!(),
    }
    assert!(ok("SIP/2.0 100 ").is_ok());
    assert!(ok("SIP/2.0 100").is_ok());
    for bad in [
        "SIP/2.0 1000 x",
        "SIP/2.0 099 x",
        "SIP/2.0 700 x",
        "SIP/3.0 200 OK",
        "SIP/2.0 20x OK",
    ] {
        let e = ok(bad).unwrap_err();
        assert_eq!(e.status(), None, "{bad}");
        assert_eq!(e.kind(), ParseErrorKind::BadResponse);
    }
}

#[test]
fn request_uri_checks() {
    for good in [
        "sip:a@b",
        "sips:[2001:db8::1]:5061;transport=tls",
        "sip:user;par=u%40example.net@example.com",
        "tel:+1-201-555-0123",
    ] {
        assert_eq!(check_request_uri(good), Ok(()), "{good}");
    }
    for bad in [
        "<sip:a@b>",
        "sip:a@b?Route=x",
        "sip:",
        "sip:a@",
        "sip:a@b;;lr",
        "sip:a@b:x",
        "sip:a%4",
        "a@b",
    ] {
        assert!(check_request_uri(bad).is_err(), "{bad}");
    }
}

#[test]
fn broken_request_lines_get_400() {
    for line in [
        "INVITE sip:a@b SIP/2.0 extra",
        "INV@TE sip:a@b SIP/2.0",
        "INVITE\tsip:a@b SIP/2.0",
        "INVITE sip:a@b SIP/2.0x",
    ] {
        let d = format!(
            "{line}\r\nVia: SIP/2.0/UDP h\r\nTo: sip:a@b\r\nFrom: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"
        );
        let e = parse_datagram(d.as_bytes()).unwrap_err();
        assert_eq!(e.status(), Some(400), "{line}: {e}");
        assert!(e.request_headers().is_some(), "{line}");
    }
    for garbage in [
        &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
        b"\0\0\0\0",
        b"hello\r\n\r\n",
    ] {
        let e = parse_datagram(garbage).unwrap_err();
        assert_eq!(e.kind(), ParseErrorKind::NotSip, "{e}");
    }
}

#[test]
fn method_is_case_sensitive() {
    let d = b"invite sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: sip:a@b\r\n\
From: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 1 invite\r\nl: 0\r\n\r\n";
    let r = request(parse_datagram(d).unwrap());
    assert_eq!(r.method, Method::Other("invite".into()));
}
