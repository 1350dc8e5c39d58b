//! A small jitter buffer for legs whose audio is decoded (recording,
//! mixing, transcoding, in-band DTMF): packets kept in timestamp order and
//! handed out when due, after a two-packet playout delay. Packets may be of
//! any duration (20, 30, 40 ms ...): the caller says how far each one
//! moved the play-out point. Fixed-size slots: no allocation per packet.

use crate::codec::MAX_PAYLOAD;

const SLOTS: usize = 8;
/// Packets buffered before playout starts.
const DEPTH: usize = 2;
/// Consecutive empty ticks, with nothing buffered, after which the buffer
/// starts afresh on the next packet (silence suppression, hold).
const RESYNC_AFTER: u32 = 5;
/// A packet further ahead than this (timestamp units at 8 kHz: 1 s)
/// restarts the buffer on it (a new talk spurt after a jump).
const FAR_AHEAD_SECONDS: u32 = 1;

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
    clock_rate: u32,
    next_ts: Option<u32>,
    primed: bool,
    idle: u32,
}

/// Whether `a` is before `b` on the wrapping timestamp line.
fn before(a: u32, b: u32) -> bool {
    a != b && b.wrapping_sub(a) < u32::MAX / 2
}

impl JitterBuffer {
    /// A buffer for a stream with this RTP clock rate.
    pub fn new(clock_rate: u32) -> Self {
        JitterBuffer {
            slots: [Slot {
                ts: 0,
                used: false,
                len: 0,
                data: [0; MAX_PAYLOAD],
            }; SLOTS],
            clock_rate: clock_rate.max(1),
            next_ts: None,
            primed: false,
            idle: 0,
        }
    }

    /// Forgets everything (new source).
    pub fn reset(&mut self) {
        for s in &mut self.slots {
            s.used = false;
        }
        self.next_ts = None;
        self.primed = false;
        self.idle = 0;
    }

    fn buffered(&self) -> usize {
        self.slots.iter().filter(|s| s.used).count()
    }

    fn earliest(&self) -> Option<usize> {
        (0..SLOTS).filter(|&i| self.slots[i].used).reduce(|a, b| {
            if before(self.slots[b].ts, self.slots[a].ts) {
                b
            } else {
                a
            }
        })
    }

    /// Stores a packet. Packets already played out are dropped; one far
    /// ahead restarts the buffer on it; when full, the earliest is dropped.
    pub fn push(&mut self, ts: u32, payload: &[u8]) {
        if let Some(next) = self.next_ts {
            if before(ts, next) {
                return; // late
            }
            if ts.wrapping_sub(next) > self.clock_rate * FAR_AHEAD_SECONDS {
                self.reset();
            }
        }
        if self.slots.iter().any(|s| s.used && s.ts == ts) {
            return; // duplicate
        }
        let i = match self.slots.iter().position(|s| !s.used) {
            Some(i) => i,
            None => match self.earliest() {
                Some(i) => i,
                None => return,
            },
        };
        let n = payload.len().min(MAX_PAYLOAD);
        let s = &mut self.slots[i];
        s.ts = ts;
        s.used = true;
        s.len = n as u16;
        s.data[..n].copy_from_slice(&payload[..n]);
    }

    /// The packet due now, if it is here: its timestamp and payload. The
    /// caller then tells how far it moved the play-out point with
    /// [`JitterBuffer::played`].
    pub fn take_due(&mut self) -> Option<(u32, &[u8])> {
        if !self.primed {
            if self.buffered() < DEPTH {
                return None;
            }
            self.primed = true;
            self.next_ts = self.earliest().map(|i| self.slots[i].ts);
        }
        let next = self.next_ts?;
        let i = self.earliest()?;
        if before(next, self.slots[i].ts) {
            return None; // a gap before the earliest packet: lost or silent
        }
        self.slots[i].used = false;
        self.idle = 0;
        let s = &self.slots[i];
        Some((s.ts, &s.data[..s.len as usize]))
    }

    /// Timestamp units until the earliest buffered packet, when playing.
    pub fn gap(&self) -> Option<u32> {
        let next = self.next_ts?;
        let i = self.earliest()?;
        Some(self.slots[i].ts.wrapping_sub(next))
    }

    /// Whether playout has started.
    pub fn playing(&self) -> bool {
        self.primed
    }

    /// Moves the play-out point to `ts` (end of what was just played).
    pub fn played_to(&mut self, ts: u32) {
        if self.primed {
            self.next_ts = Some(ts);
        }
    }

    /// Plays `units` of silence in place of a missing packet. With a later
    /// packet buffered, the missing one is lost: the play-out point moves
    /// on. With nothing buffered it may only be late (a sender whose clock
    /// runs slow, a delayed burst): the point stays, so the packet still
    /// plays when it comes, and after a few such ticks the buffer starts
    /// afresh (silence suppression, hold).
    pub fn skip(&mut self, units: u32) {
        if self.buffered() > 0 {
            if let Some(n) = self.next_ts
                && self.primed
            {
                self.next_ts = Some(n.wrapping_add(units));
            }
            return;
        }
        self.idle += 1;
        if self.idle >= RESYNC_AFTER {
            self.reset();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn take(jb: &mut JitterBuffer, dur: u32) -> Option<u8> {
        let (ts, p) = jb.take_due()?;
        let v = p[0];
        jb.played_to(ts + dur);
        Some(v)
    }

    #[test]
    fn reorders_waits_for_depth_and_skips_losses() {
        let mut jb = JitterBuffer::new(8000);
        jb.push(1000, &[1]);
        assert!(jb.take_due().is_none(), "still filling");
        jb.push(1320, &[3]);
        jb.push(1160, &[2]);
        assert_eq!(take(&mut jb, 160), Some(1));
        assert_eq!(take(&mut jb, 160), Some(2));
        assert_eq!(take(&mut jb, 160), Some(3));
        jb.push(1640, &[5]); // 1480 lost
        assert_eq!(jb.gap(), Some(160));
        assert_eq!(take(&mut jb, 160), None);
        jb.skip(160);
        jb.push(1160, &[9]); // late: dropped
        assert_eq!(take(&mut jb, 160), Some(5));
        // Nothing buffered: the next packet may be late, the point stays.
        jb.skip(160);
        jb.push(1800, &[6]);
        assert_eq!(take(&mut jb, 160), Some(6), "a late packet still plays");
        // A jump far ahead restarts on it.
        jb.push(900_000, &[7]);
        jb.push(900_240, &[8]);
        assert_eq!(take(&mut jb, 240), Some(7));
        assert_eq!(
            take(&mut jb, 240),
            Some(8),
            "30 ms packets follow each other"
        );
    }
}
