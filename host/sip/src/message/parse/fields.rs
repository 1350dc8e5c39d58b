//! Header fields: splitting the header section into fields, unfolding,
//! rsip's per-field step, list splitting, Via normalisation, and the
//! semantic checks on individual headers.

use super::chars::{is_host_byte, is_token_byte, is_ws, trim_ws, trim_ws_bytes};
use super::cursor::Cursor;
use super::framing::find_crlf;
use super::start_line::has_scheme;
use super::{Headers, LIST_HEADERS};
use crate::message::headers::canonical_name;

/// Header fields, unfolded and converted, with the first lexical problem.
pub(super) struct Lexed {
    pub(super) headers: Headers,
    pub(super) problem: Option<String>,
}

/// Split the header lines into fields, unfold them, and add them.
/// Carries on after a problem so the salvage has as much as possible.
pub(super) fn lex_fields(fields: &[u8]) -> Lexed {
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
pub(super) fn split_list(value: &str) -> Vec<&str> {
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
pub(super) fn check_headers(
    headers: &Headers,
    method: Option<&str>,
) -> Result<Option<usize>, String> {
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
pub(super) fn parse_cseq(value: &str) -> Result<(u32, &str), String> {
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
pub(super) fn check_address(value: &str, allow_star: bool) -> Result<(), &'static str> {
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
