//! RFC 4475 torture tests against `parse_datagram` and `parse_stream`.
//!
//! The `.dat` files in `tests/data/rfc4475/` are the RFC's Appendix A
//! archive, byte for byte (see INDEX.md there, whose "Handling" column the
//! table below follows).

use pbx_sip::message::{Method, ParseError, SipMessage, Via, parse_datagram, parse_stream};
use std::path::PathBuf;

/// What a file must produce when received as a datagram.
#[derive(Debug, Clone, Copy)]
enum Expect {
    /// Parses.
    Ok,
    /// Rejected with this status; the message names the problem (the
    /// second field is a substring of it).
    Reject(u16, &'static str),
    /// Dropped silently (status `None`); message substring.
    Drop(&'static str),
}

use Expect::{Drop, Ok as Valid, Reject};

const CASES: &[(&str, Expect)] = &[
    // 3.1.1 valid messages
    ("wsinv", Valid),
    ("intmeth", Valid),
    ("esc01", Valid),
    ("escnull", Valid),
    ("esc02", Valid),
    ("lwsdisp", Valid),
    ("longreq", Valid),
    ("dblreq", Valid),
    ("semiuri", Valid),
    ("transports", Valid),
    ("mpart01", Valid),
    ("unreason", Valid),
    ("noreason", Valid),
    // 3.1.2 invalid messages
    ("badinv01", Reject(400, "Via")),
    ("clerr", Reject(400, "Content-Length 9999 exceeds")),
    ("ncl", Reject(400, "Content-Length \"-999\"")),
    ("scalar02", Reject(400, "2^32-1")),
    ("scalarlg", Drop("2^32-1")),
    ("quotbal", Reject(400, "unterminated quoted string")),
    ("ltgtruri", Reject(400, "Request-URI has no scheme")),
    ("lwsruri", Reject(400, "Request-Line")),
    ("lwsstart", Reject(400, "Request-Line")),
    ("trws", Reject(400, "Request-Line")),
    ("escruri", Reject(400, "?headers")),
    ("baddate", Valid), // "may reject": Date is not used, so accepted
    ("regbadct", Reject(400, "must be enclosed in <>")),
    ("badaspec", Reject(400, "whitespace or quote inside <URI>")),
    ("baddn", Reject(400, "display name")),
    ("badvers", Reject(505, "SIP version SIP/7.0")),
    (
        "mismatch01",
        Reject(400, "CSeq method INVITE does not match"),
    ),
    (
        "mismatch02",
        Reject(400, "CSeq method INVITE does not match"),
    ),
    ("bigcode", Drop("status code")),
    // 3.2 transaction layer
    ("badbranch", Valid),
    // 3.3 application layer
    ("insuf", Reject(400, "missing")),
    ("unkscm", Reject(416, "nobodyKnowsThisScheme")),
    ("novelsc", Reject(416, "soap.beep")),
    ("unksm2", Valid),
    ("bext01", Valid),
    ("invut", Valid),
    ("regaut01", Valid),
    ("multi01", Reject(400, "more than one")),
    ("mcl01", Reject(400, "more than one Content-Length")),
    ("bcast", Valid),
    ("zeromf", Valid),
    ("cparam01", Valid),
    ("cparam02", Valid),
    ("regescrt", Valid),
    ("sdp01", Valid),
    // 3.4 backward compatibility
    ("inv2543", Valid),
];

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc4475")
}

fn load(name: &str) -> Vec<u8> {
    let path = data_dir().join(format!("{name}.dat"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn ok(name: &str) -> SipMessage {
    parse_datagram(&load(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn err(name: &str) -> ParseError {
    match parse_datagram(&load(name)) {
        Ok(m) => panic!("{name} parsed: {m:?}"),
        Err(e) => e,
    }
}

fn req(m: SipMessage) -> pbx_sip::message::Request {
    match m {
        SipMessage::Request(r) => r,
        SipMessage::Response(r) => panic!("expected a request: {r:?}"),
    }
}

fn resp(m: SipMessage) -> pbx_sip::message::Response {
    match m {
        SipMessage::Response(r) => r,
        SipMessage::Request(r) => panic!("expected a response: {r:?}"),
    }
}

#[test]
fn every_file_is_listed_once() {
    let mut on_disk: Vec<String> = std::fs::read_dir(data_dir())
        .unwrap()
        .filter_map(|e| {
            let name = e.unwrap().file_name().into_string().unwrap();
            name.strip_suffix(".dat").map(str::to_string)
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = CASES.iter().map(|(n, _)| n.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk.len(), 49);
    assert_eq!(on_disk, listed);
}

#[test]
fn datagram_table() {
    let mut failures = Vec::new();
    for &(name, expect) in CASES {
        let got = parse_datagram(&load(name));
        let fine = match (expect, &got) {
            (Valid, Ok(_)) => true,
            (Reject(status, text), Err(e)) => {
                e.status() == Some(status) && e.to_string().contains(text)
            }
            (Drop(text), Err(e)) => e.status().is_none() && e.to_string().contains(text),
            _ => false,
        };
        if !fine {
            let got = match got {
                Ok(_) => "Ok".to_string(),
                Err(e) => format!("Err({:?}, {e})", e.status()),
            };
            failures.push(format!("{name}: expected {expect:?}, got {got}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Over a stream the same files give the same verdicts, except for the
/// framing cases.
#[test]
fn stream_table() {
    for &(name, expect) in CASES {
        let bytes = load(name);
        let got = parse_stream(&bytes);
        match name {
            // Content-Length beyond the data: wait for more.
            "clerr" => assert_eq!(got, Ok(None), "{name}"),
            // No empty line after the headers: the head never ends.
            "baddn" => assert_eq!(got, Ok(None), "{name}"),
            // No Content-Length: empty body on a stream.
            "inv2543" => {
                let (m, used) = got.unwrap().unwrap();
                assert!(req(m).body.is_empty());
                assert_eq!(
                    used,
                    bytes.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4
                );
            }
            _ => match expect {
                Valid => {
                    let (m, used) = got
                        .unwrap_or_else(|e| panic!("{name}: {e}"))
                        .unwrap_or_else(|| panic!("{name}: incomplete"));
                    assert_eq!(m, ok(name), "{name}");
                    assert!(used <= bytes.len());
                    if name != "dblreq" {
                        // Whole file used, but for trailing CRLFs after the body.
                        let rest = &bytes[used..];
                        assert!(rest.iter().all(|&b| b == b'\r' || b == b'\n'), "{name}");
                    }
                }
                Reject(status, _) => {
                    assert_eq!(
                        got.as_ref().map_err(ParseError::status),
                        Err(Some(status)),
                        "{name}"
                    )
                }
                Drop(_) => assert_eq!(got.map_err(|e| e.status()), Err(None), "{name}"),
            },
        }
    }
}

#[test]
fn dblreq_stream_yields_both_messages() {
    let bytes = load("dblreq");
    let (first, used) = parse_stream(&bytes).unwrap().unwrap();
    assert_eq!(req(first).method, Method::Register);
    let (second, used2) = parse_stream(&bytes[used..]).unwrap().unwrap();
    let second = req(second);
    assert_eq!(second.method, Method::Invite);
    assert_eq!(second.body.len(), 150);
    assert!(used + used2 < bytes.len());
}

#[test]
fn wsinv() {
    let r = req(ok("wsinv"));
    assert_eq!(r.method, Method::Invite);
    assert_eq!(r.uri, "sip:vivekg@chair-dnrc.example.com;unknownparam");
    let h = &r.headers;
    assert_eq!(
        h.get("To"),
        Some("sip:vivekg@chair-dnrc.example.com ;   tag    = 1918181833n")
    );
    assert_eq!(h.to_tag(), Some("1918181833n"));
    assert_eq!(h.from_tag(), Some("98asjd8"));
    assert_eq!(h.max_forwards(), Some(68));
    assert_eq!(h.cseq(), Some((9, Method::Invite)));
    assert_eq!(h.call_id(), Some("wsinv.ndaksdj@192.0.2.1"));
    let vias: Vec<_> = h.get_all("Via").collect();
    assert_eq!(
        vias,
        [
            "SIP/2.0/UDP 192.0.2.2;branch=390skdjuw",
            "SIP/2.0/TCP spindle.example.com;branch=z9hG4bK9ikj8",
            "SIP/2.0/UDP 192.168.255.111;branch=z9hG4bK30239",
        ]
    );
    assert_eq!(h.top_via().unwrap().sent_by, "192.0.2.2");
    assert_eq!(h.get("Subject"), Some(""));
    assert_eq!(
        h.get("NewFangledHeader"),
        Some("newfangled value continued newfangled value")
    );
    assert_eq!(h.get("UnknownHeaderWithUnusualValue"), Some(";;,,;;,;"));
    assert_eq!(
        h.get("Route"),
        Some("<sip:services.example.com;lr;unknownwith=value;unknown-no-value>")
    );
    assert_eq!(
        h.get("Contact"),
        Some(
            r#""Quoted string \"\"" <sip:jdrosen@example.com> ; newparam = newvalue ; secondparam ; q = 0.33"#
        )
    );
    assert_eq!(r.body.len(), 150);
    assert!(r.body.starts_with(b"v=0\r\n"));
    // Every name canonical where we know it.
    let names: Vec<_> = h.iter().map(|(n, _)| n).collect();
    assert_eq!(
        &names[..6],
        [
            "To",
            "From",
            "Max-Forwards",
            "Call-ID",
            "Content-Length",
            "CSeq"
        ]
    );
}

#[test]
fn intmeth() {
    let r = req(ok("intmeth"));
    let method = "!interesting-Method0123456789_*+`.%indeed'~";
    assert_eq!(r.method, Method::Other(method.into()));
    assert_eq!(
        r.uri,
        "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com"
    );
    assert_eq!(
        r.headers.cseq(),
        Some((139122385, Method::Other(method.into())))
    );
    assert_eq!(
        r.headers.get("To"),
        Some(
            "\"BEL:\\\x07 NUL:\\\0 DEL:\\\x7f\" <sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*@example.com>"
        )
    );
    assert_eq!(
        r.headers.call_id(),
        Some("intmeth.word%ZK-!.*_+'@word`~)(><:\\/\"][?}{")
    );
    assert_eq!(r.headers.from_tag(), Some("_token~1'+`*%!-."));
    assert_eq!(
        r.headers.get("extensionHeader-!.%*+_`'~"),
        Some("\u{feff}大停電")
    );
    assert_eq!(
        r.headers.top_via().unwrap().branch.as_deref(),
        Some("z9hG4bK-.!%66*_+`'~")
    );
}

#[test]
fn escapes_are_not_decoded() {
    let r = req(ok("esc01"));
    assert_eq!(r.uri, "sip:sips%3Auser%40example.com@example.net");
    assert_eq!(r.headers.get("To"), Some("sip:%75se%72@example.com"));
    assert_eq!(
        r.headers.get("Contact"),
        Some("<sip:cal%6Cer@host5.example.net;%6C%72;n%61me=v%61lue%25%34%31>")
    );
    assert_eq!(r.headers.get("Content-Type"), Some("application/sdp"));

    let r = req(ok("escnull"));
    let contacts: Vec<_> = r.headers.get_all("Contact").collect();
    assert_eq!(
        contacts,
        [
            "<sip:%00@host5.example.com>",
            "<sip:%00%00@host5.example.com>"
        ]
    );

    let r = req(ok("esc02"));
    assert_eq!(r.method, Method::Other("RE%47IST%45R".into()));
    assert_eq!(r.headers.get_all("Contact").count(), 2);
    assert_eq!(
        r.headers.get("C%6Fntact"),
        Some("<sip:alias2@host2.example.com>")
    );
}

#[test]
fn assorted_valid() {
    let r = req(ok("lwsdisp"));
    assert_eq!(
        r.headers.get("From"),
        Some("caller<sip:caller@example.com>;tag=323")
    );

    let r = req(ok("longreq"));
    assert_eq!(r.headers.get_all("Via").count(), 34);
    assert!(r.headers.get("To").unwrap().len() > 400);
    assert_eq!(r.body.len(), 150);

    let r = req(ok("dblreq"));
    assert_eq!(r.method, Method::Register);
    assert!(r.body.is_empty());
    assert_eq!(
        r.headers.call_id(),
        Some("dblreq.0ha0isndaksdj99sdfafnl3lk233412")
    );

    let r = req(ok("semiuri"));
    assert_eq!(r.uri, "sip:user;par=u%40example.net@example.com");
    let accept: Vec<_> = r.headers.get_all("Accept").collect();
    assert_eq!(
        accept,
        [
            "application/sdp",
            "application/pkcs7-mime",
            "multipart/mixed",
            "multipart/signed",
            "message/sip",
            "message/sipfrag"
        ]
    );

    let r = req(ok("transports"));
    let transports: Vec<_> = r
        .headers
        .get_all("Via")
        .map(|v| Via::parse(v).unwrap().transport)
        .collect();
    assert_eq!(transports, ["UDP", "SCTP", "TLS", "UNKNOWN", "TCP"]);

    let r = req(ok("mpart01"));
    assert_eq!(r.method, Method::Message);
    assert_eq!(r.body.len(), 553);
    assert!(r.body.contains(&0));
    assert!(r.body.ends_with(b"--7a9cbec02ceef655--\r\n"));

    let r = resp(ok("unreason"));
    assert_eq!(r.status, 200);
    assert!(
        r.reason
            .starts_with("= 2**3 * 5**2 но сто девяносто девять"),
        "{}",
        r.reason
    );
    assert_eq!(r.body.len(), 154);

    let r = resp(ok("noreason"));
    assert_eq!((r.status, r.reason.as_str()), (100, ""));

    let r = req(ok("inv2543"));
    assert_eq!(r.headers.get("Content-Length"), None);
    assert!(r.body.starts_with(b"v=0\r\n"));
    assert!(r.body.ends_with(b"RTP/AVP 0\r\n"));
    assert_eq!(r.headers.top_via().unwrap().branch, None);

    let r = resp(ok("bcast"));
    let vias: Vec<_> = r.headers.get_all("Via").collect();
    assert_eq!(
        vias[1],
        "SIP/2.0/UDP 255.255.255.255;branch=z9hG4bK1saber23"
    );

    assert_eq!(req(ok("zeromf")).headers.max_forwards(), Some(0));
    let via = req(ok("badbranch")).headers.top_via().unwrap();
    assert_eq!(via.branch.as_deref(), Some("z9hG4bK"));
    assert_eq!(
        req(ok("cparam01")).headers.get("Contact"),
        Some("sip:+19725552222@gw1.example.net;unknownparam")
    );
    assert_eq!(
        req(ok("regescrt")).headers.get("Contact"),
        Some("<sip:user@example.com?Route=%3Csip:sip.example.com%3E>")
    );
    let r = req(ok("unksm2"));
    assert_eq!(r.headers.get("To"), Some("isbn:2983792873"));
    let r = req(ok("bext01"));
    assert_eq!(
        r.headers.get_all("Require").collect::<Vec<_>>(),
        ["nothingSupportsThis", "nothingSupportsThisEither"]
    );
    let r = req(ok("regaut01"));
    assert_eq!(
        r.headers.get("Authorization"),
        Some("NoOneKnowsThisScheme opaque-data=here")
    );
}

#[test]
fn error_responses_can_be_built() {
    // A 400 to a request with a readable Via carries its headers.
    for name in [
        "badinv01",
        "scalar02",
        "quotbal",
        "lwsstart",
        "trws",
        "escruri",
        "mismatch01",
        "multi01",
        "mcl01",
        "clerr",
        "ncl",
        "unkscm",
        "novelsc",
        "badvers",
    ] {
        let e = err(name);
        let h = e
            .request_headers()
            .unwrap_or_else(|| panic!("{name}: no headers salvaged ({e})"));
        if name != "badinv01" {
            assert!(h.top_via().is_some(), "{name}");
        }
        assert!(h.call_id().is_some(), "{name}");
        assert_eq!(h.get_all("Call-ID").count(), 1, "{name}");
        assert_eq!(h.get_all("From").count(), 1, "{name}");
    }
    // multi01: the first of each duplicate.
    let e = err("multi01");
    let h = e.request_headers().unwrap();
    assert_eq!(h.call_id(), Some("multi01.98asdh@192.0.2.1"));
    assert_eq!(h.get("CSeq"), Some("5 INVITE"));
    // insuf: no From/To/Call-ID, but a Via to answer to.
    let e = err("insuf");
    assert_eq!(e.status(), Some(400));
    assert!(e.request_headers().unwrap().top_via().is_some());
    // Responses are never answered.
    for name in ["scalarlg", "bigcode"] {
        let e = err(name);
        assert!(e.request_headers().is_none());
    }
}

#[test]
fn round_trip() {
    for &(name, expect) in CASES {
        // inv2543 has no Content-Length: serialising adds one.
        if !matches!(expect, Valid) || name == "inv2543" {
            continue;
        }
        let m = ok(name);
        let bytes = m.to_bytes();
        let again = parse_datagram(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(again, m, "{name}");
        assert_eq!(again.to_bytes(), bytes, "{name}");
    }
    // inv2543 gains a Content-Length and is otherwise unchanged.
    let m = req(ok("inv2543"));
    let again = req(parse_datagram(&SipMessage::Request(m.clone()).to_bytes()).unwrap());
    assert_eq!(again.body, m.body);
    assert_eq!(
        again.headers.get("Content-Length"),
        Some(m.body.len().to_string().as_str())
    );
    assert_eq!(again.headers.len(), m.headers.len() + 1);
}

/// Deterministic LCG (Knuth's MMIX constants).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

/// Both parsers on `bytes`: no panic, and sane results.
fn check_no_panic(bytes: &[u8]) {
    let datagram = parse_datagram(bytes);
    match &datagram {
        Ok(m) => {
            // Whatever we accept, we can write and read back.
            let again = parse_datagram(&m.to_bytes());
            assert!(
                again.is_ok(),
                "re-parse failed: {again:?}\n{:?}",
                String::from_utf8_lossy(bytes)
            );
        }
        Err(e) => {
            assert!(matches!(e.status(), None | Some(400 | 416 | 505 | 513)));
            assert!(!e.to_string().is_empty());
            let _ = e.request_headers();
        }
    }
    match parse_stream(bytes) {
        Ok(Some((_, used))) => assert!(used > 0 && used <= bytes.len()),
        Ok(None) => {}
        Err(e) => assert!(matches!(e.status(), None | Some(400 | 416 | 505 | 513))),
    }
}

#[test]
fn fuzz_prefixes_and_mutations() {
    let files: Vec<Vec<u8>> = CASES.iter().map(|(n, _)| load(n)).collect();
    // Every prefix of every file.
    for f in &files {
        for n in 0..=f.len() {
            check_no_panic(&f[..n]);
        }
    }
    // Seeded random mutations.
    const INTERESTING: &[&[u8]] = &[
        b"\r\n",
        b"\r",
        b"\n",
        b" ",
        b"\t",
        b":",
        b";",
        b",",
        b"\"",
        b"\\",
        b"<",
        b">",
        b"=",
        b"%",
        b"\0",
        b"\xff",
        b"\xc3",
        b"\r\n ",
        b"\r\n\r\n",
        b"SIP/2.0",
        b"Content-Length: ",
        b"99999999999999999999",
        b"-1",
        b"Via: ",
        b"[",
        b"]",
        b"@",
        b"?",
    ];
    let mut rng = Lcg(0x5eed_4475);
    for _ in 0..5000 {
        let mut m = files[rng.below(files.len())].clone();
        for _ in 0..1 + rng.below(3) {
            let at = rng.below(m.len() + 1);
            match rng.below(6) {
                0 if at < m.len() => m[at] = rng.next() as u8,
                1 => {
                    let ins = INTERESTING[rng.below(INTERESTING.len())];
                    m.splice(at..at, ins.iter().copied());
                }
                2 if at < m.len() => {
                    let end = (at + 1 + rng.below(16)).min(m.len());
                    m.drain(at..end);
                }
                3 => m.truncate(at),
                4 if at < m.len() => {
                    let end = (at + 1 + rng.below(64)).min(m.len());
                    let copy = m[at..end].to_vec();
                    let to = rng.below(m.len() + 1);
                    m.splice(to..to, copy);
                }
                _ => {
                    let b = INTERESTING[rng.below(INTERESTING.len())];
                    if at < m.len() {
                        m.splice(at..at + 1, b.iter().copied());
                    }
                }
            }
        }
        check_no_panic(&m);
    }
}
