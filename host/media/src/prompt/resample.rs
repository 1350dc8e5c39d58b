//! Sample-rate conversion for uploads: a windowed-sinc interpolator, run
//! once per file, never per packet.

use std::f64::consts::PI;

/// Taps on each side of the interpolation point.
const HALF_TAPS: i64 = 16;

fn sinc(x: f64) -> f64 {
    if x.abs() < 1e-9 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// Converts mono PCM from `from` Hz to `to` Hz, low-pass filtering below the
/// lower Nyquist frequency when downsampling.
pub fn resample(input: &[i16], from: u32, to: u32) -> Vec<i16> {
    if from == to || input.is_empty() || from == 0 || to == 0 {
        return input.to_vec();
    }
    let ratio = to as f64 / from as f64;
    // Cut-off as a fraction of the input rate, slightly under Nyquist.
    let cutoff = ratio.min(1.0) * 0.95;
    // The kernel spans HALF_TAPS zero crossings of the filter, which is
    // wider in input samples when downsampling.
    let span = (HALF_TAPS as f64 / ratio.min(1.0)).ceil() as i64;
    let out_len = ((input.len() as f64) * ratio).round() as usize;
    let mut out = Vec::with_capacity(out_len);
    for n in 0..out_len {
        let t = n as f64 / ratio;
        let centre = t.floor() as i64;
        let mut acc = 0.0;
        for k in (centre - span + 1)..=(centre + span) {
            if k < 0 || k >= input.len() as i64 {
                continue;
            }
            let x = t - k as f64;
            // Blackman window over the kernel span.
            let u = (x / span as f64).clamp(-1.0, 1.0);
            let w = 0.42 + 0.5 * (PI * u).cos() + 0.08 * (2.0 * PI * u).cos();
            acc += input[k as usize] as f64 * cutoff * sinc(cutoff * x) * w.max(0.0);
        }
        out.push(acc.round().clamp(-32768.0, 32767.0) as i16);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(freq: f64, rate: u32, secs: f64) -> Vec<i16> {
        (0..(rate as f64 * secs) as usize)
            .map(|i| (8000.0 * (2.0 * PI * freq * i as f64 / rate as f64).sin()) as i16)
            .collect()
    }

    fn rms(x: &[i16]) -> f64 {
        (x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / x.len() as f64).sqrt()
    }

    #[test]
    fn keeps_passband_and_removes_aliases() {
        let up = resample(&tone(1000.0, 8000, 0.5), 8000, 16000);
        assert_eq!(up.len(), 8000);
        let r = rms(&up[200..7800]);
        assert!((r - 5657.0).abs() < 300.0, "rms {r}");
        // 6 kHz at 48 kHz cannot exist at 8 kHz: it must be filtered out.
        let down = resample(&tone(6000.0, 48000, 0.5), 48000, 8000);
        assert_eq!(down.len(), 4000);
        assert!(rms(&down[100..3900]) < 300.0);
        let keep = resample(&tone(1000.0, 44100, 0.5), 44100, 8000);
        assert!((rms(&keep[100..3900]) - 5657.0).abs() < 300.0);
    }
}
