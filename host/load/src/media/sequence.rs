//! Loss and duplicate accounting of one incoming RTP stream (one SSRC)
//! from its sequence numbers, in the manner of RFC 3550 appendix A.1:
//! sequence numbers are extended past their 16-bit wrap, a jump of more
//! than [`MAX_JUMP`] is taken as the sender restarting, and loss is the
//! packets expected between the lowest and the highest extended sequence
//! number minus the distinct ones received.

/// A sequence jump larger than this (either way) starts a new run.
pub const MAX_JUMP: i64 = 3000;
/// How far back duplicates are recognised (bits of the window).
const WINDOW: i64 = 128;

/// Counts of one run of sequence numbers.
#[derive(Debug, Clone, Copy)]
struct Run {
    base: i64,
    highest: i64,
    distinct: u64,
    /// Bit `i` set: `highest - i` was received.
    window: u128,
}

impl Run {
    fn new(ext: i64) -> Run {
        Run {
            base: ext,
            highest: ext,
            distinct: 1,
            window: 1,
        }
    }

    fn lost(&self) -> u64 {
        let expected = (self.highest - self.base + 1).max(0) as u64;
        expected.saturating_sub(self.distinct)
    }
}

/// Sequence state of one SSRC.
#[derive(Debug, Clone, Default)]
pub struct SequenceTracker {
    run: Option<Run>,
    /// Loss of runs ended by a restart.
    lost_before: u64,
    /// Packets seen again.
    pub duplicates: u64,
}

/// What [`SequenceTracker::on_packet`] concluded about one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeqOutcome {
    /// Not seen before.
    New,
    /// Seen before.
    Duplicate,
    /// A jump so large the stream was taken as restarted.
    Restart,
}

impl SequenceTracker {
    /// Accounts one packet's sequence number.
    pub fn on_packet(&mut self, seq: u16) -> SeqOutcome {
        let Some(run) = self.run.as_mut() else {
            // Start one cycle up so that a packet from just before the
            // first one (reordered across a wrap) stays non-negative.
            self.run = Some(Run::new(65536 + i64::from(seq)));
            return SeqOutcome::New;
        };
        let ext = extend(run.highest, seq);
        let delta = ext - run.highest;
        if delta.abs() > MAX_JUMP {
            self.lost_before += run.lost();
            self.run = Some(Run::new(65536 + i64::from(seq)));
            return SeqOutcome::Restart;
        }
        if delta > 0 {
            run.window = if delta >= WINDOW {
                1
            } else {
                (run.window << delta) | 1
            };
            run.highest = ext;
            run.distinct += 1;
            return SeqOutcome::New;
        }
        let back = -delta;
        if back < WINDOW {
            let bit = 1u128 << back;
            if run.window & bit != 0 {
                self.duplicates += 1;
                return SeqOutcome::Duplicate;
            }
            run.window |= bit;
        }
        run.distinct += 1;
        run.base = run.base.min(ext);
        SeqOutcome::New
    }

    /// Packets lost so far (never negative).
    pub fn lost(&self) -> u64 {
        self.lost_before + self.run.map_or(0, |r| r.lost())
    }
}

/// The extended sequence number of `seq` closest to `highest`.
fn extend(highest: i64, seq: u16) -> i64 {
    let candidate = (highest & !0xffff) | i64::from(seq);
    [candidate - 65536, candidate, candidate + 65536]
        .into_iter()
        .min_by_key(|c| (c - highest).abs())
        .unwrap_or(candidate)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(seqs: impl IntoIterator<Item = u16>) -> SequenceTracker {
        let mut t = SequenceTracker::default();
        for s in seqs {
            t.on_packet(s);
        }
        t
    }

    #[test]
    fn counts_loss_across_the_wrap_and_duplicates() {
        // 65530..=65535, 0..=9 with every 4th missing.
        let seqs: Vec<u16> = (0..16u32)
            .map(|i| (65530 + i) as u16)
            .filter(|s| s % 4 != 1)
            .collect();
        let t = feed(seqs.clone());
        // 4 missing, but the last (9) is past the highest received.
        assert_eq!(16 - seqs.len(), 4);
        assert_eq!(t.lost(), 3);
        assert_eq!(t.duplicates, 0);
        // Duplicates and reordering do not make loss negative or larger.
        let t = feed([10, 12, 11, 11, 12, 13, 9]);
        assert_eq!((t.lost(), t.duplicates), (0, 2));
        // Nothing lost in a clean run.
        assert_eq!(feed(0..500).lost(), 0);
    }

    #[test]
    fn a_large_jump_starts_a_new_run() {
        let mut t = feed([100, 102]);
        assert_eq!(t.on_packet(40000), SeqOutcome::Restart);
        t.on_packet(40001);
        t.on_packet(40003);
        assert_eq!(t.lost(), 2);
    }
}
