//! Media engine of the PBX: RTP/RTCP sessions, SDP offer/answer, codecs,
//! DTMF, prompt player, recorder and bridge.
//!
//! It knows nothing of SIP: the call model hands it SDP and gets SDP back,
//! hands it DTMF bodies from SIP INFO, and listens to per-leg events.

pub mod codec;
pub mod error;
pub mod sdp;

pub use error::{MediaError, Result};
pub mod dtmf;
pub mod prompt;
pub mod rtp;
