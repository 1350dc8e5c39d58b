//! Engine configuration and the small value types of its API.

use std::net::IpAddr;
use std::time::Duration;

use tokio::sync::mpsc as tmpsc;

use super::events::{LegEvent, LegId};
use crate::codec::Codec;

/// When in-band (tone) DTMF detection runs on a G.711 leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InbandDtmf {
    /// Only when the peer did not negotiate telephone-event.
    #[default]
    Auto,
    /// Always (duplicates of RFC 4733 digits are collapsed).
    Always,
    /// Never.
    Never,
}

/// Engine configuration.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Address RTP sockets bind to.
    pub bind: IpAddr,
    /// Address written in SDP (defaults to `bind`; required when `bind` is a wildcard).
    pub advertise: Option<IpAddr>,
    /// First RTP port of the range.
    pub port_min: u16,
    /// Last RTP port of the range.
    pub port_max: u16,
    /// Worker threads (one per core available to media is the usual choice).
    pub workers: usize,
    /// Codecs served, in order of preference.
    pub codecs: Vec<Codec>,
    /// Offer and accept RFC 4733 telephone-event.
    pub telephone_event: bool,
    /// In-band DTMF policy.
    pub inband_dtmf: InbandDtmf,
    /// Report [`LegEvent::RtpTimeout`] after this long without RTP.
    pub rtp_timeout: Duration,
    /// Run workers with real-time priority when allowed (see [`super::priority`]).
    pub realtime: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            bind: IpAddr::from([127, 0, 0, 1]),
            advertise: None,
            port_min: 20000,
            port_max: 29999,
            workers: 2,
            codecs: Codec::ALL.to_vec(),
            telephone_event: true,
            inband_dtmf: InbandDtmf::Auto,
            rtp_timeout: Duration::from_secs(30),
            realtime: true,
        }
    }
}

/// A new leg: its id, the SDP to send (an answer, or our offer), its events.
#[derive(Debug)]
pub struct NewLeg {
    /// The leg's id.
    pub id: LegId,
    /// SDP for the peer.
    pub sdp: String,
    /// The leg's events.
    pub events: tmpsc::UnboundedReceiver<LegEvent>,
}

/// Counters of one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerStats {
    /// Ticks run.
    pub ticks: u64,
    /// RTP packets sent.
    pub packets: u64,
    /// Packets sent more than [`LATE`] after their slot.
    pub late_packets: u64,
    /// Worst lateness, microseconds.
    pub max_late_us: u64,
    /// Legs owned.
    pub legs: u64,
}
