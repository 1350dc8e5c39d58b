//! Applying a command from the engine handle to the worker's legs.

use std::sync::atomic::Ordering;
use std::time::Instant;

use super::{PHASES, Worker};
use crate::engine::command::Command;
use crate::engine::events::{LegEvent, RecordStop};
use crate::engine::leg::{Moh, Player};
use crate::engine::receive::on_digit;
use crate::engine::recorder::Recorder;

impl Worker {
    /// Applies one command (at the start of a tick).
    pub(super) fn command(&mut self, cmd: Command) {
        let now = Instant::now();
        match cmd {
            Command::Add(leg) => {
                let p = (leg.id % PHASES as u64) as usize;
                self.index.insert(leg.id, (p, self.legs[p].len()));
                self.legs[p].push(*leg);
                self.counters.legs.store(self.count(), Ordering::Relaxed);
            }
            Command::Remove(id, reply) => {
                let _ = reply.send(self.remove(id));
            }
            Command::Close(id, reply) => {
                let leg = self.remove(id);
                let stats = leg.map(|mut leg| {
                    if let Some(r) = leg.recorder.take() {
                        r.finish(RecordStop::LegClosed, &self.writer, leg.events.clone());
                    }
                    leg.stats()
                });
                for other in self.legs.iter_mut().flatten() {
                    other.mix.retain(|m| *m != id);
                }
                self.refresh_feeds();
                let _ = reply.send(stats);
            }
            Command::Update(id, neg) => {
                let inband = self.settings.inband;
                if let Some(leg) = self.leg(id)
                    && let Err(e) = leg.apply(neg, inband)
                {
                    tracing::warn!(leg = id, "cannot apply negotiated media: {e}");
                }
            }
            Command::Play {
                leg,
                id,
                items,
                barge_in,
            } => {
                if let Some(leg) = self.leg(leg) {
                    if let Some(old) = leg.player.take() {
                        let _ = leg.events.send(LegEvent::PlaybackFinished {
                            play: old.id,
                            interrupted: true,
                        });
                    }
                    if items.iter().all(|e| e.frames() == 0) {
                        let _ = leg.events.send(LegEvent::PlaybackFinished {
                            play: id,
                            interrupted: false,
                        });
                    } else {
                        let items = items.into_iter().filter(|e| e.frames() > 0).collect();
                        leg.player = Some(Player {
                            id,
                            items,
                            item: 0,
                            frame: 0,
                            barge_in,
                        });
                    }
                }
            }
            Command::Stop(id) => {
                if let Some(leg) = self.leg(id)
                    && let Some(p) = leg.player.take()
                {
                    let _ = leg.events.send(LegEvent::PlaybackFinished {
                        play: p.id,
                        interrupted: true,
                    });
                }
            }
            Command::Hold(id, class, files) => {
                if let Some(leg) = self.leg(id) {
                    leg.save_moh_position();
                    let (file, frame) = leg.moh_position(&class.name);
                    leg.moh = Some(Moh {
                        class,
                        files,
                        file,
                        frame,
                    });
                }
            }
            Command::Unhold(id) => {
                if let Some(leg) = self.leg(id) {
                    leg.save_moh_position();
                    leg.moh = None;
                }
            }
            Command::Record(id, opts) => {
                let writer = self.writer.clone();
                if let Some(leg) = self.leg(id) {
                    let rate = leg.codec().map(|c| c.pcm_rate()).unwrap_or(8000);
                    if let Some(old) = leg.recorder.take() {
                        old.finish(RecordStop::Stopped, &writer, leg.events.clone());
                    }
                    leg.recorder = Some(Recorder::new(*opts, rate));
                    let _ = leg.refresh_inbound();
                }
            }
            Command::StopRecord(id) => {
                let writer = self.writer.clone();
                if let Some(leg) = self.leg(id)
                    && let Some(r) = leg.recorder.take()
                {
                    r.finish(RecordStop::Stopped, &writer, leg.events.clone());
                    let _ = leg.refresh_inbound();
                }
            }
            Command::SetMix(id, peers) => {
                if let Some(leg) = self.leg(id) {
                    leg.mix = peers;
                }
                self.refresh_feeds();
            }
            Command::SendTones(id, digit, ms) => {
                if let Some(leg) = self.leg(id) {
                    leg.tones.push(digit, ms);
                }
            }
            Command::SendDtmf(id, digit, ms) => {
                if let Some(leg) = self.leg(id) {
                    let clock = leg.codec().map(|c| c.clock_rate()).unwrap_or(8000);
                    leg.dtmf_tx.push(digit, ms, clock);
                }
            }
            Command::InjectDtmf(id, digit, source) => {
                let writer = self.writer.clone();
                if let Some(leg) = self.leg(id) {
                    on_digit(leg, digit, source, now, &writer);
                }
            }
            Command::Stats(id, reply) => {
                let _ = reply.send(self.leg(id).map(|l| l.stats()));
            }
        }
    }

    /// Marks the legs some other leg hears (their audio must be decoded)
    /// and only those. Runs on bridge changes, which are rare.
    fn refresh_feeds(&mut self) {
        let heard: std::collections::HashSet<_> = self
            .legs
            .iter()
            .flatten()
            .flat_map(|l| l.mix.iter().copied())
            .collect();
        for leg in self.legs.iter_mut().flatten() {
            let feeds = heard.contains(&leg.id);
            if feeds != leg.feeds_mix {
                leg.feeds_mix = feeds;
                let _ = leg.refresh_inbound();
            }
        }
    }
}
