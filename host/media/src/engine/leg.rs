//! The state of one call leg inside its worker: sockets, negotiated
//! parameters, send and receive state, what it is playing and recording.

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::mpsc::UnboundedSender;

use super::events::{LegEvent, LegId, LegStats, PlayId};
use super::jitter::JitterBuffer;
use super::recorder::Recorder;
use crate::codec::{Codec, Decoder, Encoder, FRAME_16K, MAX_PAYLOAD};
use crate::dtmf::collapse::Collapser;
use crate::dtmf::goertzel::Detector;
use crate::dtmf::rfc4733::{EventReceiver, EventSender};
use crate::dtmf::tones::ToneSender;
use crate::prompt::Encoded;
use crate::prompt::moh::MohClass;
use crate::rtp::rtcp::RemoteReport;
use crate::rtp::stats::Receiver;
use crate::rtp::stream::OutStream;
use crate::sdp::Negotiated;

/// Decoded samples a leg can hold: a 60 ms packet at 16 kHz plus the rest
/// of a frame. Longer packets (rare) are cut to what fits.
pub const FIFO: usize = 960 + FRAME_16K;

/// A playlist being played.
pub struct Player {
    /// The request id.
    pub id: PlayId,
    /// Prompts encoded for this leg's codec.
    pub items: Vec<Arc<Encoded>>,
    /// Current prompt.
    pub item: usize,
    /// Next frame of it.
    pub frame: usize,
    /// Whether a digit stops it.
    pub barge_in: bool,
}

/// Music on hold being played, with the class it comes from.
pub struct Moh {
    /// The class.
    pub class: Arc<MohClass>,
    /// Its files encoded for this leg's codec.
    pub files: Vec<Arc<Encoded>>,
    /// Current file.
    pub file: usize,
    /// Next frame of it.
    pub frame: usize,
}

/// Where a caller was in a music-on-hold class.
#[derive(Clone)]
pub struct MohPosition {
    /// The class name.
    pub class: Arc<str>,
    /// File index.
    pub file: usize,
    /// Frame within it.
    pub frame: usize,
}

/// The decode side, present only while something needs the peer's audio
/// (bridge, recording, in-band DTMF); boxed so idle prompt legs stay small.
pub struct Inbound {
    /// Reorders the peer's frames.
    pub jitter: JitterBuffer,
    /// Decoder of the negotiated codec.
    pub decoder: Decoder,
    /// This tick's payload (for pass-through), if one was due.
    pub payload: [u8; MAX_PAYLOAD],
    /// Length of `payload`; 0 when the frame was missing.
    pub payload_len: usize,
    /// This tick's decoded audio (silence when missing).
    pub pcm: [i16; FRAME_16K],
    /// Samples in `pcm`.
    pub pcm_len: usize,
    /// Decoded audio not played yet (packets longer than 20 ms leave some).
    pub fifo: [i16; FIFO],
    /// Samples in `fifo`.
    pub fifo_len: usize,
    /// In-band detector, when in-band detection runs on this leg.
    pub detector: Option<Detector>,
}

/// One leg.
pub struct Leg {
    /// Its id.
    pub id: LegId,
    /// RTP socket.
    pub rtp: UdpSocket,
    /// RTCP socket.
    pub rtcp: UdpSocket,
    /// Negotiated parameters; `None` while our offer awaits an answer.
    pub neg: Option<Negotiated>,
    /// Encoder of the negotiated codec.
    pub encoder: Option<Encoder>,
    /// Where RTP goes: the negotiated address until latching.
    pub remote: Option<SocketAddr>,
    /// Where RTCP goes.
    pub remote_rtcp: Option<SocketAddr>,
    /// The source latched onto (address, SSRC).
    pub latched: Option<(SocketAddr, u32)>,
    /// Whether the RTP socket is connected to the latched source (see
    /// [`crate::rtp::connect`]).
    pub connected: bool,
    /// Outgoing stream.
    pub out: OutStream,
    /// Whether we sent since the last RTCP report.
    pub sent_since_report: bool,
    /// Receive statistics.
    pub rx: Receiver,
    /// The peer's last RTCP report about us.
    pub remote_report: Option<RemoteReport>,
    /// The peer's last sender report: its NTP time (middle bits) and ours
    /// when it arrived, echoed in our reports for its round-trip time.
    pub last_sr: Option<(u32, u32)>,
    /// RFC 4733 receive state.
    pub dtmf_rx: EventReceiver,
    /// RFC 4733 send state.
    pub dtmf_tx: EventSender,
    /// In-band tone send state (peers without telephone-event).
    pub tones: ToneSender,
    /// One digit per press across sources.
    pub collapser: Collapser,
    /// Decode side.
    pub inbound: Option<Box<Inbound>>,
    /// Whether in-band detection should run (G.711 and configured so).
    pub want_inband: bool,
    /// Playing a playlist.
    pub player: Option<Player>,
    /// On hold, hearing music.
    pub moh: Option<Moh>,
    /// Where the caller was in each class they heard.
    pub moh_positions: Vec<MohPosition>,
    /// Legs whose audio this leg hears (bridge: one; conference: several).
    pub mix: Vec<LegId>,
    /// Whether another leg hears this one (so its audio must be decoded).
    pub feeds_mix: bool,
    /// Recording in progress.
    pub recorder: Option<Recorder>,
    /// Events to the call model.
    pub events: UnboundedSender<LegEvent>,
    /// Last RTP received.
    pub last_rx: Instant,
    /// Whether the timeout was reported since the last packet.
    pub timeout_reported: bool,
    /// What the leg heard this tick (for stereo recording).
    pub heard: [i16; FRAME_16K],
    /// Samples in `heard`.
    pub heard_len: usize,
}

/// Whether a re-latch to a new source is allowed: the latched source has
/// been silent this long (NAT rebinding, a transfer's new far end).
pub const RELATCH_AFTER: Duration = Duration::from_millis(1000);

impl Leg {
    /// A leg with fresh state.
    pub fn new(
        id: LegId,
        rtp: UdpSocket,
        rtcp: UdpSocket,
        events: UnboundedSender<LegEvent>,
    ) -> Leg {
        Leg {
            id,
            rtp,
            rtcp,
            neg: None,
            encoder: None,
            remote: None,
            remote_rtcp: None,
            latched: None,
            connected: false,
            out: OutStream::new(),
            sent_since_report: false,
            rx: Receiver::new(8000),
            remote_report: None,
            last_sr: None,
            dtmf_rx: EventReceiver::default(),
            dtmf_tx: EventSender::default(),
            tones: ToneSender::default(),
            collapser: Collapser::default(),
            inbound: None,
            want_inband: false,
            player: None,
            moh: None,
            moh_positions: Vec::new(),
            mix: Vec::new(),
            feeds_mix: false,
            recorder: None,
            events,
            last_rx: Instant::now(),
            timeout_reported: false,
            heard: [0; FRAME_16K],
            heard_len: 0,
        }
    }

    /// Opens the RTP socket to every source again.
    pub fn unlatch_socket(&mut self) {
        if self.connected {
            crate::rtp::connect::disconnect(&self.rtp);
            self.connected = false;
        }
    }

    /// The RTP clock rate of what the peer sends.
    pub fn rx_clock(&self) -> u32 {
        self.codec().map(|c| c.clock_rate()).unwrap_or(8000)
    }

    /// The negotiated codec.
    pub fn codec(&self) -> Option<Codec> {
        self.neg.as_ref().map(|n| n.codec)
    }

    /// Applies new negotiated parameters (answer, re-INVITE). The outgoing
    /// stream (SSRC, sequence, timestamp) is kept: the peer sees one stream.
    pub fn apply(&mut self, neg: Negotiated, inband: super::InbandDtmf) -> crate::Result<()> {
        let codec_changed = self.codec() != Some(neg.codec);
        if codec_changed {
            self.encoder = Some(neg.codec.encoder()?);
            self.rx = Receiver::new(neg.codec.clock_rate());
            self.inbound = None;
        }
        // A new far end (transfer, re-INVITE to another address): forget the
        // latched source. The same address again (a hold and resume) keeps
        // it, so a caller behind NAT is not sent to its private address.
        let previous = self.neg.as_ref().map(|n| n.remote);
        if previous != Some(neg.remote) {
            self.latched = None;
            self.unlatch_socket();
        }
        if self.latched.is_none() {
            self.remote = neg.remote;
            self.remote_rtcp = neg.remote_rtcp;
        }
        let g711 = matches!(neg.codec, Codec::Pcmu | Codec::Pcma);
        self.want_inband = g711
            && match inband {
                super::InbandDtmf::Never => false,
                super::InbandDtmf::Always => true,
                super::InbandDtmf::Auto => neg.telephone_event_pt.is_none(),
            };
        self.neg = Some(neg);
        self.refresh_inbound()
    }

    /// Creates or drops the decode side according to what needs it.
    pub fn refresh_inbound(&mut self) -> crate::Result<()> {
        let Some(codec) = self.codec() else {
            return Ok(());
        };
        let needed = self.want_inband || self.recorder.is_some() || self.feeds_mix;
        match (&mut self.inbound, needed) {
            (None, true) => {
                self.inbound = Some(Box::new(Inbound {
                    jitter: JitterBuffer::new(codec.clock_rate()),
                    decoder: codec.decoder()?,
                    payload: [0; MAX_PAYLOAD],
                    payload_len: 0,
                    pcm: [0; FRAME_16K],
                    pcm_len: 0,
                    fifo: [0; FIFO],
                    fifo_len: 0,
                    detector: None,
                }));
            }
            (Some(_), false) => self.inbound = None,
            _ => {}
        }
        if let Some(inb) = &mut self.inbound {
            match (self.want_inband, inb.detector.is_some()) {
                (true, false) => inb.detector = Some(Detector::default()),
                (false, true) => inb.detector = None,
                _ => {}
            }
        }
        Ok(())
    }

    /// Statistics for the call record.
    pub fn stats(&self) -> LegStats {
        LegStats {
            received: self.rx.stats(),
            packets_sent: self.out.packets as u64,
            remote: self.remote_report,
        }
    }

    /// Saves the music-on-hold position of the current class.
    pub fn save_moh_position(&mut self) {
        let Some(m) = &self.moh else { return };
        let (class, file, frame) = (m.class.name.clone(), m.file, m.frame);
        if let Some(p) = self.moh_positions.iter_mut().find(|p| p.class == class) {
            p.file = file;
            p.frame = frame;
        } else {
            self.moh_positions.push(MohPosition { class, file, frame });
        }
    }

    /// The saved position in a class, or its start.
    pub fn moh_position(&self, class: &str) -> (usize, usize) {
        self.moh_positions
            .iter()
            .find(|p| &*p.class == class)
            .map(|p| (p.file, p.frame))
            .unwrap_or((0, 0))
    }
}
