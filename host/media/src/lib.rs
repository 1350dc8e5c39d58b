//! Media engine of the PBX: RTP/RTCP sessions, SDP offer/answer, codecs,
//! DTMF, prompt player, recorder and bridge.
//!
//! It knows nothing of SIP: the call model hands it SDP and gets SDP back,
//! hands it DTMF bodies from SIP INFO, and listens to per-leg events.
//! Start with [`MediaEngine::start`].

#![warn(missing_docs)]

pub mod codec;
pub mod dtmf;
pub mod engine;
pub mod error;
pub mod prompt;
pub mod rtp;
pub mod sdp;

pub use engine::{EngineConfig, InbandDtmf, LegEvent, LegId, MediaEngine, NewLeg, RecordOptions};
pub use error::{MediaError, Result};
