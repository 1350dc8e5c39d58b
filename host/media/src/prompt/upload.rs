//! The upload step: any accepted audio file is decoded and converted once
//! to the stored form, a 16 kHz mono 16-bit WAV (wideband codecs use it
//! as is, narrowband ones get it resampled to 8 kHz when loaded). Later
//! loads read a plain WAV and never run a decoder for MP3 or FLAC again.

use std::path::Path;

use super::{decode, resample, wav};
use crate::error::{MediaError, Result};

/// Rate of the stored form.
pub const STORED_RATE: u32 = 16000;
/// Longest prompt accepted (one hour): a guard against a mistaken upload.
pub const MAX_SECONDS: usize = 3600;

/// What an upload became.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Converted {
    /// Sample rate of the source.
    pub source_rate: u32,
    /// Duration in milliseconds.
    pub duration_ms: u64,
}

/// Converts `src` (WAV, MP3, FLAC, Ogg Vorbis) into the stored form at `dst`.
pub fn normalize(src: &Path, dst: &Path) -> Result<Converted> {
    let (pcm, rate) = decode::read_any(src)?;
    if pcm.len() / rate.max(1) as usize > MAX_SECONDS {
        return Err(MediaError::Audio {
            path: src.to_path_buf(),
            reason: format!(
                "longer than {} minutes; upload a shorter file",
                MAX_SECONDS / 60
            ),
        });
    }
    let stored = resample::resample(&pcm, rate, STORED_RATE);
    wav::write(dst, &stored, STORED_RATE, 1)?;
    Ok(Converted {
        source_rate: rate,
        duration_ms: stored.len() as u64 * 1000 / STORED_RATE as u64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_16_khz_mono() {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("in.wav");
        let stereo: Vec<i16> = (0..44100)
            .flat_map(|i| [(i % 200) as i16, (i % 200) as i16])
            .collect();
        wav::write(&src, &stereo, 44100, 2).unwrap();
        let dst = dir.path().join("out.wav");
        let c = normalize(&src, &dst).unwrap();
        assert_eq!(
            c,
            Converted {
                source_rate: 44100,
                duration_ms: 1000
            }
        );
        let r = hound::WavReader::open(&dst).unwrap();
        assert_eq!(
            (r.spec().sample_rate, r.spec().channels, r.len()),
            (16000, 1, 16000)
        );
        let junk = dir.path().join("x.ogg");
        std::fs::write(&junk, b"OggS but not really").unwrap();
        assert!(normalize(&junk, &dst).is_err());
    }
}
