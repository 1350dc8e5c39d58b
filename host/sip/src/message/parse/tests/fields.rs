//! Header fields: names, folding, lists, and per-header checks.

use super::super::fields::{check_address, parse_cseq, split_list};
use super::*;

#[test]
fn compact_header_names() {
    let d = b"INVITE sip:bob@example.com SIP/2.0\r\n\
v: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
t: <sip:bob@example.com>\r\n\
f: <sip:alice@example.com>;tag=9\r\n\
i: cid\r\n\
CSeq: 7 INVITE\r\n\
m: <sip:alice@h>, <sip:alice@h2>\r\n\
c: application/sdp\r\n\
k: 100rel, timer\r\n\
s: hi\r\n\
l: 3\r\n\r\nabc";
    let r = request(parse_datagram(d).unwrap());
    let names: Vec<_> = r.headers.iter().map(|(n, _)| n).collect();
    assert_eq!(
        names,
        [
            "Via",
            "To",
            "From",
            "Call-ID",
            "CSeq",
            "Contact",
            "Contact",
            "Content-Type",
            "Supported",
            "Supported",
            "Subject",
            "Content-Length"
        ]
    );
    assert_eq!(r.headers.get("m"), Some("<sip:alice@h>"));
    assert_eq!(
        r.headers.top_via().unwrap().branch.as_deref(),
        Some("z9hG4bK1")
    );
    assert_eq!(&r.body[..], b"abc");
}

#[test]
fn folding_and_via_normalisation() {
    let d = b"OPTIONS sip:a@b SIP/2.0\r\n\
Via  : SIP  /  2.0\r\n  / UDP   h.example.com : 5060 ;\r\n branch = z9hG4bKx ; rport\r\n\
To: sip:a@b\r\nFrom: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\
Subject: one\r\n\ttwo\r\nl: 0\r\n\r\n";
    let r = request(parse_datagram(d).unwrap());
    assert_eq!(
        r.headers.get("Via"),
        Some("SIP/2.0/UDP h.example.com:5060;branch=z9hG4bKx;rport")
    );
    let via = r.headers.top_via().unwrap();
    assert_eq!(via.transport, "UDP");
    assert_eq!(via.sent_by, "h.example.com:5060");
    assert_eq!(r.headers.get("Subject"), Some("one two"));
}

#[test]
fn list_split_respects_quotes_and_brackets() {
    assert_eq!(
        split_list(r#""a, b" <sip:x@y;p=1,2>;q=1 , <sip:z@w>"#),
        [r#""a, b" <sip:x@y;p=1,2>;q=1"#, "<sip:z@w>"]
    );
}

#[test]
fn address_checks() {
    for good in [
        r#""A \"B\"" <sip:a@b>;tag=1"#,
        "caller<sip:a@b>",
        "tok1 tok2 <sip:a@b> ; tag = x",
        "sip:a@b;tag=1",
        "<sip:a@b?Route=%3Csip:c%3E>",
        r#"<sip:a@b>;+sip.instance="<urn:uuid:1>""#,
    ] {
        assert_eq!(check_address(good, false), Ok(()), "{good}");
    }
    for bad in [
        r#""unterminated <sip:a@b>"#,
        "Bell, Alexander <sip:a@b>",
        "< sip:a@b >",
        "sip:a@b?Route=x",
        "<sip:a@b>;;",
        "<sip:a@b>;tag=",
        "<sip:a@b",
        "",
    ] {
        assert!(check_address(bad, false).is_err(), "{bad}");
    }
    assert_eq!(check_address("*", true), Ok(()));
}

#[test]
fn cseq_checks() {
    assert_eq!(parse_cseq("0009 INVITE"), Ok((9, "INVITE")));
    assert_eq!(parse_cseq("4294967295 ACK"), Ok((u32::MAX, "ACK")));
    assert!(parse_cseq("4294967296 ACK").is_err());
    assert!(parse_cseq("-1 ACK").is_err());
    assert!(parse_cseq("1").is_err());
    assert!(parse_cseq("1 A B").is_err());
}

#[test]
fn non_utf8_header_is_400() {
    let d = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: sip:a@b\r\n\
From: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nSubject: caf\xe9\r\nl: 0\r\n\r\n";
    let e = parse_datagram(d).unwrap_err();
    assert_eq!(e.status(), Some(400));
    assert!(e.to_string().contains("UTF-8"), "{e}");
}
