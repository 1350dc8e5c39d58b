//! [`ParseError`]: what went wrong, and which response (if any) to send.

use super::Headers;

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
    ///
    /// [`MAX_MESSAGE_BYTES`]: crate::message::parse::MAX_MESSAGE_BYTES
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
    pub(super) fn new(kind: ParseErrorKind, message: impl Into<String>) -> Self {
        ParseError {
            kind,
            message: message.into(),
            request_headers: None,
        }
    }

    pub(super) fn with_headers(mut self, headers: Option<Headers>) -> Self {
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
    ///
    /// [`Request::response`]: crate::message::Request::response
    pub fn request_headers(&self) -> Option<&Headers> {
        self.request_headers.as_ref()
    }
}
