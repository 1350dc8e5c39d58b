//! RTP for load calls: each call leg sends G.711 both ways (a quiet tone,
//! one packet every 20 ms on an absolute schedule), plays planned DTMF
//! digits as RFC 4733 events, and measures what it receives (loss,
//! lateness, jitter, duplicates, loudness, digits).
//!
//! ```no_run
//! # async fn demo(sdp_text: &str) -> anyhow::Result<()> {
//! use std::time::Duration;
//! use pbx_load::media::{Codec, MediaPlan, RtpLeg};
//! let leg = RtpLeg::bind("127.0.0.1".parse()?).await?;
//! let offer = pbx_load::media::sdp(leg.local(), Codec::Pcmu, 101, 1);
//! // ... send the offer, receive the answer in sdp_text ...
//! let (remote, _pts) = pbx_load::media::remote_from_sdp(sdp_text).unwrap();
//! let running = leg.start(remote, MediaPlan {
//!     dtmf: vec![(Duration::from_millis(1500), '1')],
//!     ..Default::default()
//! });
//! let stats = running.stop().await;
//! # let _ = (offer, stats); Ok(()) }
//! ```
//!
//! - [`codec`]: PCMU/PCMA, the tone frame, the loudness test.
//! - [`sdp`](mod@sdp): the SDP body of a leg and the reader of the peer's.
//! - [`leg`]: [`RtpLeg`], [`MediaPlan`], [`RunningLeg`]; [`destination`]:
//!   where a leg sends, latched onto the peer's source if planned.
//! - [`send`] and [`pacer`]: the sender of one leg and the few shared
//!   threads that drive all senders.
//! - [`receive`] and [`sequence`]: receive-side accounting.
//! - [`stats`]: the figures, [`MediaStats`].
//!
//! Scale: sending costs no task or timer per leg (2-4 pacer threads in
//! the whole process); receiving is one tokio task per leg.

pub mod codec;
pub mod destination;
pub mod leg;
pub mod pacer;
pub mod receive;
pub mod sdp;
pub mod send;
pub mod sequence;
pub mod stats;

#[cfg(test)]
mod tests;

pub use codec::Codec;
pub use leg::{MediaPlan, RtpLeg, RunningLeg};
pub use sdp::{remote_from_sdp, sdp};
pub use stats::MediaStats;
