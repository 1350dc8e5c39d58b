//! Send state of one outgoing RTP stream: SSRC, sequence number and
//! timestamp, kept for the life of the leg so that prompt changes, bridging
//! and transfers never make the peer's jitter buffer see a new stream.

use super::packet::RtpHeader;

/// Outgoing stream state.
#[derive(Debug, Clone)]
pub struct OutStream {
    /// Our SSRC, random per leg.
    pub ssrc: u32,
    seq: u16,
    /// Timestamp of the next 20 ms slot. Advances every tick whether or not
    /// a packet is sent, so that after a pause the timestamp matches the
    /// wall-clock gap (what the peer's jitter buffer expects).
    next_ts: u32,
    /// Whether the previous slot carried audio: the first packet after a
    /// gap gets the marker bit (start of a talkspurt).
    sent_last_slot: bool,
    /// Packets and payload octets sent, for RTCP sender reports.
    pub packets: u32,
    /// Payload octets sent.
    pub octets: u32,
    /// Timestamp of the last packet sent.
    pub last_ts: u32,
}

impl OutStream {
    /// A stream with random SSRC, sequence and timestamp (RFC 3550 section 5.1).
    pub fn new() -> Self {
        OutStream {
            ssrc: fastrand::u32(..),
            seq: fastrand::u16(..),
            next_ts: fastrand::u32(..),
            sent_last_slot: false,
            packets: 0,
            octets: 0,
            last_ts: 0,
        }
    }

    /// The header of the audio packet for the current slot.
    pub fn audio_header(&mut self, payload_type: u8, payload_len: usize) -> RtpHeader {
        let h = RtpHeader {
            marker: !self.sent_last_slot,
            payload_type,
            sequence: self.seq,
            timestamp: self.next_ts,
            ssrc: self.ssrc,
        };
        self.seq = self.seq.wrapping_add(1);
        self.sent_last_slot = true;
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(payload_len as u32);
        self.last_ts = h.timestamp;
        h
    }

    /// The header of a packet with an explicit timestamp and marker (RFC 4733
    /// events keep the timestamp of their start).
    pub fn event_header(&mut self, payload_type: u8, timestamp: u32, marker: bool) -> RtpHeader {
        let h = RtpHeader {
            marker,
            payload_type,
            sequence: self.seq,
            timestamp,
            ssrc: self.ssrc,
        };
        self.seq = self.seq.wrapping_add(1);
        self.sent_last_slot = true;
        self.packets = self.packets.wrapping_add(1);
        self.octets = self.octets.wrapping_add(4);
        self.last_ts = timestamp;
        h
    }

    /// The timestamp of the current slot.
    pub fn slot_timestamp(&self) -> u32 {
        self.next_ts
    }

    /// Ends the current 20 ms slot; `sent` tells whether it carried a packet.
    pub fn end_slot(&mut self, step: u32, sent: bool) {
        if !sent {
            self.sent_last_slot = false;
        }
        self.next_ts = self.next_ts.wrapping_add(step);
    }
}

impl Default for OutStream {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_follow_the_clock_and_marker_starts_talkspurts() {
        let mut s = OutStream::new();
        let a = s.audio_header(0, 160);
        s.end_slot(160, true);
        let b = s.audio_header(0, 160);
        s.end_slot(160, true);
        assert!(a.marker && !b.marker);
        assert_eq!(b.timestamp.wrapping_sub(a.timestamp), 160);
        assert_eq!(b.sequence, a.sequence.wrapping_add(1));
        s.end_slot(160, false);
        s.end_slot(160, false);
        let c = s.audio_header(0, 160);
        assert!(c.marker);
        assert_eq!(c.timestamp.wrapping_sub(b.timestamp), 480);
        assert_eq!(c.sequence, b.sequence.wrapping_add(1));
        assert_eq!(s.packets, 3);
    }
}
