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

mod chars;
mod cursor;
mod error;
mod fields;
mod framing;
mod head;
mod start_line;
#[cfg(test)]
mod tests;

pub use error::{ParseError, ParseErrorKind};
pub use framing::{keepalive_len, parse_datagram, parse_stream};

use super::{Headers, Method, Request, Response, SipMessage};

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
