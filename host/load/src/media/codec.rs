//! The two codecs a load leg speaks (G.711 mu-law and A-law): payload
//! types, `rtpmap` names, the frame the sender repeats and the loudness
//! test the receiver applies to what it hears.

use std::sync::OnceLock;

use pbx_media::codec::g711;

/// Samples (and payload bytes) in one 20 ms G.711 frame.
pub const FRAME_SAMPLES: usize = 160;
/// RTP clock rate of G.711, Hz.
pub const CLOCK_RATE: u32 = 8000;
/// Mean absolute linear sample above which a received frame counts as
/// voiced. Silence decodes to 0 (mu-law) or 8 (A-law); the tone we send
/// averages about 500.
pub const VOICED_THRESHOLD: u32 = 100;

/// Peak amplitude of the tone we send (about -30 dBFS: quiet).
const TONE_PEAK: f64 = 800.0;
/// Tone frequency: 400 Hz makes exactly 8 periods per 20 ms frame, so the
/// same frame repeated is a continuous tone.
const TONE_HZ: f64 = 400.0;

/// A G.711 variant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Codec {
    /// G.711 mu-law, static payload type 0.
    #[default]
    Pcmu,
    /// G.711 A-law, static payload type 8.
    Pcma,
}

impl Codec {
    /// The static RTP payload type (0 or 8).
    pub fn payload_type(self) -> u8 {
        match self {
            Codec::Pcmu => 0,
            Codec::Pcma => 8,
        }
    }

    /// The `a=rtpmap` encoding, e.g. `"PCMU/8000"`.
    pub fn rtpmap(self) -> &'static str {
        match self {
            Codec::Pcmu => "PCMU/8000",
            Codec::Pcma => "PCMA/8000",
        }
    }

    /// The codec of a static payload type, if it is 0 or 8.
    pub fn from_payload_type(pt: u8) -> Option<Codec> {
        match pt {
            0 => Some(Codec::Pcmu),
            8 => Some(Codec::Pcma),
            _ => None,
        }
    }

    /// The 160-byte payload the sender puts in every audio packet: a quiet
    /// 400 Hz tone encoded with this codec, computed once per process.
    pub fn tone_frame(self) -> &'static [u8; FRAME_SAMPLES] {
        static FRAMES: OnceLock<[[u8; FRAME_SAMPLES]; 2]> = OnceLock::new();
        let frames = FRAMES.get_or_init(|| {
            let pcm = tone_pcm();
            let mut u = [0u8; FRAME_SAMPLES];
            let mut a = [0u8; FRAME_SAMPLES];
            g711::encode_ulaw(&pcm, &mut u);
            g711::encode_alaw(&pcm, &mut a);
            [u, a]
        });
        match self {
            Codec::Pcmu => &frames[0],
            Codec::Pcma => &frames[1],
        }
    }

    /// Whether a payload of this codec is louder than near-silence (mean
    /// absolute decoded sample above [`VOICED_THRESHOLD`]). Empty payloads
    /// are not voiced.
    pub fn is_voiced(self, payload: &[u8]) -> bool {
        if payload.is_empty() {
            return false;
        }
        let sum: u64 = payload
            .iter()
            .map(|&b| {
                let s = match self {
                    Codec::Pcmu => g711::ulaw_to_linear(b),
                    Codec::Pcma => g711::alaw_to_linear(b),
                };
                u64::from(s.unsigned_abs())
            })
            .sum();
        sum / payload.len() as u64 > u64::from(VOICED_THRESHOLD)
    }
}

/// One frame of the tone as linear samples.
fn tone_pcm() -> [i16; FRAME_SAMPLES] {
    let mut pcm = [0i16; FRAME_SAMPLES];
    for (i, s) in pcm.iter_mut().enumerate() {
        let phase = 2.0 * std::f64::consts::PI * TONE_HZ * i as f64 / f64::from(CLOCK_RATE);
        *s = (TONE_PEAK * phase.sin()).round() as i16;
    }
    pcm
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tone_is_voiced_and_silence_is_not() {
        for codec in [Codec::Pcmu, Codec::Pcma] {
            assert!(codec.is_voiced(codec.tone_frame()));
            assert_eq!(Codec::from_payload_type(codec.payload_type()), Some(codec));
        }
        assert!(!Codec::Pcmu.is_voiced(&[0xff; 160]));
        assert!(!Codec::Pcma.is_voiced(&[0xd5; 160]));
        assert!(!Codec::Pcmu.is_voiced(&[]));
        assert_eq!(Codec::Pcma.rtpmap(), "PCMA/8000");
    }
}
