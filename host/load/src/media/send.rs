//! The send side of one leg: what goes out in each 20 ms slot (a G.711
//! tone frame, or an RFC 4733 event packet while a planned digit plays),
//! on an absolute schedule `start + n * 20 ms`. Driven by a pacer thread
//! (see [`super::pacer`]); the counters are shared with the leg so they
//! can be read whatever happens to the pacer.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pbx_media::dtmf::Digit;
use pbx_media::dtmf::rfc4733::EventSender;
use pbx_media::rtp::packet::HEADER_LEN;
use pbx_media::rtp::stream::OutStream;
use tokio::net::UdpSocket;

use super::codec::{CLOCK_RATE, Codec, FRAME_SAMPLES};
use super::destination::Destination;

/// Packet interval.
pub const PTIME: Duration = Duration::from_millis(20);
/// A tick that wakes later than this after its schedule counts as late.
pub const LATE_TICK: Duration = Duration::from_millis(10);
/// Further behind than this, the sender skips slots instead of bursting.
pub const MAX_BEHIND: Duration = Duration::from_millis(200);
/// Timestamp increment per packet.
const STEP: u32 = FRAME_SAMPLES as u32;

/// Send-side counters of one leg.
#[derive(Debug, Default)]
pub struct SendCounters {
    /// Packets handed to the socket.
    pub sent: AtomicU64,
    /// Ticks more than [`LATE_TICK`] behind schedule (skipped slots included).
    pub late: AtomicU64,
    /// Packets the socket refused.
    pub failed: AtomicU64,
    /// Digits whose first event packet went out.
    pub dtmf: AtomicU64,
}

/// Everything the pacer needs to send one leg's packets.
#[derive(Debug)]
pub struct SendLeg {
    socket: Arc<UdpSocket>,
    /// The current destination, refreshed from `destination` when it moves.
    remote: SocketAddr,
    destination: Arc<Destination>,
    codec: Codec,
    dtmf_pt: u8,
    dtmf_ms: u32,
    /// Planned digits, sorted by offset; `next_digit` indexes the next due.
    digits: Vec<(Duration, Digit)>,
    next_digit: usize,
    events: EventSender,
    stream: OutStream,
    start: Instant,
    slot: u32,
    counters: Arc<SendCounters>,
}

impl SendLeg {
    /// A sender starting at `start`. Characters of `dtmf` that are not
    /// DTMF digits are skipped.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        socket: Arc<UdpSocket>,
        destination: Arc<Destination>,
        codec: Codec,
        dtmf: &[(Duration, char)],
        dtmf_pt: u8,
        dtmf_duration: Duration,
        start: Instant,
        counters: Arc<SendCounters>,
    ) -> SendLeg {
        let mut digits: Vec<(Duration, Digit)> = dtmf
            .iter()
            .filter_map(|&(at, c)| Some((at, Digit::from_char(c)?)))
            .collect();
        digits.sort_by_key(|d| d.0);
        SendLeg {
            socket,
            remote: destination.get(),
            destination,
            codec,
            dtmf_pt,
            dtmf_ms: dtmf_duration.as_millis().min(u128::from(u32::MAX)) as u32,
            digits,
            next_digit: 0,
            events: EventSender::default(),
            stream: OutStream::new(),
            start,
            slot: 0,
            counters,
        }
    }

    /// When the current slot is due.
    pub fn due(&self) -> Instant {
        self.start + PTIME * self.slot
    }

    /// Handles the current slot at `now` (at or after [`SendLeg::due`]):
    /// sends its packet, or skips to the present when hopelessly behind.
    pub fn tick(&mut self, now: Instant) {
        let behind = now.saturating_duration_since(self.due());
        if behind > MAX_BEHIND {
            let skip = (behind.as_micros() / PTIME.as_micros()) as u32;
            for _ in 0..skip {
                self.stream.end_slot(STEP, false);
            }
            self.slot = self.slot.saturating_add(skip);
            self.counters
                .late
                .fetch_add(u64::from(skip), Ordering::Relaxed);
            return;
        }
        if behind > LATE_TICK {
            self.counters.late.fetch_add(1, Ordering::Relaxed);
        }
        let offset = PTIME * self.slot;
        while let Some(&(at, digit)) = self.digits.get(self.next_digit) {
            if at > offset {
                break;
            }
            self.events.push(digit, self.dtmf_ms, CLOCK_RATE);
            self.next_digit += 1;
        }
        let mut buf = [0u8; HEADER_LEN + FRAME_SAMPLES];
        let len = match self.events.next(self.stream.slot_timestamp(), STEP as u16) {
            Some(ev) => {
                if ev.marker {
                    self.counters.dtmf.fetch_add(1, Ordering::Relaxed);
                }
                self.stream
                    .event_header(self.dtmf_pt, ev.timestamp, ev.marker)
                    .write(&mut buf);
                buf[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&ev.payload);
                HEADER_LEN + 4
            }
            None => {
                self.stream
                    .audio_header(self.codec.payload_type(), FRAME_SAMPLES)
                    .write(&mut buf);
                buf[HEADER_LEN..].copy_from_slice(self.codec.tone_frame());
                buf.len()
            }
        };
        self.stream.end_slot(STEP, true);
        self.slot = self.slot.saturating_add(1);
        if let Some(moved) = self.destination.take_change() {
            self.remote = moved;
        }
        let counter = match self.socket.try_send_to(&buf[..len], self.remote) {
            Ok(_) => &self.counters.sent,
            Err(_) => &self.counters.failed,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}
