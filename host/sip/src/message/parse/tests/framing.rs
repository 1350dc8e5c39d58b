//! Framing: datagrams, streams, keep-alives and the size limit.

use super::*;

#[test]
fn datagram_basic() {
    let r = request(parse_datagram(REGISTER).unwrap());
    assert_eq!(r.method, Method::Register);
    assert_eq!(r.uri, "sip:example.com");
    assert_eq!(&r.body[..], b"body");
    assert_eq!(r.headers.call_id(), Some("abc@192.0.2.1"));
    assert_eq!(r.headers.cseq(), Some((1, Method::Register)));
    assert_eq!(r.headers.from_tag(), Some("1"));
}

#[test]
fn datagram_trailing_bytes_ignored() {
    let mut d = REGISTER.to_vec();
    d.extend_from_slice(b"\r\nINVITE sip:x SIP/2.0\r\n\r\n");
    let r = request(parse_datagram(&d).unwrap());
    assert_eq!(&r.body[..], b"body");
}

#[test]
fn datagram_short_body_is_400() {
    let d = &REGISTER[..REGISTER.len() - 1];
    let e = parse_datagram(d).unwrap_err();
    assert_eq!(e.status(), Some(400));
    let h = e.request_headers().expect("salvaged headers");
    assert_eq!(h.call_id(), Some("abc@192.0.2.1"));
}

#[test]
fn datagram_without_content_length_takes_rest() {
    let d = b"MESSAGE sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: sip:a@b\r\n\
From: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 2 MESSAGE\r\n\r\nhello\r\n";
    let r = request(parse_datagram(d).unwrap());
    assert_eq!(&r.body[..], b"hello\r\n");
}

#[test]
fn datagram_keepalives() {
    for d in [&b""[..], b"\r\n", b"\r\n\r\n"] {
        let e = parse_datagram(d).unwrap_err();
        assert_eq!(e.status(), None);
        assert_eq!(e.kind(), ParseErrorKind::NotSip);
    }
    let mut d = b"\r\n\r\n".to_vec();
    d.extend_from_slice(REGISTER);
    assert!(parse_datagram(&d).is_ok());
}

#[test]
fn stream_partial_reads() {
    let mut two = REGISTER.to_vec();
    two.extend_from_slice(REGISTER);
    // Every strict prefix of the first message is incomplete.
    for n in 0..REGISTER.len() {
        assert_eq!(parse_stream(&two[..n]), Ok(None), "prefix {n}");
    }
    let (m, used) = parse_stream(&two).unwrap().unwrap();
    assert_eq!(used, REGISTER.len());
    assert_eq!(&request(m).body[..], b"body");
    let (_, used2) = parse_stream(&two[used..]).unwrap().unwrap();
    assert_eq!(used2, REGISTER.len());
}

#[test]
fn stream_skips_crlf_keepalives() {
    assert_eq!(parse_stream(b"\r\n\r\n"), Ok(None));
    assert_eq!(keepalive_len(b"\r\n\r\nREG"), 4);
    let mut d = b"\r\n\r\n\r\n".to_vec();
    d.extend_from_slice(REGISTER);
    let (_, used) = parse_stream(&d).unwrap().unwrap();
    assert_eq!(used, 6 + REGISTER.len());
}

#[test]
fn stream_missing_content_length_is_empty_body() {
    let d = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP h\r\nTo: sip:a@b\r\n\
From: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 2 OPTIONS\r\n\r\nOPTIONS";
    let (m, used) = parse_stream(d).unwrap().unwrap();
    assert_eq!(used, d.len() - "OPTIONS".len());
    assert!(request(m).body.is_empty());
}

#[test]
fn stream_bad_start_line_fails_early() {
    let e = parse_stream(b"INVITE  sip:a@b SIP/2.0\r\nVia: SIP/2.0/TCP").unwrap_err();
    assert_eq!(e.status(), Some(400));
    let e = parse_stream(b"hello world\r\n").unwrap_err();
    assert_eq!(e.status(), None);
}

#[test]
fn max_size() {
    // Header section that never ends.
    let mut d = b"OPTIONS sip:a@b SIP/2.0\r\nX: ".to_vec();
    d.resize(MAX_MESSAGE_BYTES, b'a');
    assert_eq!(parse_stream(&d), Ok(None));
    d.push(b'a');
    let e = parse_stream(&d).unwrap_err();
    assert_eq!(e.status(), Some(513));
    // Content-Length beyond the limit is refused before the body comes.
    let big = String::from_utf8_lossy(REGISTER).replace(
        "Content-Length: 4",
        &format!("Content-Length: {MAX_MESSAGE_BYTES}"),
    );
    let e = parse_stream(big.as_bytes()).unwrap_err();
    assert_eq!(e.status(), Some(513));
    assert!(e.request_headers().is_some());
    // A message of exactly the limit is fine.
    let head_len = REGISTER.len() - 4;
    let head_for = |n: usize| {
        String::from_utf8_lossy(&REGISTER[..head_len])
            .replace("Content-Length: 4", &format!("Content-Length: {n}"))
    };
    let fits = MAX_MESSAGE_BYTES - head_for(99_999).len();
    let mut exact = head_for(fits).into_bytes();
    exact.resize(MAX_MESSAGE_BYTES, b'x');
    let (_, used) = parse_stream(&exact).unwrap().unwrap();
    assert_eq!(used, MAX_MESSAGE_BYTES);
    assert!(parse_datagram(&exact).is_ok());
}
