//! The figures of one leg (or, summed with [`MediaStats::add`], of many).

use std::time::Duration;

/// What one leg sent and received between `start` and `stop`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MediaStats {
    /// RTP packets sent, audio and DTMF events.
    pub sent: u64,
    /// Sender ticks that woke more than 10 ms after their schedule: when
    /// non-zero, the load generator itself was a bottleneck.
    pub send_late: u64,
    /// Packets the socket refused to send (buffer full, unreachable, ...).
    pub send_failed: u64,
    /// DTMF digits sent as RFC 4733 events.
    pub dtmf_sent: u64,
    /// RTP packets received (audio and events, duplicates included; RTCP
    /// and malformed datagrams excluded).
    pub received: u64,
    /// Packets expected from the sequence numbers but never received,
    /// summed over the peer's SSRCs; never negative.
    pub lost: u64,
    /// Audio packets whose transit time exceeded the leg's minimum transit
    /// by more than the plan's `late_after`.
    pub late: u64,
    /// Packets whose sequence number had already been received.
    pub duplicates: u64,
    /// Datagrams that were neither RTP nor RTCP (too short, wrong version).
    pub malformed: u64,
    /// Largest RFC 3550 interarrival jitter seen, milliseconds.
    pub max_jitter_ms: f64,
    /// Received audio packets louder than near-silence.
    pub voiced: u64,
    /// Digits received as RFC 4733 events, one per event, in order.
    pub dtmf_received: String,
    /// Time from `start` to the first RTP packet received; `None` if none
    /// arrived. Packets that reached the socket before `start` count as
    /// arriving at `start`.
    pub first_packet_after: Option<Duration>,
}

impl MediaStats {
    /// Adds another leg's figures: counters are summed, `max_jitter_ms`
    /// and `first_packet_after` keep the maximum, DTMF strings are
    /// concatenated.
    pub fn add(&mut self, other: &MediaStats) {
        self.sent += other.sent;
        self.send_late += other.send_late;
        self.send_failed += other.send_failed;
        self.dtmf_sent += other.dtmf_sent;
        self.received += other.received;
        self.lost += other.lost;
        self.late += other.late;
        self.duplicates += other.duplicates;
        self.malformed += other.malformed;
        self.max_jitter_ms = self.max_jitter_ms.max(other.max_jitter_ms);
        self.voiced += other.voiced;
        self.dtmf_received.push_str(&other.dtmf_received);
        self.first_packet_after = match (self.first_packet_after, other.first_packet_after) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }

    /// Lost packets as a fraction of those expected (received without
    /// duplicates plus lost); 0 when nothing was expected.
    pub fn loss_ratio(&self) -> f64 {
        let expected = self.received.saturating_sub(self.duplicates) + self.lost;
        if expected == 0 {
            0.0
        } else {
            self.lost as f64 / expected as f64
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_sums_counters_and_keeps_maxima() {
        let mut total = MediaStats::default();
        let a = MediaStats {
            sent: 10,
            received: 9,
            lost: 1,
            max_jitter_ms: 2.5,
            dtmf_received: "12".into(),
            first_packet_after: Some(Duration::from_millis(30)),
            ..Default::default()
        };
        let b = MediaStats {
            sent: 5,
            received: 5,
            max_jitter_ms: 1.0,
            dtmf_received: "#".into(),
            first_packet_after: Some(Duration::from_millis(50)),
            ..Default::default()
        };
        total.add(&a);
        total.add(&b);
        total.add(&MediaStats::default());
        assert_eq!((total.sent, total.received, total.lost), (15, 14, 1));
        assert_eq!(total.max_jitter_ms, 2.5);
        assert_eq!(total.dtmf_received, "12#");
        assert_eq!(total.first_packet_after, Some(Duration::from_millis(50)));
        assert!((total.loss_ratio() - 1.0 / 15.0).abs() < 1e-9);
    }
}
