//! Voicemail deposits and recordings of the caller: the greeting and beep,
//! the recording itself, and the stored file (under the data directory,
//! named by its SHA-256) with its row in the store.

use super::session::{Happened, SipCall};
use super::tones;
use chrono::Utc;
use pbx_flow::bindings::Error;
use pbx_flow::bindings::call::{
    CallState, RecordEnd, RecordOptions, Recording, VoicemailGreeting, VoicemailOutcome,
};
use pbx_media::LegEvent;
use pbx_media::dtmf::Digit;
use pbx_media::engine::{RecordStop, SilenceDetection};
use pbx_sip::service::AppEvent;
use pbx_store::{RecordingId, VoicemailId};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Longest voicemail message.
const VOICEMAIL_MAX: Duration = Duration::from_secs(180);
/// A voicemail message ends after this much silence.
const VOICEMAIL_SILENCE: Duration = Duration::from_secs(6);
/// Shorter messages count as nothing left.
const MIN_MESSAGE: Duration = Duration::from_millis(1000);
/// RMS level below which a frame is silence.
const SILENCE_LEVEL: u16 = 250;

/// A finished recording before it is stored.
struct Take {
    path: PathBuf,
    duration: Duration,
    ended_by: RecordEnd,
}

/// Where audio files live: `<data_dir>/audio/<sha256>.wav`.
pub fn audio_path(data_dir: &Path, sha256: &str) -> PathBuf {
    data_dir.join("audio").join(format!("{sha256}.wav"))
}

impl SipCall {
    /// Record the caller into a temporary file until a stop condition.
    async fn take(
        &mut self,
        max: Duration,
        silence: Option<Duration>,
        stop_keys: &str,
        beep: bool,
    ) -> Result<Take, Error> {
        if beep {
            let leg = self.leg()?;
            self.play_list(leg, &tones::beep(), false).await?;
        }
        let leg = self.leg()?;
        let dir = self.deps.data_dir.join("audio");
        tokio::fs::create_dir_all(&dir)
            .await
            .map_err(|e| Error::Unavailable(format!("cannot write audio files: {e}")))?;
        let path = dir.join(format!("tmp-{}.wav", uuid::Uuid::new_v4()));
        let options = pbx_media::RecordOptions {
            path: path.clone(),
            stereo: false,
            max_duration: max,
            silence: silence.map(|after| SilenceDetection {
                threshold: SILENCE_LEVEL,
                after,
            }),
            stop_digits: stop_keys.chars().filter_map(Digit::from_char).collect(),
        };
        self.deps
            .media
            .record(leg, options)
            .map_err(|e| Error::Unavailable(format!("cannot record: {e}")))?;
        loop {
            match self.next(None).await {
                Happened::Media(LegEvent::RecordingFinished {
                    path,
                    duration,
                    reason,
                    error,
                }) => {
                    if let Some(e) = error {
                        return Err(Error::Unavailable(format!("recording failed: {e}")));
                    }
                    let ended_by = match reason {
                        RecordStop::MaxDuration => RecordEnd::MaxDuration,
                        RecordStop::Silence => RecordEnd::Silence,
                        RecordStop::Digit(d) => RecordEnd::Key(d.as_char()),
                        RecordStop::Stopped | RecordStop::LegClosed => RecordEnd::Hangup,
                    };
                    return Ok(Take {
                        path,
                        duration,
                        ended_by,
                    });
                }
                Happened::Sip(AppEvent::Ended(_)) => {
                    // Closing the leg wrote what was recorded.
                    let duration = wait_for_file(&path).await;
                    return Ok(Take {
                        path,
                        duration,
                        ended_by: RecordEnd::Hangup,
                    });
                }
                _ => {}
            }
        }
    }

    pub(super) async fn deposit_voicemail(
        &mut self,
        mailbox: String,
        greeting: VoicemailGreeting,
    ) -> Result<VoicemailOutcome, Error> {
        self.ensure_up()?;
        let Some(extension) = self.routing.extension(&mailbox).cloned() else {
            return Err(Error::NotFound(format!("voicemail box `{mailbox}`")));
        };
        if self.state != CallState::Answered {
            self.do_answer().await?;
        }
        let prompt = match greeting {
            VoicemailGreeting::Unavailable => Some("vm-unavailable"),
            VoicemailGreeting::Busy => Some("vm-busy"),
            VoicemailGreeting::None => None,
        };
        if let Some(p) = prompt {
            self.play_names(&[p.to_string()], false).await?;
        }
        let take = self
            .take(VOICEMAIL_MAX, Some(VOICEMAIL_SILENCE), "#", true)
            .await?;
        if take.duration < MIN_MESSAGE {
            let _ = tokio::fs::remove_file(&take.path).await;
            return Ok(VoicemailOutcome::NothingLeft);
        }
        let (sha256, size) = store_file(&self.deps.data_dir, &take.path).await?;
        let message = pbx_store::repo::voicemail::VoicemailMessage {
            id: VoicemailId::new(),
            tenant_id: self.routing.tenant.id,
            extension_id: extension.id,
            call_id: Some(self.info.call_id.clone()),
            caller: self.info.caller_number.clone(),
            caller_name: self.info.caller_name.clone(),
            received_at: Utc::now(),
            duration_ms: take.duration.as_millis() as i64,
            sha256,
            size,
            heard: false,
        };
        self.deps
            .store
            .insert_voicemail(&message)
            .await
            .map_err(super::tenant::store_error)?;
        self.log.voicemail_left = true;
        tracing::info!(mailbox = %mailbox, ms = message.duration_ms, "voicemail left");
        if !self.ended() {
            let _ = self.play_names(&["vm-saved".to_string()], false).await;
        }
        Ok(VoicemailOutcome::Left(message.duration_ms as u32))
    }

    pub(super) async fn record_caller(&mut self, o: RecordOptions) -> Result<Recording, Error> {
        if !(1000..=3_600_000).contains(&o.max_duration_ms) {
            return Err(Error::InvalidArgument(format!(
                "max-duration-ms is {}; use 1000 to 3600000",
                o.max_duration_ms
            )));
        }
        if self.state != CallState::Answered {
            self.ensure_up()?;
            return Err(Error::InvalidState(
                "record-message needs an answered call".into(),
            ));
        }
        let take = self
            .take(
                Duration::from_millis(o.max_duration_ms.into()),
                o.silence_timeout_ms
                    .map(|ms| Duration::from_millis(ms.into())),
                &o.stop_keys,
                o.beep,
            )
            .await?;
        let (sha256, size) = store_file(&self.deps.data_dir, &take.path).await?;
        let recording = pbx_store::Recording {
            id: RecordingId::new(),
            tenant_id: self.routing.tenant.id,
            call_id: self.info.call_id.clone(),
            started_at: Utc::now() - chrono::Duration::from_std(take.duration).unwrap_or_default(),
            duration_ms: take.duration.as_millis() as i64,
            sha256,
            size,
            label: None,
        };
        self.deps
            .store
            .insert_recording(&recording)
            .await
            .map_err(super::tenant::store_error)?;
        Ok(Recording {
            id: recording.id.to_string(),
            duration_ms: recording.duration_ms as u32,
            ended_by: take.ended_by,
        })
    }
}

/// Wait (briefly) for the recorder to write `path` after the leg closed;
/// its length, zero if nothing came.
async fn wait_for_file(path: &Path) -> Duration {
    for _ in 0..40 {
        if let Ok((pcm, rate)) = pbx_media::prompt::wav::read_mono(path)
            && rate > 0
        {
            return Duration::from_millis(pcm.len() as u64 * 1000 / u64::from(rate));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Duration::ZERO
}

/// Move a finished recording to its content-addressed name.
async fn store_file(data_dir: &Path, tmp: &Path) -> Result<(String, i64), Error> {
    let fail = |e: std::io::Error| Error::Unavailable(format!("cannot store the recording: {e}"));
    let bytes = tokio::fs::read(tmp).await.map_err(fail)?;
    let sha256 = hex::encode(Sha256::digest(&bytes));
    let dest = audio_path(data_dir, &sha256);
    tokio::fs::rename(tmp, &dest).await.map_err(fail)?;
    Ok((sha256, bytes.len() as i64))
}
