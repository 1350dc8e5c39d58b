//! SIP messages as the rest of the stack sees them.
//!
//! These are the product's own types: a request or response with its
//! start line, an ordered list of headers (names normalised from compact
//! forms, values kept as received) and an opaque body. Parsing goes
//! through `rsip` in [`parse`] only, so the parser can be swapped without
//! touching the transaction layer, the registrar or the call model.

pub mod headers;
pub mod parse;
pub mod serialize;

pub use headers::{Headers, Via};
pub use parse::{MAX_MESSAGE_BYTES, ParseError, ParseErrorKind, parse_datagram, parse_stream};

use bytes::Bytes;
use std::fmt;

/// A SIP method. Unknown methods are kept as text (RFC 3261 allows any
/// token; a UAS answers them 501).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    /// INVITE.
    Invite,
    /// ACK.
    Ack,
    /// BYE.
    Bye,
    /// CANCEL.
    Cancel,
    /// REGISTER.
    Register,
    /// OPTIONS.
    Options,
    /// INFO.
    Info,
    /// UPDATE.
    Update,
    /// PRACK.
    Prack,
    /// REFER.
    Refer,
    /// NOTIFY.
    Notify,
    /// SUBSCRIBE.
    Subscribe,
    /// MESSAGE.
    Message,
    /// Any other token.
    Other(String),
}

impl Method {
    /// The method from its token (case-sensitive, as RFC 3261 says).
    pub fn from_token(token: &str) -> Method {
        match token {
            "INVITE" => Method::Invite,
            "ACK" => Method::Ack,
            "BYE" => Method::Bye,
            "CANCEL" => Method::Cancel,
            "REGISTER" => Method::Register,
            "OPTIONS" => Method::Options,
            "INFO" => Method::Info,
            "UPDATE" => Method::Update,
            "PRACK" => Method::Prack,
            "REFER" => Method::Refer,
            "NOTIFY" => Method::Notify,
            "SUBSCRIBE" => Method::Subscribe,
            "MESSAGE" => Method::Message,
            other => Method::Other(other.to_string()),
        }
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        match self {
            Method::Invite => "INVITE",
            Method::Ack => "ACK",
            Method::Bye => "BYE",
            Method::Cancel => "CANCEL",
            Method::Register => "REGISTER",
            Method::Options => "OPTIONS",
            Method::Info => "INFO",
            Method::Update => "UPDATE",
            Method::Prack => "PRACK",
            Method::Refer => "REFER",
            Method::Notify => "NOTIFY",
            Method::Subscribe => "SUBSCRIBE",
            Method::Message => "MESSAGE",
            Method::Other(s) => s,
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Method.
    pub method: Method,
    /// Request-URI, as received (e.g. `sip:100@example.com;transport=udp`).
    pub uri: String,
    /// Headers in order.
    pub headers: Headers,
    /// Body, untouched whatever its content type.
    pub body: Bytes,
}

/// A response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// Status code, 100-699.
    pub status: u16,
    /// Reason phrase (may be empty).
    pub reason: String,
    /// Headers in order.
    pub headers: Headers,
    /// Body.
    pub body: Bytes,
}

/// A request or a response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SipMessage {
    /// A request.
    Request(Request),
    /// A response.
    Response(Response),
}

impl SipMessage {
    /// The headers of either kind.
    pub fn headers(&self) -> &Headers {
        match self {
            SipMessage::Request(r) => &r.headers,
            SipMessage::Response(r) => &r.headers,
        }
    }
}

impl Request {
    /// A request with the given start line and no headers yet.
    pub fn new(method: Method, uri: impl Into<String>) -> Self {
        Request {
            method,
            uri: uri.into(),
            headers: Headers::default(),
            body: Bytes::new(),
        }
    }

    /// A response to this request: copies Via, From, To, Call-ID and CSeq
    /// (RFC 3261 section 8.2.6.2). `to_tag` is added to To when given and
    /// To has none.
    pub fn response(&self, status: u16, reason: &str, to_tag: Option<&str>) -> Response {
        let mut headers = Headers::default();
        for (name, value) in self.headers.iter() {
            match name {
                "Via" | "From" | "Call-ID" | "CSeq" => headers.push(name, value),
                "To" => {
                    let has_tag = value.to_ascii_lowercase().contains(";tag=");
                    match (to_tag, has_tag) {
                        (Some(tag), false) => headers.push("To", &format!("{value};tag={tag}")),
                        _ => headers.push("To", value),
                    }
                }
                _ => {}
            }
        }
        Response {
            status,
            reason: reason.to_string(),
            headers,
            body: Bytes::new(),
        }
    }
}

/// A standard reason phrase for `status`.
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        100 => "Trying",
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        202 => "Accepted",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        407 => "Proxy Authentication Required",
        408 => "Request Timeout",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        416 => "Unsupported URI Scheme",
        420 => "Bad Extension",
        423 => "Interval Too Brief",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        482 => "Loop Detected",
        483 => "Too Many Hops",
        484 => "Address Incomplete",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        491 => "Request Pending",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        505 => "Version Not Supported",
        513 => "Message Too Large",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "",
    }
}
