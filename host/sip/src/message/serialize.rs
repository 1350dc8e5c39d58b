//! Serialising messages to wire bytes.
//!
//! The start line, then the headers in order as `Name: value` lines, an
//! empty line and the body. `Content-Length` always states the body's
//! length: it replaces the first existing `Content-Length` in place (any
//! others are dropped) or is appended after the last header. CR and LF
//! inside a header name or value (which a parsed message never holds)
//! are written as spaces so that no value can inject header lines.

use super::{Headers, Request, Response, SipMessage};

impl Request {
    /// The request as wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(estimate(&self.headers, self.body.len()) + self.uri.len());
        out.extend_from_slice(self.method.as_str().as_bytes());
        out.push(b' ');
        put_clean(&mut out, &self.uri);
        out.extend_from_slice(b" SIP/2.0\r\n");
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}

impl Response {
    /// The response as wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out =
            Vec::with_capacity(estimate(&self.headers, self.body.len()) + self.reason.len());
        out.extend_from_slice(b"SIP/2.0 ");
        out.extend_from_slice(self.status.to_string().as_bytes());
        out.push(b' ');
        put_clean(&mut out, &self.reason);
        out.extend_from_slice(b"\r\n");
        write_rest(&mut out, &self.headers, &self.body);
        out
    }
}

impl SipMessage {
    /// The message as wire bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            SipMessage::Request(r) => r.to_bytes(),
            SipMessage::Response(r) => r.to_bytes(),
        }
    }
}

fn estimate(headers: &Headers, body: usize) -> usize {
    let head: usize = headers.iter().map(|(n, v)| n.len() + v.len() + 4).sum();
    64 + head + body
}

/// Headers (with Content-Length from the body), empty line, body.
fn write_rest(out: &mut Vec<u8>, headers: &Headers, body: &[u8]) {
    let length = body.len().to_string();
    let mut wrote_length = false;
    for (name, value) in headers.iter() {
        let value = if name.eq_ignore_ascii_case("Content-Length") {
            if wrote_length {
                continue;
            }
            wrote_length = true;
            length.as_str()
        } else {
            value
        };
        put_header(out, name, value);
    }
    if !wrote_length {
        put_header(out, "Content-Length", &length);
    }
    out.extend_from_slice(b"\r\n");
    out.extend_from_slice(body);
}

fn put_header(out: &mut Vec<u8>, name: &str, value: &str) {
    put_clean(out, name);
    out.extend_from_slice(b": ");
    put_clean(out, value);
    out.extend_from_slice(b"\r\n");
}

/// `text` with CR and LF replaced by SP.
fn put_clean(out: &mut Vec<u8>, text: &str) {
    out.extend(
        text.bytes()
            .map(|b| if b == b'\r' || b == b'\n' { b' ' } else { b }),
    );
}

#[cfg(test)]
mod tests {
    use crate::message::{Method, Request, Response, SipMessage, parse_datagram};

    #[test]
    fn request_bytes_and_content_length() {
        let mut r = Request::new(Method::Invite, "sip:bob@example.com");
        r.headers.push("Via", "SIP/2.0/UDP h;branch=z9hG4bK1");
        r.headers.push("Content-Length", "999");
        r.headers.push("To", "<sip:bob@example.com>");
        r.headers.push("l", "5");
        r.body = bytes::Bytes::from_static(b"v=0\r\n");
        let text = String::from_utf8(r.to_bytes()).unwrap();
        assert_eq!(
            text,
            "INVITE sip:bob@example.com SIP/2.0\r\n\
Via: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\
Content-Length: 5\r\n\
To: <sip:bob@example.com>\r\n\
\r\n\
v=0\r\n"
        );
    }

    #[test]
    fn response_bytes_appends_content_length() {
        let mut r = Response {
            status: 100,
            reason: String::new(),
            headers: Default::default(),
            body: Default::default(),
        };
        r.headers.push("Call-ID", "x\r\nEvil: yes");
        assert_eq!(
            SipMessage::Response(r).to_bytes(),
            b"SIP/2.0 100 \r\nCall-ID: x  Evil: yes\r\nContent-Length: 0\r\n\r\n"
        );
    }

    #[test]
    fn round_trip() {
        let d = b"OPTIONS sip:a@b SIP/2.0\r\nv: SIP/2.0/UDP h ; branch=z9hG4bK1\r\nTo: sip:a@b\r\n\
From: sip:c@d;tag=1\r\nCall-ID: x\r\nCSeq: 1 OPTIONS\r\nl: 2\r\n\r\nhi";
        let m = parse_datagram(d).unwrap();
        assert_eq!(parse_datagram(&m.to_bytes()).unwrap(), m);
    }
}
