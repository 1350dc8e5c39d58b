//! Audio codecs: the negotiable [`Codec`] list and the per-leg encoder and
//! decoder state behind one allocation-free interface.

pub mod g711;
pub mod g722;
pub mod opus;

use crate::error::{MediaError, Result};

/// Samples in one 20 ms frame at 8 kHz.
pub const FRAME_8K: usize = 160;
/// Samples in one 20 ms frame at 16 kHz.
pub const FRAME_16K: usize = 320;
/// Largest encoded 20 ms frame any codec produces, in bytes.
pub const MAX_PAYLOAD: usize = 400;

/// A codec the engine can negotiate and serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Codec {
    /// G.711 mu-law, static payload type 0.
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
    /// G.722, static payload type 9, 16 kHz audio on an 8 kHz RTP clock.
    G722,
    /// Opus (libopus), dynamic payload type, RTP clock 48 kHz.
    Opus,
}

impl Codec {
    /// The codecs the engine serves, in its default order of preference.
    pub const ALL: [Codec; 4] = [Codec::Pcmu, Codec::Pcma, Codec::G722, Codec::Opus];

    /// The encoding name used in `a=rtpmap`.
    pub fn encoding_name(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU",
            Codec::Pcma => "PCMA",
            Codec::G722 => "G722",
            Codec::Opus => "opus",
        }
    }

    /// Channels written in `a=rtpmap` (RFC 7587 always states 2 for Opus).
    pub fn rtpmap_channels(self) -> Option<u8> {
        match self {
            Codec::Opus => Some(2),
            _ => None,
        }
    }

    /// `a=fmtp` parameters offered with the codec.
    pub fn fmtp(self) -> Option<&'static str> {
        match self {
            Codec::Opus => Some("minptime=20;useinbandfec=1"),
            _ => None,
        }
    }

    /// The static payload type, if the codec has one.
    pub fn static_payload_type(self) -> Option<u8> {
        match self {
            Codec::Pcmu => Some(0),
            Codec::Pcma => Some(8),
            Codec::G722 => Some(9),
            Codec::Opus => None,
        }
    }

    /// The RTP clock rate (what `a=rtpmap` states).
    pub fn clock_rate(self) -> u32 {
        match self {
            Codec::Opus => 48000,
            _ => 8000,
        }
    }

    /// The rate of the PCM audio this codec encodes and decodes.
    pub fn pcm_rate(self) -> u32 {
        match self {
            Codec::Opus => opus::PCM_RATE,
            Codec::G722 => 16000,
            _ => 8000,
        }
    }

    /// PCM samples in a 20 ms frame.
    pub fn frame_samples(self) -> usize {
        (self.pcm_rate() / 50) as usize
    }

    /// RTP timestamp increment for 20 ms.
    pub fn timestamp_step(self) -> u32 {
        self.clock_rate() / 50
    }

    /// Looks a codec up by its `a=rtpmap` name and clock rate.
    pub fn from_rtpmap(name: &str, clock_rate: u32) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name) && c.clock_rate() == clock_rate)
    }

    /// Looks a codec up by its static payload type.
    pub fn from_static_payload_type(pt: u8) -> Option<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.static_payload_type() == Some(pt))
    }

    /// Parses a codec name as given in a configuration ("PCMU", "pcma", ...).
    pub fn parse(name: &str) -> Result<Codec> {
        Codec::ALL
            .into_iter()
            .find(|c| c.encoding_name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                MediaError::Config(format!(
                    "unknown codec {name:?}; use one of PCMU, PCMA, G722, opus"
                ))
            })
    }

    /// A fresh encoder for this codec.
    pub fn encoder(self) -> Result<Encoder> {
        Ok(match self {
            Codec::Pcmu => Encoder::Pcmu,
            Codec::Pcma => Encoder::Pcma,
            Codec::G722 => Encoder::G722(Box::new(g722::encoder())),
            Codec::Opus => Encoder::Opus(opus::encoder()?),
        })
    }

    /// A fresh decoder for this codec.
    pub fn decoder(self) -> Result<Decoder> {
        Ok(match self {
            Codec::Pcmu => Decoder::Pcmu,
            Codec::Pcma => Decoder::Pcma,
            Codec::G722 => Decoder::G722(Box::new(g722::decoder())),
            Codec::Opus => Decoder::Opus(opus::decoder()?),
        })
    }
}

/// Encoder state of one stream. An enum rather than a trait object so that
/// a leg holds it inline, without a box per leg.
#[derive(Debug)]
pub enum Encoder {
    /// G.711 mu-law (stateless).
    Pcmu,
    /// G.711 A-law (stateless).
    Pcma,
    /// G.722 (boxed: its filter state is larger than the other variants).
    G722(Box<g722::G722Encoder>),
    /// Opus (libopus state).
    Opus(::opus::Encoder),
}

impl Encoder {
    /// Encodes one frame of PCM at the codec's PCM rate into `out`, and
    /// returns the payload length.
    pub fn encode(&mut self, pcm: &[i16], out: &mut [u8]) -> usize {
        match self {
            Encoder::Pcmu => g711::encode_ulaw(pcm, out),
            Encoder::Pcma => g711::encode_alaw(pcm, out),
            Encoder::G722(e) => g722::encode(e, pcm, out),
            Encoder::Opus(e) => opus::encode(e, pcm, out),
        }
    }
}

/// Decoder state of one stream.
#[derive(Debug)]
pub enum Decoder {
    /// G.711 mu-law (stateless).
    Pcmu,
    /// G.711 A-law (stateless).
    Pcma,
    /// G.722 (boxed, as for the encoder).
    G722(Box<g722::G722Decoder>),
    /// Opus (libopus state).
    Opus(::opus::Decoder),
}

impl Decoder {
    /// Decodes one payload into `out` (PCM at the codec's PCM rate), and
    /// returns the number of samples written.
    pub fn decode(&mut self, payload: &[u8], out: &mut [i16]) -> usize {
        match self {
            Decoder::Pcmu => g711::decode_ulaw(payload, out),
            Decoder::Pcma => g711::decode_alaw(payload, out),
            Decoder::G722(d) => g722::decode(d, payload, out),
            Decoder::Opus(d) => opus::decode(d, payload, out),
        }
    }
}
