//! Messages from the engine handle to a worker. Commands are applied at the
//! start of the next tick, so a worker never locks anything shared.

use std::sync::Arc;

use tokio::sync::oneshot;

use super::events::{LegId, LegStats, PlayId, RecordOptions};
use super::leg::Leg;
use crate::dtmf::{Digit, DtmfSource};
use crate::prompt::Encoded;
use crate::prompt::moh::MohClass;
use crate::sdp::Negotiated;

/// A command for one worker.
pub enum Command {
    /// Take over a leg (new, or moved from another worker for a bridge).
    Add(Box<Leg>),
    /// Hand a leg back (to move it to another worker).
    Remove(LegId, oneshot::Sender<Option<Box<Leg>>>),
    /// Close a leg and return its statistics.
    Close(LegId, oneshot::Sender<Option<LegStats>>),
    /// New negotiated parameters.
    Update(LegId, Negotiated),
    /// Play a playlist (already encoded for the leg's codec).
    Play {
        /// The leg.
        leg: LegId,
        /// The request id.
        id: PlayId,
        /// The prompts.
        items: Vec<Arc<Encoded>>,
        /// Whether a digit stops it.
        barge_in: bool,
    },
    /// Stop playing.
    Stop(LegId),
    /// Put on hold with music.
    Hold(LegId, Arc<MohClass>, Vec<Arc<Encoded>>),
    /// Take off hold.
    Unhold(LegId),
    /// Start recording.
    Record(LegId, Box<RecordOptions>),
    /// Stop recording.
    StopRecord(LegId),
    /// Set the legs this leg hears.
    SetMix(LegId, Vec<LegId>),
    /// Send RFC 4733 digits.
    SendDtmf(LegId, Digit, u32),
    /// Send digits as tones in the audio.
    SendTones(LegId, Digit, u32),
    /// A digit from outside the media path (SIP INFO).
    InjectDtmf(LegId, Digit, DtmfSource),
    /// Current statistics.
    Stats(LegId, oneshot::Sender<Option<LegStats>>),
}
