//! A media worker: one OS thread owning many legs, woken by the engine's
//! shared clock. Legs are spread over [`PHASES`] phases of the 20 ms cycle
//! (by id), and the worker wakes once per phase: it applies commands,
//! drains the sockets of that phase's legs, plays out one frame per leg,
//! sends one packet per leg and does the slow chores (RTCP, timeouts) for a
//! rotating slice of them. Each leg still sends exactly every 20 ms, but a
//! tick handles a tenth of the legs, so the last packet of a tick leaves
//! soon after its slot, and the network sees a smooth packet rate instead
//! of a burst every 20 ms. No task or timer per stream, no allocation per
//! packet.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use super::InbandDtmf;
mod commands;

use super::command::Command;
use super::events::{LegEvent, LegId, RecordStop};
use super::leg::{Leg, RELATCH_AFTER};
use super::output::{MixInput, produce};
use super::receive::{playout, receive};
use super::recorder::WriteJob;
use crate::rtp::batch::{MTU, RecvBatch};
use crate::rtp::rtcp;

/// The packet interval of every leg.
pub const TICK: Duration = Duration::from_millis(20);
/// Phases of the 20 ms cycle; the worker wakes every `TICK / PHASES`.
pub const PHASES: usize = 10;
/// A packet sent later than this after its slot counts as late.
pub const LATE: Duration = Duration::from_millis(5);
/// Ticks between RTCP reports of a leg (5 s).
const RTCP_TICKS: u64 = 250;
/// Ticks between polls of a leg's RTCP socket (240 ms; a multiple of
/// [`RTP_POLL_TICKS`] so that it falls on a tick the leg is read).
const RTCP_POLL_TICKS: u64 = 12;
/// Ticks between reads of a leg that decodes nothing.
const RTP_POLL_TICKS: u64 = 3;
/// Ticks between RTP timeout checks of a leg (1 s).
const TIMEOUT_TICKS: u64 = 50;

/// Counters a worker publishes (read by benchmarks and health checks).
#[derive(Debug, Default)]
pub struct Counters {
    /// Ticks run.
    pub ticks: AtomicU64,
    /// Packets sent.
    pub packets: AtomicU64,
    /// Packets sent more than [`LATE`] after their slot.
    pub late_packets: AtomicU64,
    /// Worst lateness seen, in microseconds.
    pub max_late_us: AtomicU64,
    /// Legs owned.
    pub legs: AtomicU64,
}

/// Settings a worker needs.
#[derive(Debug, Clone, Copy)]
pub struct Settings {
    /// In-band DTMF policy.
    pub inband: InbandDtmf,
    /// RTP inactivity timeout.
    pub rtp_timeout: Duration,
    /// Ask for real-time scheduling.
    pub realtime: bool,
}

/// The worker's state.
pub struct Worker {
    /// Legs by phase (`id % PHASES`).
    legs: Vec<Vec<Leg>>,
    /// Where each leg is: phase and position.
    index: HashMap<LegId, (usize, usize)>,
    batch: RecvBatch,
    buf: Box<[u8; MTU]>,
    mix: Box<MixInput>,
    writer: mpsc::Sender<WriteJob>,
    counters: Arc<Counters>,
    settings: Settings,
    epoch: Instant,
    /// `epoch` on the wall clock, in microseconds since the Unix epoch (the
    /// base of kernel receive timestamps).
    epoch_wall_us: u64,
    tick: u64,
}

impl Worker {
    /// A worker whose slots are `epoch + n * TICK`.
    pub fn new(
        epoch: Instant,
        settings: Settings,
        writer: mpsc::Sender<WriteJob>,
        counters: Arc<Counters>,
    ) -> Self {
        Worker {
            legs: (0..PHASES).map(|_| Vec::new()).collect(),
            index: HashMap::new(),
            batch: RecvBatch::default(),
            buf: Box::new([0; MTU]),
            mix: Box::default(),
            writer,
            counters,
            settings,
            epoch,
            epoch_wall_us: std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default()
                .as_micros()
                .saturating_sub(Instant::now().saturating_duration_since(epoch).as_micros())
                as u64,
            tick: 0,
        }
    }

    fn leg(&mut self, id: LegId) -> Option<&mut Leg> {
        let (p, i) = *self.index.get(&id)?;
        Some(&mut self.legs[p][i])
    }

    fn count(&self) -> u64 {
        self.legs.iter().map(|b| b.len() as u64).sum()
    }

    fn remove(&mut self, id: LegId) -> Option<Box<Leg>> {
        let (p, i) = self.index.remove(&id)?;
        let leg = Box::new(self.legs[p].swap_remove(i));
        if let Some(moved) = self.legs[p].get(i) {
            self.index.insert(moved.id, (p, i));
        }
        self.counters.legs.store(self.count(), Ordering::Relaxed);
        Some(leg)
    }

    /// One tick: the legs of `phase`, whose slot starts at `slot`.
    pub fn tick(&mut self, phase: usize, slot: Instant) {
        let now = Instant::now();
        let epoch = (self.epoch, self.epoch_wall_us);
        let cycle = self.tick;
        for leg in &mut self.legs[phase] {
            let turn = cycle.wrapping_add(leg.id / PHASES as u64);
            // A leg whose audio is not decoded only needs its packets for
            // DTMF events, statistics and latching: reading it every third
            // cycle drains three packets per system call (+40 ms on a digit).
            if leg.inbound.is_none() && !turn.is_multiple_of(RTP_POLL_TICKS) {
                continue;
            }
            let rtcp_turn = turn.is_multiple_of(RTCP_POLL_TICKS);
            receive(leg, &mut self.batch, epoch, now, rtcp_turn, &self.writer);
        }
        for leg in &mut self.legs[phase] {
            playout(leg, now, &self.writer);
        }
        let (mut sent, mut late, mut worst) = (0u64, 0u64, 0u64);
        for i in 0..self.legs[phase].len() {
            if !self.legs[phase][i].mix.is_empty() {
                let leg = &self.legs[phase][i];
                let peers = leg
                    .mix
                    .iter()
                    .filter_map(|p| self.index.get(p))
                    .map(|&(q, j)| &self.legs[q][j]);
                self.mix.gather(leg, peers);
            } else {
                self.mix.pass_len = 0;
                self.mix.pcm_len = 0;
            }
            let leg = &mut self.legs[phase][i];
            if produce(leg, &self.mix, &mut self.buf[..]) {
                sent += 1;
                let lateness = Instant::now().saturating_duration_since(slot);
                let us = lateness.as_micros() as u64;
                worst = worst.max(us);
                if lateness > LATE {
                    late += 1;
                }
            }
            self.record(phase, i);
        }
        self.chores(phase, now);
        let c = &self.counters;
        c.ticks.fetch_add(1, Ordering::Relaxed);
        c.packets.fetch_add(sent, Ordering::Relaxed);
        c.late_packets.fetch_add(late, Ordering::Relaxed);
        c.max_late_us.fetch_max(worst, Ordering::Relaxed);
    }

    fn record(&mut self, phase: usize, i: usize) {
        let leg = &mut self.legs[phase][i];
        let Some(rec) = &mut leg.recorder else { return };
        let inbound: &[i16] = match &leg.inbound {
            Some(inb) => &inb.pcm[..inb.pcm_len],
            None => &[],
        };
        if let Some(stop) = rec.push(inbound, &leg.heard[..leg.heard_len])
            && let Some(r) = leg.recorder.take()
        {
            r.finish(stop, &self.writer, leg.events.clone());
            let _ = leg.refresh_inbound();
        }
    }

    /// RTCP reports, statistics events and RTP timeouts, for the legs
    /// whose turn it is (spread over cycles to keep every tick equally short).
    fn chores(&mut self, phase: usize, now: Instant) {
        let timeout = self.settings.rtp_timeout;
        for leg in &mut self.legs[phase] {
            let turn = self.tick.wrapping_add(leg.id / PHASES as u64);
            if turn.is_multiple_of(RTCP_TICKS) {
                if let Some(to) = leg.remote_rtcp {
                    let remote_ssrc = leg.latched.map(|(_, s)| s);
                    let n = rtcp::write_report(
                        &mut self.buf[..],
                        &leg.out,
                        leg.sent_since_report,
                        remote_ssrc,
                        &mut leg.rx,
                        leg.last_sr,
                    );
                    let _ = leg.rtcp.send_to(&self.buf[..n], to);
                    leg.sent_since_report = false;
                }
                let _ = leg.events.send(LegEvent::Stats(leg.stats()));
            }
            // A latched source silent for a while: open the socket to other
            // sources again (NAT rebinding, a new far end after a transfer).
            if turn.is_multiple_of(TIMEOUT_TICKS)
                && leg.connected
                && now.saturating_duration_since(leg.last_rx) > RELATCH_AFTER
            {
                leg.unlatch_socket();
            }
            if turn.is_multiple_of(TIMEOUT_TICKS)
                && !leg.timeout_reported
                && leg
                    .neg
                    .as_ref()
                    .is_some_and(|n| n.direction.receives() && n.remote.is_some())
                && now.saturating_duration_since(leg.last_rx) > timeout
            {
                leg.timeout_reported = true;
                let _ = leg.events.send(LegEvent::RtpTimeout);
            }
        }
    }

    /// Runs until the command channel closes.
    pub fn run(mut self, commands: mpsc::Receiver<Command>) {
        if self.settings.realtime {
            let got = super::priority::raise_current_thread();
            tracing::info!("media worker scheduling: {got}");
        }
        let step = TICK / PHASES as u32;
        let epoch = self.epoch;
        let steps_since_epoch =
            |t: Instant| (t.saturating_duration_since(epoch).as_micros() / step.as_micros()) as u64;
        let mut slot_no = steps_since_epoch(Instant::now()) + 1;
        loop {
            let slot = self.epoch + step * slot_no as u32;
            let now = Instant::now();
            if slot > now {
                std::thread::sleep(slot - now);
            } else if now - slot > TICK * 10 {
                // Far behind (the machine stalled us): skip the lost slots
                // rather than burst them out.
                slot_no = steps_since_epoch(now) / PHASES as u64 * PHASES as u64;
                continue;
            }
            loop {
                match commands.try_recv() {
                    Ok(cmd) => self.command(cmd),
                    Err(mpsc::TryRecvError::Empty) => break,
                    Err(mpsc::TryRecvError::Disconnected) => {
                        for mut leg in std::mem::take(&mut self.legs).into_iter().flatten() {
                            if let Some(r) = leg.recorder.take() {
                                r.finish(RecordStop::LegClosed, &self.writer, leg.events.clone());
                            }
                        }
                        return;
                    }
                }
            }
            let phase = (slot_no % PHASES as u64) as usize;
            self.tick = slot_no / PHASES as u64;
            self.tick(phase, slot);
            slot_no += 1;
        }
    }
}
