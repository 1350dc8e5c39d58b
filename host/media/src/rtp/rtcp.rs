//! RTCP sender and receiver reports (RFC 3550 section 6.4): built into a
//! caller's buffer, and the peer's report blocks read back for the leg's
//! statistics.

use std::time::{SystemTime, UNIX_EPOCH};

use super::stats::Receiver;
use super::stream::OutStream;

/// What the peer reports about the stream we send it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RemoteReport {
    /// Fraction of our packets the peer lost, 0..1, over its last interval.
    pub fraction_lost: f64,
    /// Our packets the peer lost in total.
    pub cumulative_lost: i32,
    /// Interarrival jitter the peer measured, in timestamp units.
    pub jitter_units: u32,
    /// Round-trip time from the peer's LSR/DLSR echo of our last sender
    /// report (RFC 3550 section 6.4.1), when it gave one.
    pub rtt_ms: Option<f64>,
}

/// What one compound RTCP packet told us.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RtcpInfo {
    /// The peer's report block about our stream.
    pub report: Option<RemoteReport>,
    /// The middle 32 bits of the NTP time in the peer's sender report, to
    /// echo as LSR in our next report.
    pub sender_ntp_mid: Option<u32>,
}

fn ntp_now() -> (u32, u32) {
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let secs = d.as_secs() + 2_208_988_800;
    let frac = ((d.subsec_nanos() as u64) << 32) / 1_000_000_000;
    (secs as u32, frac as u32)
}

/// The middle 32 bits of the current NTP time (16.16 fixed point seconds),
/// the unit of LSR and DLSR.
pub fn ntp_mid_now() -> u32 {
    let (s, f) = ntp_now();
    (s << 16) | (f >> 16)
}

/// `last_sr` is the peer's last sender report: its NTP middle bits and our
/// NTP middle bits when it arrived.
fn report_block(out: &mut [u8], remote_ssrc: u32, rx: &mut Receiver, last_sr: Option<(u32, u32)>) {
    let stats = rx.stats();
    let fraction = rx.fraction_lost_since_last();
    let lost = stats.lost.clamp(-0x80_0000, 0x7f_ffff) as i32;
    out[0..4].copy_from_slice(&remote_ssrc.to_be_bytes());
    out[4] = fraction;
    out[5..8].copy_from_slice(&(lost as u32).to_be_bytes()[1..4]);
    out[8..12].copy_from_slice(&rx.extended_max().to_be_bytes());
    out[12..16].copy_from_slice(&rx.jitter_units().to_be_bytes());
    let (lsr, dlsr) = match last_sr {
        Some((theirs, received)) => (theirs, ntp_mid_now().wrapping_sub(received)),
        None => (0, 0),
    };
    out[16..20].copy_from_slice(&lsr.to_be_bytes());
    out[20..24].copy_from_slice(&dlsr.to_be_bytes());
}

/// Writes a sender report (when we sent since the last report) or a
/// receiver report, with one report block when a remote source is known.
/// Returns the length written; `buf` needs 52 bytes.
pub fn write_report(
    buf: &mut [u8],
    out: &OutStream,
    sent_since_last: bool,
    remote_ssrc: Option<u32>,
    rx: &mut Receiver,
    last_sr: Option<(u32, u32)>,
) -> usize {
    let blocks = usize::from(remote_ssrc.is_some());
    let (pt, fixed) = if sent_since_last {
        (200u8, 28)
    } else {
        (201u8, 8)
    };
    let len = fixed + 24 * blocks;
    buf[0] = 0x80 | blocks as u8;
    buf[1] = pt;
    buf[2..4].copy_from_slice(&((len / 4 - 1) as u16).to_be_bytes());
    buf[4..8].copy_from_slice(&out.ssrc.to_be_bytes());
    if sent_since_last {
        let (s, f) = ntp_now();
        buf[8..12].copy_from_slice(&s.to_be_bytes());
        buf[12..16].copy_from_slice(&f.to_be_bytes());
        buf[16..20].copy_from_slice(&out.last_ts.to_be_bytes());
        buf[20..24].copy_from_slice(&out.packets.to_be_bytes());
        buf[24..28].copy_from_slice(&out.octets.to_be_bytes());
    }
    if let Some(ssrc) = remote_ssrc {
        report_block(&mut buf[fixed..fixed + 24], ssrc, rx, last_sr);
    }
    len
}

/// Reads a compound RTCP packet: the report block about `our_ssrc`, if
/// any, and the time stamp of a sender report. Malformed packets yield
/// nothing.
pub fn read(buf: &[u8], our_ssrc: u32) -> RtcpInfo {
    let mut info = RtcpInfo::default();
    let mut rest = buf;
    while rest.len() >= 8 {
        if rest[0] >> 6 != 2 {
            return info;
        }
        let count = (rest[0] & 0x1f) as usize;
        let pt = rest[1];
        let len = (u16::from_be_bytes([rest[2], rest[3]]) as usize + 1) * 4;
        let Some(pkt) = rest.get(..len) else {
            return info;
        };
        let first_block = match pt {
            200 => {
                if let Some(ntp) = pkt.get(10..14) {
                    info.sender_ntp_mid =
                        Some(u32::from_be_bytes([ntp[0], ntp[1], ntp[2], ntp[3]]));
                }
                28
            }
            201 => 8,
            _ => len,
        };
        for i in 0..count {
            let Some(b) = pkt.get(first_block + 24 * i..first_block + 24 * (i + 1)) else {
                break;
            };
            if u32::from_be_bytes([b[0], b[1], b[2], b[3]]) == our_ssrc {
                let raw = u32::from_be_bytes([0, b[5], b[6], b[7]]);
                let lost = ((raw << 8) as i32) >> 8;
                let lsr = u32::from_be_bytes([b[16], b[17], b[18], b[19]]);
                let dlsr = u32::from_be_bytes([b[20], b[21], b[22], b[23]]);
                let rtt = ntp_mid_now().wrapping_sub(lsr).wrapping_sub(dlsr);
                info.report = Some(RemoteReport {
                    fraction_lost: b[4] as f64 / 256.0,
                    cumulative_lost: lost,
                    jitter_units: u32::from_be_bytes([b[12], b[13], b[14], b[15]]),
                    // Over a minute means a bogus echo (or none): not reported.
                    rtt_ms: (lsr != 0 && rtt < 60 << 16).then(|| rtt as f64 * 1000.0 / 65536.0),
                });
            }
        }
        rest = &rest[len..];
    }
    info
}

/// The report block about `our_ssrc` in a compound packet, if any.
pub fn read_report(buf: &[u8], our_ssrc: u32) -> Option<RemoteReport> {
    read(buf, our_ssrc).report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn report_round_trips() {
        let mut out = OutStream::new();
        out.audio_header(0, 160);
        let mut rx = Receiver::new(8000);
        for seq in [1u16, 2, 5] {
            rx.on_packet(seq, seq as u32 * 160, seq as u32 * 160, 160);
        }
        let mut buf = [0u8; 64];
        let n = write_report(&mut buf, &out, true, Some(77), &mut rx, None);
        assert_eq!(n, 52);
        assert_eq!(buf[1], 200);
        let r = read_report(&buf[..n], 77).unwrap();
        assert_eq!(r.cumulative_lost, 2);
        assert!(r.fraction_lost > 0.3);
        assert!(read_report(&buf[..n], 78).is_none());
        let n = write_report(&mut buf, &out, false, Some(77), &mut rx, None);
        assert_eq!((n, buf[1]), (32, 201));
        assert!(read_report(&buf[..5], 77).is_none());

        // Round trip: the peer echoes our SR time after holding it 0.25 s.
        let mut peer_rx = Receiver::new(8000);
        peer_rx.on_packet(1, 0, 0, 160);
        let n = write_report(&mut buf, &out, true, Some(77), &mut rx, None);
        let ours = read(&buf[..n], 999)
            .sender_ntp_mid
            .expect("an SR carries its time");
        let sr_sent_at = ours.wrapping_sub(16384 + 6554); // 0.25 s + 0.1 s ago
        let mut echo = [0u8; 64];
        let peer = OutStream::new();
        let m = write_report(
            &mut echo,
            &peer,
            false,
            Some(out.ssrc),
            &mut peer_rx,
            Some((sr_sent_at, ours.wrapping_sub(16384))),
        );
        let r = read_report(&echo[..m], out.ssrc).unwrap();
        let rtt = r.rtt_ms.expect("rtt");
        assert!((rtt - 100.0).abs() < 20.0, "{rtt}");
    }
}
