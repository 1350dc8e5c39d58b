//! Opus (RFC 6716, RTP mapping RFC 7587) through libopus, Debian's
//! libopus-dev, via the `opus` binding crate. Mono, 20 ms frames, coded at
//! 16 kHz (wideband speech); the RTP clock is 48 kHz as RFC 7587 requires.

use crate::error::{MediaError, Result};

/// The PCM rate the engine runs Opus at.
pub const PCM_RATE: u32 = 16000;
/// Bit rate of encoded speech: wideband voice at a modest rate.
const BITRATE: i32 = 24000;

fn err(e: opus::Error) -> MediaError {
    MediaError::Config(format!(
        "libopus refused: {e}; check the libopus installation (scripts/install-build-deps.sh)"
    ))
}

/// An Opus encoder.
pub fn encoder() -> Result<opus::Encoder> {
    let mut e =
        opus::Encoder::new(PCM_RATE, opus::Channels::Mono, opus::Application::Voip).map_err(err)?;
    e.set_bitrate(opus::Bitrate::Bits(BITRATE)).map_err(err)?;
    e.set_inband_fec(true).map_err(err)?;
    Ok(e)
}

/// An Opus decoder.
pub fn decoder() -> Result<opus::Decoder> {
    opus::Decoder::new(PCM_RATE, opus::Channels::Mono).map_err(err)
}

/// Encodes one frame; 0 on failure (the slot is skipped, never a panic).
pub fn encode(e: &mut opus::Encoder, pcm: &[i16], out: &mut [u8]) -> usize {
    e.encode(pcm, out).unwrap_or(0)
}

/// Decodes one payload; an empty or corrupt payload yields concealment
/// (libopus's packet-loss concealment), never a panic.
pub fn decode(d: &mut opus::Decoder, payload: &[u8], out: &mut [i16]) -> usize {
    match d.decode(payload, out, false) {
        Ok(n) => n,
        Err(_) => d.decode(&[], out, false).unwrap_or(0),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_a_tone_and_survives_garbage() {
        let mut e = encoder().unwrap();
        let mut d = decoder().unwrap();
        let pcm: Vec<i16> = (0..320 * 20)
            .map(|i| {
                (8000.0 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16000.0).sin()) as i16
            })
            .collect();
        let mut out = vec![0i16; 320];
        let mut energy = 0f64;
        for frame in pcm.chunks(320) {
            let mut buf = [0u8; 400];
            let n = encode(&mut e, frame, &mut buf);
            assert!(n > 0 && n < 200, "{n} bytes for 20 ms");
            assert_eq!(decode(&mut d, &buf[..n], &mut out), 320);
            energy = out.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / 320.0;
        }
        let rms = energy.sqrt();
        assert!((rms - 5657.0).abs() < 1500.0, "decoded rms {rms}");
        assert_eq!(decode(&mut d, &[0xff, 0xff, 0xff], &mut out), 320);
    }
}
