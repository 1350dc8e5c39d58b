//! Tones the call model plays without a prompt file: ringback while a
//! dialled party rings, and the beep before a recording.

use pbx_media::prompt::{Playlist, Prompt};
use std::f32::consts::TAU;
use std::sync::{Arc, OnceLock};

const RATE: u32 = 8000;

fn tone(freqs: &[f32], ms: u32, out: &mut Vec<i16>) {
    let n = (RATE * ms / 1000) as usize;
    let amp = 8000.0 / freqs.len() as f32;
    for i in 0..n {
        let t = i as f32 / RATE as f32;
        let s: f32 = freqs.iter().map(|f| (TAU * f * t).sin() * amp).sum();
        out.push(s as i16);
    }
}

fn silence(ms: u32, out: &mut Vec<i16>) {
    out.extend(std::iter::repeat_n(0, (RATE * ms / 1000) as usize));
}

/// One cadence of ringback (400+450 Hz: 0.4 s on, 0.2 s off, 0.4 s on,
/// 2 s off), replayed while the party rings.
pub fn ringback() -> Playlist {
    static TONE: OnceLock<Arc<Prompt>> = OnceLock::new();
    let p = TONE.get_or_init(|| {
        let mut pcm = Vec::new();
        tone(&[400.0, 450.0], 400, &mut pcm);
        silence(200, &mut pcm);
        tone(&[400.0, 450.0], 400, &mut pcm);
        silence(2000, &mut pcm);
        Arc::new(Prompt::from_pcm("ringback", &pcm, RATE))
    });
    Playlist::one(p.clone())
}

/// The beep before a recording: 1,000 Hz for 250 ms, then 100 ms of
/// silence.
pub fn beep() -> Playlist {
    static TONE: OnceLock<Arc<Prompt>> = OnceLock::new();
    let p = TONE.get_or_init(|| {
        let mut pcm = Vec::new();
        tone(&[1000.0], 250, &mut pcm);
        silence(100, &mut pcm);
        Arc::new(Prompt::from_pcm("beep", &pcm, RATE))
    });
    Playlist::one(p.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tones_have_their_lengths() {
        assert_eq!(ringback().items[0].duration_ms(), 3000);
        assert_eq!(beep().items[0].duration_ms(), 350);
    }
}
