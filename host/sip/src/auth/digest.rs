//! HTTP Digest as SIP uses it (RFC 3261 section 22.4, RFC 2617, RFC 7616,
//! RFC 8760): parsing `Authorization` / `Proxy-Authorization` credentials,
//! building `WWW-Authenticate` / `Proxy-Authenticate` challenges and
//! checking a response against a stored HA1.
//!
//! Everything here is pure: no clock, no randomness, no state. Nonce
//! issuing and replay protection live in [`super::nonce`].

use md5::Md5;
use sha2::{Digest, Sha256};
use std::fmt::Write as _;

/// A digest hash algorithm the PBX accepts.
///
/// Only the non-session variants: `-sess` would need the client's cnonce
/// bound into HA1, which buys nothing when the server stores HA1 already.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Algorithm {
    /// `MD5`, the RFC 2617 default and the only one most deployed phones
    /// implement.
    Md5,
    /// `SHA-256` (RFC 7616, RFC 8760), offered first so capable clients
    /// stop using MD5.
    Sha256,
}

impl Algorithm {
    /// Every supported algorithm in order of preference (strongest first),
    /// which is also the order challenges are offered in (RFC 8760 section
    /// 2.4: the client uses the topmost one it supports).
    pub const ALL: [Algorithm; 2] = [Algorithm::Sha256, Algorithm::Md5];

    /// The token as it appears in the `algorithm` parameter.
    pub fn token(self) -> &'static str {
        match self {
            Algorithm::Md5 => "MD5",
            Algorithm::Sha256 => "SHA-256",
        }
    }

    /// The algorithm named by a parameter value (case-insensitive, as
    /// RFC 7616 tokens are), `None` for anything unsupported.
    pub fn from_token(token: &str) -> Option<Algorithm> {
        if token.eq_ignore_ascii_case("MD5") {
            Some(Algorithm::Md5)
        } else if token.eq_ignore_ascii_case("SHA-256") {
            Some(Algorithm::Sha256)
        } else {
            None
        }
    }

    /// `H(data)` as lowercase hex, the form every digest value takes.
    pub fn hash_hex(self, data: &[u8]) -> String {
        match self {
            Algorithm::Md5 => hex::encode(Md5::digest(data)),
            Algorithm::Sha256 => hex::encode(Sha256::digest(data)),
        }
    }
}

/// `HA1 = H(user:realm:password)`.
///
/// Exposed because the PBX stores HA1 values, not passwords: provisioning
/// computes one per algorithm with this when a password is set.
pub fn ha1(alg: Algorithm, user: &str, realm: &str, password: &str) -> String {
    alg.hash_hex(format!("{user}:{realm}:{password}").as_bytes())
}

/// Why a credentials header could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DigestError {
    /// The scheme is not `Digest`.
    #[error("authorization scheme is not Digest")]
    NotDigest,
    /// The parameter list does not follow the auth-param grammar.
    #[error("malformed digest parameters: {0}")]
    Syntax(&'static str),
    /// A parameter appears twice; ambiguous, so refused.
    #[error("digest parameter {0} appears twice")]
    Duplicate(String),
    /// A required parameter is missing.
    #[error("digest parameter {0} is missing")]
    Missing(&'static str),
}

/// The parameters of a `Digest` credentials header, as sent.
///
/// Values are unquoted and unescaped; keys were matched without regard to
/// case and order. Unknown parameters are ignored (RFC 7616 section 3.4).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// `username`.
    pub username: String,
    /// `realm`.
    pub realm: String,
    /// `nonce`, echoed from the challenge.
    pub nonce: String,
    /// `uri`, the digest-uri the response was computed over.
    pub uri: String,
    /// `response`, the hex digest to check.
    pub response: String,
    /// `algorithm` as sent; absent means MD5 (RFC 2617 section 3.2.1).
    pub algorithm: Option<String>,
    /// `cnonce`, required with a qop.
    pub cnonce: Option<String>,
    /// `opaque`, echoed from the challenge.
    pub opaque: Option<String>,
    /// `qop` chosen by the client.
    pub qop: Option<String>,
    /// `nc` as sent (8 hex digits).
    pub nc: Option<String>,
    /// `userhash=true` (RFC 7616): the username is hashed. Never offered
    /// by this server, so such credentials are refused upstream.
    pub userhash: bool,
}

impl Credentials {
    /// The algorithm the client used, `None` when it is not supported.
    pub fn algorithm(&self) -> Option<Algorithm> {
        match &self.algorithm {
            None => Some(Algorithm::Md5),
            Some(a) => Algorithm::from_token(a),
        }
    }

    /// The nonce count as a number, `None` when absent or not 8 hex digits.
    pub fn nonce_count(&self) -> Option<u32> {
        let nc = self.nc.as_deref()?;
        if nc.len() != 8 || !nc.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        u32::from_str_radix(nc, 16).ok()
    }
}

/// Parse one `Authorization` or `Proxy-Authorization` value.
pub fn parse_credentials(value: &str) -> Result<Credentials, DigestError> {
    let value = value.trim();
    let split = value
        .find(|c: char| c.is_ascii_whitespace())
        .ok_or(DigestError::NotDigest)?;
    let (scheme, rest) = value.split_at(split);
    if !scheme.eq_ignore_ascii_case("Digest") {
        return Err(DigestError::NotDigest);
    }
    let mut creds = Credentials::default();
    let mut seen: Vec<String> = Vec::new();
    for (key, val) in parse_params(rest)? {
        let key = key.to_ascii_lowercase();
        if seen.contains(&key) {
            return Err(DigestError::Duplicate(key));
        }
        seen.push(key.clone());
        match key.as_str() {
            "username" => creds.username = val,
            "realm" => creds.realm = val,
            "nonce" => creds.nonce = val,
            "uri" => creds.uri = val,
            "response" => creds.response = val,
            "algorithm" => creds.algorithm = Some(val),
            "cnonce" => creds.cnonce = Some(val),
            "opaque" => creds.opaque = Some(val),
            "qop" => creds.qop = Some(val),
            "nc" => creds.nc = Some(val),
            "userhash" => creds.userhash = val.eq_ignore_ascii_case("true"),
            _ => {}
        }
    }
    for (name, present) in [
        ("username", seen.iter().any(|k| k == "username")),
        ("realm", seen.iter().any(|k| k == "realm")),
        ("nonce", seen.iter().any(|k| k == "nonce")),
        ("uri", seen.iter().any(|k| k == "uri")),
        ("response", seen.iter().any(|k| k == "response")),
    ] {
        if !present {
            return Err(DigestError::Missing(name));
        }
    }
    Ok(creds)
}

/// Split `k=v, k="v", ...` into pairs, unescaping quoted strings.
/// Empty list elements are tolerated (RFC 7230 section 7 `#rule`).
pub(crate) fn parse_params(input: &str) -> Result<Vec<(String, String)>, DigestError> {
    let bytes = input.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let skip_ws = |i: &mut usize| {
        while *i < bytes.len() && bytes[*i].is_ascii_whitespace() {
            *i += 1;
        }
    };
    loop {
        // Separators and empty elements.
        while i < bytes.len() && (bytes[i].is_ascii_whitespace() || bytes[i] == b',') {
            i += 1;
        }
        if i >= bytes.len() {
            return Ok(out);
        }
        let start = i;
        while i < bytes.len() && is_token_char(bytes[i]) {
            i += 1;
        }
        if i == start {
            return Err(DigestError::Syntax("expected a parameter name"));
        }
        let key = &input[start..i];
        skip_ws(&mut i);
        if i >= bytes.len() || bytes[i] != b'=' {
            return Err(DigestError::Syntax("expected '='"));
        }
        i += 1;
        skip_ws(&mut i);
        let value = if i < bytes.len() && bytes[i] == b'"' {
            i += 1;
            let mut v = Vec::new();
            loop {
                match bytes.get(i) {
                    None => return Err(DigestError::Syntax("unterminated quoted string")),
                    Some(b'"') => {
                        i += 1;
                        break;
                    }
                    Some(b'\\') => {
                        let escaped = *bytes
                            .get(i + 1)
                            .ok_or(DigestError::Syntax("dangling escape"))?;
                        v.push(escaped);
                        i += 2;
                    }
                    Some(&b) => {
                        v.push(b);
                        i += 1;
                    }
                }
            }
            String::from_utf8(v).map_err(|_| DigestError::Syntax("quoted string is not UTF-8"))?
        } else {
            let vstart = i;
            while i < bytes.len() && is_token_char(bytes[i]) {
                i += 1;
            }
            if i == vstart {
                return Err(DigestError::Syntax("expected a value"));
            }
            input[vstart..i].to_string()
        };
        out.push((key.to_string(), value));
        skip_ws(&mut i);
        if i < bytes.len() && bytes[i] != b',' {
            return Err(DigestError::Syntax("expected ','"));
        }
    }
}

/// RFC 7230 `tchar`, plus `/` `:` `@` `[` `]` which unquoted URIs and
/// IPv6 hosts in lenient clients contain.
fn is_token_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~/:@[]".contains(&b)
}

/// Quote a string for a header parameter (RFC 7230 quoted-string).
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// What one challenge header says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Challenge<'a> {
    /// The protection space, shown to users by some phones.
    pub realm: &'a str,
    /// A fresh server nonce.
    pub nonce: &'a str,
    /// Opaque data the client must echo.
    pub opaque: &'a str,
    /// The algorithm this header offers.
    pub algorithm: Algorithm,
    /// Whether the previous attempt failed only because its nonce was
    /// stale, so the client retries without asking for the password.
    pub stale: bool,
    /// Whether to offer `qop="auth"`; always true unless the operator
    /// serves only RFC 2069 clients.
    pub qop_auth: bool,
}

impl Challenge<'_> {
    /// The header value: `Digest realm="..", nonce="..", ...`.
    pub fn header_value(&self) -> String {
        let mut v = format!(
            "Digest realm={}, nonce={}, opaque={}, algorithm={}",
            quote(self.realm),
            quote(self.nonce),
            quote(self.opaque),
            self.algorithm.token()
        );
        if self.qop_auth {
            v.push_str(", qop=\"auth\"");
        }
        if self.stale {
            v.push_str(", stale=true");
        }
        v
    }
}

/// One challenge value per algorithm in `algorithms` order, sharing the
/// nonce: RFC 8760 has the server send one header per algorithm, strongest
/// first.
pub fn challenge_headers(
    realm: &str,
    nonce: &str,
    opaque: &str,
    stale: bool,
    qop_auth: bool,
    algorithms: &[Algorithm],
) -> Vec<String> {
    algorithms
        .iter()
        .map(|&algorithm| {
            Challenge {
                realm,
                nonce,
                opaque,
                algorithm,
                stale,
                qop_auth,
            }
            .header_value()
        })
        .collect()
}

/// The response the client should have sent, from HA1.
///
/// `qop` is `Some((nc, cnonce))` for `qop=auth`:
/// `H(HA1:nonce:nc:cnonce:auth:HA2)`; `None` is the RFC 2069 form
/// `H(HA1:nonce:HA2)`. `HA2 = H(method:uri)`.
pub fn expected_response(
    alg: Algorithm,
    ha1: &str,
    method: &str,
    uri: &str,
    nonce: &str,
    qop: Option<(&str, &str)>,
) -> String {
    let ha2 = alg.hash_hex(format!("{method}:{uri}").as_bytes());
    let ha1 = ha1.to_ascii_lowercase();
    let mut input = String::with_capacity(ha1.len() + nonce.len() + ha2.len() + 64);
    input.push_str(&ha1);
    input.push(':');
    input.push_str(nonce);
    if let Some((nc, cnonce)) = qop {
        let _ = write!(input, ":{nc}:{cnonce}:auth");
    }
    input.push(':');
    input.push_str(&ha2);
    alg.hash_hex(input.as_bytes())
}

/// Check credentials against HA1 for `method`.
///
/// Returns false for anything unsupported (unknown algorithm, a qop other
/// than `auth`, missing nc/cnonce, the RFC 2069 form when `allow_no_qop`
/// is off). The final comparison is constant-time so response timing
/// does not leak how many leading characters matched.
pub fn verify(creds: &Credentials, method: &str, ha1: &str, allow_no_qop: bool) -> bool {
    let Some(alg) = creds.algorithm() else {
        return false;
    };
    let qop = match creds.qop.as_deref() {
        // The literal goes into the hash, so only the exact token can match.
        Some("auth") => match (creds.nc.as_deref(), creds.cnonce.as_deref()) {
            (Some(nc), Some(cnonce)) if creds.nonce_count().is_some() => Some((nc, cnonce)),
            _ => return false,
        },
        Some(_) => return false,
        None if allow_no_qop => None,
        None => return false,
    };
    let expected = expected_response(alg, ha1, method, &creds.uri, &creds.nonce, qop);
    constant_time_eq(
        expected.as_bytes(),
        creds.response.to_ascii_lowercase().as_bytes(),
    )
}

/// Equality whose running time depends only on the lengths (which are
/// public: a digest's length follows from its algorithm).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    std::hint::black_box(diff) == 0
}
