//! Receive statistics of one RTP source (RFC 3550 appendix A.1, A.3, A.8):
//! extended highest sequence, cumulative loss and interarrival jitter.

/// Statistics of the received stream, as exposed for the call record.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ReceiveStats {
    /// RTP packets received (including duplicates).
    pub packets: u64,
    /// Payload octets received.
    pub octets: u64,
    /// Packets expected from the sequence numbers minus packets received.
    pub lost: i64,
    /// Interarrival jitter in milliseconds.
    pub jitter_ms: f64,
    /// Packets that arrived out of order or duplicated.
    pub out_of_order: u64,
}

/// The RFC 3550 receiver state for one source.
#[derive(Debug, Clone, Default)]
pub struct Receiver {
    started: bool,
    base_seq: u32,
    max_seq: u16,
    cycles: u32,
    received: u64,
    octets: u64,
    out_of_order: u64,
    transit: i64,
    /// Jitter in timestamp units, times 16 (the RFC's fixed-point form).
    jitter_x16: i64,
    clock_rate: u32,
    expected_prior: u64,
    received_prior: u64,
}

impl Receiver {
    /// A receiver for a stream with this RTP clock rate.
    pub fn new(clock_rate: u32) -> Self {
        Receiver {
            clock_rate,
            ..Default::default()
        }
    }

    /// Forgets the previous source (a new SSRC after a transfer).
    pub fn reset(&mut self) {
        *self = Receiver::new(self.clock_rate);
    }

    /// Accounts one packet. `arrival` is the arrival time in RTP timestamp
    /// units of this stream's clock.
    pub fn on_packet(&mut self, seq: u16, timestamp: u32, arrival: u32, payload_len: usize) {
        self.received += 1;
        self.octets += payload_len as u64;
        if !self.started {
            self.started = true;
            self.base_seq = seq as u32;
            self.max_seq = seq;
            self.transit = arrival.wrapping_sub(timestamp) as i32 as i64;
            return;
        }
        let delta = seq.wrapping_sub(self.max_seq);
        if delta != 0 && delta < 0x8000 {
            if seq < self.max_seq {
                self.cycles += 1 << 16;
            }
            self.max_seq = seq;
        } else {
            self.out_of_order += 1;
        }
        let transit = arrival.wrapping_sub(timestamp) as i32 as i64;
        let d = (transit - self.transit).abs();
        self.transit = transit;
        self.jitter_x16 += d - ((self.jitter_x16 + 8) >> 4);
    }

    /// Extended highest sequence number received.
    pub fn extended_max(&self) -> u32 {
        self.cycles + self.max_seq as u32
    }

    fn expected(&self) -> u64 {
        if !self.started {
            return 0;
        }
        (self.extended_max() as u64 + 1).saturating_sub(self.base_seq as u64)
    }

    /// Jitter in timestamp units, as RTCP reports it.
    pub fn jitter_units(&self) -> u32 {
        (self.jitter_x16 >> 4) as u32
    }

    /// Fraction lost since the previous call, in 1/256 (for an RTCP report block).
    pub fn fraction_lost_since_last(&mut self) -> u8 {
        let expected = self.expected();
        let e = expected - self.expected_prior;
        let r = self.received - self.received_prior;
        self.expected_prior = expected;
        self.received_prior = self.received;
        let lost = e as i64 - r as i64;
        if e == 0 || lost <= 0 {
            0
        } else {
            ((lost << 8) / e as i64).min(255) as u8
        }
    }

    /// The cumulative figures.
    pub fn stats(&self) -> ReceiveStats {
        ReceiveStats {
            packets: self.received,
            octets: self.octets,
            lost: self.expected() as i64 - self.received as i64,
            jitter_ms: if self.clock_rate == 0 {
                0.0
            } else {
                self.jitter_units() as f64 * 1000.0 / self.clock_rate as f64
            },
            out_of_order: self.out_of_order,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_loss_across_wrap_and_measures_jitter() {
        let mut r = Receiver::new(8000);
        let mut seq = 65530u16;
        let mut ts = 1000u32;
        for i in 0..20u32 {
            // Drop packets 5 and 6; packet 10 arrives 40 ms late.
            if i != 5 && i != 6 {
                let late = if i == 10 { 320 } else { 0 };
                r.on_packet(seq, ts, ts + 5000 + late, 160);
            }
            seq = seq.wrapping_add(1);
            ts += 160;
        }
        let s = r.stats();
        assert_eq!(s.packets, 18);
        assert_eq!(s.lost, 2);
        assert!(s.jitter_ms > 1.0 && s.jitter_ms < 10.0, "{}", s.jitter_ms);
        assert!(r.fraction_lost_since_last() > 0);
        assert_eq!(r.fraction_lost_since_last(), 0);
        // Steady arrivals decay the jitter.
        let mut steady = Receiver::new(8000);
        for i in 0..50u32 {
            steady.on_packet(i as u16, i * 160, i * 160 + 77, 160);
        }
        assert_eq!(steady.stats().jitter_ms, 0.0);
        assert_eq!(steady.stats().lost, 0);
    }
}
