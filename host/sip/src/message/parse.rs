//! Parsing SIP messages from the wire (RFC 3261 section 7, hardened
//! against the RFC 4475 torture tests).
//!
//! Two entry points: [`parse_datagram`] for one UDP datagram and
//! [`parse_stream`] for a TCP/TLS receive buffer. Both return the
//! product's own [`SipMessage`]; `rsip` types never leave this module.
//! A failure is a [`ParseError`] that says which response to send
//! ([`ParseError::status`]: 400, 416, 505, 513, or `None` = drop
//! silently) and, for requests, which headers to build it from
//! ([`ParseError::request_headers`]).
//!
//! # What rsip does here, and why so little
//!
//! rsip 0.4.0 is the parser named for the product, but its message-level
//! parser (`rsip::SipMessage::try_from`) cannot be the authority: run on
//! the 49 RFC 4475 files it rejects 7 valid messages (`wsinv`, `intmeth`,
//! `esc01`, `esc02`, `longreq`, `semiuri`, `unkscm`: no line folding, no
//! whitespace before a colon, methods limited to a fixed list, URI parser
//! failures), accepts 13 invalid ones (`badaspec`, `baddn`, `badinv01`,
//! `clerr`, `insuf`, `ltgtruri`, `mcl01`, `mismatch01`, `multi01`, `ncl`,
//! `quotbal`, `regbadct`, `scalarlg`), and does no framing at all (the body
//! is everything after the empty line, so `dblreq`'s second request would
//! become the REGISTER's body). Its typed headers are no better (below).
//! So rsip is used where it is right: every header field, once unfolded,
//! goes through rsip's field tokenizer and [`rsip::Header`] conversion
//! (layer 3), and its result is what we store. Everything else is ours.
//!
//! # Layers
//!
//! 1. **Framing (ours).** Leading CRLFs (keep-alives) are skipped, the
//!    header section ends at the first empty line, and the body is exactly
//!    `Content-Length` bytes. Datagram: bytes after the body are ignored
//!    (RFC 4475 `dblreq`), a `Content-Length` beyond the datagram is 400
//!    (`clerr`), no `Content-Length` means "the rest of the datagram"
//!    (`inv2543`); a datagram whose header section ends with CRLF but lacks
//!    the empty line is accepted as having no body. Stream: `Ok(None)`
//!    until the header section and the whole body are in, a missing
//!    `Content-Length` counts as 0 (RFC 3261 makes it mandatory on
//!    streams; a sloppy peer that sends a body without it will produce a
//!    garbage next message and get the connection closed). Anything larger
//!    than [`MAX_MESSAGE_BYTES`] is 513.
//! 2. **Start line (ours).** rsip 0.4.0 cannot be used here: it matches
//!    methods case-insensitively against a fixed list (so `intmeth`,
//!    `esc02` and `mismatch02` fail and `invite` would become `INVITE`),
//!    its URI parser truncates or rejects valid URIs (`semiuri`, IPv6
//!    hosts, unknown schemes as in `unkscm`) and, on its own, stops at an
//!    embedded space without complaint (`sip:user@example.com; lr` gives
//!    `sip:user@example.com;`), it accepts `<>` around the Request-URI
//!    (`ltgtruri`), and it treats `SIP/2.5` as version 2. We
//!    require exactly `Method SP Request-URI SP SIP-Version` with single
//!    spaces and nothing after (`lwsstart`, `lwsruri`, `trws` → 400), a
//!    method token (kept case-sensitive, via [`Method::from_token`]), a
//!    Request-URI made of URI characters only with a scheme (`ltgtruri` →
//!    400), for `sip`/`sips` a valid host and no `?headers`
//!    (`escruri` → 400), and version `SIP/2.0` (`badvers` → 505). The
//!    Request-URI is kept as text; `%` escapes are not decoded (that is
//!    the URI layer's business, and decoding only once matters: `esc01`).
//! 3. **Header fields (ours, then rsip).** We unfold continuation lines
//!    (each fold becomes one SP; rsip does not unfold, nor does it accept
//!    whitespace before the colon, both used by `wsinv` and `longreq`),
//!    then every unfolded field goes through rsip's header tokenizer and
//!    its [`rsip::Header`] conversion, which checks the field name is a
//!    token and the value is UTF-8, and classifies the header. Names are
//!    canonicalised (compact forms expanded) by [`Headers::push`]; values
//!    are kept as received (trimmed), except that comma-separated lists of
//!    the headers in [`LIST_HEADERS`] are split into one entry per element
//!    (quote- and `<>`-aware), and Via values are normalised to
//!    `SIP/2.0/UDP host:port;name=value` (the LWS that RFC 3261 allows
//!    around `/`, `;`, `=` and `:` is removed, as in `wsinv`), so that
//!    [`Via::parse`](super::Via::parse) reads them right.
//! 4. **Semantic checks (ours).** rsip's typed From/To/Via/CSeq/Contact
//!    parsers are too lax (`quotbal`, `baddn`, `badinv01` pass) and too
//!    strict (they reject `wsinv`'s From and Vias, `transports`' unknown
//!    transport, `unksm2`'s URIs, CSeq with unknown methods), so none is
//!    used. Instead, for requests (→ 400) and responses (→ drop):
//!    - exactly one From, To, Call-ID and CSeq, at least one Via
//!      (`insuf`, `multi01`); at most one Content-Length, all digits
//!      (`mcl01`, `ncl`);
//!    - CSeq is `number method` with the number ≤ 2^32-1 (`scalar02`,
//!      `scalarlg`) and, in a request, the method equal to the request's
//!      (`mismatch01`, `mismatch02`: 400 rather than 501);
//!    - every Via value is `protocol/version/transport sent-by *(;param)`
//!      with non-empty parameters and list elements (`badinv01`);
//!    - From, To, and each Contact, Route and Record-Route element is a
//!      name-addr or addr-spec: the display name is a quoted string
//!      (terminated: `quotbal`) or tokens (`baddn`), no whitespace inside
//!      `<>` (`badaspec`), an addr-spec has no `?` (`regbadct`, must be
//!      in `<>`), and parameters are non-empty (`badinv01`);
//!    - the Call-ID is a non-empty word.
//!
//!    Only once all of that passed, a request whose Request-URI scheme is
//!    not in [`SUPPORTED_URI_SCHEMES`] gets 416 (`unkscm`, `novelsc`);
//!    the error then carries the complete headers.
//!
//! Deliberately *not* checked (RFC 4475 allows ignoring them, or the
//! layers above handle them): Max-Forwards and Expires values (`scalar02`
//! overlarge values are left for the reader of [`Headers::max_forwards`]
//! and friends, which treat them as absent), Date (`baddate`), header URIs
//! with unknown schemes (`unksm2`), Content-Type, Require and friends, the
//! branch cookie (`badbranch`), and responses' reason phrases (decoded as
//! lossy UTF-8: non-UTF-8 reason phrases are the only bytes not kept
//! exactly). Header values that are not UTF-8 are rejected (400), as rsip
//! does.

use super::headers::canonical_name;
use super::{Headers, Method, Request, Response, SipMessage};
use bytes::Bytes;

/// The largest message accepted, start line to end of body (RFC 3261
/// section 18.1.1 leaves this to the implementation). Larger ones get 513.
pub const MAX_MESSAGE_BYTES: usize = 64 * 1024;

/// Request-URI schemes this PBX serves; any other scheme in a request is
/// answered 416 (RFC 3261 section 8.2.2.1). Compared case-insensitively.
pub const SUPPORTED_URI_SCHEMES: &[&str] = &["sip", "sips", "tel"];

/// Headers whose comma-separated values are split into one entry per
/// element at parse time (all have `x *(COMMA x)` grammars; the split
/// ignores commas inside quoted strings and `<...>`).
pub const LIST_HEADERS: &[&str] = &[
    "Via",
    "Contact",
    "Route",
    "Record-Route",
    "Path",
    "Service-Route",
    "Allow",
    "Allow-Events",
    "Supported",
    "Require",
    "Proxy-Require",
    "Unsupported",
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Content-Encoding",
    "Content-Language",
];

/// What went wrong, as far as the response goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ParseErrorKind {
    /// Not recognisably a SIP message (garbage, another protocol, an empty
    /// datagram or a bare keep-alive): drop it.
    NotSip,
    /// A malformed response: drop it (nothing answers a response).
    BadResponse,
    /// A malformed request: answer 400.
    BadRequest,
    /// A request with a SIP version other than 2.0: answer 505.
    VersionNotSupported,
    /// A well-formed request whose Request-URI scheme is not served:
    /// answer 416.
    UnsupportedUriScheme,
    /// A request (or something we could not identify) larger than
    /// [`MAX_MESSAGE_BYTES`]: answer 513 if possible, then close a stream.
    TooLarge,
}

/// Why bytes are not an acceptable SIP message, and what to answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ParseError {
    kind: ParseErrorKind,
    message: String,
    request_headers: Option<Headers>,
}

impl ParseError {
    fn new(kind: ParseErrorKind, message: impl Into<String>) -> Self {
        ParseError {
            kind,
            message: message.into(),
            request_headers: None,
        }
    }

    fn with_headers(mut self, headers: Option<Headers>) -> Self {
        self.request_headers = headers;
        self
    }

    /// What kind of failure this is.
    pub fn kind(&self) -> ParseErrorKind {
        self.kind
    }

    /// The status code to answer with, or `None` to drop the message
    /// silently (responses, garbage, keep-alives).
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            ParseErrorKind::NotSip | ParseErrorKind::BadResponse => None,
            ParseErrorKind::BadRequest => Some(400),
            ParseErrorKind::VersionNotSupported => Some(505),
            ParseErrorKind::UnsupportedUriScheme => Some(416),
            ParseErrorKind::TooLarge => Some(513),
        }
    }

    /// The problem, in words (also what `Display` prints).
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The request's headers, when it was recognisably a request with a
    /// readable start line and top Via, so the transport can build the
    /// error response with [`Request::response`]-style copying. Only the
    /// first From, To, Call-ID and CSeq are kept (so a request with
    /// duplicates still gets one of each back); other headers are as
    /// parsed, minus any that could not be read. `None` when unsure.
    pub fn request_headers(&self) -> Option<&Headers> {
        self.request_headers.as_ref()
    }
}

/// The number of CR and LF bytes at the start of `buf`: keep-alives
/// (RFC 5626 `CRLFCRLF` pings) and stray CRLFs before a start line, which
/// RFC 3261 section 7.5 says to ignore. [`parse_stream`] skips them itself
/// but can only report them together with a message, so a transport may
/// use this to discard (and answer) pings promptly.
pub fn keepalive_len(buf: &[u8]) -> usize {
    buf.iter()
        .take_while(|&&b| b == b'\r' || b == b'\n')
        .count()
}

/// Parse one UDP datagram.
///
/// Leading CRLFs are skipped; the message ends after `Content-Length`
/// body bytes (the rest of the datagram when absent) and trailing bytes
/// are ignored. See the module documentation for what is checked.
pub fn parse_datagram(bytes: &[u8]) -> Result<SipMessage, ParseError> {
    let skip = keepalive_len(bytes);
    let data = &bytes[skip..];
    if data.is_empty() {
        return Err(ParseError::new(
            ParseErrorKind::NotSip,
            "empty datagram or keep-alive",
        ));
    }
    let (head, rest) = match find_head_end(data) {
        Some(pos) => (&data[..pos + 2], &data[pos + 4..]),
        None if data.ends_with(b"\r\n") => (data, &data[data.len()..]),
        None => return Err(unterminated_head(data)),
    };
    let parsed = parse_head(head)?;
    let body = match parsed.content_length {
        Some(n) if n > rest.len() => {
            return Err(parsed.error(
                ParseErrorKind::BadRequest,
                format!(
                    "Content-Length {n} exceeds the {} body bytes in the datagram",
                    rest.len()
                ),
            ));
        }
        Some(n) => &rest[..n],
        None => rest,
    };
    if head.len() + 2 + body.len() > MAX_MESSAGE_BYTES {
        return Err(parsed.error(
            ParseErrorKind::TooLarge,
            format!("message larger than {MAX_MESSAGE_BYTES} bytes"),
        ));
    }
    Ok(parsed.into_message(body))
}

/// Parse the first message in a stream (TCP, TLS) receive buffer.
///
/// Returns `Ok(None)` while more bytes are needed (header section not
/// ended, or body shorter than `Content-Length`), or the message and the
/// number of bytes it used, leading CRLF keep-alives included. A buffer
/// holding only CRLFs gives `Ok(None)`; see [`keepalive_len`]. Any error
/// leaves the stream unsynchronised: send the response if
/// [`ParseError::status`] says so, then close the connection.
pub fn parse_stream(buf: &[u8]) -> Result<Option<(SipMessage, usize)>, ParseError> {
    let skip = keepalive_len(buf);
    let data = &buf[skip..];
    if data.is_empty() {
        return Ok(None);
    }
    let Some(pos) = find_head_end(data) else {
        if data.len() > MAX_MESSAGE_BYTES {
            return Err(ParseError::new(
                ParseErrorKind::TooLarge,
                format!("header section longer than {MAX_MESSAGE_BYTES} bytes"),
            ));
        }
        // Reject a bad start line at once rather than waiting for more.
        if let Some(eol) = find_crlf(data) {
            let line = &data[..eol];
            if let Err((kind, message)) = parse_start_line(line) {
                return Err(ParseError::new(effective_kind(guess(line), kind), message));
            }
        }
        return Ok(None);
    };
    let head_len = pos + 4;
    if head_len > MAX_MESSAGE_BYTES {
        return Err(ParseError::new(
            ParseErrorKind::TooLarge,
            format!("header section longer than {MAX_MESSAGE_BYTES} bytes"),
        ));
    }
    let parsed = parse_head(&data[..pos + 2])?;
    let body_len = parsed.content_length.unwrap_or(0);
    if body_len > MAX_MESSAGE_BYTES - head_len {
        return Err(parsed.error(
            ParseErrorKind::TooLarge,
            format!("message larger than {MAX_MESSAGE_BYTES} bytes (Content-Length {body_len})"),
        ));
    }
    let total = head_len + body_len;
    if data.len() < total {
        return Ok(None);
    }
    let msg = parsed.into_message(&data[head_len..total]);
    Ok(Some((msg, skip + total)))
}

/// A datagram with no empty line and not ending in CRLF: report the most
/// useful error we can.
fn unterminated_head(data: &[u8]) -> ParseError {
    let message = "header section not terminated by an empty line";
    match data.windows(2).rposition(|w| w == b"\r\n") {
        Some(i) => match parse_head(&data[..i + 2]) {
            Err(e) => e,
            Ok(parsed) => parsed.error(ParseErrorKind::BadRequest, message),
        },
        None => ParseError::new(
            effective_kind(guess(data), ParseErrorKind::BadRequest),
            message,
        ),
    }
}

/// Position of the CRLFCRLF that ends the header section.
fn find_head_end(data: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = find_crlf(&data[from..]) {
        let at = from + i;
        if data.get(at + 2..at + 4) == Some(b"\r\n") {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// Position of the first CRLF.
fn find_crlf(data: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = data[from..].iter().position(|&b| b == b'\r') {
        let at = from + i;
        if data.get(at + 1) == Some(&b'\n') {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

// ---------------------------------------------------------------------
// Head: start line + header fields.

/// What the start line looks like, even when it is broken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Guess {
    Request,
    Response,
    Unknown,
}

fn guess(line: &[u8]) -> Guess {
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
fn effective_kind(guess: Guess, kind: ParseErrorKind) -> ParseErrorKind {
    match guess {
        Guess::Request => kind,
        Guess::Response => ParseErrorKind::BadResponse,
        Guess::Unknown => ParseErrorKind::NotSip,
    }
}

enum Start<'a> {
    Request { method: &'a str, uri: &'a str },
    Response { status: u16, reason: String },
}

/// A header section that passed every check.
struct ParsedHead<'a> {
    start: Start<'a>,
    headers: Headers,
    content_length: Option<usize>,
}

impl ParsedHead<'_> {
    /// An error found after the head parsed (framing, size).
    fn error(&self, kind: ParseErrorKind, message: impl Into<String>) -> ParseError {
        match self.start {
            Start::Request { .. } => {
                ParseError::new(kind, message).with_headers(salvage(&self.headers))
            }
            Start::Response { .. } => ParseError::new(ParseErrorKind::BadResponse, message),
        }
    }

    fn into_message(self, body: &[u8]) -> SipMessage {
        let body = Bytes::copy_from_slice(body);
        match self.start {
            Start::Request { method, uri } => SipMessage::Request(Request {
                method: Method::from_token(method),
                uri: uri.to_string(),
                headers: self.headers,
                body,
            }),
            Start::Response { status, reason } => SipMessage::Response(Response {
                status,
                reason,
                headers: self.headers,
                body,
            }),
        }
    }
}

/// The headers worth answering with: needs a readable top Via; keeps the
/// first of each of From, To, Call-ID and CSeq.
fn salvage(headers: &Headers) -> Option<Headers> {
    headers.top_via()?;
    let mut out = Headers::default();
    let mut seen = [false; 4];
    for (name, value) in headers.iter() {
        let slot = ["From", "To", "Call-ID", "CSeq"]
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name));
        if let Some(i) = slot {
            if seen[i] {
                continue;
            }
            seen[i] = true;
        }
        out.push(name, value);
    }
    Some(out)
}

/// Parse and check a header section: `head` runs from the start line to
/// the CRLF ending the last header field (the empty line excluded).
fn parse_head(head: &[u8]) -> Result<ParsedHead<'_>, ParseError> {
    let (first, rest) = match find_crlf(head) {
        Some(i) => (&head[..i], &head[i + 2..]),
        None => (head, &head[head.len()..]),
    };
    let guess = guess(first);
    let lexed = lex_fields(rest);
    let fail = |kind: ParseErrorKind, message: String| {
        let kind = effective_kind(guess, kind);
        let headers = match kind {
            ParseErrorKind::NotSip | ParseErrorKind::BadResponse => None,
            _ => salvage(&lexed.headers),
        };
        ParseError::new(kind, message).with_headers(headers)
    };
    let start = parse_start_line(first).map_err(|(kind, message)| fail(kind, message))?;
    if let Some(problem) = &lexed.problem {
        return Err(fail(ParseErrorKind::BadRequest, problem.clone()));
    }
    let method = match &start {
        Start::Request { method, .. } => Some(*method),
        Start::Response { .. } => None,
    };
    let content_length = check_headers(&lexed.headers, method)
        .map_err(|message| fail(ParseErrorKind::BadRequest, message))?;
    if let Start::Request { uri, .. } = &start {
        let scheme = uri.split(':').next().unwrap_or("");
        if !SUPPORTED_URI_SCHEMES
            .iter()
            .any(|s| s.eq_ignore_ascii_case(scheme))
        {
            return Err(ParseError::new(
                ParseErrorKind::UnsupportedUriScheme,
                format!("unsupported Request-URI scheme {scheme:?}"),
            )
            .with_headers(salvage(&lexed.headers)));
        }
    }
    Ok(ParsedHead {
        start,
        headers: lexed.headers,
        content_length,
    })
}

/// Parse a start line. Errors are (kind for a request, message).
fn parse_start_line(line: &[u8]) -> Result<Start<'_>, (ParseErrorKind, String)> {
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

/// Header fields, unfolded and converted, with the first lexical problem.
struct Lexed {
    headers: Headers,
    problem: Option<String>,
}

/// Split the header lines into fields, unfold them, and add them.
/// Carries on after a problem so the salvage has as much as possible.
fn lex_fields(fields: &[u8]) -> Lexed {
    let mut lexed = Lexed {
        headers: Headers::default(),
        problem: None,
    };
    let mut current: Option<(&[u8], Vec<&[u8]>)> = None;
    let mut rest = fields;
    while !rest.is_empty() {
        let (line, next) = match find_crlf(rest) {
            Some(i) => (&rest[..i], &rest[i + 2..]),
            None => (rest, &rest[rest.len()..]),
        };
        rest = next;
        if line.iter().any(|&b| b == b'\r' || b == b'\n') {
            lexed.note("bare CR or LF in a header field".into());
            continue;
        }
        if line.first().is_some_and(|&b| is_ws(b)) {
            match &mut current {
                Some((_, pieces)) => pieces.push(line),
                None => lexed.note("continuation line before the first header field".into()),
            }
            continue;
        }
        if let Some((name, pieces)) = current.take() {
            add_field(&mut lexed, name, &pieces);
        }
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            lexed.note("header line without a colon".into());
            continue;
        };
        let name = trim_ws_bytes(&line[..colon]);
        if name.is_empty() || !name.iter().all(|&b| is_token_byte(b)) {
            lexed.note("header field name is not a token".into());
            continue;
        }
        current = Some((name, vec![&line[colon + 1..]]));
    }
    if let Some((name, pieces)) = current.take() {
        add_field(&mut lexed, name, &pieces);
    }
    lexed
}

impl Lexed {
    fn note(&mut self, problem: String) {
        self.problem.get_or_insert(problem);
    }
}

/// Unfold one field, pass it through rsip, and push its value(s).
fn add_field(lexed: &mut Lexed, name: &[u8], pieces: &[&[u8]]) {
    let mut value = Vec::new();
    for piece in pieces.iter().map(|p| trim_ws_bytes(p)) {
        if piece.is_empty() {
            continue;
        }
        if !value.is_empty() {
            value.push(b' ');
        }
        value.extend_from_slice(piece);
    }
    // The name is a token, hence ASCII.
    let name = String::from_utf8_lossy(name);
    let Some(value) = rsip_field_value(&name, &value) else {
        lexed.note(format!("header {name} is not valid UTF-8"));
        return;
    };
    let canonical = canonical_name(&name);
    if !LIST_HEADERS
        .iter()
        .any(|h| h.eq_ignore_ascii_case(&canonical))
        || value.is_empty()
    {
        lexed.headers.push(&name, &value);
        return;
    }
    let is_via = canonical.eq_ignore_ascii_case("Via");
    let strict = is_via
        || ["Contact", "Route", "Record-Route"]
            .iter()
            .any(|h| h.eq_ignore_ascii_case(&canonical));
    for element in split_list(&value) {
        if element.is_empty() {
            if strict {
                lexed.note(format!("empty element in {canonical} list"));
            }
            continue;
        }
        if is_via {
            match normalise_via(element) {
                Ok(via) => lexed.headers.push(&name, &via),
                Err(why) => {
                    lexed.note(format!("malformed Via: {why}"));
                    lexed.headers.push(&name, element);
                }
            }
        } else {
            lexed.headers.push(&name, element);
        }
    }
}

/// rsip's view of one unfolded field: its header tokenizer (name token,
/// colon, value) and its conversion to [`rsip::Header`] (UTF-8, and the
/// header's type); the value is read back from the rsip header.
fn rsip_field_value(name: &str, value: &[u8]) -> Option<String> {
    let mut line = Vec::with_capacity(name.len() + 2 + value.len());
    line.extend_from_slice(name.as_bytes());
    line.extend_from_slice(b": ");
    line.extend_from_slice(value);
    let (rem, tokens) = rsip::headers::header::Tokenizer::tokenize(&line).ok()?;
    if !rem.is_empty() {
        return None;
    }
    let header: rsip::Header = tokens.try_into().ok()?;
    let text = header.to_string();
    text.split_once(": ").map(|(_, v)| v.to_string())
}

/// Split a list value at commas outside quoted strings and `<...>`.
fn split_list(value: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut in_quote, mut escaped, mut in_angle) = (false, false, false);
    let mut start = 0;
    for (i, &b) in value.as_bytes().iter().enumerate() {
        if in_quote {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_quote = false;
            }
            continue;
        }
        match b {
            b'"' => in_quote = true,
            b'<' => in_angle = true,
            b'>' => in_angle = false,
            b',' if !in_angle => {
                out.push(trim_ws(&value[start..i]));
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(trim_ws(&value[start..]));
    out
}

// ---------------------------------------------------------------------
// Semantic checks.

/// Check the headers; returns the Content-Length, if any.
fn check_headers(headers: &Headers, method: Option<&str>) -> Result<Option<usize>, String> {
    // One pass: names are canonical (Headers::push), so exact compares do.
    const SINGLE: [&str; 5] = ["From", "To", "Call-ID", "CSeq", "Content-Length"];
    let mut first: [Option<&str>; 5] = [None; 5];
    let mut vias = 0;
    for (name, value) in headers.iter() {
        if let Some(i) = SINGLE.iter().position(|n| *n == name) {
            if first[i].is_some() {
                return Err(format!("more than one {name} header"));
            }
            first[i] = Some(value);
        } else if name == "Via" {
            vias += 1;
        } else if name == "Contact" || name == "Route" || name == "Record-Route" {
            check_address(value, name == "Contact").map_err(|why| format!("{name}: {why}"))?;
        }
    }
    let [from, to, call_id, cseq, content_length] = first;
    let (Some(from), Some(to), Some(call_id), Some(cseq)) = (from, to, call_id, cseq) else {
        let missing = SINGLE.iter().zip(first).find(|(_, v)| v.is_none());
        let name = missing.map_or("", |(n, _)| *n);
        return Err(format!("missing {name} header"));
    };
    if vias == 0 {
        return Err("missing Via header".into());
    }
    let content_length = content_length.map(parse_content_length).transpose()?;

    let (_, cseq_method) = parse_cseq(cseq)?;
    if let Some(method) = method
        && method != cseq_method
    {
        return Err(format!(
            "CSeq method {cseq_method} does not match request method {method}"
        ));
    }
    if call_id.is_empty() || call_id.bytes().any(is_ws) {
        return Err("Call-ID empty or containing whitespace".into());
    }
    check_address(from, false).map_err(|why| format!("From: {why}"))?;
    check_address(to, false).map_err(|why| format!("To: {why}"))?;
    Ok(content_length)
}

fn parse_content_length(value: &str) -> Result<usize, String> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("Content-Length {value:?} is not a number"));
    }
    value
        .parse::<u32>()
        .ok()
        .and_then(|n| usize::try_from(n).ok())
        .ok_or_else(|| format!("Content-Length {value} out of range"))
}

/// `CSeq: 1*DIGIT LWS Method`, the number at most 2^32-1.
fn parse_cseq(value: &str) -> Result<(u32, &str), String> {
    let (number, method) = value
        .split_once([' ', '\t'])
        .ok_or_else(|| format!("CSeq {value:?} is not \"number method\""))?;
    if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("CSeq number {number:?} is not a number"));
    }
    let number = number
        .parse::<u32>()
        .map_err(|_| format!("CSeq number {number} exceeds 2^32-1"))?;
    let method = trim_ws(method);
    if method.is_empty() || !method.bytes().all(is_token_byte) {
        return Err(format!("CSeq method {method:?} is not a token"));
    }
    Ok((number, method))
}

/// A name-addr or addr-spec with header parameters (From, To, and the
/// elements of Contact, Route and Record-Route).
fn check_address(value: &str, allow_star: bool) -> Result<(), &'static str> {
    let value = trim_ws(value);
    if allow_star && value == "*" {
        return Ok(());
    }
    let mut c = Cursor::new(value);
    let name_addr = if c.peek() == Some(b'"') {
        c.quoted_string()?;
        c.skip_ws();
        if c.peek() != Some(b'<') {
            return Err("quoted display name not followed by <URI>");
        }
        true
    } else {
        c.take_while(|b| is_token_byte(b) || is_ws(b));
        if c.peek() == Some(b'<') {
            true
        } else {
            c = Cursor::new(value);
            false
        }
    };
    if name_addr {
        c.bump();
        let uri = c.take_while(|b| b != b'>');
        if !c.eat(b'>') {
            return Err("missing > after the URI");
        }
        if uri.bytes().any(|b| is_ws(b) || b == b'<' || b == b'"') {
            return Err("whitespace or quote inside <URI>");
        }
        if !has_scheme(uri) {
            return Err("URI in <> has no scheme");
        }
    } else {
        let uri = c.take_while(|b| !is_ws(b) && b != b';');
        if uri.contains('?') {
            return Err("a URI with ?headers must be enclosed in <>");
        }
        if uri.bytes().any(|b| b"<>\",".contains(&b)) || !has_scheme(uri) {
            return Err(
                "malformed address (a display name with non-token characters must be quoted)",
            );
        }
    }
    c.params()
}

/// `scheme ":" something`, scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ).
fn has_scheme(uri: &str) -> bool {
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
fn check_request_uri(uri: &str) -> Result<(), &'static str> {
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

/// Check a Via value and return it without optional LWS:
/// `SIP/2.0/UDP host:port;name=value;flag`.
fn normalise_via(value: &str) -> Result<String, &'static str> {
    let mut c = Cursor::new(value);
    let mut out = String::with_capacity(value.len());
    for i in 0..3 {
        if i > 0 {
            c.skip_ws();
            if !c.eat(b'/') {
                return Err("sent-protocol is not name/version/transport");
            }
            c.skip_ws();
            out.push('/');
        }
        let part = c.take_while(is_token_byte);
        if part.is_empty() {
            return Err("sent-protocol is not name/version/transport");
        }
        out.push_str(part);
    }
    if c.skip_ws() == 0 {
        return Err("no space before sent-by");
    }
    out.push(' ');
    let host = if c.peek() == Some(b'[') {
        let h = c.take_while(|b| b != b']');
        if !c.eat(b']') {
            return Err("unterminated IPv6 reference in sent-by");
        }
        out.push_str(h);
        out.push(']');
        &h[1..]
    } else {
        let h = c.take_while(is_host_byte);
        out.push_str(h);
        h
    };
    if host.is_empty() {
        return Err("missing sent-by host");
    }
    c.skip_ws();
    if c.eat(b':') {
        c.skip_ws();
        let port = c.take_while(|b| b.is_ascii_digit());
        if port.is_empty() || port.len() > 5 {
            return Err("malformed sent-by port");
        }
        out.push(':');
        out.push_str(port);
    }
    loop {
        c.skip_ws();
        if c.at_end() {
            return Ok(out);
        }
        if !c.eat(b';') {
            return Err("unexpected text after sent-by");
        }
        c.skip_ws();
        let name = c.take_while(is_token_byte);
        if name.is_empty() {
            return Err("empty parameter");
        }
        out.push(';');
        out.push_str(name);
        c.skip_ws();
        if c.eat(b'=') {
            c.skip_ws();
            out.push('=');
            out.push_str(c.param_value()?);
        }
    }
}

/// A byte cursor over a `&str`, moving only over ASCII delimiters so its
/// slices always fall on character boundaries.
struct Cursor<'a> {
    s: &'a str,
    i: usize,
}

impl<'a> Cursor<'a> {
    fn new(s: &'a str) -> Self {
        Cursor { s, i: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.s.as_bytes().get(self.i).copied()
    }

    fn at_end(&self) -> bool {
        self.i >= self.s.len()
    }

    fn bump(&mut self) {
        self.i += 1;
    }

    fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.i += 1;
        }
        hit
    }

    fn skip_ws(&mut self) -> usize {
        let start = self.i;
        while self.peek().is_some_and(is_ws) {
            self.i += 1;
        }
        self.i - start
    }

    /// Bytes while `f` holds; `f` must reject the bytes of multi-byte
    /// characters or accept whole characters (we only stop at ASCII).
    fn take_while(&mut self, f: impl Fn(u8) -> bool) -> &'a str {
        let start = self.i;
        while self.peek().is_some_and(&f) {
            self.i += 1;
        }
        self.s.get(start..self.i).unwrap_or("")
    }

    /// A quoted string, quotes included; `\` escapes the next byte.
    fn quoted_string(&mut self) -> Result<&'a str, &'static str> {
        let start = self.i;
        if !self.eat(b'"') {
            return Err("expected a quoted string");
        }
        loop {
            match self.peek() {
                None => return Err("unterminated quoted string"),
                Some(b'"') => {
                    self.i += 1;
                    return self
                        .s
                        .get(start..self.i)
                        .ok_or("unterminated quoted string");
                }
                Some(b'\\') => self.i += 2,
                Some(_) => self.i += 1,
            }
        }
    }

    /// A parameter value: quoted string, or token/host characters.
    fn param_value(&mut self) -> Result<&'a str, &'static str> {
        if self.peek() == Some(b'"') {
            return self.quoted_string();
        }
        let v = self.take_while(|b| b > b' ' && b < 0x7f && !b";,\"<>=".contains(&b));
        if v.is_empty() {
            Err("empty parameter value")
        } else {
            Ok(v)
        }
    }

    /// `*( SWS ";" SWS name [ SWS "=" SWS value ] )` to the end.
    fn params(&mut self) -> Result<(), &'static str> {
        loop {
            self.skip_ws();
            if self.at_end() {
                return Ok(());
            }
            if !self.eat(b';') {
                return Err("unexpected text after the address");
            }
            self.skip_ws();
            if self.take_while(is_token_byte).is_empty() {
                return Err("empty parameter");
            }
            self.skip_ws();
            if self.eat(b'=') {
                self.skip_ws();
                self.param_value()?;
            }
        }
    }
}

// ---------------------------------------------------------------------
// Character classes.

fn is_ws(b: u8) -> bool {
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
fn is_token_byte(b: u8) -> bool {
    TOKEN[usize::from(b)]
}

/// Characters allowed unescaped in a URI: unreserved, reserved, `%` and
/// the IPv6 brackets.
fn is_uri_byte(b: u8) -> bool {
    URI[usize::from(b)]
}

/// Host name or IPv4 address characters (`_` tolerated: RFC 1123 forbids
/// it in host names, but some devices use it).
fn is_host_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'-' || b == b'.' || b == b'_'
}

fn trim_ws(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

fn trim_ws_bytes(mut s: &[u8]) -> &[u8] {
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

fn starts_with_ci(s: &[u8], prefix: &[u8]) -> bool {
    s.get(..prefix.len())
        .is_some_and(|p| p.eq_ignore_ascii_case(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTER: &[u8] = b"REGISTER sip:example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP 192.0.2.1;branch=z9hG4bK1\r\n\
To: <sip:alice@example.com>\r\n\
From: <sip:alice@example.com>;tag=1\r\n\
Call-ID: abc@192.0.2.1\r\n\
CSeq: 1 REGISTER\r\n\
Content-Length: 4\r\n\
\r\n\
body";

    fn request(m: SipMessage) -> Request {
        match m {
            SipMessage::Request(r) => r,
            SipMessage::Response(r) => panic!("expected a request, got {r:?}"),
        }
    }

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

    #[test]
    fn compact_header_names() {
        let d = b"INVITE sip:bob@example.com SIP/2.0\r\n\
v: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
t: <sip:bob@example.com>\r\n\
f: <sip:alice@example.com>;tag=9\r\n\
i: cid\r\n\
CSeq: 7 INVITE\r\n\
m: <sip:alice@h>, <sip:alice@h2>\r\n\
c: application/sdp\r\n\
k: 100rel, timer\r\n\
s: hi\r\n\
l: 3\r\n\r\nabc";
        let r = request(parse_datagram(d).unwrap());
        let names: Vec<_> = r.headers.iter().map(|(n, _)| n).collect();
        assert_eq!(
            names,
            [
                "Via",
                "To",
                "From",
                "Call-ID",
                "CSeq",
                "Contact",
                "Contact",
                "Content-Type",
                "Supported",
                "Supported",
                "Subject",
                "Content-Length"
            ]
        );
        assert_eq!(r.headers.get("m"), Some("<sip:alice@h>"));
        assert_eq!(
            r.headers.top_via().unwrap().branch.as_deref(),
            Some("z9hG4bK1")
        );
        assert_eq!(&r.body[..], b"abc");
    }

    #[test]
    fn folding_and_via_normalisation() {
        let d = b"OPTIONS sip:a@b SIP/2.0\r\n\
Via  : SIP  /  2.0\r\n  / UDP   h.example.com : 5060 ;\r\n branch = z9hG4bKx ; rport\r\n\
To: sip:a@b\r\nFrom: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\n\
Subject: one\r\n\ttwo\r\nl: 0\r\n\r\n";
        let r = request(parse_datagram(d).unwrap());
        assert_eq!(
            r.headers.get("Via"),
            Some("SIP/2.0/UDP h.example.com:5060;branch=z9hG4bKx;rport")
        );
        let via = r.headers.top_via().unwrap();
        assert_eq!(via.transport, "UDP");
        assert_eq!(via.sent_by, "h.example.com:5060");
        assert_eq!(r.headers.get("Subject"), Some("one two"));
    }

    #[test]
    fn list_split_respects_quotes_and_brackets() {
        assert_eq!(
            split_list(r#""a, b" <sip:x@y;p=1,2>;q=1 , <sip:z@w>"#),
            [r#""a, b" <sip:x@y;p=1,2>;q=1"#, "<sip:z@w>"]
        );
    }

    #[test]
    fn response_start_lines() {
        let base = "Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\nTo: <sip:a@b>;tag=2\r\n\
From: <sip:c@d>;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n";
        let ok = |line: &str| parse_datagram(format!("{line}\r\n{base}").as_bytes());
        match ok("SIP/2.0 180 Ringing").unwrap() {
            SipMessage::Response(r) => {
                assert_eq!((r.status, r.reason.as_str()), (180, "Ringing"));
            }
            _ => panic!(),
        }
        assert!(ok("SIP/2.0 100 ").is_ok());
        assert!(ok("SIP/2.0 100").is_ok());
        for bad in [
            "SIP/2.0 1000 x",
            "SIP/2.0 099 x",
            "SIP/2.0 700 x",
            "SIP/3.0 200 OK",
            "SIP/2.0 20x OK",
        ] {
            let e = ok(bad).unwrap_err();
            assert_eq!(e.status(), None, "{bad}");
            assert_eq!(e.kind(), ParseErrorKind::BadResponse);
        }
    }

    #[test]
    fn request_uri_checks() {
        for good in [
            "sip:a@b",
            "sips:[2001:db8::1]:5061;transport=tls",
            "sip:user;par=u%40example.net@example.com",
            "tel:+1-201-555-0123",
        ] {
            assert_eq!(check_request_uri(good), Ok(()), "{good}");
        }
        for bad in [
            "<sip:a@b>",
            "sip:a@b?Route=x",
            "sip:",
            "sip:a@",
            "sip:a@b;;lr",
            "sip:a@b:x",
            "sip:a%4",
            "a@b",
        ] {
            assert!(check_request_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn address_checks() {
        for good in [
            r#""A \"B\"" <sip:a@b>;tag=1"#,
            "caller<sip:a@b>",
            "tok1 tok2 <sip:a@b> ; tag = x",
            "sip:a@b;tag=1",
            "<sip:a@b?Route=%3Csip:c%3E>",
            r#"<sip:a@b>;+sip.instance="<urn:uuid:1>""#,
        ] {
            assert_eq!(check_address(good, false), Ok(()), "{good}");
        }
        for bad in [
            r#""unterminated <sip:a@b>"#,
            "Bell, Alexander <sip:a@b>",
            "< sip:a@b >",
            "sip:a@b?Route=x",
            "<sip:a@b>;;",
            "<sip:a@b>;tag=",
            "<sip:a@b",
            "",
        ] {
            assert!(check_address(bad, false).is_err(), "{bad}");
        }
        assert_eq!(check_address("*", true), Ok(()));
    }

    #[test]
    fn cseq_checks() {
        assert_eq!(parse_cseq("0009 INVITE"), Ok((9, "INVITE")));
        assert_eq!(parse_cseq("4294967295 ACK"), Ok((u32::MAX, "ACK")));
        assert!(parse_cseq("4294967296 ACK").is_err());
        assert!(parse_cseq("-1 ACK").is_err());
        assert!(parse_cseq("1").is_err());
        assert!(parse_cseq("1 A B").is_err());
    }

    #[test]
    fn non_utf8_header_is_400() {
        let d = b"OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: sip:a@b\r\n\
From: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nSubject: caf\xe9\r\nl: 0\r\n\r\n";
        let e = parse_datagram(d).unwrap_err();
        assert_eq!(e.status(), Some(400));
        assert!(e.to_string().contains("UTF-8"), "{e}");
    }

    #[test]
    fn broken_request_lines_get_400() {
        for line in [
            "INVITE sip:a@b SIP/2.0 extra",
            "INV@TE sip:a@b SIP/2.0",
            "INVITE\tsip:a@b SIP/2.0",
            "INVITE sip:a@b SIP/2.0x",
        ] {
            let d = format!(
                "{line}\r\nVia: SIP/2.0/UDP h\r\nTo: sip:a@b\r\nFrom: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nl: 0\r\n\r\n"
            );
            let e = parse_datagram(d.as_bytes()).unwrap_err();
            assert_eq!(e.status(), Some(400), "{line}: {e}");
            assert!(e.request_headers().is_some(), "{line}");
        }
        for garbage in [
            &b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"[..],
            b"\0\0\0\0",
            b"hello\r\n\r\n",
        ] {
            let e = parse_datagram(garbage).unwrap_err();
            assert_eq!(e.kind(), ParseErrorKind::NotSip, "{e}");
        }
    }

    #[test]
    fn method_is_case_sensitive() {
        let d = b"invite sip:a@b SIP/2.0\r\nVia: SIP/2.0/UDP h\r\nTo: sip:a@b\r\n\
From: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 1 invite\r\nl: 0\r\n\r\n";
        let r = request(parse_datagram(d).unwrap());
        assert_eq!(r.method, Method::Other("invite".into()));
    }
}
