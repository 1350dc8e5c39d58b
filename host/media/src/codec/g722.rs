//! G.722 (ITU-T, 64 kbit/s sub-band ADPCM) through the maintained
//! `audio-codec` crate (pure Rust, its allocation-free `encode_into` /
//! `decode_into`). 16 kHz audio; the RTP clock is stated as 8000 (RFC 3551
//! keeps that historical error, so timestamps advance 160 per 20 ms).

use audio_codec::{Decoder as _, Encoder as _};

/// The encoder state.
pub struct G722Encoder(audio_codec::g722::G722Encoder);
/// The decoder state.
pub struct G722Decoder(audio_codec::g722::G722Decoder);

impl std::fmt::Debug for G722Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("G722Encoder")
    }
}

impl std::fmt::Debug for G722Decoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("G722Decoder")
    }
}

/// A 64 kbit/s encoder.
pub fn encoder() -> G722Encoder {
    G722Encoder(audio_codec::g722::G722Encoder::new())
}

/// A 64 kbit/s decoder.
pub fn decoder() -> G722Decoder {
    G722Decoder(audio_codec::g722::G722Decoder::new())
}

/// Encodes 16 kHz PCM; 0 on failure (the slot is skipped, never a panic).
pub fn encode(e: &mut G722Encoder, pcm: &[i16], out: &mut [u8]) -> usize {
    e.0.encode_into(pcm, out).unwrap_or(0)
}

/// Decodes a payload to 16 kHz PCM; 0 samples on failure.
pub fn decode(d: &mut G722Decoder, payload: &[u8], out: &mut [i16]) -> usize {
    d.0.decode_into(payload, out).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_tone_survives_the_round_trip() {
        let (mut e, mut d) = (encoder(), decoder());
        let pcm: Vec<i16> = (0..320 * 25)
            .map(|i| {
                (8000.0 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16000.0).sin()) as i16
            })
            .collect();
        let (mut sig, mut noise) = (0f64, 0f64);
        let mut decoded = Vec::new();
        for frame in pcm.chunks(320) {
            let mut buf = [0u8; 400];
            let n = encode(&mut e, frame, &mut buf);
            assert_eq!(n, 160, "64 kbit/s: 160 bytes per 20 ms");
            let mut out = [0i16; 320];
            assert_eq!(decode(&mut d, &buf[..n], &mut out), 320);
            decoded.extend_from_slice(&out);
        }
        // The codec delays the signal by its QMF filters (22 samples).
        for i in 3200..pcm.len() - 40 {
            let (x, y) = (pcm[i] as f64, decoded[i + 22] as f64);
            sig += x * x;
            noise += (x - y) * (x - y);
        }
        let snr = 10.0 * (sig / noise).log10();
        assert!(snr > 20.0, "SNR {snr:.1} dB");
    }
}
