//! RFC 4733 telephone-events: the 4-byte payload, a receiver that reports
//! each event once however many packets carry it (updates, the end packet
//! and its retransmissions all share the event's timestamp), and a sender
//! that follows the same rules.

use std::collections::VecDeque;

use super::Digit;

/// The telephone-event payload (RFC 4733 section 2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvent {
    /// Event code (0-15 are DTMF digits).
    pub event: u8,
    /// End bit.
    pub end: bool,
    /// Volume in -dBm0 (0-63).
    pub volume: u8,
    /// Duration so far, in timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// Reads a payload; `None` when shorter than 4 bytes.
    pub fn parse(p: &[u8]) -> Option<TelephoneEvent> {
        let b = p.get(..4)?;
        Some(TelephoneEvent {
            event: b[0],
            end: b[1] & 0x80 != 0,
            volume: b[1] & 0x3f,
            duration: u16::from_be_bytes([b[2], b[3]]),
        })
    }

    /// The 4-byte payload.
    pub fn to_bytes(self) -> [u8; 4] {
        let d = self.duration.to_be_bytes();
        [
            self.event,
            (if self.end { 0x80 } else { 0 }) | (self.volume & 0x3f),
            d[0],
            d[1],
        ]
    }
}

/// Receiver state of one leg.
#[derive(Debug, Default)]
pub struct EventReceiver {
    /// Timestamp of the last event reported: every later packet with that
    /// timestamp belongs to the same key press.
    last: Option<(u32, u32)>,
}

impl EventReceiver {
    /// Handles one telephone-event packet; returns the digit the first time
    /// an event (SSRC and timestamp) is seen, even when only its end
    /// packets got through.
    pub fn on_packet(&mut self, ssrc: u32, timestamp: u32, payload: &[u8]) -> Option<Digit> {
        let ev = TelephoneEvent::parse(payload)?;
        if self.last == Some((ssrc, timestamp)) {
            return None;
        }
        let digit = Digit::from_event(ev.event)?;
        self.last = Some((ssrc, timestamp));
        Some(digit)
    }
}

/// How many times the end packet is sent (RFC 4733 section 2.5.1.4
/// recommends three).
pub const END_REPEATS: u8 = 3;
/// Gap between two queued digits, in 20 ms slots.
const GAP_SLOTS: u8 = 3;
/// Volume written in sent events (-10 dBm0).
const VOLUME: u8 = 10;

#[derive(Debug)]
struct Sending {
    digit: Digit,
    start_ts: u32,
    total: u16,
    elapsed: u16,
    ends_sent: u8,
    first: bool,
}

/// One packet the sender wants sent in the current slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPacket {
    /// RTP timestamp (the event's start).
    pub timestamp: u32,
    /// Marker bit (first packet of the event).
    pub marker: bool,
    /// The payload.
    pub payload: [u8; 4],
}

/// Sender state of one leg: a queue of digits played one after another.
#[derive(Debug, Default)]
pub struct EventSender {
    /// Bounded in practice by what the call model queues; allocated once.
    queue: VecDeque<(Digit, u16)>,
    current: Option<Sending>,
    gap: u8,
}

impl EventSender {
    /// Queues a digit of `duration_ms` (clamped to 40-1000 ms) for a stream
    /// whose RTP clock is `clock_rate` Hz.
    pub fn push(&mut self, digit: Digit, duration_ms: u32, clock_rate: u32) {
        let ms = duration_ms.clamp(40, 1000);
        let units = (ms as u64 * clock_rate as u64 / 1000).min(u16::MAX as u64);
        self.queue.push_back((digit, units as u16));
    }

    /// Whether an event is being sent (audio must pause meanwhile).
    pub fn busy(&self) -> bool {
        self.current.is_some()
    }

    /// The packet for this 20 ms slot, if any. `slot_ts` is the stream's
    /// timestamp of the slot, `step` its increment.
    pub fn next(&mut self, slot_ts: u32, step: u16) -> Option<EventPacket> {
        if self.current.is_none() {
            if self.gap > 0 {
                self.gap -= 1;
                return None;
            }
            let (digit, total) = self.queue.pop_front()?;
            self.current = Some(Sending {
                digit,
                start_ts: slot_ts,
                total,
                elapsed: 0,
                ends_sent: 0,
                first: true,
            });
        }
        let s = self.current.as_mut()?;
        s.elapsed = s.elapsed.saturating_add(step).min(s.total);
        let end = s.elapsed >= s.total;
        if end {
            s.ends_sent += 1;
        }
        let pkt = EventPacket {
            timestamp: s.start_ts,
            marker: s.first,
            payload: TelephoneEvent {
                event: s.digit.event(),
                end,
                volume: VOLUME,
                duration: s.elapsed,
            }
            .to_bytes(),
        };
        s.first = false;
        if s.ends_sent >= END_REPEATS {
            self.current = None;
            self.gap = GAP_SLOTS;
        }
        Some(pkt)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sender_follows_the_rfc_and_receiver_reports_once() {
        let mut tx = EventSender::default();
        tx.push(Digit::from_char('7').unwrap(), 100, 8000);
        tx.push(Digit::from_char('#').unwrap(), 60, 8000);
        let mut rx = EventReceiver::default();
        let mut got = Vec::new();
        let mut packets = Vec::new();
        let mut ts = 1000u32;
        for _ in 0..40 {
            if let Some(p) = tx.next(ts, 160) {
                packets.push(p);
                if let Some(d) = rx.on_packet(9, p.timestamp, &p.payload) {
                    got.push(d.as_char());
                }
            }
            ts += 160;
        }
        assert_eq!(got, vec!['7', '#']);
        // Digit 7: 100 ms = 800 units, 5 slots, the last repeated 3 times.
        let seven: Vec<_> = packets.iter().filter(|p| p.payload[0] == 7).collect();
        assert_eq!(seven.len(), 4 + 3);
        assert!(seven[0].marker && seven.iter().skip(1).all(|p| !p.marker));
        assert!(seven.iter().all(|p| p.timestamp == 1000));
        let ends: Vec<_> = seven.iter().filter(|p| p.payload[1] & 0x80 != 0).collect();
        assert_eq!(ends.len(), 3);
        assert!(
            ends.iter()
                .all(|p| u16::from_be_bytes([p.payload[2], p.payload[3]]) == 800)
        );
        assert!(!tx.busy());
    }

    #[test]
    fn lost_start_still_reports_and_new_ssrc_is_a_new_event() {
        let mut rx = EventReceiver::default();
        let end = TelephoneEvent {
            event: 1,
            end: true,
            volume: 10,
            duration: 800,
        }
        .to_bytes();
        assert_eq!(rx.on_packet(1, 500, &end).unwrap().as_char(), '1');
        assert!(rx.on_packet(1, 500, &end).is_none());
        assert!(rx.on_packet(2, 500, &end).is_some());
        assert!(rx.on_packet(2, 500, &[1, 2]).is_none());
        assert!(rx.on_packet(2, 900, &[20, 0, 0, 0]).is_none());
    }
}
