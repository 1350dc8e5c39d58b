//! The authenticator end to end, with simulated time.

use super::digest::expected_response;
use super::*;
use crate::message::Method;
use std::net::Ipv4Addr;
use std::time::{Duration, UNIX_EPOCH};

const REALM: &str = "pbx.example.com";
const URI: &str = "sip:pbx.example.com";

fn at(secs: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(secs)
}

fn src(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(198, 51, 100, last))
}

fn authenticator() -> Authenticator {
    Authenticator::new(AuthConfig::new(REALM), b"test secret, 32 bytes long......")
}

fn users() -> InMemoryCredentials {
    let mut c = InMemoryCredentials::new();
    c.add_password(REALM, "100", "s3cret");
    c
}

fn request(method: Method, cseq: u32) -> Request {
    let mut r = Request::new(method.clone(), URI);
    r.headers
        .push("Via", "SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds");
    r.headers
        .push("From", "<sip:100@pbx.example.com>;tag=1928301774");
    r.headers.push("To", "<sip:100@pbx.example.com>");
    r.headers.push("Call-ID", "a84b4c76e66710@192.0.2.10");
    r.headers.push("CSeq", &format!("{cseq} {method}"));
    r
}

/// A quoted parameter out of a challenge header.
fn param(header: &str, name: &str) -> String {
    let start = header.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
    let len = header[start..].find('"').unwrap();
    header[start..start + len].to_string()
}

struct Answer<'a> {
    user: &'a str,
    password: &'a str,
    alg: Algorithm,
    nc: u32,
}

/// What a client sends back: `header` is the challenge it answers.
fn answer(header: &str, a: &Answer<'_>, method: &Method) -> String {
    let nonce = param(header, "nonce");
    let opaque = param(header, "opaque");
    let nc = format!("{:08x}", a.nc);
    let h = ha1(a.alg, a.user, REALM, a.password);
    let response = expected_response(
        a.alg,
        &h,
        method.as_str(),
        URI,
        &nonce,
        Some((&nc, "0a4f113b")),
    );
    format!(
        r#"Digest username="{}", realm="{REALM}", nonce="{nonce}", uri="{URI}", response="{response}", algorithm={}, cnonce="0a4f113b", opaque="{opaque}", qop=auth, nc={nc}"#,
        a.user,
        a.alg.token()
    )
}

fn good(nc: u32) -> Answer<'static> {
    Answer {
        user: "100",
        password: "s3cret",
        alg: Algorithm::Sha256,
        nc,
    }
}

fn challenge_of(r: Result<Authenticated, Rejection>) -> Response {
    match r {
        Err(Rejection::Challenge(resp)) => resp,
        other => panic!("expected a challenge, got {other:?}"),
    }
}

fn with_auth(mut req: Request, name: &str, value: &str) -> Request {
    req.headers.push(name, value);
    req
}

/// Challenge at `t`, answer with `a`, authenticate at `t2`.
fn round_trip(
    auth: &Authenticator,
    a: &Answer<'_>,
    t: u64,
    t2: u64,
) -> Result<Authenticated, Rejection> {
    let req = request(Method::Register, 1);
    let ch = challenge_of(auth.authenticate(&req, src(1), at(t), &users()));
    let header = ch.headers.get("WWW-Authenticate").unwrap().to_string();
    let req = with_auth(
        request(Method::Register, 2),
        "Authorization",
        &answer(&header, a, &req.method),
    );
    auth.authenticate(&req, src(1), at(t2), &users())
}

#[test]
fn challenge_offers_sha256_then_md5() {
    let auth = authenticator();
    let resp =
        challenge_of(auth.authenticate(&request(Method::Register, 1), src(1), at(1_000), &users()));
    assert_eq!(resp.status, 401);
    assert_eq!(resp.reason, "Unauthorized");
    let values: Vec<&str> = resp.headers.get_all("WWW-Authenticate").collect();
    assert_eq!(values.len(), 2);
    assert!(values[0].contains("algorithm=SHA-256"), "{}", values[0]);
    assert!(values[1].contains("algorithm=MD5"), "{}", values[1]);
    for v in &values {
        assert!(v.starts_with("Digest realm=\"pbx.example.com\""), "{v}");
        assert!(v.contains("qop=\"auth\""));
        assert!(!v.contains("stale"));
        assert_eq!(param(v, "opaque"), auth.nonces().opaque());
    }
    assert_eq!(param(values[0], "nonce"), param(values[1], "nonce"));
    assert!(resp.headers.to_tag().is_some(), "RFC 3261 8.2.6.2");
    assert_eq!(resp.headers.call_id(), Some("a84b4c76e66710@192.0.2.10"));
}

#[test]
fn correct_answer_authenticates_with_either_algorithm() {
    let auth = authenticator();
    let ok = round_trip(&auth, &good(1), 1_000, 1_001).unwrap();
    assert_eq!(ok.user, "100");
    assert_eq!(ok.realm, REALM);
    assert_eq!(ok.algorithm, Algorithm::Sha256);
    let md5 = Answer {
        alg: Algorithm::Md5,
        ..good(1)
    };
    assert_eq!(
        round_trip(&auth, &md5, 1_000, 1_001).unwrap().algorithm,
        Algorithm::Md5
    );
}

#[test]
fn precomputed_ha1_only_store_works() {
    let auth = authenticator();
    let mut store = InMemoryCredentials::new();
    store.add_ha1(
        REALM,
        "100",
        Algorithm::Sha256,
        &ha1(Algorithm::Sha256, "100", REALM, "s3cret"),
    );
    let req = request(Method::Register, 1);
    let ch = challenge_of(auth.authenticate(&req, src(1), at(10), &store));
    let header = ch.headers.get("WWW-Authenticate").unwrap().to_string();
    let req = with_auth(
        request(Method::Register, 2),
        "Authorization",
        &answer(&header, &good(1), &Method::Register),
    );
    assert!(auth.authenticate(&req, src(1), at(11), &store).is_ok());
    // The same user answering with MD5 has no MD5 HA1: refused.
    let md5 = Answer {
        alg: Algorithm::Md5,
        ..good(1)
    };
    let req = with_auth(
        request(Method::Register, 3),
        "Authorization",
        &answer(&header, &md5, &Method::Register),
    );
    assert!(matches!(
        auth.authenticate(&req, src(1), at(11), &store),
        Err(Rejection::Forbidden(_))
    ));
}

#[test]
fn expired_nonce_gets_stale_challenge_without_counting() {
    let auth = authenticator();
    let resp = challenge_of(round_trip(&auth, &good(1), 1_000, 1_300));
    assert_eq!(resp.status, 401);
    for v in resp.headers.get_all("WWW-Authenticate") {
        assert!(v.ends_with("stale=true"), "{v}");
    }
    assert!(
        auth.bans().is_empty(),
        "a stale nonce is not a failed guess"
    );
    // With a wrong password an expired nonce is a plain failure, no stale.
    let wrong = Answer {
        password: "guess",
        ..good(1)
    };
    assert!(matches!(
        round_trip(&auth, &wrong, 1_000, 1_300),
        Err(Rejection::Forbidden(_))
    ));
}

#[test]
fn replayed_nonce_count_is_rejected() {
    let auth = authenticator();
    let req = request(Method::Register, 1);
    let ch = challenge_of(auth.authenticate(&req, src(1), at(1_000), &users()));
    let header = ch.headers.get("WWW-Authenticate").unwrap().to_string();
    let first = with_auth(
        request(Method::Register, 2),
        "Authorization",
        &answer(&header, &good(1), &Method::Register),
    );
    assert!(
        auth.authenticate(&first, src(1), at(1_001), &users())
            .is_ok()
    );
    // The captured request sent again.
    let resp = challenge_of(auth.authenticate(&first, src(1), at(1_002), &users()));
    assert!(
        resp.headers
            .get("WWW-Authenticate")
            .unwrap()
            .contains("stale=true")
    );
    // The client's next request with nc=2 on the same nonce is fine.
    let next = with_auth(
        request(Method::Register, 3),
        "Authorization",
        &answer(&header, &good(2), &Method::Register),
    );
    assert!(
        auth.authenticate(&next, src(1), at(1_003), &users())
            .is_ok()
    );
}

#[test]
fn tampered_nonce_is_rechallenged_not_accepted() {
    let auth = authenticator();
    let req = request(Method::Register, 1);
    let ch = challenge_of(auth.authenticate(&req, src(1), at(1_000), &users()));
    let header = ch.headers.get("WWW-Authenticate").unwrap().to_string();
    let nonce = param(&header, "nonce");
    // Move the timestamp forward to stretch the validity; keep the MAC.
    let forged_nonce = format!("{:016x}{}", 1_250u64, &nonce[16..]);
    let forged = header.replace(&nonce, &forged_nonce);
    let req = with_auth(
        request(Method::Register, 2),
        "Authorization",
        &answer(&forged, &good(1), &Method::Register),
    );
    let resp = challenge_of(auth.authenticate(&req, src(1), at(1_001), &users()));
    assert!(
        !resp
            .headers
            .get("WWW-Authenticate")
            .unwrap()
            .contains("stale")
    );
    // Tampered opaque likewise.
    let forged = header.replace(auth.nonces().opaque(), "0000");
    let req = with_auth(
        request(Method::Register, 2),
        "Authorization",
        &answer(&forged, &good(1), &Method::Register),
    );
    challenge_of(auth.authenticate(&req, src(1), at(1_001), &users()));
    assert!(auth.bans().is_empty());
}

#[test]
fn unknown_user_and_wrong_password_are_indistinguishable() {
    let auth = authenticator();
    let unknown = Answer {
        user: "999",
        ..good(1)
    };
    let wrong = Answer {
        password: "guess",
        ..good(1)
    };
    let a = round_trip(&auth, &unknown, 1_000, 1_001).unwrap_err();
    let b = round_trip(&auth, &wrong, 1_000, 1_001).unwrap_err();
    assert!(matches!(a, Rejection::Forbidden(_)));
    assert_eq!(a, b, "same status, reason, headers and body");
    // And both count towards a ban.
    assert_eq!(auth.bans().len(), 1);
}

#[test]
fn ban_after_repeated_failures_then_lifted() {
    let auth = authenticator();
    let wrong = Answer {
        password: "guess",
        ..good(1)
    };
    for i in 0..10 {
        let r = round_trip(&auth, &wrong, 1_000 + i, 1_000 + i);
        assert!(matches!(r, Err(Rejection::Forbidden(_))), "attempt {i}");
    }
    // Banned now, even with the right password; other sources unaffected.
    let req = request(Method::Register, 1);
    match auth.authenticate(&req, src(1), at(1_011), &users()) {
        Err(Rejection::Banned { until, response }) => {
            assert_eq!(until, at(1_009 + 600));
            assert_eq!(response.status, 403);
        }
        other => panic!("expected ban, got {other:?}"),
    }
    assert!(matches!(
        auth.authenticate(&req, src(2), at(1_011), &users()),
        Err(Rejection::Challenge(_))
    ));
    assert!(
        round_trip(&auth, &good(1), 1_609, 1_609).is_ok(),
        "ban lifted"
    );
}

#[test]
fn invite_is_challenged_with_407_and_proxy_headers() {
    let auth = authenticator();
    let req = request(Method::Invite, 1);
    let resp = challenge_of(auth.authenticate(&req, src(1), at(50), &users()));
    assert_eq!(resp.status, 407);
    let header = resp.headers.get("Proxy-Authenticate").unwrap().to_string();
    assert!(resp.headers.get("WWW-Authenticate").is_none());
    let value = answer(&header, &good(1), &Method::Invite);
    // Answering in the wrong header is the same as no credentials.
    let wrong_header = with_auth(request(Method::Invite, 2), "Authorization", &value);
    challenge_of(auth.authenticate(&wrong_header, src(1), at(51), &users()));
    let req = with_auth(request(Method::Invite, 2), "Proxy-Authorization", &value);
    assert!(auth.authenticate(&req, src(1), at(51), &users()).is_ok());
}

#[test]
fn other_realm_or_uri_or_qop_is_not_accepted() {
    let auth = authenticator();
    let req = request(Method::Register, 1);
    let ch = challenge_of(auth.authenticate(&req, src(1), at(10), &users()));
    let header = ch.headers.get("WWW-Authenticate").unwrap().to_string();
    let value = answer(&header, &good(1), &Method::Register);
    // Credentials for another realm are ignored: plain challenge.
    let other = value.replace(REALM, "elsewhere");
    challenge_of(auth.authenticate(
        &with_auth(request(Method::Register, 2), "Authorization", &other),
        src(1),
        at(11),
        &users(),
    ));
    // Digest computed for another Request-URI.
    let mut moved = with_auth(request(Method::Register, 2), "Authorization", &value);
    moved.uri = "sip:other.example.com".into();
    assert!(matches!(
        auth.authenticate(&moved, src(1), at(11), &users()),
        Err(Rejection::Forbidden(_))
    ));
    // RFC 2069 (no qop) is refused by default, without counting a failure.
    let h = ha1(Algorithm::Md5, "100", REALM, "s3cret");
    let nonce = param(&header, "nonce");
    let legacy = format!(
        r#"Digest username="100", realm="{REALM}", nonce="{nonce}", uri="{URI}", response="{}""#,
        expected_response(Algorithm::Md5, &h, "REGISTER", URI, &nonce, None)
    );
    let req = with_auth(request(Method::Register, 3), "Authorization", &legacy);
    assert!(matches!(
        auth.authenticate(&req, src(1), at(11), &users()),
        Err(Rejection::Forbidden(_))
    ));
    assert!(auth.bans().is_empty());

    // When allowed, a no-qop nonce is accepted exactly once.
    let mut config = AuthConfig::new(REALM);
    config.allow_no_qop = true;
    let lenient = Authenticator::new(config, b"test secret, 32 bytes long......");
    let nonce = lenient.nonces().issue(at(10));
    let legacy = format!(
        r#"Digest username="100", realm="{REALM}", nonce="{nonce}", uri="{URI}", response="{}""#,
        expected_response(Algorithm::Md5, &h, "REGISTER", URI, &nonce, None)
    );
    let req = with_auth(request(Method::Register, 3), "Authorization", &legacy);
    assert!(lenient.authenticate(&req, src(1), at(11), &users()).is_ok());
    challenge_of(lenient.authenticate(&req, src(1), at(12), &users()));
}
