//! Audio checks on what the phones recorded: WAV files in and out, pure
//! tones, a Goertzel detector ("did this side hear a 1,000 Hz tone?") and
//! a prompt matcher ("does this recording contain office-welcome.wav?").
//!
//! The matcher compares short-time energy envelopes (20 ms frames, in dB
//! with a floor) by normalised cross-correlation, sliding the prompt over
//! the recording. Envelopes survive what a call does to audio (G.711,
//! resampling, a jitter buffer's small shifts, packet-loss concealment)
//! while two different spoken prompts give clearly different envelopes.

use std::path::Path;

/// A mono signal, samples in -1.0..=1.0.
#[derive(Debug, Clone)]
pub struct Wav {
    /// Samples per second.
    pub rate: u32,
    /// The first channel's samples.
    pub samples: Vec<f32>,
}

impl Wav {
    /// Its length in seconds.
    pub fn seconds(&self) -> f64 {
        self.samples.len() as f64 / self.rate as f64
    }

    /// The part from `from` to `to` seconds (clamped to the signal).
    pub fn slice(&self, from: f64, to: f64) -> Wav {
        let at = |t: f64| ((t.max(0.0) * self.rate as f64) as usize).min(self.samples.len());
        let (a, b) = (at(from), at(to));
        Wav {
            rate: self.rate,
            samples: self.samples[a..b.max(a)].to_vec(),
        }
    }

    /// Root mean square level in dBFS (-120 for digital silence).
    pub fn level_db(&self) -> f64 {
        db(rms(&self.samples))
    }
}

fn rms(samples: &[f32]) -> f64 {
    if samples.is_empty() {
        return 0.0;
    }
    (samples
        .iter()
        .map(|&s| (s as f64) * (s as f64))
        .sum::<f64>()
        / samples.len() as f64)
        .sqrt()
}

fn db(rms: f64) -> f64 {
    20.0 * rms.max(1e-6).log10()
}

/// Read a 16-bit PCM WAV file (any rate; the first channel of several).
/// A file whose writer never finalised the sizes (a process killed while
/// recording) is read to its end.
pub fn read_wav(path: &Path) -> Result<Wav, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse_wav(&bytes).map_err(|e| format!("{}: {e}", path.display()))
}

/// [`read_wav`] on bytes.
pub fn parse_wav(bytes: &[u8]) -> Result<Wav, String> {
    if bytes.len() < 12 || &bytes[0..4] != b"RIFF" || &bytes[8..12] != b"WAVE" {
        return Err("not a RIFF/WAVE file".into());
    }
    let u16_at = |i: usize| u16::from_le_bytes([bytes[i], bytes[i + 1]]);
    let u32_at =
        |i: usize| u32::from_le_bytes([bytes[i], bytes[i + 1], bytes[i + 2], bytes[i + 3]]);
    let mut at = 12;
    let mut format: Option<(u16, u16, u32, u16)> = None;
    while at + 8 <= bytes.len() {
        let id = &bytes[at..at + 4];
        let size = u32_at(at + 4) as usize;
        let body = at + 8;
        if id == b"fmt " {
            if body + 16 > bytes.len() {
                return Err("truncated fmt chunk".into());
            }
            format = Some((
                u16_at(body),
                u16_at(body + 2),
                u32_at(body + 4),
                u16_at(body + 14),
            ));
        } else if id == b"data" {
            let (tag, channels, rate, bits) = format.ok_or("data chunk before the fmt chunk")?;
            // 1 = PCM, 0xFFFE = WAVE_FORMAT_EXTENSIBLE (PCM sub-format assumed).
            if (tag != 1 && tag != 0xFFFE) || bits != 16 || channels == 0 || rate == 0 {
                return Err(format!(
                    "unsupported WAV format (tag {tag}, {bits} bits, {channels} channels, {rate} Hz): \
                     only 16-bit PCM is read"
                ));
            }
            // Unfinalised sizes (0 or past the end): up to the end.
            let end = if size == 0 || body + size > bytes.len() {
                bytes.len()
            } else {
                body + size
            };
            let frame = 2 * channels as usize;
            let samples = bytes[body..end]
                .chunks_exact(frame)
                .map(|f| i16::from_le_bytes([f[0], f[1]]) as f32 / 32768.0)
                .collect();
            return Ok(Wav { rate, samples });
        }
        at = body + size + (size & 1);
    }
    Err("no data chunk".into())
}

/// Write `samples` as a 16-bit PCM mono WAV file.
pub fn write_wav(path: &Path, rate: u32, samples: &[f32]) {
    let data: Vec<u8> = samples
        .iter()
        .flat_map(|&s| ((s.clamp(-1.0, 1.0) * 32767.0).round() as i16).to_le_bytes())
        .collect();
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    std::fs::write(path, out).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// `seconds` of a sine at `freq` Hz and `amplitude` (0-1).
pub fn tone(freq: f64, seconds: f64, rate: u32, amplitude: f32) -> Vec<f32> {
    let n = (seconds * rate as f64) as usize;
    (0..n)
        .map(|i| {
            amplitude * (2.0 * std::f64::consts::PI * freq * i as f64 / rate as f64).sin() as f32
        })
        .collect()
}

/// Write an 8 kHz tone WAV (at -6 dBFS) for a phone to play.
pub fn write_tone_wav(path: &Path, freq: f64, seconds: f64) {
    write_wav(path, 8000, &tone(freq, seconds, 8000, 0.5));
}

/// The share of a block's energy at `freq` (Goertzel): about 1 for a pure
/// tone at that frequency, about 0 for other tones, small for noise.
pub fn tone_share(block: &[f32], rate: u32, freq: f64) -> f64 {
    let n = block.len();
    if n == 0 {
        return 0.0;
    }
    let w = 2.0 * std::f64::consts::PI * freq / rate as f64;
    let coeff = 2.0 * w.cos();
    let (mut s1, mut s2) = (0.0f64, 0.0f64);
    for &x in block {
        let s0 = x as f64 + coeff * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    let power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
    let energy: f64 = block.iter().map(|&x| (x as f64) * (x as f64)).sum();
    if energy <= 0.0 {
        return 0.0;
    }
    2.0 * power / (n as f64 * energy)
}

/// How many seconds of `wav` carry a tone at `freq` Hz: 50 ms blocks
/// louder than -40 dBFS where that frequency holds over half the energy.
pub fn tone_seconds(wav: &Wav, freq: f64) -> f64 {
    let block = (wav.rate / 20) as usize;
    let hits = wav
        .samples
        .chunks_exact(block)
        .filter(|b| db(rms(b)) > -40.0 && tone_share(b, wav.rate, freq) > 0.5)
        .count();
    hits as f64 * 0.05
}

/// How many seconds of `wav` carry some pure tone between `lo` and `hi`
/// Hz (a beep of unknown pitch): 50 ms blocks louder than -40 dBFS where
/// one frequency (10 Hz steps) holds over 60% of the energy.
pub fn any_tone_seconds(wav: &Wav, lo: f64, hi: f64) -> f64 {
    let block = (wav.rate / 20) as usize;
    let steps = ((hi - lo) / 10.0) as usize;
    let hits = wav
        .samples
        .chunks_exact(block)
        .filter(|b| {
            db(rms(b)) > -40.0
                && (0..=steps).any(|i| tone_share(b, wav.rate, lo + 10.0 * i as f64) > 0.6)
        })
        .count();
    hits as f64 * 0.05
}

/// Frame length of the envelopes, in seconds.
const FRAME: f64 = 0.02;
/// Envelope floor: quieter frames count as this (silence, G.711 idle noise).
const FLOOR_DB: f64 = -55.0;

/// The short-time energy envelope: one dB value per 20 ms frame.
pub fn envelope(wav: &Wav) -> Vec<f64> {
    let frame = ((wav.rate as f64 * FRAME) as usize).max(1);
    wav.samples
        .chunks_exact(frame)
        .map(|f| db(rms(f)).max(FLOOR_DB))
        .collect()
}

/// Where a prompt best matches a recording.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Match {
    /// Normalised cross-correlation of the envelopes, -1..=1.
    pub score: f64,
    /// Where the prompt (its file, leading silence included) starts in
    /// the recording, seconds.
    pub at: f64,
}

/// The score above which a prompt is taken as heard.
pub const MATCH_THRESHOLD: f64 = 0.8;

/// The least of a prompt a recording must hold to match it, seconds
/// (all of it when it is shorter): a call may end in the middle of a
/// long prompt, but a second or two of speech proves little.
pub const MIN_OVERLAP: f64 = 3.0;

/// Chunks of the elastic match, frames (1 s).
const CHUNK: usize = 50;
/// How far each chunk may move from where the previous one ended,
/// frames (0.2 s): packets the jitter buffer dropped or stretched.
const SLACK: usize = 10;
/// How far the shifted match lets the rest of a prompt move, frames
/// (0.06 s either way).
const SHIFT: usize = 3;
/// The least of a prompt on either side of the shift, frames (0.2 s).
const SHIFT_PART: usize = 10;
/// Chunks of the drifting match, frames (0.2 s).
const FINE_CHUNK: usize = 10;
/// How far each of them may move, frames (two packets).
const FINE_SLACK: usize = 2;

/// Find `prompt` in `recording`: the best normalised cross-correlation of
/// their envelopes. Leading and trailing silence of the prompt are
/// trimmed first (the PBX may cut or pad them).
///
/// Up to three passes, each only when the ones before did not reach
/// [`MATCH_THRESHOLD`]: the prompt slid rigidly over the recording; an
/// elastic one where each 1 s chunk of the prompt may start up to 0.2 s
/// off the end of the previous one (a loaded machine's jitter buffers
/// drop and stretch audio), scored as one correlation over the chunks
/// as placed; a shifted one (see [`shifted_match`]) for the frame or two
/// a phone's jitter buffer repeats or skips once while it adapts at the
/// start of a call, which the 1 s chunks are too coarse for in a short
/// greeting (a one-frame shift costs a rigid match of 20 ms envelopes
/// about 0.1 of its score); and, for a prompt under 2 s, a drifting one
/// (see [`drifting_match`]) for a buffer that ran dry a few times and
/// filled in (CI recorded the demo's greeting 0.12 s longer than it was
/// played). Near the
/// end of the recording the prompt's start is compared with what is
/// left, as long as that is at least [`MIN_OVERLAP`] (a prompt cut short
/// by the end of the call).
pub fn find_prompt(recording: &Wav, prompt: &Wav) -> Match {
    let (lead, p) = trim_silence(&envelope(prompt));
    let r = envelope(recording);
    let rigid = rigid_match(&r, &p);
    let mut best = rigid;
    for pass in [elastic_match, shifted_match, drifting_match] {
        if best.0 >= MATCH_THRESHOLD {
            break;
        }
        let other = pass(&r, &p);
        if other.0 > best.0 {
            best = other;
        }
    }
    Match {
        score: best.0,
        at: (best.1 as f64 - lead as f64) * FRAME,
    }
}

/// The least overlap, frames, for a prompt of `len` frames.
fn min_overlap(len: usize) -> usize {
    len.min((MIN_OVERLAP / FRAME) as usize)
}

/// Rigid sliding: (score, lag) of the best.
fn rigid_match(r: &[f64], p: &[f64]) -> (f64, usize) {
    let mut best = (-1.0, 0);
    if p.is_empty() {
        return best;
    }
    for lag in 0..r.len() {
        let n = p.len().min(r.len() - lag);
        if n < min_overlap(p.len()) {
            break;
        }
        let score = pearson(&p[..n], &r[lag..lag + n]);
        if score > best.0 {
            best = (score, lag);
        }
    }
    best
}

/// Elastic: from every start, each chunk placed greedily where it
/// correlates best within the slack; (score, start) of the best chain.
fn elastic_match(r: &[f64], p: &[f64]) -> (f64, usize) {
    if p.len() < 2 * CHUNK {
        return (-1.0, 0); // a short prompt has no room to stretch
    }
    chunked_match(r, p, CHUNK, SLACK)
}

/// Drifting: for a prompt too short for [`elastic_match`], the same
/// placement with [`FINE_CHUNK`]s that may each move [`FINE_SLACK`]: a
/// phone's jitter buffer that repeats or skips a packet now and then
/// while it adapts at the start of a call. The negative controls of
/// `tests/e2e_audio.rs` (every built prompt against every other,
/// unrelated and spoken prompts) hold with it.
fn drifting_match(r: &[f64], p: &[f64]) -> (f64, usize) {
    if p.len() >= 2 * CHUNK || p.len() < 2 * FINE_CHUNK {
        return (-1.0, 0);
    }
    chunked_match(r, p, FINE_CHUNK, FINE_SLACK)
}

/// From every start, each `chunk_len` chunk of the prompt placed greedily
/// where it correlates best within `slack` of the end of the previous
/// one; (score, start) of the best chain.
fn chunked_match(r: &[f64], p: &[f64], chunk_len: usize, slack: usize) -> (f64, usize) {
    let mut best = (-1.0, 0);
    for start in 0..r.len() {
        if r.len() - start < min_overlap(p.len()) {
            break;
        }
        let mut placed_p: Vec<f64> = Vec::with_capacity(p.len());
        let mut placed_r: Vec<f64> = Vec::with_capacity(p.len());
        let mut at = start;
        for (i, chunk) in p.chunks(chunk_len).enumerate() {
            let (lo, hi) = if i == 0 {
                (at, at)
            } else {
                (at.saturating_sub(slack), at + slack)
            };
            let mut pick: Option<(f64, usize, usize)> = None;
            for pos in lo..=hi {
                let n = chunk.len().min(r.len().saturating_sub(pos));
                if n < chunk_len / 2 {
                    continue;
                }
                let score = pearson(&chunk[..n], &r[pos..pos + n]);
                if pick.is_none_or(|(s, _, _)| score > s) {
                    pick = Some((score, pos, n));
                }
            }
            let Some((_, pos, n)) = pick else { break };
            placed_p.extend_from_slice(&chunk[..n]);
            placed_r.extend_from_slice(&r[pos..pos + n]);
            at = pos + n;
        }
        if placed_p.len() < min_overlap(p.len()) {
            continue;
        }
        let score = pearson(&placed_p, &placed_r);
        if score > best.0 {
            best = (score, start);
        }
    }
    best
}

/// Shifted once: the prompt slid rigidly, but from one frame on the
/// rest of it may sit up to [`SHIFT`] frames later (frames inserted in
/// the recording) or earlier (prompt frames skipped), each part at
/// least [`SHIFT_PART`] long; (score, start) of the best. The prompt
/// must fit in the recording whole.
fn shifted_match(r: &[f64], p: &[f64]) -> (f64, usize) {
    let mut best = (-1.0, 0);
    let m = p.len();
    if m < 2 * SHIFT_PART + SHIFT {
        return best;
    }
    let mut head = vec![Sums::default(); m + 1];
    let mut tail = vec![Sums::default(); m + 1];
    for lag in 0..r.len() {
        if lag + m + SHIFT > r.len() {
            break;
        }
        // head[i]: the pairs of prompt frames 0..i at `lag`.
        for i in 0..m {
            head[i + 1] = head[i].with(p[i], r[lag + i]);
        }
        for shift in 1..=SHIFT {
            for later in [true, false] {
                // tail[i]: the pairs of prompt frames i..m, shifted.
                tail[m] = Sums::default();
                for i in (0..m).rev() {
                    let j = if later {
                        lag + i + shift
                    } else {
                        (lag + i).wrapping_sub(shift)
                    };
                    tail[i] = match r.get(j) {
                        Some(&y) => tail[i + 1].with(p[i], y),
                        None => Sums::poisoned(),
                    };
                }
                // Skipped prompt frames are those the earlier part
                // would pair with the same recording frames.
                let skip = if later { 0 } else { shift };
                for cut in SHIFT_PART..=m - SHIFT_PART - skip {
                    let score = head[cut].plus(&tail[cut + skip]).pearson();
                    if score > best.0 {
                        best = (score, lag);
                    }
                }
            }
        }
    }
    best
}

/// Running sums of pairs, for correlations of concatenated parts.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    n: f64,
    x: f64,
    y: f64,
    xx: f64,
    yy: f64,
    xy: f64,
}

impl Sums {
    /// Sums no correlation can come from (a pair outside the recording).
    fn poisoned() -> Sums {
        Sums {
            n: f64::NAN,
            ..Sums::default()
        }
    }

    fn with(&self, x: f64, y: f64) -> Sums {
        Sums {
            n: self.n + 1.0,
            x: self.x + x,
            y: self.y + y,
            xx: self.xx + x * x,
            yy: self.yy + y * y,
            xy: self.xy + x * y,
        }
    }

    fn plus(&self, o: &Sums) -> Sums {
        Sums {
            n: self.n + o.n,
            x: self.x + o.x,
            y: self.y + o.y,
            xx: self.xx + o.xx,
            yy: self.yy + o.yy,
            xy: self.xy + o.xy,
        }
    }

    /// Pearson's r of the pairs (0 when either side is flat, -1 when
    /// poisoned).
    fn pearson(&self) -> f64 {
        if self.n.is_nan() {
            return -1.0;
        }
        let va = self.xx - self.x * self.x / self.n;
        let vb = self.yy - self.y * self.y / self.n;
        if va <= 1e-9 || vb <= 1e-9 {
            return 0.0;
        }
        (self.xy - self.x * self.y / self.n) / (va * vb).sqrt()
    }
}

/// The envelope without its quiet start and end, and how many frames
/// were cut at the start.
fn trim_silence(env: &[f64]) -> (usize, Vec<f64>) {
    let loud = |v: &f64| *v > FLOOR_DB + 10.0;
    let start = env.iter().position(loud).unwrap_or(0);
    let end = env.iter().rposition(loud).map_or(env.len(), |e| e + 1);
    (start, env[start..end.max(start)].to_vec())
}

fn pearson(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let (mut num, mut va, mut vb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        num += (x - ma) * (y - mb);
        va += (x - ma) * (x - ma);
        vb += (y - mb) * (y - mb);
    }
    if va <= 1e-9 || vb <= 1e-9 {
        return 0.0;
    }
    num / (va * vb).sqrt()
}

/// G.711 mu-law encode then decode, what a PCMU call does to a sample.
pub fn mulaw_roundtrip(x: f32) -> f32 {
    const BIAS: i32 = 0x84;
    let pcm = (x.clamp(-1.0, 1.0) * 32767.0) as i32;
    let sign = if pcm < 0 { 0x80 } else { 0 };
    let mag = (pcm.abs().min(32635)) + BIAS;
    let exponent = (0..8).rev().find(|e| mag & (0x80 << e) != 0).unwrap_or(0);
    let mantissa = (mag >> (exponent + 3)) & 0x0F;
    let byte = !(sign | (exponent << 4) | mantissa) as u8;
    // Decode.
    let b = !byte as i32;
    let (sign, exponent, mantissa) = (b & 0x80, (b >> 4) & 0x07, b & 0x0F);
    let mag = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    (if sign != 0 { -mag } else { mag }) as f32 / 32768.0
}

/// A prompt and a recording, for failure messages: their lengths, levels
/// and the match.
pub fn describe_match(name: &str, recording: &Wav, prompt: &Wav) -> String {
    let m = find_prompt(recording, prompt);
    format!(
        "{name}: score {:.3} at {:.2} s (threshold {MATCH_THRESHOLD}); recording {:.2} s at {:.1} dBFS, \
         prompt {:.2} s at {:.1} dBFS",
        m.score,
        m.at,
        recording.seconds(),
        recording.level_db(),
        prompt.seconds(),
        prompt.level_db()
    )
}
