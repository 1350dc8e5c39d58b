//! What a leg reports to the call model, and the options it accepts.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::dtmf::{Digit, DtmfSource};
use crate::rtp::rtcp::RemoteReport;
use crate::rtp::stats::ReceiveStats;

/// Identifies a leg within one engine.
pub type LegId = u64;
/// Identifies one `play` request, echoed in [`LegEvent::PlaybackFinished`].
pub type PlayId = u64;

/// Events of one leg, delivered on the leg's channel.
#[derive(Debug, Clone, PartialEq)]
pub enum LegEvent {
    /// A digit, once per key press whichever ways it arrived.
    Dtmf {
        /// The digit.
        digit: Digit,
        /// How it was first seen.
        source: DtmfSource,
    },
    /// A playlist ended, or was cut short by barge-in or `stop`.
    PlaybackFinished {
        /// The request.
        play: PlayId,
        /// Whether it stopped before its end.
        interrupted: bool,
    },
    /// A recording was written (or failed to be).
    RecordingFinished {
        /// The file.
        path: PathBuf,
        /// Length of the audio kept.
        duration: Duration,
        /// Why it stopped.
        reason: RecordStop,
        /// Set when the file could not be written.
        error: Option<String>,
    },
    /// Symmetric RTP latched onto the address packets really come from.
    Latched(SocketAddr),
    /// No RTP for the configured timeout while the peer should be sending.
    RtpTimeout,
    /// Periodic statistics (every RTCP interval).
    Stats(LegStats),
}

/// Why a recording stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecordStop {
    /// The maximum duration was reached.
    MaxDuration,
    /// Silence lasted longer than allowed.
    Silence,
    /// One of the stop digits was pressed.
    Digit(Digit),
    /// `stop_record` was called.
    Stopped,
    /// The leg was closed.
    LegClosed,
}

/// Silence detection of a recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SilenceDetection {
    /// Frames whose RMS level is below this (16-bit scale) count as silence.
    pub threshold: u16,
    /// Stop after this much continuous silence (the silence is trimmed).
    pub after: Duration,
}

/// How to record a leg.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordOptions {
    /// Where to write the WAV file.
    pub path: PathBuf,
    /// Mono: what the leg's peer says. Stereo: left is what the peer says,
    /// right what it hears (the other leg, prompts, music on hold).
    pub stereo: bool,
    /// Stop after this long.
    pub max_duration: Duration,
    /// Stop on silence, if set.
    pub silence: Option<SilenceDetection>,
    /// Digits that stop the recording (the digit is still reported).
    pub stop_digits: Vec<Digit>,
}

impl RecordOptions {
    /// Mono, 5 minutes, no silence detection, `#` stops.
    pub fn voicemail(path: impl Into<PathBuf>) -> Self {
        RecordOptions {
            path: path.into(),
            stereo: false,
            max_duration: Duration::from_secs(300),
            silence: None,
            stop_digits: vec![Digit::from_char('#').expect("# is a digit")],
        }
    }
}

/// Statistics of a leg, for the call record.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct LegStats {
    /// What we received from the peer.
    pub received: ReceiveStats,
    /// RTP packets we sent.
    pub packets_sent: u64,
    /// What the peer last reported about our stream (RTCP), if it did.
    pub remote: Option<RemoteReport>,
}
