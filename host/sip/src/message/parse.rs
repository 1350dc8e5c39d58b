//! Parsing (placeholder; being written).

use super::SipMessage;

/// Why bytes are not a SIP message.
#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    /// Placeholder.
    #[error("not parsed yet")]
    Unsupported,
}

/// Parse one datagram.
pub fn parse_datagram(_bytes: &[u8]) -> Result<SipMessage, ParseError> {
    Err(ParseError::Unsupported)
}
