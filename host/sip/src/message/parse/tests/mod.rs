//! Unit tests for the parser, by layer.

use super::*;

mod fields;
mod framing;
mod start_line;

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
