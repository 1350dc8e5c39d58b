//! Character classes and whitespace helpers.

pub(super) fn is_ws(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

/// A 256-entry membership table: alphanumerics plus `extra`.
const fn byte_class(extra: &[u8]) -> [bool; 256] {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        table[b] = (b as u8).is_ascii_alphanumeric();
        b += 1;
    }
    let mut i = 0;
    while i < extra.len() {
        table[extra[i] as usize] = true;
        i += 1;
    }
    table
}

static TOKEN: [bool; 256] = byte_class(b"-.!%*_+`'~");
static URI: [bool; 256] = byte_class(b"-_.!~*'();/?:@&=+$,%[]");

/// RFC 3261 `token` characters.
pub(super) fn is_token_byte(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

/// Characters allowed unescaped in a URI: unreserved, reserved, `%` and
/// the IPv6 brackets.
pub(super) fn is_uri_byte(b: u8) -> bool {
    URI[usize::from(b)]
}

/// Host name or IPv4 address characters (`_` tolerated: RFC 1123 forbids
/// it in host names, but some devices use it).
pub(super) fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'
}

pub(super) fn trim_ws(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

pub(super) fn trim_ws_bytes(mut s: &[u8]) -> &[u8] {
    while let [first, rest @ ..] = s {
        if !is_ws(*first) {
            break;
        }
        s = rest;
    }
    while let [rest @ .., last] = s {
        if !is_ws(*last) {
            break;
        }
        s = rest;
    }
    s
}

pub(super) fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}
