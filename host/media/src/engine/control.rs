//! What the call model does with a leg once it exists: play, hold, record,
//! bridge, DTMF, statistics, close. Each method posts one command to the
//! leg's worker; the async ones await the worker's reply (at most a tick).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::oneshot;

use super::MediaEngine;
use super::command::Command;
use super::events::{LegId, LegStats, PlayId, RecordOptions};
use crate::codec::Codec;
use crate::dtmf::{Digit, DtmfSource, info};
use crate::error::{MediaError, Result};
use crate::prompt::Playlist;
use crate::prompt::moh::MohClass;

impl MediaEngine {
    fn codec_of(&self, leg: LegId) -> Result<Codec> {
        let legs = self.legs();
        let info = legs.get(&leg).ok_or(MediaError::UnknownLeg(leg))?;
        info.neg.as_ref().map(|n| n.codec).ok_or_else(|| {
            MediaError::Config(format!(
                "leg {leg} has no negotiated codec yet; set the peer's answer first"
            ))
        })
    }

    /// Plays a playlist; a digit stops it when `barge_in`. Replaces what
    /// was playing. [`LegEvent::PlaybackFinished`] carries the returned id.
    pub fn play(&self, leg: LegId, playlist: &Playlist, barge_in: bool) -> Result<PlayId> {
        let items = playlist.encoded(self.codec_of(leg)?)?;
        let id = self.inner.next_play.fetch_add(1, Ordering::Relaxed);
        self.to_leg(
            leg,
            Command::Play {
                leg,
                id,
                items,
                barge_in,
            },
        )?;
        Ok(id)
    }

    /// Stops playing.
    pub fn stop(&self, leg: LegId) -> Result<()> {
        self.to_leg(leg, Command::Stop(leg))
    }

    /// Registers a music-on-hold class (replacing one of the same name).
    pub fn add_moh_class(&self, class: MohClass) {
        let mut moh = self.inner.moh.lock().unwrap_or_else(|e| e.into_inner());
        moh.insert(class.name.to_string(), Arc::new(class));
    }

    /// Plays music on hold of `class` to the leg, from where this caller
    /// left it last time; overrides the bridge until [`MediaEngine::unhold`].
    pub fn hold(&self, leg: LegId, class: &str) -> Result<()> {
        let class = {
            let moh = self.inner.moh.lock().unwrap_or_else(|e| e.into_inner());
            moh.get(class).cloned().ok_or_else(|| {
                MediaError::Config(format!(
                    "no music-on-hold class {class:?}; add it with add_moh_class"
                ))
            })?
        };
        let codec = self.codec_of(leg)?;
        let files = class
            .files
            .iter()
            .map(|p| p.encoded(codec))
            .collect::<Result<_>>()?;
        self.to_leg(leg, Command::Hold(leg, class, files))
    }

    /// Ends music on hold; the leg hears its bridge again.
    pub fn unhold(&self, leg: LegId) -> Result<()> {
        self.to_leg(leg, Command::Unhold(leg))
    }

    /// Starts recording; [`LegEvent::RecordingFinished`] reports the file.
    pub fn record(&self, leg: LegId, options: RecordOptions) -> Result<()> {
        if let Some(dir) = options.path.parent()
            && !dir.as_os_str().is_empty()
            && !dir.is_dir()
        {
            return Err(MediaError::Audio {
                path: options.path.clone(),
                reason: "its folder does not exist; create it first".into(),
            });
        }
        self.to_leg(leg, Command::Record(leg, Box::new(options)))
    }

    /// Stops recording (the file is written and reported).
    pub fn stop_record(&self, leg: LegId) -> Result<()> {
        self.to_leg(leg, Command::StopRecord(leg))
    }

    /// Moves `legs` onto one worker, so that their audio can be exchanged
    /// within a tick.
    async fn colocate(&self, legs: &[LegId]) -> Result<usize> {
        let first = *legs
            .first()
            .ok_or_else(|| MediaError::Config("no legs given".into()))?;
        let target = self.worker_of(first)?;
        for &l in &legs[1..] {
            let from = self.worker_of(l)?;
            if from == target {
                continue;
            }
            let (tx, rx) = oneshot::channel();
            self.send(from, Command::Remove(l, tx))?;
            let leg = rx
                .await
                .map_err(|_| MediaError::Stopped)?
                .ok_or(MediaError::UnknownLeg(l))?;
            if let Some(info) = self.legs().get_mut(&l) {
                info.worker = target;
            }
            self.send(target, Command::Add(leg))?;
        }
        Ok(target)
    }

    /// Bridges two legs: each hears the other (relayed as-is when the codecs
    /// match, transcoded otherwise).
    pub async fn bridge(&self, a: LegId, b: LegId) -> Result<()> {
        self.conference(&[a, b]).await
    }

    /// Mixes several legs: each hears all the others.
    pub async fn conference(&self, legs: &[LegId]) -> Result<()> {
        let worker = self.colocate(legs).await?;
        for &l in legs {
            let others = legs.iter().copied().filter(|o| *o != l).collect();
            self.send(worker, Command::SetMix(l, others))?;
        }
        Ok(())
    }

    /// The leg stops hearing the legs it was bridged or mixed with.
    pub fn unbridge(&self, leg: LegId) -> Result<()> {
        self.to_leg(leg, Command::SetMix(leg, Vec::new()))
    }

    /// Sends digits, `duration_ms` each: as RFC 4733 events when the peer
    /// negotiated telephone-event, else as tones in the audio.
    pub fn send_dtmf(&self, leg: LegId, digits: &str, duration_ms: u32) -> Result<()> {
        let has_te = {
            let legs = self.legs();
            let info = legs.get(&leg).ok_or(MediaError::UnknownLeg(leg))?;
            let neg = info.neg.as_ref().ok_or_else(|| {
                MediaError::Dtmf(format!(
                    "leg {leg} has no negotiated media yet; set the peer's answer first"
                ))
            })?;
            neg.telephone_event_pt.is_some()
        };
        let parsed: Vec<Digit> = digits
            .chars()
            .map(|c| Digit::parse(&c.to_string()))
            .collect::<Result<_>>()?;
        for d in parsed {
            let cmd = if has_te {
                Command::SendDtmf(leg, d, duration_ms)
            } else {
                Command::SendTones(leg, d, duration_ms)
            };
            self.to_leg(leg, cmd)?;
        }
        Ok(())
    }

    /// A digit the call model received outside the media path.
    pub fn inject_dtmf(&self, leg: LegId, digit: Digit, source: DtmfSource) -> Result<()> {
        self.to_leg(leg, Command::InjectDtmf(leg, digit, source))
    }

    /// Parses a SIP INFO body (`application/dtmf-relay` or `application/dtmf`)
    /// and injects its digit.
    pub fn inject_info(&self, leg: LegId, content_type: &str, body: &str) -> Result<Digit> {
        let d = info::parse_info_body(content_type, body)?;
        self.inject_dtmf(leg, d.digit, DtmfSource::SipInfo)?;
        Ok(d.digit)
    }

    /// Current statistics of a leg.
    pub async fn stats(&self, leg: LegId) -> Result<LegStats> {
        let (tx, rx) = oneshot::channel();
        self.to_leg(leg, Command::Stats(leg, tx))?;
        rx.await
            .map_err(|_| MediaError::Stopped)?
            .ok_or(MediaError::UnknownLeg(leg))
    }

    /// Closes a leg (a recording in progress is written) and returns its
    /// final statistics.
    pub async fn close(&self, leg: LegId) -> Result<LegStats> {
        let worker = self
            .legs()
            .remove(&leg)
            .map(|i| i.worker)
            .ok_or(MediaError::UnknownLeg(leg))?;
        let (tx, rx) = oneshot::channel();
        self.send(worker, Command::Close(leg, tx))?;
        rx.await
            .map_err(|_| MediaError::Stopped)?
            .ok_or(MediaError::UnknownLeg(leg))
    }
}
