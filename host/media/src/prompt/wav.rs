//! Reading audio files for upload, with `hound`: WAV PCM (8-32 bit
//! integer or 32-bit float) at any rate, any number of channels (mixed to
//! mono). Anything else gets an error naming what is accepted.

use std::path::Path;

use crate::error::{MediaError, Result};

fn bad(path: &Path, reason: impl Into<String>) -> MediaError {
    MediaError::Audio {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Reads a WAV file as mono 16-bit PCM; returns the samples and the rate.
pub fn read_mono(path: &Path) -> Result<(Vec<i16>, u32)> {
    let reader = hound::WavReader::open(path).map_err(|e| match e {
        hound::Error::IoError(io) => bad(path, format!("cannot read it: {io}")),
        other => bad(
            path,
            format!("not a usable WAV file ({other}); upload PCM WAV, mono or stereo, 8-48 kHz"),
        ),
    })?;
    let spec = reader.spec();
    if spec.channels == 0 || !(4000..=192_000).contains(&spec.sample_rate) {
        return Err(bad(
            path,
            format!(
                "{} channels at {} Hz is not plausible audio; upload 8-48 kHz PCM WAV",
                spec.channels, spec.sample_rate
            ),
        ));
    }
    let ch = spec.channels as usize;
    let samples: Vec<f32> = match (spec.sample_format, spec.bits_per_sample) {
        (hound::SampleFormat::Float, 32) => reader
            .into_samples::<f32>()
            .map(|s| s.map(|v| v * 32767.0))
            .collect::<std::result::Result<_, _>>(),
        (hound::SampleFormat::Int, bits @ 8..=32) => {
            let shift = bits as i32 - 16;
            reader
                .into_samples::<i32>()
                .map(|s| {
                    s.map(|v| {
                        if shift >= 0 {
                            (v >> shift) as f32
                        } else {
                            (v << -shift) as f32
                        }
                    })
                })
                .collect::<std::result::Result<_, _>>()
        }
        (f, b) => {
            return Err(bad(
                path,
                format!("{b}-bit {f:?} samples are not supported; upload 16-bit PCM WAV"),
            ));
        }
    }
    .map_err(|e| bad(path, format!("the file is truncated or corrupt: {e}")))?;
    if samples.is_empty() {
        return Err(bad(path, "the file holds no audio"));
    }
    let mono = samples
        .chunks(ch)
        .map(|f| {
            (f.iter().sum::<f32>() / ch as f32)
                .round()
                .clamp(-32768.0, 32767.0) as i16
        })
        .collect();
    Ok((mono, spec.sample_rate))
}

/// Writes mono or interleaved multi-channel 16-bit PCM as WAV.
pub fn write(path: &Path, samples: &[i16], rate: u32, channels: u16) -> Result<()> {
    let spec = hound::WavSpec {
        channels,
        sample_rate: rate,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let werr = |e: hound::Error| bad(path, format!("cannot write it: {e}"));
    let mut w = hound::WavWriter::create(path, spec).map_err(werr)?;
    let mut i16w = w.get_i16_writer(samples.len() as u32);
    for &s in samples {
        i16w.write_sample(s);
    }
    i16w.flush().map_err(werr)?;
    w.finalize().map_err(werr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stereo_and_other_depths_and_rejects_junk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("s.wav");
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 16000,
            bits_per_sample: 24,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(&p, spec).unwrap();
        for _ in 0..100 {
            w.write_sample(1000 << 8).unwrap();
            w.write_sample(3000 << 8).unwrap();
        }
        w.finalize().unwrap();
        let (pcm, rate) = read_mono(&p).unwrap();
        assert_eq!((pcm.len(), rate), (100, 16000));
        assert_eq!(pcm[0], 2000);

        let junk = dir.path().join("junk.wav");
        std::fs::write(&junk, b"RIFF this is not audio").unwrap();
        let e = read_mono(&junk).unwrap_err().to_string();
        assert!(e.contains("upload PCM WAV"), "{e}");
        let e = read_mono(&dir.path().join("missing.wav"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read"), "{e}");

        let out = dir.path().join("o.wav");
        write(&out, &[1, -1, 2, -2], 8000, 2).unwrap();
        let r = hound::WavReader::open(&out).unwrap();
        assert_eq!(r.spec().channels, 2);
        assert_eq!(r.len(), 4);
    }
}
