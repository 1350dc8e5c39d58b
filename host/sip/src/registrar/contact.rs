//! Contact header values and SIP URI comparison, as far as the registrar
//! needs them: which contacts a REGISTER names, with what parameters, and
//! whether one names the same contact as an existing binding
//! (RFC 3261 sections 20.10 and 19.1.4).

/// One entry of a Contact header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContactEntry {
    /// `*`: all bindings (only valid with `Expires: 0`).
    Star,
    /// A contact address.
    Address(ContactAddress),
}

/// A contact address with its header parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactAddress {
    /// The URI without angle brackets.
    pub uri: String,
    /// Header parameters (after the URI), names lower-cased, quoted values
    /// unquoted.
    pub params: Vec<(String, Option<String>)>,
}

impl ContactAddress {
    /// A header parameter: `Some(None)` for a flag, `Some(Some(v))` for a
    /// value.
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

/// Split a header value at commas that are not inside quotes or `<...>`.
/// Contact may carry several entries in one header line.
pub fn split_list(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut angle, mut escaped) = (false, false, false);
    let mut start = 0;
    for (i, c) in value.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '<' if !quoted => angle = true,
            '>' if !quoted => angle = false,
            ',' if !quoted && !angle => {
                out.push(value[start..i].trim());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(value[start..].trim());
    out.retain(|s| !s.is_empty());
    out
}

/// Split at `;` outside quotes.
fn split_params(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut quoted, mut escaped, mut start) = (false, false, 0);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            ';' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn unquote(v: &str) -> String {
    let v = v.trim();
    match v.strip_prefix('"').and_then(|s| s.strip_suffix('"')) {
        Some(inner) => {
            let mut out = String::with_capacity(inner.len());
            let mut chars = inner.chars();
            while let Some(c) = chars.next() {
                if c == '\\' {
                    if let Some(n) = chars.next() {
                        out.push(n);
                    }
                } else {
                    out.push(c);
                }
            }
            out
        }
        None => v.to_string(),
    }
}

/// Parse one Contact entry (`*`, `"Name" <uri>;params` or `uri;params`).
/// `None` when it is not a usable URI.
pub fn parse_entry(value: &str) -> Option<ContactEntry> {
    let value = value.trim();
    if value == "*" {
        return Some(ContactEntry::Star);
    }
    let (uri, rest) = if let Some(open) = find_unquoted(value, '<') {
        let close = value[open..].find('>')? + open;
        (&value[open + 1..close], &value[close + 1..])
    } else {
        // Without brackets, parameters after the URI belong to the header
        // (RFC 3261 20.10), and the URI can carry none of its own.
        match value.find(';') {
            Some(i) => (&value[..i], &value[i..]),
            None => (value, ""),
        }
    };
    let uri = uri.trim();
    let (scheme, body) = uri.split_once(':')?;
    let scheme_ok = !scheme.is_empty()
        && scheme.as_bytes()[0].is_ascii_alphabetic()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b));
    if !scheme_ok || body.is_empty() || uri.contains(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim();
    if !rest.is_empty() && !rest.starts_with(';') {
        return None;
    }
    let params = split_params(rest)
        .into_iter()
        .skip(1)
        .filter(|p| !p.trim().is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.trim().to_ascii_lowercase(), Some(unquote(v))),
            None => (p.trim().to_ascii_lowercase(), None),
        })
        .collect();
    Some(ContactEntry::Address(ContactAddress {
        uri: uri.to_string(),
        params,
    }))
}

fn find_unquoted(s: &str, target: char) -> Option<usize> {
    let mut quoted = false;
    let mut escaped = false;
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if c == '\\' && quoted {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == target && !quoted {
            return Some(i);
        }
    }
    None
}

/// A SIP URI broken into the parts RFC 3261 19.1.4 compares.
struct UriParts<'a> {
    scheme: &'a str,
    userinfo: Option<&'a str>,
    host: &'a str,
    params: Vec<(String, Option<String>)>,
    headers: Option<&'a str>,
}

fn uri_parts(uri: &str) -> Option<UriParts<'_>> {
    let (scheme, rest) = uri.split_once(':')?;
    let (rest, headers) = match rest.split_once('?') {
        Some((r, h)) => (r, Some(h)),
        None => (rest, None),
    };
    let (userinfo, hostpart) = match rest.split_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, rest),
    };
    let mut parts = hostpart.split(';');
    let host = parts.next()?;
    let params = parts
        .filter(|p| !p.is_empty())
        .map(|p| match p.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(v.to_ascii_lowercase())),
            None => (p.to_ascii_lowercase(), None),
        })
        .collect();
    Some(UriParts {
        scheme,
        userinfo,
        host,
        params,
        headers,
    })
}

/// Whether two URIs are equal under RFC 3261 19.1.4 (simplified: no
/// percent-decoding). Scheme and host are case-insensitive, user info is
/// not; a port must match exactly (absent is not 5060); `user`, `ttl`,
/// `method`, `maddr` and `transport` must agree when either side has
/// them; other parameters must agree only when both have them. Non-SIP
/// URIs compare as case-insensitive text.
pub fn uri_eq(a: &str, b: &str) -> bool {
    let (Some(pa), Some(pb)) = (uri_parts(a), uri_parts(b)) else {
        return a.eq_ignore_ascii_case(b);
    };
    if !pa.scheme.eq_ignore_ascii_case(pb.scheme) {
        return false;
    }
    let is_sip = ["sip", "sips"]
        .iter()
        .any(|s| pa.scheme.eq_ignore_ascii_case(s));
    if !is_sip {
        return a.eq_ignore_ascii_case(b);
    }
    if pa.userinfo != pb.userinfo || !pa.host.eq_ignore_ascii_case(pb.host) {
        return false;
    }
    if pa.headers != pb.headers {
        return false;
    }
    const MUST_MATCH: [&str; 5] = ["user", "ttl", "method", "maddr", "transport"];
    let get = |p: &UriParts<'_>, k: &str| {
        p.params
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    for (name, _) in pa.params.iter().chain(pb.params.iter()) {
        let (va, vb) = (get(&pa, name), get(&pb, name));
        match (va, vb) {
            (Some(x), Some(y)) if x != y => return false,
            (Some(_), None) | (None, Some(_)) if MUST_MATCH.contains(&name.as_str()) => {
                return false;
            }
            _ => {}
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(v: &str) -> ContactAddress {
        match parse_entry(v) {
            Some(ContactEntry::Address(a)) => a,
            other => panic!("{v}: {other:?}"),
        }
    }

    #[test]
    fn splits_lists_outside_quotes_and_brackets() {
        assert_eq!(
            split_list(r#""Doe, J" <sip:a@x;p=1,2>;q=0.5, sip:b@y ,<sip:c@z>"#),
            vec![r#""Doe, J" <sip:a@x;p=1,2>;q=0.5"#, "sip:b@y", "<sip:c@z>"]
        );
        assert_eq!(split_list("*"), vec!["*"]);
    }

    #[test]
    fn parses_entries() {
        assert_eq!(parse_entry(" * "), Some(ContactEntry::Star));
        let a = addr(
            r#""Alice; \"A\"" <sip:100@192.0.2.5:5062;transport=tcp>;expires=120;q=0.7;+sip.instance="<urn:uuid:00000000-0000-1000-8000-000A95A0E128>";reg-id=1;lr"#,
        );
        assert_eq!(a.uri, "sip:100@192.0.2.5:5062;transport=tcp");
        assert_eq!(a.param("expires"), Some(Some("120")));
        assert_eq!(a.param("Q"), Some(Some("0.7")));
        assert_eq!(
            a.param("+sip.instance"),
            Some(Some("<urn:uuid:00000000-0000-1000-8000-000A95A0E128>"))
        );
        assert_eq!(a.param("lr"), Some(None));
        let bare = addr("sip:100@192.0.2.5;expires=0");
        assert_eq!(bare.uri, "sip:100@192.0.2.5");
        assert_eq!(bare.param("expires"), Some(Some("0")));
        for bad in [
            "",
            "<>",
            "<sip:a@b",
            "foo",
            ":x",
            "<sip:a b@c>",
            "<sip:a@b> junk",
        ] {
            assert_eq!(parse_entry(bad), None, "{bad}");
        }
    }

    #[test]
    fn uri_comparison_follows_rfc3261() {
        assert!(uri_eq("sip:100@Example.COM", "SIP:100@example.com"));
        assert!(
            !uri_eq("sip:Alice@x", "sip:alice@x"),
            "user is case-sensitive"
        );
        assert!(
            !uri_eq("sip:a@x", "sip:a@x:5060"),
            "absent port is not 5060"
        );
        assert!(uri_eq(
            "sip:a@x;transport=TCP;foo=1",
            "sip:a@x;transport=tcp"
        ));
        assert!(!uri_eq("sip:a@x;transport=tcp", "sip:a@x"));
        assert!(!uri_eq("sip:a@x;foo=1", "sip:a@x;foo=2"));
        assert!(
            uri_eq("sip:a@x;ob", "sip:a@x"),
            "other params ignored if one-sided"
        );
        assert!(!uri_eq("sip:a@x", "sips:a@x"));
        assert!(uri_eq("tel:+1234", "TEL:+1234"));
    }
}
