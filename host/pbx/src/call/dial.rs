//! `dial` and `transfer`: ringing extensions for a flow and bridging the
//! caller to the one that answers, with ringback meanwhile.

use super::session::{Happened, SipCall};
use super::tones;
use bytes::Bytes;
use chrono::Utc;
use pbx_flow::bindings::Error;
use pbx_flow::bindings::call::{
    AnsweredCall, CallState, DialOptions, DialOutcome, DialTarget, HangupSide, RingStrategy,
    TransferTarget,
};
use pbx_media::LegEvent;
use pbx_sip::service::{AppEvent, DialRequest};
use pbx_store::{CallLeg, Outcome};
use std::time::Duration;

/// Ring time of a transfer to an extension.
const TRANSFER_RING: Duration = Duration::from_secs(30);

/// Where a transferred call goes once its flow has returned.
#[derive(Debug, Clone, PartialEq)]
pub enum Handover {
    /// Ring this extension; if nobody answers, its voicemail.
    Extension(String),
    /// Straight to this voicemail box.
    Voicemail(String),
}

/// The outcome of a dial that failed with SIP `status` after ringing
/// (`rang`) or not.
fn failure(status: u16, rang: bool) -> DialOutcome {
    match status {
        486 | 600 => DialOutcome::Busy,
        603 => DialOutcome::Rejected,
        404 | 410 | 484 | 503 => DialOutcome::Unavailable,
        480 if !rang => DialOutcome::Unavailable,
        480 | 408 | 487 => DialOutcome::NoAnswer,
        other => DialOutcome::Failed(format!("the dialled party answered SIP {other}")),
    }
}

fn outcome_of(o: &DialOutcome) -> Outcome {
    match o {
        DialOutcome::Answered(_) => Outcome::Answered,
        DialOutcome::Busy => Outcome::Busy,
        DialOutcome::NoAnswer => Outcome::NoAnswer,
        DialOutcome::Unavailable => Outcome::Unavailable,
        DialOutcome::Rejected => Outcome::Rejected,
        DialOutcome::Failed(_) => Outcome::Failed,
    }
}

impl SipCall {
    pub(super) async fn dial_targets(&mut self, o: DialOptions) -> Result<DialOutcome, Error> {
        self.ensure_up()?;
        if o.targets.is_empty() {
            return Err(Error::InvalidArgument(
                "dial needs at least one target".into(),
            ));
        }
        if !(1000..=600_000).contains(&o.ring_timeout_ms) {
            return Err(Error::InvalidArgument(format!(
                "ring-timeout-ms is {}; use 1000 to 600000",
                o.ring_timeout_ms
            )));
        }
        let mut users = Vec::new();
        for t in &o.targets {
            match t {
                DialTarget::Extension(n) => users.push(n.clone()),
                DialTarget::External(n) => {
                    return Ok(DialOutcome::Failed(format!(
                        "external number {n}: flows cannot dial external numbers on this PBX yet"
                    )));
                }
            }
        }
        if self.state == CallState::Ringing {
            self.do_answer().await?;
        }
        let caller_id = o.caller_id.map(|c| (c.number, c.name));
        let timeout = Duration::from_millis(o.ring_timeout_ms.into());
        let groups: Vec<Vec<String>> = match o.strategy {
            RingStrategy::Simultaneous => vec![users],
            RingStrategy::Sequential => users.into_iter().map(|u| vec![u]).collect(),
        };
        let mut last = DialOutcome::Unavailable;
        let mut all_busy = true;
        for group in groups {
            let outcome = self.ring_group(group, timeout, caller_id.clone()).await?;
            if matches!(outcome, DialOutcome::Answered(_)) {
                return Ok(outcome);
            }
            all_busy &= outcome == DialOutcome::Busy;
            last = outcome;
        }
        Ok(if all_busy { DialOutcome::Busy } else { last })
    }

    /// Ring `users` at once for up to `timeout`; bridge the one that
    /// answers until either side hangs up.
    async fn ring_group(
        &mut self,
        users: Vec<String>,
        timeout: Duration,
        caller_id: Option<(String, Option<String>)>,
    ) -> Result<DialOutcome, Error> {
        let leg = self.leg()?;
        let target = users.join(",");
        let started_at = Utc::now();
        let peer =
            self.deps.media.create_leg(None).map_err(|e| {
                Error::Unavailable(format!("no media port for the dialled leg: {e}"))
            })?;
        let peer_id = peer.id;
        self.peer = Some((peer.id, peer.events));
        self.app.dial(DialRequest {
            users: users.clone(),
            caller_id,
            offer: Bytes::from(peer.sdp),
        });
        let ringback = tones::ringback();
        let mut playing = self.deps.media.play(leg, &ringback, false).ok();
        let deadline = tokio::time::Instant::now() + timeout;
        let mut rang = false;
        // Whether the caller hears the dialled party's early media.
        let mut early = false;
        let outcome = loop {
            match self.next(Some(deadline)).await {
                Happened::Sip(AppEvent::Ended(_)) => {
                    self.log.leg(CallLeg {
                        target,
                        started_at,
                        answered_at: None,
                        ended_at: Utc::now(),
                        outcome: Outcome::Abandoned,
                    });
                    return Err(Error::Hangup);
                }
                Happened::Sip(AppEvent::DialRinging { early_media, .. }) => {
                    rang = true;
                    // The dialled party's own early media (its ringback,
                    // an announcement) replaces ours.
                    if let Some(sdp) = early_media
                        && !early
                        && self
                            .deps
                            .media
                            .set_answer(peer_id, &String::from_utf8_lossy(&sdp))
                            .is_ok()
                    {
                        let _ = self.deps.media.stop(leg);
                        playing = None;
                        early = self.deps.media.bridge(leg, peer_id).await.is_ok();
                    }
                }
                Happened::Sip(AppEvent::DialFailed { status }) => break failure(status, rang),
                Happened::Sip(AppEvent::DialAnswered { user, sdp }) => {
                    let _ = self.deps.media.stop(leg);
                    return self.talk(leg, peer_id, user, sdp, started_at).await;
                }
                Happened::Media(LegEvent::PlaybackFinished { play, .. })
                    if Some(play) == playing =>
                {
                    playing = self.deps.media.play(leg, &ringback, false).ok();
                }
                Happened::Timeout => {
                    self.app.drop_dial();
                    break DialOutcome::NoAnswer;
                }
                _ => {}
            }
        };
        let _ = self.deps.media.stop(leg);
        if early {
            let _ = self.deps.media.unbridge(leg);
        }
        if let Some((peer, _)) = self.peer.take() {
            let _ = self.deps.media.close(peer).await;
        }
        self.log.leg(CallLeg {
            target,
            started_at,
            answered_at: None,
            ended_at: Utc::now(),
            outcome: outcome_of(&outcome),
        });
        Ok(outcome)
    }

    /// The dialled `user` answered with `sdp`: bridge until someone hangs up.
    async fn talk(
        &mut self,
        leg: pbx_media::LegId,
        peer: pbx_media::LegId,
        user: String,
        sdp: Bytes,
        started_at: chrono::DateTime<Utc>,
    ) -> Result<DialOutcome, Error> {
        let answered_at = Utc::now();
        let media = &self.deps.media;
        if let Err(e) = media.set_answer(peer, &String::from_utf8_lossy(&sdp)) {
            tracing::warn!(error = %e, "the dialled party's SDP is not usable");
        }
        if let Err(e) = media.bridge(leg, peer).await {
            tracing::warn!(error = %e, "bridge failed");
        }
        if self.state == CallState::EarlyMedia {
            self.do_answer().await?;
        }
        tracing::info!(%user, "bridged");
        if let Some(o) = &self.observer {
            o.call_bridged(&self.info.call_id, Some(&user));
        }
        let talk_start = std::time::Instant::now();
        let ended_by = loop {
            match self.next(None).await {
                Happened::Sip(AppEvent::Ended(_)) => break HangupSide::Caller,
                Happened::Sip(AppEvent::DialHungUp) => break HangupSide::Callee,
                Happened::PeerMedia(LegEvent::RtpTimeout) => {
                    self.app.drop_dial();
                    break HangupSide::Callee;
                }
                _ => {}
            }
        };
        if let Some(leg) = self.leg {
            let _ = self.deps.media.unbridge(leg);
        }
        if let Some(o) = &self.observer {
            o.call_bridged(&self.info.call_id, None);
        }
        if let Some((peer, _)) = self.peer.take() {
            let _ = self.deps.media.close(peer).await;
        }
        self.log.leg(CallLeg {
            target: user.clone(),
            started_at,
            answered_at: Some(answered_at),
            ended_at: Utc::now(),
            outcome: Outcome::Answered,
        });
        Ok(DialOutcome::Answered(AnsweredCall {
            target: DialTarget::Extension(user),
            talk_ms: talk_start.elapsed().as_millis().min(u32::MAX as u128) as u32,
            ended_by,
        }))
    }

    pub(super) async fn transfer_to(&mut self, target: TransferTarget) -> Result<(), Error> {
        self.ensure_up()?;
        let handover = match target {
            TransferTarget::Extension(n) => Handover::Extension(n),
            TransferTarget::Voicemail(b) => Handover::Voicemail(b),
            TransferTarget::Queue(q) => {
                return Err(Error::Unavailable(format!(
                    "queue `{q}`: queues are not available on this PBX yet"
                )));
            }
            TransferTarget::External(n) => {
                return Err(Error::Unavailable(format!(
                    "external number {n}: flows cannot reach external numbers on this PBX yet"
                )));
            }
        };
        self.handover = Some(handover);
        Ok(())
    }

    /// Carry out a transfer the flow asked for, after the flow returned.
    pub async fn complete_handover(&mut self) {
        let Some(handover) = self.handover.take() else {
            return;
        };
        if self.ended() {
            return;
        }
        let box_number = match handover {
            Handover::Voicemail(b) => b,
            Handover::Extension(n) => {
                let dial = DialOptions {
                    targets: vec![DialTarget::Extension(n.clone())],
                    strategy: RingStrategy::Simultaneous,
                    ring_timeout_ms: TRANSFER_RING.as_millis() as u32,
                    caller_id: None,
                };
                match self.dial_targets(dial).await {
                    Ok(DialOutcome::Answered(_)) | Err(_) => return,
                    Ok(_) => n,
                }
            }
        };
        let greeting = pbx_flow::bindings::call::VoicemailGreeting::Unavailable;
        let _ = self.deposit_voicemail(box_number, greeting).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sip_failures_map_to_typed_outcomes() {
        assert_eq!(failure(486, true), DialOutcome::Busy);
        assert_eq!(failure(603, true), DialOutcome::Rejected);
        assert_eq!(failure(480, false), DialOutcome::Unavailable);
        assert_eq!(failure(480, true), DialOutcome::NoAnswer);
        assert_eq!(failure(404, false), DialOutcome::Unavailable);
        assert!(matches!(failure(500, true), DialOutcome::Failed(_)));
    }
}
