//! The start line: Request-Line and Status-Line parsing, the SIP-Version
//! and Request-URI checks, and what a broken start line looks like.

use super::ParseErrorKind;
use super::chars::{is_host_byte, is_token_byte, is_uri_byte, starts_with_ci, trim_ws_bytes};

/// What the start line looks like, even when it is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Guess {
    Request,
    Response,
    Unknown,
}

pub(super) fn guess(line: &[u8]) -> Guess {
    if starts_with_ci(line, b"SIP/") {
        return Guess::Response;
    }
    // Something, then a space, then somewhere a SIP-Version: a request,
    // however broken.
    let mut parts = line.split(|&b| b == b' ');
    let first = parts.next().unwrap_or(b"");
    if !first.is_empty() && parts.any(|p| starts_with_ci(trim_ws_bytes(p), b"SIP/")) {
        Guess::Request
    } else {
        Guess::Unknown
    }
}

/// The error kind to report given what the start line looked like:
/// responses and unidentifiable messages are dropped.
pub(super) fn effective_kind(guess: Guess, kind: ParseErrorKind) -> ParseErrorKind {
    match guess {
        Guess::Request => kind,
        Guess::Response => ParseErrorKind::BadResponse,
        Guess::Unknown => ParseErrorKind::NotSip,
    }
}

pub(super) enum Start<'a> {
    Request { method: &'a str, uri: &'a str },
    Response { status: u16, reason: String },
}

/// Parse a start line. Errors are (kind for a request, message).
pub(super) fn parse_start_line(line: &[u8]) -> Result<Start<'_>, (ParseErrorKind, String)> {
    let bad = |m: &str| (ParseErrorKind::BadRequest, m.to_string());
    if line.iter().any(|&b| b == b'\r' || b == b'\n') {
        return Err(bad("bare CR or LF in the start line"));
    }
    if starts_with_ci(line, b"SIP/") {
        return parse_status_line(line).map_err(|m| (ParseErrorKind::BadResponse, m.to_string()));
    }
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(uri), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(
            "Request-Line is not Method SP Request-URI SP SIP-Version (single spaces, nothing after)",
        ));
    };
    if method.is_empty() || uri.is_empty() || version.is_empty() {
        return Err(bad(
            "Request-Line is not Method SP Request-URI SP SIP-Version (single spaces, nothing after)",
        ));
    }
    match check_version(version) {
        Version::V2 => {}
        Version::Other => {
            let v = String::from_utf8_lossy(version);
            return Err((
                ParseErrorKind::VersionNotSupported,
                format!("SIP version {v} not supported"),
            ));
        }
        Version::Malformed => return Err(bad("malformed SIP-Version in Request-Line")),
    }
    if !method.iter().all(|&b| is_token_byte(b)) {
        return Err(bad("method is not a token"));
    }
    let method = std::str::from_utf8(method).map_err(|_| bad("method is not a token"))?;
    let uri = std::str::from_utf8(uri).map_err(|_| bad("Request-URI is not ASCII"))?;
    check_request_uri(uri).map_err(bad)?;
    Ok(Start::Request { method, uri })
}

fn parse_status_line(line: &[u8]) -> Result<Start<'static>, &'static str> {
    let sp = line
        .iter()
        .position(|&b| b == b' ')
        .ok_or("Status-Line without a status code")?;
    if check_version(&line[..sp]) != Version::V2 {
        return Err("response with an unsupported or malformed SIP version");
    }
    let rest = &line[sp + 1..];
    let code = rest.get(..3).ok_or("status code not 3 digits")?;
    if !code.iter().all(u8::is_ascii_digit) {
        return Err("status code not 3 digits");
    }
    let reason = match rest.get(3) {
        None => &rest[3..],
        Some(b' ') => &rest[4..],
        Some(_) => return Err("status code not 3 digits followed by SP"),
    };
    let status = code.iter().fold(0u16, |n, &d| n * 10 + u16::from(d - b'0'));
    if !(100..=699).contains(&status) {
        return Err("status code outside 100-699");
    }
    Ok(Start::Response {
        status,
        reason: String::from_utf8_lossy(reason).into_owned(),
    })
}

#[derive(Debug, PartialEq, Eq)]
enum Version {
    V2,
    Other,
    Malformed,
}

/// `SIP/1*DIGIT.1*DIGIT`, "SIP" case-insensitive.
fn check_version(v: &[u8]) -> Version {
    if !starts_with_ci(v, b"SIP/") {
        return Version::Malformed;
    }
    let nums = &v[4..];
    let Some(dot) = nums.iter().position(|&b| b == b'.') else {
        return Version::Malformed;
    };
    let (major, minor) = (&nums[..dot], &nums[dot + 1..]);
    let digits = |s: &[u8]| !s.is_empty() && s.iter().all(u8::is_ascii_digit);
    if !digits(major) || !digits(minor) {
        Version::Malformed
    } else if major == b"2" && minor == b"0" {
        Version::V2
    } else {
        Version::Other
    }
}
/// `scheme ":" something`, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
pub(super) fn has_scheme(uri: &str) -> bool {
    let Some((scheme, rest)) = uri.split_once(':') else {
        return false;
    };
    let mut bytes = scheme.bytes();
    !rest.is_empty()
        && bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// A Request-URI: an absolute URI of URI characters; for sip/sips a host
/// and no headers.
pub(super) fn check_request_uri(uri: &str) -> Result<(), &'static str> {
    if !has_scheme(uri) {
        return Err("Request-URI has no scheme (or is enclosed in <>)");
    }
    let bytes = uri.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        if !is_uri_byte(b) {
            return Err("Request-URI contains characters that must be escaped");
        }
        if b == b'%'
            && !(bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
        {
            return Err("Request-URI contains a malformed % escape");
        }
    }
    let (scheme, rest) = uri.split_once(':').unwrap_or(("", ""));
    if scheme.eq_ignore_ascii_case("sip") || scheme.eq_ignore_ascii_case("sips") {
        check_sip_uri(rest)?;
    }
    Ok(())
}

/// The part of a SIP URI after `sip:`.
fn check_sip_uri(rest: &str) -> Result<(), &'static str> {
    let after_user = match rest.split_once('@') {
        Some(("", _)) => return Err("empty user part in Request-URI"),
        Some((_, after)) => after,
        None => rest,
    };
    if after_user.contains('?') {
        return Err("Request-URI carries ?headers");
    }
    let (hostport, params) = match after_user.find(';') {
        Some(i) => (&after_user[..i], &after_user[i..]),
        None => (after_user, ""),
    };
    check_hostport(hostport)?;
    for param in params.split(';').skip(1) {
        if param.split('=').next().unwrap_or("").is_empty() {
            return Err("empty parameter in Request-URI");
        }
    }
    Ok(())
}

fn check_hostport(hostport: &str) -> Result<(), &'static str> {
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (inside, after) = v6.split_once(']').ok_or("unterminated IPv6 reference")?;
        if inside.is_empty()
            || !inside
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || b == b':' || b == b'.')
        {
            return Err("malformed IPv6 reference");
        }
        match after {
            "" => ("v6", None),
            _ => (
                "v6",
                Some(after.strip_prefix(':').ok_or("junk after IPv6 reference")?),
            ),
        }
    } else {
        match hostport.split_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() || !host.bytes().all(is_host_byte) {
        return Err("malformed host");
    }
    if let Some(port) = port
        && (port.is_empty() || port.len() > 5 || !port.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err("malformed port");
    }
    Ok(())
}
