//! Reading compressed audio for upload (MP3, FLAC, Ogg Vorbis, and WAV
//! variants hound does not read) with `symphonia`, in-process: no
//! external tool. Mixed to mono 16-bit PCM at the file's rate; the caller
//! converts the rate once.

use std::path::Path;

use symphonia::core::audio::SampleBuffer;
use symphonia::core::codecs::{CODEC_TYPE_NULL, DecoderOptions};
use symphonia::core::errors::Error;
use symphonia::core::formats::FormatOptions;
use symphonia::core::io::MediaSourceStream;
use symphonia::core::meta::MetadataOptions;
use symphonia::core::probe::Hint;

use crate::error::{MediaError, Result};

/// Upload formats, for error messages.
pub const ACCEPTED: &str = "WAV, MP3, FLAC or Ogg Vorbis";

fn bad(path: &Path, reason: impl Into<String>) -> MediaError {
    MediaError::Audio {
        path: path.to_path_buf(),
        reason: reason.into(),
    }
}

/// Decodes a whole file to mono PCM; returns the samples and the rate.
pub fn read_mono(path: &Path) -> Result<(Vec<i16>, u32)> {
    let file = std::fs::File::open(path).map_err(|e| bad(path, format!("cannot read it: {e}")))?;
    let mss = MediaSourceStream::new(Box::new(file), Default::default());
    let mut hint = Hint::new();
    if let Some(ext) = path.extension().and_then(|e| e.to_str()) {
        hint.with_extension(ext);
    }
    let probed = symphonia::default::get_probe()
        .format(
            &hint,
            mss,
            &FormatOptions::default(),
            &MetadataOptions::default(),
        )
        .map_err(|e| {
            bad(
                path,
                format!("not a recognised audio file ({e}); upload {ACCEPTED}"),
            )
        })?;
    let mut format = probed.format;
    let track = format
        .tracks()
        .iter()
        .find(|t| t.codec_params.codec != CODEC_TYPE_NULL)
        .ok_or_else(|| {
            bad(
                path,
                format!("the file holds no audio track; upload {ACCEPTED}"),
            )
        })?;
    let track_id = track.id;
    let rate = track
        .codec_params
        .sample_rate
        .ok_or_else(|| bad(path, "the audio track states no sample rate"))?;
    let mut decoder = symphonia::default::get_codecs()
        .make(&track.codec_params, &DecoderOptions::default())
        .map_err(|e| {
            bad(
                path,
                format!("its codec is not supported ({e}); upload {ACCEPTED}"),
            )
        })?;
    let mut mono = Vec::new();
    let mut sb: Option<SampleBuffer<f32>> = None;
    loop {
        let packet = match format.next_packet() {
            Ok(p) => p,
            Err(Error::IoError(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof => break,
            Err(Error::ResetRequired) => break,
            Err(e) => return Err(bad(path, format!("the file is corrupt: {e}"))),
        };
        if packet.track_id() != track_id {
            continue;
        }
        let buf = match decoder.decode(&packet) {
            Ok(b) => b,
            // A damaged frame: skip it, as players do.
            Err(Error::DecodeError(_)) => continue,
            Err(e) => return Err(bad(path, format!("cannot decode it: {e}"))),
        };
        let spec = *buf.spec();
        let ch = spec.channels.count().max(1);
        let needed = buf.capacity() as u64;
        let sbuf = match &mut sb {
            Some(s) if s.capacity() as u64 >= needed * ch as u64 => s,
            _ => sb.insert(SampleBuffer::new(needed, spec)),
        };
        sbuf.copy_interleaved_ref(buf);
        mono.extend(sbuf.samples().chunks(ch).map(|f| {
            (f.iter().sum::<f32>() / ch as f32 * 32767.0)
                .round()
                .clamp(-32768.0, 32767.0) as i16
        }));
    }
    if mono.is_empty() {
        return Err(bad(path, "the file holds no audio"));
    }
    Ok((mono, rate))
}

/// Reads any accepted upload: WAV through `hound` (the common case, no
/// decoder state), everything else through `symphonia`.
pub fn read_any(path: &Path) -> Result<(Vec<i16>, u32)> {
    let is_wav = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    if is_wav {
        match super::wav::read_mono(path) {
            Ok(r) => Ok(r),
            // WAV flavours hound does not read (A-law, ADPCM, ...).
            Err(e) => read_mono(path).map_err(|_| e),
        }
    } else {
        read_mono(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decodes_what_hound_wrote_and_rejects_junk() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("tone.wav");
        let pcm: Vec<i16> = (0..22050)
            .map(|i| ((i % 100) * 300 - 15000) as i16)
            .collect();
        // Stereo: both channels equal, so the mono mix is the signal.
        let stereo: Vec<i16> = pcm.iter().flat_map(|&s| [s, s]).collect();
        super::super::wav::write(&p, &stereo, 22050, 2).unwrap();
        let (mono, rate) = read_mono(&p).unwrap();
        assert_eq!((mono.len(), rate), (pcm.len(), 22050));
        assert!(
            mono.iter()
                .zip(&pcm)
                .all(|(a, b)| (*a as i32 - *b as i32).abs() <= 1)
        );

        let junk = dir.path().join("song.mp3");
        std::fs::write(&junk, vec![0x42u8; 4096]).unwrap();
        let e = read_any(&junk).unwrap_err().to_string();
        assert!(e.contains("upload WAV, MP3, FLAC or Ogg Vorbis"), "{e}");
        let e = read_any(&dir.path().join("none.flac"))
            .unwrap_err()
            .to_string();
        assert!(e.contains("cannot read"), "{e}");
    }
}
