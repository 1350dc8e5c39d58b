//! Prompts: audio converted once at upload to 8 and 16 kHz mono PCM,
//! encoded once per codec on first use and shared by every leg that plays
//! it; playlists; music-on-hold classes.

pub mod cache;
pub mod decode;
pub mod moh;
pub mod resample;
pub mod upload;
pub mod wav;

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::codec::{Codec, FRAME_8K};
use crate::error::Result;

/// A prompt, as PCM at both rates the codecs need.
#[derive(Debug)]
pub struct Prompt {
    /// Name (file stem or given name), for logs.
    pub name: String,
    /// Mono PCM at 8 kHz.
    pub pcm8: Arc<[i16]>,
    /// Mono PCM at 16 kHz.
    pub pcm16: Arc<[i16]>,
    /// Encoded forms, one slot per codec of [`Codec::ALL`], filled on first use.
    encoded: [OnceLock<Arc<Encoded>>; Codec::ALL.len()],
}

/// A prompt encoded for one codec, in 20 ms frames.
#[derive(Debug)]
pub struct Encoded {
    /// The codec.
    pub codec: Codec,
    /// All frames, back to back.
    data: Vec<u8>,
    /// Frame boundaries in `data`: frame i is `offsets[i]..offsets[i + 1]`.
    offsets: Vec<u32>,
    /// The PCM the frames encode, at the codec's PCM rate (what a recorder
    /// writes for the outbound channel without decoding).
    pub pcm: Arc<[i16]>,
}

impl Encoded {
    /// Number of 20 ms frames.
    pub fn frames(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    /// Payload of frame `i`.
    pub fn frame(&self, i: usize) -> &[u8] {
        &self.data[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// PCM of frame `i` (zero-padded at the end of the prompt by the caller).
    pub fn frame_pcm(&self, i: usize) -> &[i16] {
        let n = self.codec.frame_samples();
        let start = (i * n).min(self.pcm.len());
        &self.pcm[start..(start + n).min(self.pcm.len())]
    }
}

impl Prompt {
    /// A prompt from mono PCM at `rate` Hz (converted to 8 and 16 kHz).
    pub fn from_pcm(name: impl Into<String>, pcm: &[i16], rate: u32) -> Prompt {
        Prompt {
            name: name.into(),
            pcm8: resample::resample(pcm, rate, 8000).into(),
            pcm16: resample::resample(pcm, rate, 16000).into(),
            encoded: Default::default(),
        }
    }

    /// Loads and converts an audio file (WAV, MP3, FLAC, Ogg Vorbis; see
    /// [`decode::read_any`]).
    pub fn load(path: &Path) -> Result<Prompt> {
        let (pcm, rate) = decode::read_any(path)?;
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Prompt::from_pcm(name, &pcm, rate))
    }

    /// Duration in milliseconds.
    pub fn duration_ms(&self) -> u64 {
        self.pcm8.len() as u64 / 8
    }

    /// The prompt encoded for `codec`, encoding it on first use.
    pub fn encoded(&self, codec: Codec) -> Result<Arc<Encoded>> {
        let slot = Codec::ALL.iter().position(|c| *c == codec).unwrap_or(0);
        if let Some(e) = self.encoded[slot].get() {
            return Ok(e.clone());
        }
        let e = Arc::new(self.encode(codec)?);
        Ok(self.encoded[slot].get_or_init(|| e).clone())
    }

    fn encode(&self, codec: Codec) -> Result<Encoded> {
        let pcm = if codec.pcm_rate() == 8000 {
            self.pcm8.clone()
        } else {
            self.pcm16.clone()
        };
        let n = codec.frame_samples();
        let mut enc = codec.encoder()?;
        let mut data = Vec::with_capacity(pcm.len());
        let mut offsets = vec![0u32];
        let mut frame = [0i16; 960];
        let mut out = [0u8; crate::codec::MAX_PAYLOAD];
        for chunk in pcm.chunks(n) {
            frame[..chunk.len()].copy_from_slice(chunk);
            frame[chunk.len()..n].fill(0);
            let len = enc.encode(&frame[..n], &mut out);
            data.extend_from_slice(&out[..len]);
            offsets.push(data.len() as u32);
        }
        Ok(Encoded {
            codec,
            data,
            offsets,
            pcm,
        })
    }
}

/// What a play request plays: prompts one after another.
#[derive(Debug, Clone, Default)]
pub struct Playlist {
    /// The prompts, in order.
    pub items: Vec<Arc<Prompt>>,
}

impl Playlist {
    /// A playlist of one prompt.
    pub fn one(p: Arc<Prompt>) -> Self {
        Playlist { items: vec![p] }
    }

    /// Resolves every item for one codec.
    pub fn encoded(&self, codec: Codec) -> Result<Vec<Arc<Encoded>>> {
        self.items.iter().map(|p| p.encoded(codec)).collect()
    }
}

/// One 20 ms frame of silence at 8 kHz, for padding.
pub const SILENCE_8K: [i16; FRAME_8K] = [0; FRAME_8K];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_once_per_codec_in_whole_frames() {
        let pcm: Vec<i16> = (0..8000 + 50).map(|i| ((i % 50) * 100) as i16).collect();
        let p = Prompt::from_pcm("t", &pcm, 8000);
        assert_eq!(p.pcm16.len(), 2 * p.pcm8.len());
        let a = p.encoded(Codec::Pcmu).unwrap();
        let b = p.encoded(Codec::Pcmu).unwrap();
        assert!(Arc::ptr_eq(&a, &b));
        assert_eq!(a.frames(), 51);
        assert_eq!(a.frame(0).len(), 160);
        assert_eq!(a.frame(50).len(), 160);
        assert_eq!(a.frame_pcm(50).len(), 50);
        assert_eq!(p.duration_ms(), 1006);
    }
}
