//! SDP (RFC 4566) for audio calls and the RFC 3264 offer/answer model.
//!
//! [`SessionDescription`] is the parsed form; [`negotiate`] turns an offer
//! into an answer and the [`Negotiated`] parameters a leg runs with.

mod build;
pub mod negotiate;
mod parse;

use std::net::IpAddr;

pub use negotiate::{LocalMedia, Negotiated, accept_answer, answer_offer, build_offer};

/// Media direction (RFC 3264 section 6.1), also how hold is signalled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Both ways (the default).
    #[default]
    SendRecv,
    /// The describing side sends only (it puts the other on hold).
    SendOnly,
    /// The describing side receives only.
    RecvOnly,
    /// No media either way.
    Inactive,
}

impl Direction {
    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::SendRecv => "sendrecv",
            Direction::SendOnly => "sendonly",
            Direction::RecvOnly => "recvonly",
            Direction::Inactive => "inactive",
        }
    }

    /// The direction an answerer states for an offer with this direction.
    pub fn answer(self) -> Direction {
        match self {
            Direction::SendRecv => Direction::SendRecv,
            Direction::SendOnly => Direction::RecvOnly,
            Direction::RecvOnly => Direction::SendOnly,
            Direction::Inactive => Direction::Inactive,
        }
    }

    /// Whether the describing side sends.
    pub fn sends(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::SendOnly)
    }

    /// Whether the describing side receives.
    pub fn receives(self) -> bool {
        matches!(self, Direction::SendRecv | Direction::RecvOnly)
    }

    fn parse(s: &str) -> Option<Direction> {
        match s {
            "sendrecv" => Some(Direction::SendRecv),
            "sendonly" => Some(Direction::SendOnly),
            "recvonly" => Some(Direction::RecvOnly),
            "inactive" => Some(Direction::Inactive),
            _ => None,
        }
    }
}

/// An `a=rtpmap` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name, as written.
    pub encoding: String,
    /// Clock rate.
    pub clock_rate: u32,
    /// Channels, if stated.
    pub channels: Option<u8>,
}

/// One `m=` section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaDescription {
    /// Media type (`audio`, `video`, ...).
    pub media: String,
    /// Transport port; 0 means the stream is rejected or disabled.
    pub port: u16,
    /// Transport protocol (`RTP/AVP`, `RTP/SAVP`, ...).
    pub proto: String,
    /// Format list (payload types for RTP).
    pub formats: Vec<String>,
    /// Media-level connection address.
    pub connection: Option<IpAddr>,
    /// `a=rtpmap` entries.
    pub rtpmaps: Vec<RtpMap>,
    /// `a=fmtp` entries: payload type and parameters.
    pub fmtps: Vec<(u8, String)>,
    /// `a=ptime` in milliseconds.
    pub ptime: Option<u32>,
    /// Media-level direction attribute.
    pub direction: Option<Direction>,
    /// `a=rtcp` port, if stated.
    pub rtcp_port: Option<u16>,
}

impl MediaDescription {
    /// The payload types of the format list, skipping non-numeric entries.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| f.parse().ok())
    }

    /// The rtpmap of a payload type, if given.
    pub fn rtpmap(&self, pt: u8) -> Option<&RtpMap> {
        self.rtpmaps.iter().find(|m| m.payload_type == pt)
    }

    /// The fmtp parameters of a payload type, if given.
    pub fn fmtp(&self, pt: u8) -> Option<&str> {
        self.fmtps
            .iter()
            .find(|(p, _)| *p == pt)
            .map(|(_, s)| s.as_str())
    }
}

/// The `o=` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// User name (`-` when none).
    pub username: String,
    /// Session id.
    pub session_id: u64,
    /// Session version, incremented with each new offer or answer.
    pub session_version: u64,
    /// Address of the originator.
    pub address: IpAddr,
}

/// A parsed session description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionDescription {
    /// The `o=` line.
    pub origin: Origin,
    /// The `s=` line.
    pub session_name: String,
    /// Session-level connection address.
    pub connection: Option<IpAddr>,
    /// Session-level direction attribute.
    pub direction: Option<Direction>,
    /// The `m=` sections, in order.
    pub media: Vec<MediaDescription>,
}

impl SessionDescription {
    /// Parses SDP text; see [`crate::MediaError::SdpSyntax`] for failures.
    pub fn parse(text: &str) -> crate::Result<SessionDescription> {
        parse::parse(text)
    }

    /// The connection address of a media section (media level, else session level).
    pub fn connection_of(&self, m: &MediaDescription) -> Option<IpAddr> {
        m.connection.or(self.connection)
    }

    /// The direction of a media section (media level, else session level).
    pub fn direction_of(&self, m: &MediaDescription) -> Direction {
        m.direction.or(self.direction).unwrap_or_default()
    }
}

impl std::fmt::Display for SessionDescription {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        build::write(self, f)
    }
}
