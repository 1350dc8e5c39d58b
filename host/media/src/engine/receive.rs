//! The receive half of a tick: drain a leg's sockets, latch onto the real
//! source, account statistics, read RFC 4733 events, queue audio for the
//! jitter buffer; then play out one frame per leg and run in-band detection.

use std::net::SocketAddr;
use std::sync::mpsc;
use std::time::Instant;

use super::events::LegEvent;
use super::leg::{Leg, RELATCH_AFTER};
use super::recorder::WriteJob;
use crate::dtmf::{Digit, DtmfSource};
use crate::rtp::batch::{BATCH, RecvBatch};
use crate::rtp::packet::{RtpHeader, looks_like_rtcp};
use crate::rtp::rtcp;

/// Handles a digit from any source: collapse duplicates, report it, stop
/// a barge-in playlist, stop a recording on a stop digit.
pub fn on_digit(
    leg: &mut Leg,
    digit: Digit,
    source: DtmfSource,
    now: Instant,
    writer: &mpsc::Sender<WriteJob>,
) {
    if !leg.collapser.accept(digit, source, now) {
        return;
    }
    let _ = leg.events.send(LegEvent::Dtmf { digit, source });
    if leg.player.as_ref().is_some_and(|p| p.barge_in)
        && let Some(p) = leg.player.take()
    {
        let _ = leg.events.send(LegEvent::PlaybackFinished {
            play: p.id,
            interrupted: true,
        });
    }
    if leg.recorder.as_ref().is_some_and(|r| r.stops_on(digit))
        && let Some(r) = leg.recorder.take()
    {
        r.finish(
            super::events::RecordStop::Digit(digit),
            writer,
            leg.events.clone(),
        );
        let _ = leg.refresh_inbound();
    }
}

/// Whether a packet from `from` with `ssrc` is accepted, latching when allowed.
fn latch(leg: &mut Leg, from: SocketAddr, ssrc: u32, now: Instant) -> bool {
    match leg.latched {
        Some((addr, _)) if addr == from => true,
        Some(_) if now.saturating_duration_since(leg.last_rx) < RELATCH_AFTER => false,
        _ => {
            if leg.latched.map(|(_, s)| s) != Some(ssrc) {
                leg.rx.reset();
                if let Some(inb) = &mut leg.inbound {
                    inb.jitter.reset();
                }
            }
            leg.latched = Some((from, ssrc));
            leg.remote = Some(from);
            leg.connected = crate::rtp::connect::connect(&leg.rtp, from);
            leg.remote_rtcp = Some(SocketAddr::new(from.ip(), from.port().wrapping_add(1)));
            let _ = leg.events.send(LegEvent::Latched(from));
            true
        }
    }
}

fn on_rtcp(leg: &mut Leg, data: &[u8]) {
    let info = rtcp::read(data, leg.out.ssrc);
    if let Some(r) = info.report {
        leg.remote_report = Some(r);
    }
    if let Some(t) = info.sender_ntp_mid {
        leg.last_sr = Some((t, rtcp::ntp_mid_now()));
    }
}

fn on_datagram(
    leg: &mut Leg,
    data: &[u8],
    from: SocketAddr,
    arrival_us: u64,
    now: Instant,
    writer: &mpsc::Sender<WriteJob>,
) {
    if looks_like_rtcp(data) {
        on_rtcp(leg, data);
        return;
    }
    let Some(view) = RtpHeader::parse(data) else {
        return;
    };
    let Some(neg) = &leg.neg else { return };
    let h = view.header;
    let (pt, te) = (neg.payload_type, neg.telephone_event_pt);
    if h.payload_type != pt && Some(h.payload_type) != te {
        return;
    }
    if !latch(leg, from, h.ssrc, now) {
        return;
    }
    leg.last_rx = now;
    leg.timeout_reported = false;
    let payload = &data[view.payload_start..view.payload_end];
    let clock = leg.rx_clock();
    let arrival = (arrival_us * clock as u64 / 1_000_000) as u32;
    leg.rx
        .on_packet(h.sequence, h.timestamp, arrival, payload.len());
    if Some(h.payload_type) == te {
        if let Some(d) = leg.dtmf_rx.on_packet(h.ssrc, h.timestamp, payload) {
            on_digit(leg, d, DtmfSource::Rfc4733, now, writer);
        }
    } else if let Some(inb) = &mut leg.inbound {
        inb.jitter.push(h.timestamp, payload);
    }
}

/// Microseconds since the Unix epoch at `now`, from the worker's epoch
/// (pinned to the wall clock once, so no clock read per packet).
fn wall_us(epoch: (Instant, u64), now: Instant) -> u64 {
    epoch.1 + now.saturating_duration_since(epoch.0).as_micros() as u64
}

/// Drains a leg's RTP socket, and its RTCP socket when `rtcp_too` (RTCP
/// comes every few seconds: polling it every tick would double the system
/// calls of an idle leg).
pub fn receive(
    leg: &mut Leg,
    batch: &mut RecvBatch,
    epoch: (Instant, u64),
    now: Instant,
    rtcp_too: bool,
    writer: &mpsc::Sender<WriteJob>,
) {
    // Arrival times on the wall clock: the kernel's stamp when there is
    // one (exact even when the worker reads the packet a few ticks later),
    // else the time of this read.
    let read_us = wall_us(epoch, now);
    loop {
        let n = batch.recv(&leg.rtp);
        for i in 0..n {
            let arrival_us = batch.arrival_ns(i).map(|ns| ns / 1000).unwrap_or(read_us);
            if let Some((data, from)) = batch.get(i) {
                on_datagram(leg, data, from, arrival_us, now, writer);
            }
        }
        if n < BATCH {
            break;
        }
    }
    if !rtcp_too {
        return;
    }
    let n = batch.recv(&leg.rtcp);
    for i in 0..n {
        if let Some((data, _)) = batch.get(i) {
            on_rtcp(leg, data);
        }
    }
}

/// Takes this tick's 20 ms out of the jitter buffer: decodes due packets
/// (of any length) into the leg's FIFO until a frame is there, fills gaps
/// with silence, and runs in-band detection. The payload is kept for
/// pass-through only when the frame is exactly one 20 ms packet.
pub fn playout(leg: &mut Leg, now: Instant, writer: &mpsc::Sender<WriteJob>) {
    let Some(codec) = leg.codec() else { return };
    let Some(inb) = &mut leg.inbound else { return };
    let n = codec.frame_samples();
    let (clock, rate) = (codec.clock_rate() as usize, codec.pcm_rate() as usize);
    let units = |samples: usize| (samples * clock / rate) as u32;
    inb.payload_len = 0;
    let started_empty = inb.fifo_len == 0;
    let mut packets = 0;
    while inb.fifo_len < n {
        let room = inb.fifo.len() - inb.fifo_len;
        if let Some((ts, p)) = inb.jitter.take_due() {
            let len = p.len();
            inb.payload[..len].copy_from_slice(p);
            let got = inb
                .decoder
                .decode(&inb.payload[..len], &mut inb.fifo[inb.fifo_len..]);
            let got = if got == 0 {
                // Undecodable: a frame of silence in its place.
                let f = n.min(room);
                inb.fifo[inb.fifo_len..inb.fifo_len + f].fill(0);
                f
            } else {
                got
            };
            if got == n && started_empty && packets == 0 {
                inb.payload_len = len;
            }
            packets += 1;
            inb.fifo_len += got;
            inb.jitter.played_to(ts.wrapping_add(units(got)));
        } else {
            // Lost, late or silent: up to the next packet or the end of
            // this frame, whichever comes first.
            let want = n - inb.fifo_len;
            let (fill, lost) = match inb.jitter.gap() {
                Some(g) if inb.jitter.playing() && g > 0 => {
                    (want.min((g as usize * rate / clock).max(1)), true)
                }
                _ => (want, false),
            };
            let at = inb.fifo_len;
            if lost {
                // A packet lost between two that arrived: conceal it with
                // the previous frame at half level (the ear hears a dip,
                // not a click), unless the codec conceals by itself (Opus).
                let plc = inb.decoder.decode(&[], &mut inb.fifo[at..at + fill]);
                if plc < fill {
                    for i in plc..fill {
                        inb.fifo[at + i] = inb.pcm[i % n] / 2;
                    }
                }
            } else {
                inb.fifo[at..at + fill].fill(0);
            }
            inb.fifo_len += fill;
            inb.jitter.skip(units(fill));
        }
    }
    if packets != 1 {
        inb.payload_len = 0;
    }
    inb.pcm[..n].copy_from_slice(&inb.fifo[..n]);
    inb.fifo.copy_within(n..inb.fifo_len, 0);
    inb.fifo_len -= n;
    inb.pcm_len = n;
    let digit = match &mut inb.detector {
        Some(d) if codec.pcm_rate() == 8000 => d.feed(&inb.pcm[..n]),
        _ => None,
    };
    if let Some(d) = digit {
        on_digit(leg, d, DtmfSource::InBand, now, writer);
    }
}
