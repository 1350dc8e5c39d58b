//! What a leg makes of the datagrams it receives: RTP parsing, loss and
//! duplicates per SSRC, transit-time lateness and RFC 3550 jitter for
//! audio, loudness, and RFC 4733 digits. Pure state, fed by the leg's
//! receive task with each datagram and its arrival time.

use std::time::Duration;

use pbx_media::dtmf::rfc4733::EventReceiver;
use pbx_media::rtp::packet::{RtpHeader, looks_like_rtcp};

use super::codec::{CLOCK_RATE, Codec};
use super::sequence::{SeqOutcome, SequenceTracker};
use super::stats::MediaStats;

/// A transit time this far above the minimum (2 s) is taken as the peer
/// re-basing its timestamps rather than as a late packet.
const REBASE_UNITS: i64 = 2 * CLOCK_RATE as i64;
/// SSRCs tracked at once; the oldest is retired (its loss kept) beyond.
const MAX_SSRCS: usize = 16;
/// The comfort-noise payload type (RFC 3389): received, never voiced.
const CN_PT: u8 = 13;

/// Timing state of one SSRC's audio.
#[derive(Debug, Default)]
struct Timing {
    /// Last RTP timestamp and its unwrapped value.
    last_ts: Option<(u32, i64)>,
    /// Smallest transit seen, in timestamp units.
    min_transit: Option<i64>,
    /// Transit of the previous audio packet (for jitter).
    last_transit: Option<i64>,
    /// RFC 3550 jitter estimate, timestamp units.
    jitter: f64,
}

/// State of one SSRC.
#[derive(Debug)]
struct Source {
    ssrc: u32,
    seq: SequenceTracker,
    timing: Timing,
}

/// Receive-side accounting of one leg.
#[derive(Debug)]
pub struct Receiver {
    dtmf_pt: u8,
    late_after_units: i64,
    sources: Vec<Source>,
    /// Loss and duplicates of retired SSRCs.
    retired_lost: u64,
    retired_duplicates: u64,
    events: EventReceiver,
    /// Every figure except loss and duplicates, which live in `sources`.
    stats: MediaStats,
}

impl Receiver {
    /// A receiver expecting telephone-events on `dtmf_pt`, counting audio
    /// as late past `late_after` above the minimum transit.
    pub fn new(dtmf_pt: u8, late_after: Duration) -> Receiver {
        Receiver {
            dtmf_pt,
            late_after_units: (late_after.as_micros() as i64).saturating_mul(CLOCK_RATE as i64)
                / 1_000_000,
            sources: Vec::new(),
            retired_lost: 0,
            retired_duplicates: 0,
            events: EventReceiver::default(),
            stats: MediaStats::default(),
        }
    }

    /// Accounts one datagram that arrived `arrival` after the leg started;
    /// returns whether it was an RTP packet (not RTCP, not malformed).
    pub fn on_datagram(&mut self, buf: &[u8], arrival: Duration) -> bool {
        if looks_like_rtcp(buf) || (buf.len() >= 2 && (72..=76).contains(&(buf[1] & 0x7f))) {
            return false;
        }
        let Some(view) = RtpHeader::parse(buf) else {
            self.stats.malformed += 1;
            return false;
        };
        let h = view.header;
        let payload = buf.get(view.payload_start..view.payload_end).unwrap_or(&[]);
        self.stats.received += 1;
        if self.stats.first_packet_after.is_none() {
            self.stats.first_packet_after = Some(arrival);
        }
        let (dtmf_pt, late_after) = (self.dtmf_pt, self.late_after_units);
        let source = self.source(h.ssrc);
        let outcome = source.seq.on_packet(h.sequence);
        if outcome == SeqOutcome::Restart {
            source.timing = Timing::default();
        }
        if h.payload_type == dtmf_pt {
            if let Some(d) = self.events.on_packet(h.ssrc, h.timestamp, payload) {
                self.stats.dtmf_received.push(d.as_char());
            }
            return true;
        }
        if outcome == SeqOutcome::Duplicate {
            return true;
        }
        let arrival_units =
            (arrival.as_micros() as i64).saturating_mul(CLOCK_RATE as i64) / 1_000_000;
        let (late, jitter) = source
            .timing
            .on_audio(h.timestamp, arrival_units, late_after);
        if late {
            self.stats.late += 1;
        }
        let jitter_ms = jitter * 1000.0 / f64::from(CLOCK_RATE);
        self.stats.max_jitter_ms = self.stats.max_jitter_ms.max(jitter_ms);
        if h.payload_type != CN_PT
            && Codec::from_payload_type(h.payload_type).is_some_and(|c| c.is_voiced(payload))
        {
            self.stats.voiced += 1;
        }
        true
    }

    /// The state of `ssrc`, created (retiring the oldest) if new.
    fn source(&mut self, ssrc: u32) -> &mut Source {
        let i = match self.sources.iter().position(|s| s.ssrc == ssrc) {
            Some(i) => i,
            None => {
                if self.sources.len() >= MAX_SSRCS {
                    let old = self.sources.remove(0);
                    self.retired_lost += old.seq.lost();
                    self.retired_duplicates += old.seq.duplicates;
                }
                self.sources.push(Source {
                    ssrc,
                    seq: SequenceTracker::default(),
                    timing: Timing::default(),
                });
                self.sources.len() - 1
            }
        };
        &mut self.sources[i]
    }

    /// The figures so far (send-side fields left at zero).
    pub fn stats(&self) -> MediaStats {
        let mut s = self.stats.clone();
        s.lost = self.retired_lost + self.sources.iter().map(|x| x.seq.lost()).sum::<u64>();
        s.duplicates =
            self.retired_duplicates + self.sources.iter().map(|x| x.seq.duplicates).sum::<u64>();
        s
    }
}

impl Timing {
    /// Accounts one audio packet; returns whether it was late and the
    /// jitter estimate after it.
    fn on_audio(&mut self, ts: u32, arrival_units: i64, late_after: i64) -> (bool, f64) {
        let ext = match self.last_ts {
            None => i64::from(ts),
            Some((last, last_ext)) => last_ext + i64::from(ts.wrapping_sub(last) as i32),
        };
        self.last_ts = Some((ts, ext));
        let transit = arrival_units - ext;
        let min = match self.min_transit {
            Some(m) if transit - m > REBASE_UNITS => {
                // The peer moved its timestamps back: start over.
                self.min_transit = Some(transit);
                self.last_transit = Some(transit);
                return (false, self.jitter);
            }
            Some(m) if m <= transit => m,
            _ => {
                self.min_transit = Some(transit);
                transit
            }
        };
        if let Some(prev) = self.last_transit {
            // A forward jump of the peer's timestamps is a new base, not
            // jitter.
            let d = (transit - prev).abs();
            if d <= REBASE_UNITS {
                self.jitter += (d as f64 - self.jitter) / 16.0;
            }
        }
        self.last_transit = Some(transit);
        (transit - min > late_after, self.jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(pt: u8, seq: u16, ts: u32, ssrc: u32, payload: &[u8]) -> Vec<u8> {
        let mut b = vec![0u8; 12];
        RtpHeader {
            marker: false,
            payload_type: pt,
            sequence: seq,
            timestamp: ts,
            ssrc,
        }
        .write(&mut b);
        b.extend_from_slice(payload);
        b
    }

    const MS20: Duration = Duration::from_millis(20);

    #[test]
    fn clean_stream_late_packet_and_ssrc_change() {
        let mut r = Receiver::new(101, Duration::from_millis(40));
        let tone = Codec::Pcmu.tone_frame();
        for i in 0..50u32 {
            // Timestamps near the 32-bit wrap; packet 10 is 100 ms late.
            let ts = (u32::MAX - 1000).wrapping_add(i * 160);
            let extra = if i == 10 {
                Duration::from_millis(100)
            } else {
                Duration::ZERO
            };
            r.on_datagram(&packet(0, i as u16, ts, 7, tone), MS20 * i + extra);
        }
        // A new SSRC with another timestamp base and a gap of 3 packets.
        for i in 0..20u32 {
            if (5..8).contains(&i) {
                continue;
            }
            r.on_datagram(
                &packet(8, 500 + i as u16, 9 + i * 160, 8, &[0xd5; 160]),
                MS20 * (50 + i),
            );
        }
        let s = r.stats();
        assert_eq!(s.received, 50 + 17);
        assert_eq!((s.lost, s.late, s.duplicates), (3, 1, 0));
        assert_eq!(s.voiced, 50);
        assert!(
            s.max_jitter_ms > 1.0 && s.max_jitter_ms < 20.0,
            "{}",
            s.max_jitter_ms
        );
        assert_eq!(s.first_packet_after, Some(Duration::ZERO));
    }

    #[test]
    fn timestamp_jumps_rebase_instead_of_counting_late() {
        let mut r = Receiver::new(101, Duration::from_millis(40));
        let tone = Codec::Pcma.tone_frame();
        for i in 0..60u32 {
            // 10 s back at packet 20, 20 s forward at packet 40.
            let base = match i {
                0..20 => 100_000,
                20..40 => 20_000,
                _ => 180_000,
            };
            r.on_datagram(&packet(8, i as u16, base + i * 160, 3, tone), MS20 * i);
        }
        let s = r.stats();
        assert_eq!((s.received, s.lost, s.late, s.voiced), (60, 0, 0, 60));
        assert!(s.max_jitter_ms < 1.0, "{s:?}");
    }

    #[test]
    fn dtmf_rtcp_and_malformed() {
        let mut r = Receiver::new(101, Duration::from_millis(40));
        let start = [5u8, 10, 0, 160];
        let end = [5u8, 0x80 | 10, 3, 32];
        r.on_datagram(&packet(101, 1, 1000, 1, &start), MS20);
        r.on_datagram(&packet(101, 2, 1000, 1, &end), MS20 * 2);
        r.on_datagram(&packet(101, 3, 1000, 1, &end), MS20 * 3);
        r.on_datagram(&packet(101, 4, 2000, 1, &[11, 0x80, 0, 160]), MS20 * 4);
        r.on_datagram(&packet(101, 4, 2000, 1, &[11, 0x80, 0, 160]), MS20 * 4);
        // RTCP sender report, an RTP packet of PT 72, garbage, empty.
        r.on_datagram(&[0x80, 200, 0, 6, 1, 2, 3, 4], MS20 * 5);
        r.on_datagram(&packet(72, 9, 9, 9, &[]), MS20 * 5);
        r.on_datagram(&[0x00, 0, 1], MS20 * 5);
        r.on_datagram(&[], MS20 * 5);
        r.on_datagram(&[0x40; 40], MS20 * 5);
        let s = r.stats();
        assert_eq!(s.dtmf_received, "5#");
        assert_eq!(
            (s.received, s.duplicates, s.malformed, s.lost),
            (5, 1, 3, 0)
        );
        assert_eq!(s.voiced, 0);
    }
}
