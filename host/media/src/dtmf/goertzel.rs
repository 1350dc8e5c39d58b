//! In-band DTMF detection for G.711 calls whose peer sends neither RFC 4733
//! nor SIP INFO: the Goertzel algorithm on 205-sample blocks at 8 kHz,
//! with level, relative-peak, twist and duration checks (after ITU-T Q.24).

use super::Digit;

/// Block length: 25.6 ms at 8 kHz, bins close enough to separate 697 and 770 Hz.
pub const BLOCK: usize = 205;
const ROWS: [f32; 4] = [697.0, 770.0, 852.0, 941.0];
const COLS: [f32; 4] = [1209.0, 1336.0, 1477.0, 1633.0];
const KEYS: [[char; 4]; 4] = [
    ['1', '2', '3', 'A'],
    ['4', '5', '6', 'B'],
    ['7', '8', '9', 'C'],
    ['*', '0', '#', 'D'],
];
/// Minimum block energy (mean square): about -36 dBm0.
const MIN_ENERGY: f32 = 60.0 * 60.0;
/// The strongest tone of a group must beat the others by this factor (6 dB).
const PEAK_RATIO: f32 = 4.0;
/// Row may exceed column by 8 dB (normal twist) ...
const MAX_NORMAL_TWIST: f32 = 6.31;
/// ... and column may exceed row by 4 dB (reverse twist).
const MAX_REVERSE_TWIST: f32 = 2.51;
/// The two tones must carry this share of the block's energy (rejects speech).
const MIN_TONE_SHARE: f32 = 0.6;

fn coeffs(freqs: &[f32; 4]) -> [f32; 4] {
    freqs.map(|f| 2.0 * (2.0 * std::f32::consts::PI * f / 8000.0).cos())
}

/// Detector state of one leg. Fixed-size: no allocation while running.
#[derive(Debug, Clone)]
pub struct Detector {
    row_coeffs: [f32; 4],
    col_coeffs: [f32; 4],
    block: [i16; BLOCK],
    fill: usize,
    /// Candidate of the previous block.
    last_hit: Option<Digit>,
    /// Whether the current tone was reported already.
    reported: bool,
    /// Consecutive blocks without the reported digit.
    misses: u8,
}

impl Default for Detector {
    fn default() -> Self {
        Detector {
            row_coeffs: coeffs(&ROWS),
            col_coeffs: coeffs(&COLS),
            block: [0; BLOCK],
            fill: 0,
            last_hit: None,
            reported: false,
            misses: 0,
        }
    }
}

fn power(coeff: f32, x: &[i16]) -> f32 {
    let (mut s1, mut s2) = (0.0f32, 0.0f32);
    for &v in x {
        let s = v as f32 + coeff * s1 - s2;
        s2 = s1;
        s1 = s;
    }
    s1 * s1 + s2 * s2 - coeff * s1 * s2
}

fn strongest(p: &[f32; 4]) -> Option<usize> {
    let (best, &bp) = p.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1))?;
    p.iter()
        .enumerate()
        .all(|(i, &v)| i == best || v * PEAK_RATIO <= bp)
        .then_some(best)
}

impl Detector {
    /// Classifies one full block.
    fn classify(&self) -> Option<Digit> {
        let x = &self.block;
        let energy: f32 = x.iter().map(|&v| v as f32 * v as f32).sum();
        if energy / (BLOCK as f32) < MIN_ENERGY {
            return None;
        }
        let rows = self.row_coeffs.map(|c| power(c, x));
        let cols = self.col_coeffs.map(|c| power(c, x));
        let (r, c) = (strongest(&rows)?, strongest(&cols)?);
        let (rp, cp) = (rows[r], cols[c]);
        if rp > cp * MAX_NORMAL_TWIST || cp > rp * MAX_REVERSE_TWIST {
            return None;
        }
        // A pure tone of amplitude A gives power (A*N/2)^2 and energy A^2*N/2.
        let share = (rp + cp) / (energy * BLOCK as f32 / 2.0);
        if share < MIN_TONE_SHARE {
            return None;
        }
        Digit::from_char(KEYS[r][c])
    }

    /// Feeds 8 kHz PCM; returns a digit when a tone has lasted two blocks
    /// (about 50 ms). The same digit is reported again only after two
    /// blocks without it.
    pub fn feed(&mut self, pcm: &[i16]) -> Option<Digit> {
        let mut found = None;
        for &s in pcm {
            self.block[self.fill] = s;
            self.fill += 1;
            if self.fill < BLOCK {
                continue;
            }
            self.fill = 0;
            let hit = self.classify();
            if hit.is_some() && hit == self.last_hit {
                self.misses = 0;
                if !self.reported {
                    self.reported = true;
                    found = hit;
                }
            } else if hit != self.last_hit || hit.is_none() {
                self.misses = self.misses.saturating_add(1);
                if self.misses >= 2 || hit.is_some() {
                    self.reported = false;
                }
            }
            self.last_hit = hit;
        }
        found
    }
}

/// Writes a DTMF tone pair for `digit` into `out` at 8 kHz (for tests,
/// and for in-band DTMF generation); `amp` is each tone's amplitude,
/// `phase` the running sample index.
pub fn synthesize(digit: Digit, amp: f32, phase: usize, out: &mut [i16]) {
    synthesize_at(digit, amp, phase, 8000, out);
}

/// As [`synthesize`], at `rate` Hz.
pub fn synthesize_at(digit: Digit, amp: f32, phase: usize, rate: u32, out: &mut [i16]) {
    let idx = KEYS
        .iter()
        .flatten()
        .position(|&k| k == digit.as_char())
        .unwrap_or(0);
    let (fr, fc) = (ROWS[idx / 4], COLS[idx % 4]);
    for (i, o) in out.iter_mut().enumerate() {
        let t = (phase + i) as f32 / rate as f32;
        let v = amp * (2.0 * std::f32::consts::PI * fr * t).sin()
            + amp * (2.0 * std::f32::consts::PI * fc * t).sin();
        *o = v.clamp(-32768.0, 32767.0) as i16;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::g711;

    fn tone(digit: char, ms: usize, amp: f32, out: &mut Vec<i16>) {
        let mut buf = vec![0i16; ms * 8];
        synthesize(Digit::from_char(digit).unwrap(), amp, out.len(), &mut buf);
        out.extend_from_slice(&buf);
    }

    fn silence(ms: usize, out: &mut Vec<i16>) {
        out.extend(std::iter::repeat_n(0i16, ms * 8));
    }

    fn detect(pcm: &[i16]) -> String {
        let mut d = Detector::default();
        // Through G.711 and in 20 ms frames, as on a call.
        let mut s = String::new();
        for frame in pcm.chunks(160) {
            let mut enc = [0u8; 160];
            let n = g711::encode_ulaw(frame, &mut enc);
            let mut dec = [0i16; 160];
            g711::decode_ulaw(&enc[..n], &mut dec);
            if let Some(x) = d.feed(&dec[..n]) {
                s.push(x.as_char());
            }
        }
        s
    }

    #[test]
    fn detects_every_key_once() {
        let mut pcm = Vec::new();
        for k in "0123456789*#ABCD".chars() {
            tone(k, 100, 6000.0, &mut pcm);
            silence(60, &mut pcm);
        }
        assert_eq!(detect(&pcm), "0123456789*#ABCD");
        // The same key twice with a pause is two presses.
        let mut pcm = Vec::new();
        tone('5', 80, 4000.0, &mut pcm);
        silence(60, &mut pcm);
        tone('5', 80, 4000.0, &mut pcm);
        assert_eq!(detect(&pcm), "55");
    }

    #[test]
    fn rejects_short_quiet_single_and_twisted_tones() {
        let mut pcm = Vec::new();
        tone('1', 30, 6000.0, &mut pcm); // too short
        silence(60, &mut pcm);
        tone('2', 100, 10.0, &mut pcm); // too quiet
        silence(60, &mut pcm);
        // A single 770 Hz tone (dial-tone-like, no column).
        for i in 0..800 {
            pcm.push(
                (8000.0 * (2.0 * std::f32::consts::PI * 770.0 * i as f32 / 8000.0).sin()) as i16,
            );
        }
        silence(60, &mut pcm);
        // Column 12 dB stronger than the row: reverse twist too large.
        let mut twisted = vec![0i16; 800];
        for (i, o) in twisted.iter_mut().enumerate() {
            let t = i as f32 / 8000.0;
            *o = (1500.0 * (2.0 * std::f32::consts::PI * 697.0 * t).sin()
                + 6000.0 * (2.0 * std::f32::consts::PI * 1209.0 * t).sin()) as i16;
        }
        pcm.extend_from_slice(&twisted);
        assert_eq!(detect(&pcm), "");
    }

    #[test]
    fn survives_moderate_noise() {
        let mut pcm = Vec::new();
        tone('9', 120, 5000.0, &mut pcm);
        let mut rng = fastrand::Rng::with_seed(7);
        for s in &mut pcm {
            *s = s.saturating_add(rng.i16(-600..600));
        }
        assert_eq!(detect(&pcm), "9");
    }
}
