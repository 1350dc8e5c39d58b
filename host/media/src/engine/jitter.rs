//! A small fixed jitter buffer for legs whose audio is decoded (recording,
//! mixing, transcoding, in-band DTMF): frames reordered by timestamp and
//! played out one per tick after a two-frame delay. Pass-through legs use
//! the same path without decoding. Fixed-size slots: no allocation per packet.

use crate::codec::MAX_PAYLOAD;

const SLOTS: usize = 8;
/// Frames buffered before playout starts.
const DEPTH: u32 = 2;
/// Consecutive empty pops after which the buffer resynchronises.
const RESYNC_AFTER: u32 = 5;

#[derive(Clone, Copy)]
struct Slot {
    ts: u32,
    used: bool,
    len: u16,
    data: [u8; MAX_PAYLOAD],
}

/// The buffer of one leg.
pub struct JitterBuffer {
    slots: [Slot; SLOTS],
    step: u32,
    next_ts: Option<u32>,
    primed: bool,
    misses: u32,
}

impl JitterBuffer {
    /// A buffer for frames `step` timestamp units apart.
    pub fn new(step: u32) -> Self {
        JitterBuffer {
            slots: [Slot {
                ts: 0,
                used: false,
                len: 0,
                data: [0; MAX_PAYLOAD],
            }; SLOTS],
            step: step.max(1),
            next_ts: None,
            primed: false,
            misses: 0,
        }
    }

    fn index(&self, ts: u32) -> usize {
        ((ts / self.step) as usize) % SLOTS
    }

    /// Forgets everything (new source).
    pub fn reset(&mut self) {
        for s in &mut self.slots {
            s.used = false;
        }
        self.next_ts = None;
        self.primed = false;
        self.misses = 0;
    }

    /// Stores a frame. Late frames (already played out) are dropped; a
    /// frame far ahead resynchronises the buffer on it.
    pub fn push(&mut self, ts: u32, payload: &[u8]) {
        let next = *self.next_ts.get_or_insert(ts);
        let ahead = ts.wrapping_sub(next);
        if ahead > u32::MAX / 2 {
            return; // late
        }
        if ahead / self.step >= SLOTS as u32 {
            self.reset();
            self.next_ts = Some(ts);
        }
        let i = self.index(ts);
        let s = &mut self.slots[i];
        let n = payload.len().min(MAX_PAYLOAD);
        s.ts = ts;
        s.used = true;
        s.len = n as u16;
        s.data[..n].copy_from_slice(&payload[..n]);
    }

    fn buffered(&self) -> u32 {
        self.slots.iter().filter(|s| s.used).count() as u32
    }

    /// The frame for this tick: `Some(payload)` when present, `None` when
    /// missing (lost, or still filling).
    pub fn pop(&mut self) -> Option<&[u8]> {
        let next = self.next_ts?;
        if !self.primed {
            if self.buffered() < DEPTH {
                return None;
            }
            self.primed = true;
        }
        self.next_ts = Some(next.wrapping_add(self.step));
        let i = self.index(next);
        if self.slots[i].used && self.slots[i].ts == next {
            self.misses = 0;
            self.slots[i].used = false;
            let s = &self.slots[i];
            return Some(&s.data[..s.len as usize]);
        }
        self.misses += 1;
        if self.misses >= RESYNC_AFTER && self.buffered() == 0 {
            // The peer stopped (silence suppression, hold): start afresh on
            // its next packet instead of counting phantom losses.
            self.next_ts = None;
            self.primed = false;
            self.misses = 0;
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reorders_waits_for_depth_and_skips_losses() {
        let mut jb = JitterBuffer::new(160);
        jb.push(1000, &[1]);
        assert!(jb.pop().is_none(), "still filling");
        jb.push(1320, &[3]);
        jb.push(1160, &[2]);
        assert_eq!(jb.pop(), Some(&[1u8][..]));
        assert_eq!(jb.pop(), Some(&[2u8][..]));
        assert_eq!(jb.pop(), Some(&[3u8][..]));
        assert_eq!(jb.pop(), None); // 1480 lost
        jb.push(1160, &[9]); // late: dropped
        jb.push(1640, &[5]);
        assert_eq!(jb.pop(), Some(&[5u8][..]));
        // A jump far ahead resynchronises.
        jb.push(900_000, &[7]);
        jb.push(900_160, &[8]);
        assert_eq!(jb.pop(), Some(&[7u8][..]));
    }
}
