//! The header section as a whole: start line plus header fields, checked,
//! and the headers salvaged for an error response.

use super::fields::{check_headers, lex_fields};
use super::framing::find_crlf;
use super::start_line::{Start, effective_kind, guess, parse_start_line};
use super::{
    Headers, Method, ParseError, ParseErrorKind, Request, Response, SUPPORTED_URI_SCHEMES,
    SipMessage,
};
use bytes::Bytes;

/// A header section that passed every check.
pub(super) struct ParsedHead<'a> {
    start: Start<'a>,
    headers: Headers,
    pub(super) content_length: Option<usize>,
}

impl ParsedHead<'_> {
    /// An error found after the head parsed (framing, size).
    pub(super) fn error(&self, kind: ParseErrorKind, message: impl Into<String>) -> ParseError {
        match self.start {
            Start::Request { .. } => {
                ParseError::new(kind, message).with_headers(salvage(&self.headers))
            }
            Start::Response { .. } => ParseError::new(ParseErrorKind::BadResponse, message),
        }
    }

    pub(super) fn into_message(self, body: &[u8]) -> SipMessage {
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
pub(super) fn parse_head(head: &[u8]) -> Result<ParsedHead<'_>, ParseError> {
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
