//! The client (UAC) side of SIP digest authentication: parsing a
//! `WWW-Authenticate` / `Proxy-Authenticate` challenge and building the
//! `Authorization` / `Proxy-Authorization` value that answers it
//! (RFC 3261 section 22.4, RFC 2617, RFC 7616, RFC 8760).
//!
//! Used when the PBX itself registers to (or calls through) a carrier.
//! Pure: the caller supplies the client nonce (`cnonce`) and the nonce
//! count, so results are reproducible in tests.

use super::digest::{Algorithm, DigestError, expected_response, ha1, parse_params, quote};

/// One parsed `Digest` challenge.
///
/// Values are unquoted and unescaped; parameter names are matched without
/// regard to case. Unknown parameters are ignored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DigestChallenge {
    /// `realm`, the protection space.
    pub realm: String,
    /// `nonce`, to be echoed.
    pub nonce: String,
    /// `opaque`, to be echoed unchanged when present.
    pub opaque: Option<String>,
    /// `algorithm` as sent; absent means MD5.
    pub algorithm: Option<String>,
    /// The `qop` options offered (`qop="auth,auth-int"` gives two).
    pub qop: Vec<String>,
    /// `stale=true`: the previous credentials were right, only the nonce
    /// was too old, so retrying with the new nonce is expected to work.
    pub stale: bool,
}

impl DigestChallenge {
    /// The algorithm offered, `None` when this client does not support it
    /// (e.g. `SHA-512-256` or a `-sess` variant).
    pub fn algorithm(&self) -> Option<Algorithm> {
        match &self.algorithm {
            None => Some(Algorithm::Md5),
            Some(a) => Algorithm::from_token(a),
        }
    }

    /// Whether `qop=auth` is offered.
    pub fn offers_qop_auth(&self) -> bool {
        self.qop.iter().any(|q| q.eq_ignore_ascii_case("auth"))
    }

    /// Whether this client can answer the challenge: a supported algorithm
    /// and either `qop=auth` or no qop at all (RFC 2069 form).
    pub fn is_supported(&self) -> bool {
        self.algorithm().is_some() && (self.qop.is_empty() || self.offers_qop_auth())
    }
}

/// Parse one challenge header value (`Digest realm="..", nonce="..", ..`).
pub fn parse_challenge(value: &str) -> Result<DigestChallenge, DigestError> {
    let value = value.trim();
    let (scheme, rest) = match value.find(|c: char| c.is_ascii_whitespace()) {
        Some(i) => value.split_at(i),
        None => (value, ""),
    };
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(DigestError::NotDigest);
    }
    let mut ch = DigestChallenge::default();
    let mut seen: Vec<String> = Vec::new();
    for (key, val) in parse_params(rest)? {
        let key = key.to_ascii_lowercase();
        if seen.contains(&key) {
            return Err(DigestError::Duplicate(key));
        }
        seen.push(key.clone());
        match key.as_str() {
            "realm" => ch.realm = val,
            "nonce" => ch.nonce = val,
            "opaque" => ch.opaque = Some(val),
            "algorithm" => ch.algorithm = Some(val),
            "qop" => {
                ch.qop = val
                    .split(',')
                    .map(|q| q.trim().to_string())
                    .filter(|q| !q.is_empty())
                    .collect()
            }
            "stale" => ch.stale = val.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    if !seen.iter().any(|k| k == "realm") {
        return Err(DigestError::Missing("realm"));
    }
    if !seen.iter().any(|k| k == "nonce") {
        return Err(DigestError::Missing("nonce"));
    }
    Ok(ch)
}

/// The challenge to answer among several header values: the first that
/// parses and [`is_supported`](DigestChallenge::is_supported) (RFC 8760
/// section 2.4: servers list the preferred algorithm first).
pub fn select_challenge<'a>(values: impl IntoIterator<Item = &'a str>) -> Option<DigestChallenge> {
    values
        .into_iter()
        .filter_map(|v| parse_challenge(v).ok())
        .find(DigestChallenge::is_supported)
}

/// Why a challenge could not be answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientAuthError {
    /// The algorithm is not MD5 or SHA-256.
    #[error("unsupported digest algorithm {0}")]
    UnsupportedAlgorithm(String),
    /// Only qop values other than `auth` (e.g. `auth-int`) are offered.
    #[error("no supported qop offered")]
    UnsupportedQop,
}

/// What the client proves itself with.
#[derive(Debug, Clone, Copy)]
pub struct ClientAnswer<'a> {
    /// Digest username (the account name at the carrier).
    pub username: &'a str,
    /// The password.
    pub password: &'a str,
    /// Request method, e.g. `REGISTER`.
    pub method: &'a str,
    /// The digest-uri: the Request-URI of the request being authorised.
    pub uri: &'a str,
    /// Nonce count, 1 for the first request with this nonce.
    pub nc: u32,
    /// Client nonce (any unguessable token without quotes).
    pub cnonce: &'a str,
}

/// Build the `Authorization` (or `Proxy-Authorization`) value answering
/// `challenge`. With `qop=auth` offered the response is
/// `H(HA1:nonce:nc:cnonce:auth:HA2)` and `cnonce`/`nc` are included;
/// without any qop the RFC 2069 form `H(HA1:nonce:HA2)` is used.
pub fn authorization(
    challenge: &DigestChallenge,
    answer: &ClientAnswer<'_>,
) -> Result<String, ClientAuthError> {
    let alg = challenge.algorithm().ok_or_else(|| {
        ClientAuthError::UnsupportedAlgorithm(challenge.algorithm.clone().unwrap_or_default())
    })?;
    let use_qop = if challenge.qop.is_empty() {
        false
    } else if challenge.offers_qop_auth() {
        true
    } else {
        return Err(ClientAuthError::UnsupportedQop);
    };
    let ha1 = ha1(alg, answer.username, &challenge.realm, answer.password);
    let nc = format!("{:08x}", answer.nc);
    let response = expected_response(
        alg,
        &ha1,
        answer.method,
        answer.uri,
        &challenge.nonce,
        use_qop.then_some((nc.as_str(), answer.cnonce)),
    );
    let mut v = format!(
        "Digest username={}, realm={}, nonce={}, uri={}, response={}, algorithm={}",
        quote(answer.username),
        quote(&challenge.realm),
        quote(&challenge.nonce),
        quote(answer.uri),
        quote(&response),
        alg.token()
    );
    if let Some(opaque) = &challenge.opaque {
        v.push_str(", opaque=");
        v.push_str(&quote(opaque));
    }
    if use_qop {
        v.push_str(&format!(
            ", qop=auth, nc={nc}, cnonce={}",
            quote(answer.cnonce)
        ));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::digest::{parse_credentials, verify};

    #[test]
    fn parses_a_challenge() {
        let c = parse_challenge(
            "Digest realm=\"carrier.test\", nonce=\"abc\", opaque=\"o\\\"p\", \
             algorithm=SHA-256, qop=\"auth,auth-int\", stale=TRUE",
        )
        .unwrap();
        assert_eq!(c.realm, "carrier.test");
        assert_eq!(c.nonce, "abc");
        assert_eq!(c.opaque.as_deref(), Some("o\"p"));
        assert_eq!(c.algorithm(), Some(Algorithm::Sha256));
        assert_eq!(c.qop, vec!["auth", "auth-int"]);
        assert!(c.stale && c.offers_qop_auth() && c.is_supported());
        assert_eq!(
            parse_challenge("Basic realm=\"x\""),
            Err(DigestError::NotDigest)
        );
        assert_eq!(
            parse_challenge("Digest realm=\"x\""),
            Err(DigestError::Missing("nonce"))
        );
    }

    #[test]
    fn selects_first_supported() {
        let c = select_challenge([
            "Digest realm=\"r\", nonce=\"n\", algorithm=SHA-512-256, qop=\"auth\"",
            "Digest realm=\"r\", nonce=\"n\", qop=\"auth-int\"",
            "Digest realm=\"r\", nonce=\"n\", algorithm=MD5, qop=\"auth\"",
        ])
        .unwrap();
        assert_eq!(c.algorithm(), Some(Algorithm::Md5));
    }

    #[test]
    fn authorization_verifies() {
        for alg in ["MD5", "SHA-256"] {
            let c = parse_challenge(&format!(
                "Digest realm=\"r\", nonce=\"n1\", opaque=\"op\", algorithm={alg}, qop=\"auth\""
            ))
            .unwrap();
            let answer = ClientAnswer {
                username: "u",
                password: "pw",
                method: "REGISTER",
                uri: "sip:r",
                nc: 1,
                cnonce: "cn",
            };
            let v = authorization(&c, &answer).unwrap();
            let creds = parse_credentials(&v).unwrap();
            assert_eq!(creds.nc.as_deref(), Some("00000001"));
            assert_eq!(creds.opaque.as_deref(), Some("op"));
            let alg = c.algorithm().unwrap();
            assert!(verify(&creds, "REGISTER", &ha1(alg, "u", "r", "pw"), false));
            assert!(!verify(
                &creds,
                "REGISTER",
                &ha1(alg, "u", "r", "no"),
                false
            ));
        }
        // RFC 2069 form without qop.
        let c = parse_challenge("Digest realm=\"r\", nonce=\"n1\"").unwrap();
        let answer = ClientAnswer {
            username: "u",
            password: "pw",
            method: "REGISTER",
            uri: "sip:r",
            nc: 1,
            cnonce: "cn",
        };
        let creds = parse_credentials(&authorization(&c, &answer).unwrap()).unwrap();
        assert!(creds.qop.is_none());
        assert!(verify(
            &creds,
            "REGISTER",
            &ha1(Algorithm::Md5, "u", "r", "pw"),
            true
        ));
    }
}
