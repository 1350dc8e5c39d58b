//! Digest wire format and the published test vectors.

use super::digest::*;

/// RFC 2617 section 3.5, verbatim apart from line folding.
const RFC2617_AUTHORIZATION: &str = r#"Digest username="Mufasa",
                 realm="testrealm@host.com",
                 nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093",
                 uri="/dir/index.html",
                 qop=auth,
                 nc=00000001,
                 cnonce="0a4f113b",
                 response="6629fae49393a05397450978507c4ef1",
                 opaque="5ccc069c403ebaf9f0171e9517f40e41""#;

/// RFC 7616 section 3.9.1, the SHA-256 response.
const RFC7616_AUTHORIZATION: &str = r#"Digest username="Mufasa",
       realm="http-auth@example.org",
       uri="/dir/index.html",
       algorithm=SHA-256,
       nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
       nc=00000001,
       cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
       qop=auth,
       response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",
       opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS""#;

#[test]
fn rfc2617_md5_example() {
    let creds = parse_credentials(RFC2617_AUTHORIZATION).unwrap();
    assert_eq!(creds.username, "Mufasa");
    assert_eq!(creds.nonce, "dcd98b7102dd2f0e8b11d0f600bfb0c093");
    assert_eq!(creds.nonce_count(), Some(1));
    assert_eq!(creds.algorithm(), Some(Algorithm::Md5), "absent means MD5");
    let h = ha1(
        Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "Circle Of Life",
    );
    assert_eq!(
        expected_response(
            Algorithm::Md5,
            &h,
            "GET",
            "/dir/index.html",
            "dcd98b7102dd2f0e8b11d0f600bfb0c093",
            Some(("00000001", "0a4f113b")),
        ),
        "6629fae49393a05397450978507c4ef1"
    );
    assert!(verify(&creds, "GET", &h, false));
    assert!(!verify(&creds, "POST", &h, false), "method is covered");
    let wrong = ha1(
        Algorithm::Md5,
        "Mufasa",
        "testrealm@host.com",
        "circle of life",
    );
    assert!(!verify(&creds, "GET", &wrong, false));
}

#[test]
fn rfc7616_sha256_example() {
    let creds = parse_credentials(RFC7616_AUTHORIZATION).unwrap();
    assert_eq!(creds.algorithm(), Some(Algorithm::Sha256));
    let h = ha1(
        Algorithm::Sha256,
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
    );
    assert_eq!(
        expected_response(
            Algorithm::Sha256,
            &h,
            "GET",
            "/dir/index.html",
            &creds.nonce,
            Some(("00000001", creds.cnonce.as_deref().unwrap())),
        ),
        "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"
    );
    assert!(verify(&creds, "GET", &h, false));
    // A precomputed HA1 in upper case is accepted too.
    assert!(verify(&creds, "GET", &h.to_ascii_uppercase(), false));
}

#[test]
fn rfc7616_md5_example() {
    let md5 = ha1(
        Algorithm::Md5,
        "Mufasa",
        "http-auth@example.org",
        "Circle of Life",
    );
    assert_eq!(
        expected_response(
            Algorithm::Md5,
            &md5,
            "GET",
            "/dir/index.html",
            "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",
            Some(("00000001", "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ")),
        ),
        "8ca523f5e9506fed4657c9700eebdbec"
    );
}

#[test]
fn no_qop_form_only_when_allowed() {
    let h = ha1(Algorithm::Md5, "100", "pbx", "secret");
    let response = expected_response(Algorithm::Md5, &h, "REGISTER", "sip:pbx", "abc", None);
    let header = format!(
        r#"Digest username="100", realm="pbx", nonce="abc", uri="sip:pbx", response="{response}""#
    );
    let creds = parse_credentials(&header).unwrap();
    assert!(verify(&creds, "REGISTER", &h, true));
    assert!(!verify(&creds, "REGISTER", &h, false));
}

#[test]
fn parses_any_order_case_and_quoting() {
    let creds = parse_credentials(
        r#"digest  NC=0000000a,URI="sip:pbx.example.com",Response = "ABC" , , Realm=pbx,
           NONCE="n\"o\\nce", UserName="a\"b", cnonce=xyz, QOP=auth, extra="ignored","#,
    )
    .unwrap();
    assert_eq!(creds.username, "a\"b");
    assert_eq!(creds.realm, "pbx");
    assert_eq!(creds.nonce, "n\"o\\nce");
    assert_eq!(creds.uri, "sip:pbx.example.com");
    assert_eq!(creds.response, "ABC");
    assert_eq!(creds.cnonce.as_deref(), Some("xyz"));
    assert_eq!(creds.qop.as_deref(), Some("auth"));
    assert_eq!(creds.nonce_count(), Some(10));
}

#[test]
fn rejects_malformed_credentials() {
    let ok = r#"username="u", realm="r", nonce="n", uri="sip:x", response="00""#;
    assert!(parse_credentials(&format!("Digest {ok}")).is_ok());
    assert_eq!(
        parse_credentials(&format!("Basic {ok}")),
        Err(DigestError::NotDigest)
    );
    assert_eq!(parse_credentials("Digest"), Err(DigestError::NotDigest));
    assert_eq!(
        parse_credentials(r#"Digest realm="r", nonce="n", uri="sip:x", response="00""#),
        Err(DigestError::Missing("username"))
    );
    assert_eq!(
        parse_credentials(&format!(r#"Digest {ok}, Realm="other""#)),
        Err(DigestError::Duplicate("realm".into()))
    );
    for bad in [
        r#"Digest username="u"#,
        r#"Digest username="u\"#,
        r#"Digest username"#,
        r#"Digest username="#,
        r#"Digest username="u" realm="r""#,
        r#"Digest =x"#,
    ] {
        assert!(
            matches!(parse_credentials(bad), Err(DigestError::Syntax(_))),
            "{bad}"
        );
    }
    // nc must be exactly 8 hex digits.
    for nc in ["1", "0000000g", "000000001"] {
        let c = parse_credentials(&format!("Digest {ok}, nc={nc}")).unwrap();
        assert_eq!(c.nonce_count(), None, "{nc}");
    }
    let c = parse_credentials(&format!("Digest {ok}, algorithm=SHA-512-256")).unwrap();
    assert_eq!(c.algorithm(), None);
}

#[test]
fn challenge_header_format() {
    let headers = challenge_headers(
        "pbx \"x\"",
        "n1",
        "op",
        true,
        true,
        &[Algorithm::Sha256, Algorithm::Md5],
    );
    assert_eq!(
        headers,
        vec![
            r#"Digest realm="pbx \"x\"", nonce="n1", opaque="op", algorithm=SHA-256, qop="auth", stale=true"#,
            r#"Digest realm="pbx \"x\"", nonce="n1", opaque="op", algorithm=MD5, qop="auth", stale=true"#,
        ]
    );
    // Without qop and stale, neither parameter appears.
    let single = Challenge {
        realm: "r",
        nonce: "n",
        opaque: "o",
        algorithm: Algorithm::Md5,
        stale: false,
        qop_auth: false,
    };
    assert_eq!(
        single.header_value(),
        r#"Digest realm="r", nonce="n", opaque="o", algorithm=MD5"#
    );
}

#[test]
fn constant_time_eq_semantics() {
    assert!(constant_time_eq(b"abc", b"abc"));
    assert!(!constant_time_eq(b"abc", b"abd"));
    assert!(!constant_time_eq(b"abc", b"ab"));
    assert!(constant_time_eq(b"", b""));
}
