//! One flow-driven call: the [`CallControl`] a flow drives, over the
//! caller's SIP leg (an [`AppCall`]) and its media session.
//!
//! The caller's media is anchored here: the PBX answers the caller's offer
//! with a media leg of its own, plays prompts into it, hears its DTMF
//! (RFC 4733, in-band, or SIP INFO), records it, and bridges it to the leg
//! of a dialled party. Every wait watches the caller's SIP events, so a
//! hang-up ends whatever the flow was waiting for with `error::hangup`.

use super::PromptSource;
use super::record::CallLog;
use bytes::Bytes;
use pbx_flow::bindings::Error;
use pbx_flow::bindings::call::{CallInfo, CallState, HangupCause};
use pbx_media::{LegEvent, LegId, MediaEngine};
use pbx_sip::service::{AppCall, AppEvent};
use pbx_store::Store;
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc::UnboundedReceiver;

/// How long `answer` waits for the caller's ACK before going on.
const ACK_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// What every call shares.
pub struct CallDeps {
    /// The media engine.
    pub media: MediaEngine,
    /// Prompts by name.
    pub prompts: Arc<dyn PromptSource>,
    /// The store (voicemail, recordings).
    pub store: Store,
    /// The data directory (audio files).
    pub data_dir: PathBuf,
}

/// Something that happened while the call waited.
#[derive(Debug)]
pub(super) enum Happened {
    /// A SIP event of the caller's leg.
    Sip(AppEvent),
    /// A media event of the caller's leg.
    Media(LegEvent),
    /// A media event of the dialled party's leg.
    PeerMedia(LegEvent),
    /// The deadline passed.
    Timeout,
}

/// One call as its flow sees it.
pub struct SipCall {
    pub(super) deps: Arc<CallDeps>,
    pub(super) app: AppCall,
    pub(super) info: CallInfo,
    pub(super) tenant: String,
    pub(super) state: CallState,
    pub(super) started: Instant,
    /// The caller's media leg, once answered or in early media.
    pub(super) leg: Option<LegId>,
    leg_events: Option<UnboundedReceiver<LegEvent>>,
    /// A dialled party's media leg while one is up.
    pub(super) peer: Option<(LegId, UnboundedReceiver<LegEvent>)>,
    /// Our SDP answer to the caller.
    answer: Option<Bytes>,
    /// Keys pressed and not consumed yet.
    pub(super) digits: VecDeque<char>,
    /// The caller ACKed our 200 OK.
    confirmed: bool,
    /// What goes on the call record.
    pub log: CallLog,
    /// A transfer the flow asked for, carried out after it returns.
    pub(super) handover: Option<super::dial::Handover>,
    /// The tenant's extensions and voicemail boxes at the call's start.
    pub(super) routing: Arc<pbx_store::TenantRouting>,
    /// Told when the caller is bridged and unbridged.
    pub observer: Option<Arc<dyn super::CallObserver>>,
}

impl SipCall {
    /// A call for `app`, described by `info`.
    pub fn new(
        deps: Arc<CallDeps>,
        app: AppCall,
        info: CallInfo,
        routing: Arc<pbx_store::TenantRouting>,
    ) -> SipCall {
        let tenant = routing.tenant.id.to_string();
        SipCall {
            deps,
            app,
            info,
            tenant,
            state: CallState::Ringing,
            started: Instant::now(),
            leg: None,
            leg_events: None,
            peer: None,
            answer: None,
            digits: VecDeque::new(),
            confirmed: false,
            log: CallLog::default(),
            handover: None,
            routing,
            observer: None,
        }
    }

    /// The SIP call's id in the service (logs).
    pub fn sip_id(&self) -> u64 {
        self.app.id
    }

    /// Whether the caller is gone.
    pub fn ended(&self) -> bool {
        self.state == CallState::Ended
    }

    pub(super) fn ensure_up(&self) -> Result<(), Error> {
        if self.handover.is_some() {
            Err(Error::InvalidState(
                "the call was transferred: return from handle-call".into(),
            ))
        } else if self.state == CallState::Ended {
            Err(Error::Hangup)
        } else {
            Ok(())
        }
    }

    /// The caller's media leg, creating it (answering the caller's offer)
    /// on first use.
    fn media_leg(&mut self) -> Result<LegId, Error> {
        if let Some(leg) = self.leg {
            return Ok(leg);
        }
        let offer = String::from_utf8_lossy(&self.app.offer).into_owned();
        let offer = (!offer.trim().is_empty()).then_some(offer);
        let new = self
            .deps
            .media
            .create_leg(offer.as_deref())
            .map_err(|e| Error::Unavailable(format!("no media for the call: {e}")))?;
        self.leg = Some(new.id);
        self.leg_events = Some(new.events);
        self.answer = Some(Bytes::from(new.sdp));
        Ok(new.id)
    }

    /// The caller's leg, which must exist (after answer or pre-answer).
    pub(super) fn leg(&self) -> Result<LegId, Error> {
        self.ensure_up()?;
        self.leg.ok_or_else(|| {
            Error::InvalidState("the call is ringing: answer or pre-answer it first".into())
        })
    }

    pub(super) async fn do_answer(&mut self) -> Result<(), Error> {
        self.ensure_up()?;
        if self.state == CallState::Answered {
            return Ok(());
        }
        self.media_leg()?;
        let sdp = self.answer.clone().unwrap_or_default();
        self.app.answer(sdp);
        self.state = CallState::Answered;
        self.log.answered(chrono::Utc::now());
        // Wait for the caller's ACK (its phone is then listening) so the
        // first words of a greeting are not lost; a phone whose ACK gets
        // lost still hears the flow after a short while.
        let deadline = tokio::time::Instant::now() + ACK_WAIT;
        while !self.confirmed {
            match self.next(Some(deadline)).await {
                Happened::Sip(AppEvent::Ended(_)) => return Err(Error::Hangup),
                Happened::Timeout => break,
                Happened::Media(LegEvent::Dtmf { digit, .. }) => {
                    self.digits.push_back(digit.as_char());
                }
                _ => {}
            }
        }
        Ok(())
    }

    pub(super) async fn do_pre_answer(&mut self) -> Result<(), Error> {
        self.ensure_up()?;
        match self.state {
            CallState::Ringing => {
                self.media_leg()?;
                self.app.ring(self.answer.clone());
                self.state = CallState::EarlyMedia;
                Ok(())
            }
            CallState::EarlyMedia => Ok(()),
            _ => Err(Error::InvalidState(
                "the call is already answered: early media is only before the answer".into(),
            )),
        }
    }

    /// Wait for the next event of the caller's leg (SIP or media) or of
    /// the dialled party's media, or `deadline`. SIP events that need no
    /// decision (ACK, INFO digits, re-offers) are handled here.
    pub(super) async fn next(&mut self, deadline: Option<tokio::time::Instant>) -> Happened {
        loop {
            let sleep = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            };
            let media = async {
                match self.leg_events.as_mut() {
                    Some(rx) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            let peer = async {
                match self.peer.as_mut() {
                    Some((_, rx)) => rx.recv().await,
                    None => std::future::pending().await,
                }
            };
            let happened = tokio::select! {
                e = self.app.next_event() => match e {
                    Some(e) => Happened::Sip(e),
                    None => Happened::Sip(AppEvent::Ended(pbx_sip::service::CallOutcome::CallerHungUp)),
                },
                Some(e) = media => Happened::Media(e),
                Some(e) = peer => Happened::PeerMedia(e),
                _ = sleep => Happened::Timeout,
            };
            match happened {
                Happened::Sip(AppEvent::Confirmed) => {
                    self.confirmed = true;
                    return Happened::Sip(AppEvent::Confirmed);
                }
                Happened::Sip(AppEvent::Info {
                    content_type, body, ..
                }) => {
                    if let Some(leg) = self.leg {
                        // The digit comes back as a media event.
                        let body = String::from_utf8_lossy(&body);
                        let _ = self.deps.media.inject_info(leg, &content_type, &body);
                    }
                    continue;
                }
                Happened::Sip(AppEvent::Reoffer { sdp }) => {
                    if let Some(leg) = self.leg {
                        let _ = self.deps.media.update(leg, &String::from_utf8_lossy(&sdp));
                    }
                    continue;
                }
                Happened::Sip(AppEvent::Ended(outcome)) => {
                    self.caller_gone(format!("{outcome:?}")).await;
                    return Happened::Sip(AppEvent::Ended(outcome));
                }
                Happened::Media(LegEvent::Stats(_) | LegEvent::Latched(_))
                | Happened::PeerMedia(LegEvent::Stats(_) | LegEvent::Latched(_)) => continue,
                other => return other,
            }
        }
    }

    /// The caller left: release media.
    async fn caller_gone(&mut self, why: String) {
        if self.state != CallState::Ended {
            self.state = CallState::Ended;
            self.log.set_cause(&format!("caller: {why}"));
        }
        self.release_media().await;
    }

    /// Close the media legs (statistics go to the call log).
    pub(super) async fn release_media(&mut self) {
        if let Some((peer, _)) = self.peer.take() {
            let _ = self.deps.media.close(peer).await;
        }
        if let Some(leg) = self.leg.take() {
            if let Ok(stats) = self.deps.media.close(leg).await {
                self.log.media(stats);
            }
            self.leg_events = None;
        }
    }

    /// Play prompt names; `barge_in` returns the first key pressed.
    pub(super) async fn play_names(
        &mut self,
        names: &[String],
        barge_in: bool,
    ) -> Result<Option<char>, Error> {
        let leg = self.leg()?;
        if names.is_empty() {
            return Ok(None);
        }
        let playlist = self
            .deps
            .prompts
            .playlist(&self.tenant, &self.info.language, names)
            .map_err(Error::NotFound)?;
        self.play_list(leg, &playlist, barge_in).await
    }

    /// Play `playlist` to the caller until it ends, a key interrupts it
    /// (`barge_in`) or the caller hangs up.
    pub(super) async fn play_list(
        &mut self,
        leg: LegId,
        playlist: &pbx_media::prompt::Playlist,
        barge_in: bool,
    ) -> Result<Option<char>, Error> {
        if barge_in && let Some(d) = self.digits.pop_front() {
            return Ok(Some(d));
        }
        self.digits.clear();
        let id = self
            .deps
            .media
            .play(leg, playlist, barge_in)
            .map_err(|e| Error::Unavailable(format!("cannot play: {e}")))?;
        loop {
            match self.next(None).await {
                Happened::Sip(AppEvent::Ended(_)) => return Err(Error::Hangup),
                Happened::Media(LegEvent::PlaybackFinished { play, .. }) if play == id => {
                    return Ok(None);
                }
                Happened::Media(LegEvent::Dtmf { digit, .. }) if barge_in => {
                    let _ = self.deps.media.stop(leg);
                    return Ok(Some(digit.as_char()));
                }
                Happened::Media(LegEvent::RtpTimeout) => {
                    self.hang_up_silent_caller().await;
                    return Err(Error::Hangup);
                }
                _ => {}
            }
        }
    }

    /// Wait up to `ms` for a key (one pressed earlier and not consumed
    /// comes first), the caller hanging up, or the time to pass.
    pub(super) async fn wait_key(&mut self, ms: u32) -> Result<Option<char>, Error> {
        self.ensure_up()?;
        if let Some(d) = self.digits.pop_front() {
            return Ok(Some(d));
        }
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(ms.into());
        loop {
            match self.next(Some(deadline)).await {
                Happened::Sip(AppEvent::Ended(_)) => return Err(Error::Hangup),
                Happened::Timeout => return Ok(None),
                Happened::Media(LegEvent::Dtmf { digit, .. }) => return Ok(Some(digit.as_char())),
                Happened::Media(LegEvent::RtpTimeout) => {
                    self.hang_up_silent_caller().await;
                    return Err(Error::Hangup);
                }
                _ => {}
            }
        }
    }

    /// The caller's RTP stopped for the media timeout: treat it as gone.
    async fn hang_up_silent_caller(&mut self) {
        tracing::info!("no RTP from the caller: hanging up");
        self.app.hangup();
        self.caller_gone("rtp-timeout".into()).await;
    }

    pub(super) async fn do_hangup(&mut self, cause: HangupCause) -> Result<(), Error> {
        self.ensure_up()?;
        if let Some((peer, _)) = self.peer.take() {
            self.app.drop_dial();
            let _ = self.deps.media.close(peer).await;
        }
        if self.state == CallState::Answered {
            self.app.hangup();
        } else {
            let status = match cause {
                HangupCause::Normal | HangupCause::Unavailable => 480,
                HangupCause::Busy => 486,
                HangupCause::Rejected => 603,
                HangupCause::NotFound => 404,
                HangupCause::Congestion => 503,
            };
            self.app.reject(status);
        }
        self.state = CallState::Ended;
        self.log.set_cause(&format!("flow: {cause:?}"));
        self.release_media().await;
        Ok(())
    }

    /// Hang up whatever the state, for the end of the call.
    pub async fn finish(&mut self) {
        if self.state != CallState::Ended {
            let _ = self.do_hangup(HangupCause::Normal).await;
        }
        self.release_media().await;
    }
}
