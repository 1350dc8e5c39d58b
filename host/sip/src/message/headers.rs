//! Headers: an ordered list of (name, value), with names normalised to
//! their canonical long form and typed accessors for the headers the
//! stack itself reads.

use std::borrow::Cow;

/// Canonical long name for a header name, expanding compact forms
/// (RFC 3261 section 7.3.3) and fixing the case of well-known ones.
pub fn canonical_name(name: &str) -> Cow<'static, str> {
    match known_name(name) {
        Some(known) => Cow::Borrowed(known),
        None => Cow::Owned(name.to_string()),
    }
}

/// The long forms of the headers this stack knows, as written.
const KNOWN: [&str; 30] = [
    "Via",
    "From",
    "To",
    "Call-ID",
    "Contact",
    "Content-Length",
    "Content-Type",
    "Content-Encoding",
    "Supported",
    "Subject",
    "Event",
    "Refer-To",
    "Referred-By",
    "Session-Expires",
    "CSeq",
    "Max-Forwards",
    "Expires",
    "Min-Expires",
    "Route",
    "Record-Route",
    "Authorization",
    "WWW-Authenticate",
    "Proxy-Authorization",
    "Proxy-Authenticate",
    "User-Agent",
    "Allow",
    "Require",
    "RSeq",
    "RAck",
    "Min-SE",
];

/// The canonical spelling of `name` (compact or long, any case) when it
/// is a header this stack knows; no allocation.
fn known_name(name: &str) -> Option<&'static str> {
    if let [c] = name.as_bytes() {
        return match c.to_ascii_lowercase() {
            b'v' => Some("Via"),
            b'f' => Some("From"),
            b't' => Some("To"),
            b'i' => Some("Call-ID"),
            b'm' => Some("Contact"),
            b'l' => Some("Content-Length"),
            b'c' => Some("Content-Type"),
            b'e' => Some("Content-Encoding"),
            b'k' => Some("Supported"),
            b's' => Some("Subject"),
            b'o' => Some("Event"),
            b'r' => Some("Refer-To"),
            b'b' => Some("Referred-By"),
            b'x' => Some("Session-Expires"),
            _ => None,
        };
    }
    KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)).copied()
}

/// Headers in the order received. Multiple values of one header are
/// separate entries (comma-separated values are split at parse time for
/// the headers that allow it).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Headers {
    /// Names are mostly the static canonical spellings: parsing a
    /// message allocates only its values.
    entries: Vec<(Cow<'static, str>, String)>,
}

impl Headers {
    /// Append a header (name canonicalised).
    pub fn push(&mut self, name: &str, value: &str) {
        self.entries.push((canonical_name(name), value.to_string()));
    }

    /// Insert at the top (e.g. a Via added by this hop).
    pub fn push_front(&mut self, name: &str, value: &str) {
        self.entries
            .insert(0, (canonical_name(name), value.to_string()));
    }

    /// All entries in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.entries.iter().map(|(n, v)| (n.as_ref(), v.as_str()))
    }

    /// The first value of `name` (canonical or compact, any case).
    pub fn get(&self, name: &str) -> Option<&str> {
        let name = known_name(name).unwrap_or(name);
        self.entries
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `name`, in order.
    pub fn get_all<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a str> + 'a {
        let name = canonical_name(name);
        self.entries
            .iter()
            .filter(move |(n, _)| n.eq_ignore_ascii_case(&name))
            .map(|(_, v)| v.as_str())
    }

    /// Remove every value of `name`.
    pub fn remove(&mut self, name: &str) {
        let name = known_name(name).unwrap_or(name);
        self.entries.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    /// Replace every value of `name` by one.
    pub fn set(&mut self, name: &str, value: &str) {
        let canonical = canonical_name(name);
        match self
            .entries
            .iter()
            .position(|(n, _)| n.eq_ignore_ascii_case(&canonical))
        {
            Some(i) => {
                self.entries[i].1 = value.to_string();
                let mut seen = false;
                self.entries.retain(|(n, _)| {
                    if n.eq_ignore_ascii_case(&canonical) {
                        let keep = !seen;
                        seen = true;
                        keep
                    } else {
                        true
                    }
                });
            }
            None => self.push(name, value),
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// No entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Call-ID.
    pub fn call_id(&self) -> Option<&str> {
        self.get("Call-ID").map(str::trim)
    }

    /// CSeq number and method.
    pub fn cseq(&self) -> Option<(u32, super::Method)> {
        let v = self.get("CSeq")?;
        let mut parts = v.split_whitespace();
        let n = parts.next()?.parse().ok()?;
        let m = parts.next()?;
        Some((n, super::Method::from_token(m)))
    }

    /// The topmost Via, parsed.
    pub fn top_via(&self) -> Option<Via> {
        Via::parse(self.get("Via")?)
    }

    /// The `tag` parameter of From.
    pub fn from_tag(&self) -> Option<&str> {
        tag_param(self.get("From")?)
    }

    /// The `tag` parameter of To.
    pub fn to_tag(&self) -> Option<&str> {
        tag_param(self.get("To")?)
    }

    /// Max-Forwards, when present and valid.
    pub fn max_forwards(&self) -> Option<u32> {
        self.get("Max-Forwards")?.trim().parse().ok()
    }

    /// Expires, when present and valid.
    pub fn expires(&self) -> Option<u32> {
        self.get("Expires")?.trim().parse().ok()
    }
}

/// The value of the `tag` parameter in a From/To value.
fn tag_param(value: &str) -> Option<&str> {
    // Parameters follow the URI; a `;` inside <...> belongs to the URI.
    let after = match value.rfind('>') {
        Some(i) => &value[i + 1..],
        None => value,
    };
    after.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim().eq_ignore_ascii_case("tag").then_some(v.trim())
    })
}

/// A Via header value: what the transaction layer matches on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// Transport token, e.g. "UDP", "TCP", "TLS", "WS".
    pub transport: String,
    /// sent-by `host[:port]`.
    pub sent_by: String,
    /// The branch parameter.
    pub branch: Option<String>,
    /// Other parameters in order (received, rport, ...), values optional.
    pub params: Vec<(String, Option<String>)>,
}

/// The RFC 3261 branch prefix that marks a compliant transaction id.
pub const MAGIC_COOKIE: &str = "z9hG4bK";

impl Via {
    /// Parse one Via value (the first, if comma-separated).
    pub fn parse(value: &str) -> Option<Via> {
        let first = value.split(',').next()?.trim();
        let (proto, rest) = first.split_once(char::is_whitespace)?;
        let transport = proto.rsplit('/').next()?.trim().to_ascii_uppercase();
        let mut parts = rest.trim().split(';');
        let sent_by = parts.next()?.trim().to_string();
        if sent_by.is_empty() {
            return None;
        }
        let mut branch = None;
        let mut params = Vec::new();
        for p in parts {
            let (k, v) = match p.split_once('=') {
                Some((k, v)) => (k.trim(), Some(v.trim().to_string())),
                None => (p.trim(), None),
            };
            if k.eq_ignore_ascii_case("branch") {
                branch = v;
            } else if !k.is_empty() {
                params.push((k.to_ascii_lowercase(), v));
            }
        }
        Some(Via {
            transport,
            sent_by,
            branch,
            params,
        })
    }

    /// Whether the branch carries the RFC 3261 magic cookie.
    pub fn is_rfc3261(&self) -> bool {
        self.branch
            .as_deref()
            .is_some_and(|b| b.starts_with(MAGIC_COOKIE))
    }

    /// A parameter's value (`Some(None)` for a flag such as `rport`).
    pub fn param(&self, name: &str) -> Option<Option<&str>> {
        self.params
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }
}

impl std::fmt::Display for Via {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SIP/2.0/{} {}", self.transport, self.sent_by)?;
        if let Some(b) = &self.branch {
            write!(f, ";branch={b}")?;
        }
        for (k, v) in &self.params {
            match v {
                Some(v) => write!(f, ";{k}={v}")?,
                None => write!(f, ";{k}")?,
            }
        }
        Ok(())
    }
}
