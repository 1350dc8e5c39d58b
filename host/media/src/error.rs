//! The crate's error type: every variant says what went wrong and what to do.

use std::path::PathBuf;

/// Errors of the media engine. Each message tells the caller what to change.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The SDP text could not be parsed.
    #[error("invalid SDP at line {line}: {reason}; send an RFC 4566 session description")]
    SdpSyntax {
        /// One-based line number of the offending line.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// The offer cannot be served (no common codec, no audio stream, ...).
    #[error("cannot serve this offer: {0}")]
    NotAcceptable(String),
    /// No free RTP port in the configured range.
    #[error("no free RTP port pair in {first}-{last}; widen the rtp port range or close idle legs")]
    NoPorts {
        /// First port of the range.
        first: u16,
        /// Last port of the range.
        last: u16,
    },
    /// The leg id is unknown (closed already, or never created).
    #[error("unknown media leg {0}; it was closed or never created")]
    UnknownLeg(u64),
    /// An audio file could not be read or converted.
    #[error("cannot use audio file {path}: {reason}")]
    Audio {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A DTMF body or digit was not understood.
    #[error("invalid DTMF: {0}")]
    Dtmf(String),
    /// The configuration is inconsistent.
    #[error("invalid media configuration: {0}")]
    Config(String),
    /// A socket or file operation failed.
    #[error("media I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The engine has been shut down.
    #[error("the media engine is shut down; start a new one")]
    Stopped,
}

/// Result alias of the crate.
pub type Result<T> = std::result::Result<T, MediaError>;
