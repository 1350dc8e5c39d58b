//! DTMF sent in-band, as tones in the audio, for peers that negotiated no
//! telephone-event (old trunks, analogue gateways). Only G.711 carries
//! tones reliably; on other codecs they are sent too, best effort.

use std::collections::VecDeque;

use super::Digit;
use super::goertzel::synthesize_at;

/// Amplitude of each of the two tones: about -10 dBm0 each.
const AMPLITUDE: f32 = 7000.0;
/// Pause after each digit, in milliseconds.
const GAP_MS: u32 = 60;

/// Tone sender state of one leg.
#[derive(Debug, Default)]
pub struct ToneSender {
    queue: VecDeque<(Digit, u32)>,
    /// Digit, its length and the samples already sent, at the leg's rate.
    current: Option<(Digit, u32, u32)>,
    gap_left: u32,
}

impl ToneSender {
    /// Queues a digit of `duration_ms` (clamped to 40-1000 ms).
    pub fn push(&mut self, digit: Digit, duration_ms: u32) {
        self.queue.push_back((digit, duration_ms.clamp(40, 1000)));
    }

    /// Whether tones or their pauses are being sent (the leg's other audio
    /// waits meanwhile, so that a prompt does not garble the digits).
    pub fn busy(&self) -> bool {
        self.current.is_some() || self.gap_left > 0 || !self.queue.is_empty()
    }

    /// Fills `out` (one 20 ms frame at `rate` Hz) with the next tone or
    /// pause; false when idle.
    pub fn next_frame(&mut self, rate: u32, out: &mut [i16]) -> bool {
        if self.current.is_none() {
            if self.gap_left > 0 {
                let n = (out.len() as u32).min(self.gap_left);
                self.gap_left -= n;
                out.fill(0);
                return true;
            }
            let Some((digit, ms)) = self.queue.pop_front() else {
                return false;
            };
            self.current = Some((digit, ms * rate / 1000, 0));
        }
        let Some((digit, total, done)) = &mut self.current else {
            return false;
        };
        let n = (out.len() as u32).min(*total - *done) as usize;
        synthesize_at(*digit, AMPLITUDE, *done as usize, rate, &mut out[..n]);
        out[n..].fill(0);
        *done += n as u32;
        if *done >= *total {
            self.current = None;
            self.gap_left = GAP_MS * rate / 1000;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dtmf::goertzel::Detector;

    #[test]
    fn tones_are_detected_and_separated() {
        let mut t = ToneSender::default();
        for c in "19#".chars() {
            t.push(Digit::from_char(c).unwrap(), 100);
        }
        let mut det = Detector::default();
        let mut got = String::new();
        let mut frame = [0i16; 160];
        let mut frames = 0;
        while t.next_frame(8000, &mut frame) {
            frames += 1;
            if let Some(d) = det.feed(&frame) {
                got.push(d.as_char());
            }
        }
        assert_eq!(got, "19#");
        assert_eq!(frames, 3 * (5 + 3));
        assert!(!t.busy());
    }
}
