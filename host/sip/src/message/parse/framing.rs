//! Framing: keep-alives, the end of the header section, `Content-Length`
//! bodies, datagram versus stream, and the size limit.

use super::head::parse_head;
use super::start_line::{effective_kind, guess, parse_start_line};
use super::{MAX_MESSAGE_BYTES, ParseError, ParseErrorKind, SipMessage};

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
pub(super) fn find_crlf(data: &[u8]) -> Option<usize> {
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
