//! G.711 mu-law and A-law, written from the ITU-T G.711 segment tables.
//! Decoding goes through 256-entry tables built at compile time.

const BIAS: i32 = 0x84;
const CLIP: i32 = 32635;

/// Encodes one linear sample to mu-law.
pub fn linear_to_ulaw(sample: i16) -> u8 {
    let mut s = sample as i32;
    let sign = if s < 0 {
        s = -s;
        0x80
    } else {
        0
    };
    if s > CLIP {
        s = CLIP;
    }
    s += BIAS;
    let exponent = (31 - (s as u32).leading_zeros() as i32 - 7).clamp(0, 7);
    let mantissa = (s >> (exponent + 3)) & 0x0f;
    !(sign | (exponent << 4) as u8 | mantissa as u8)
}

/// Decodes one mu-law byte to a linear sample.
pub const fn ulaw_to_linear(byte: u8) -> i16 {
    let u = !byte;
    let exponent = ((u >> 4) & 0x07) as i32;
    let mantissa = (u & 0x0f) as i32;
    let magnitude = (((mantissa << 3) + BIAS) << exponent) - BIAS;
    if u & 0x80 != 0 {
        -magnitude as i16
    } else {
        magnitude as i16
    }
}

/// Encodes one linear sample to A-law.
pub fn linear_to_alaw(sample: i16) -> u8 {
    // A-law works on 13-bit magnitudes.
    let s = (sample as i32) >> 3;
    let (sign, mag) = if s >= 0 { (0x80, s) } else { (0x00, -s - 1) };
    let mag = mag.min(0x0fff);
    let code = if mag < 32 {
        (mag >> 1) as u8
    } else {
        let exponent = 31 - (mag as u32).leading_zeros() as i32 - 4;
        let mantissa = (mag >> exponent) & 0x0f;
        ((exponent << 4) as u8) | mantissa as u8
    };
    (sign | code) ^ 0x55
}

/// Decodes one A-law byte to a linear sample.
pub const fn alaw_to_linear(byte: u8) -> i16 {
    let a = byte ^ 0x55;
    let exponent = ((a >> 4) & 0x07) as i32;
    let mantissa = (a & 0x0f) as i32;
    let mag = if exponent == 0 {
        (mantissa << 4) + 8
    } else {
        ((mantissa << 4) + 0x108) << (exponent - 1)
    };
    if a & 0x80 != 0 {
        mag as i16
    } else {
        -mag as i16
    }
}

const fn table(alaw: bool) -> [i16; 256] {
    let mut t = [0i16; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = if alaw {
            alaw_to_linear(i as u8)
        } else {
            ulaw_to_linear(i as u8)
        };
        i += 1;
    }
    t
}

static ULAW_TABLE: [i16; 256] = table(false);
static ALAW_TABLE: [i16; 256] = table(true);

/// Encodes PCM to mu-law; returns the bytes written (the shorter length).
pub fn encode_ulaw(pcm: &[i16], out: &mut [u8]) -> usize {
    let n = pcm.len().min(out.len());
    for (o, s) in out[..n].iter_mut().zip(pcm) {
        *o = linear_to_ulaw(*s);
    }
    n
}

/// Encodes PCM to A-law; returns the bytes written (the shorter length).
pub fn encode_alaw(pcm: &[i16], out: &mut [u8]) -> usize {
    let n = pcm.len().min(out.len());
    for (o, s) in out[..n].iter_mut().zip(pcm) {
        *o = linear_to_alaw(*s);
    }
    n
}

/// Decodes mu-law to PCM; returns the samples written.
pub fn decode_ulaw(payload: &[u8], out: &mut [i16]) -> usize {
    let n = payload.len().min(out.len());
    for (o, b) in out[..n].iter_mut().zip(payload) {
        *o = ULAW_TABLE[*b as usize];
    }
    n
}

/// Decodes A-law to PCM; returns the samples written.
pub fn decode_alaw(payload: &[u8], out: &mut [i16]) -> usize {
    let n = payload.len().min(out.len());
    for (o, b) in out[..n].iter_mut().zip(payload) {
        *o = ALAW_TABLE[*b as usize];
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_code_points() {
        // Silence and full scale from the G.711 tables.
        assert_eq!(linear_to_ulaw(0), 0xff);
        assert_eq!(ulaw_to_linear(0xff), 0);
        assert_eq!(ulaw_to_linear(0x00), -32124);
        assert_eq!(ulaw_to_linear(0x80), 32124);
        assert_eq!(linear_to_alaw(0), 0xd5);
        assert_eq!(alaw_to_linear(0xd5), 8);
        assert_eq!(alaw_to_linear(0x55), -8);
        assert_eq!(alaw_to_linear(0xaa), 32256);
    }

    #[test]
    fn every_code_round_trips() {
        for b in 0..=255u8 {
            let u = ulaw_to_linear(b);
            // 0x7f and 0xff both mean zero in mu-law.
            if b != 0x7f {
                assert_eq!(linear_to_ulaw(u), b, "ulaw {b:#x}");
            }
            let a = alaw_to_linear(b);
            assert_eq!(linear_to_alaw(a), b, "alaw {b:#x}");
        }
    }

    #[test]
    fn quantisation_error_is_small() {
        for s in (-32000i32..32000).step_by(97) {
            let s = s as i16;
            let u = ulaw_to_linear(linear_to_ulaw(s)) as i32;
            let a = alaw_to_linear(linear_to_alaw(s)) as i32;
            let tol = (s as i32).abs() / 16 + 16;
            assert!((u - s as i32).abs() <= tol, "ulaw {s} -> {u}");
            assert!((a - s as i32).abs() <= tol, "alaw {s} -> {a}");
        }
    }
}
