//! The RTP fixed header (RFC 3550 section 5.1), read in place and written
//! into a caller's buffer: no allocation.

/// Length of the fixed header without CSRCs.
pub const HEADER_LEN: usize = 12;

/// The fields of an RTP header this engine uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpHeader {
    /// Marker bit (start of a talkspurt, or of a DTMF event).
    pub marker: bool,
    /// Payload type.
    pub payload_type: u8,
    /// Sequence number.
    pub sequence: u16,
    /// Timestamp.
    pub timestamp: u32,
    /// Synchronisation source.
    pub ssrc: u32,
}

/// A received packet: its header and where the payload lies in the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtpView {
    /// The header.
    pub header: RtpHeader,
    /// Offset of the payload in the datagram.
    pub payload_start: usize,
    /// End of the payload (padding removed).
    pub payload_end: usize,
}

impl RtpHeader {
    /// Parses a datagram; `None` when it is not RTP version 2 or is truncated.
    pub fn parse(buf: &[u8]) -> Option<RtpView> {
        if buf.len() < HEADER_LEN || buf[0] >> 6 != 2 {
            return None;
        }
        let padding = buf[0] & 0x20 != 0;
        let extension = buf[0] & 0x10 != 0;
        let csrc = (buf[0] & 0x0f) as usize;
        let mut start = HEADER_LEN + 4 * csrc;
        if extension {
            let ext = buf.get(start..start + 4)?;
            let words = u16::from_be_bytes([ext[2], ext[3]]) as usize;
            start += 4 + 4 * words;
        }
        let mut end = buf.len();
        if padding {
            let pad = *buf.last()? as usize;
            end = end.checked_sub(pad)?;
        }
        if start > end {
            return None;
        }
        Some(RtpView {
            header: RtpHeader {
                marker: buf[1] & 0x80 != 0,
                payload_type: buf[1] & 0x7f,
                sequence: u16::from_be_bytes([buf[2], buf[3]]),
                timestamp: u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]),
                ssrc: u32::from_be_bytes([buf[8], buf[9], buf[10], buf[11]]),
            },
            payload_start: start,
            payload_end: end,
        })
    }

    /// Writes the 12-byte header at the start of `buf` (at least 12 bytes).
    pub fn write(&self, buf: &mut [u8]) {
        buf[0] = 0x80;
        buf[1] = (self.payload_type & 0x7f) | if self.marker { 0x80 } else { 0 };
        buf[2..4].copy_from_slice(&self.sequence.to_be_bytes());
        buf[4..8].copy_from_slice(&self.timestamp.to_be_bytes());
        buf[8..12].copy_from_slice(&self.ssrc.to_be_bytes());
    }
}

/// Whether a datagram on the RTP port is RTCP multiplexed onto it
/// (RFC 5761: payload types 72-76 with the marker bit are RTCP types 200-204).
pub fn looks_like_rtcp(buf: &[u8]) -> bool {
    buf.len() >= 2 && (200..=204).contains(&buf[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_rejects_bad_packets() {
        let h = RtpHeader {
            marker: true,
            payload_type: 101,
            sequence: 65535,
            timestamp: 0xdead_beef,
            ssrc: 42,
        };
        let mut buf = [0u8; 20];
        h.write(&mut buf);
        let v = RtpHeader::parse(&buf).unwrap();
        assert_eq!(v.header, h);
        assert_eq!((v.payload_start, v.payload_end), (12, 20));
        assert!(RtpHeader::parse(&buf[..11]).is_none());
        buf[0] = 0x40;
        assert!(RtpHeader::parse(&buf).is_none());
        // CSRCs and an extension move the payload; padding shortens it.
        let mut p = vec![0xb1u8, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1];
        p.extend_from_slice(&[9, 9, 9, 9]); // one CSRC
        p.extend_from_slice(&[0xbe, 0xde, 0, 1, 1, 2, 3, 4]); // extension, 1 word
        p.extend_from_slice(&[7, 7, 0, 2]); // payload 7 7 + 2 bytes padding
        let v = RtpHeader::parse(&p).unwrap();
        assert_eq!(&p[v.payload_start..v.payload_end], &[7, 7]);
        // Padding longer than the packet is rejected.
        let mut bad = p.clone();
        *bad.last_mut().unwrap() = 200;
        assert!(RtpHeader::parse(&bad).is_none());
    }
}
