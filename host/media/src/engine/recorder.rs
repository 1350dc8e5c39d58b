//! Recording a leg to WAV: samples gathered in the worker (a vector that
//! grows once per second of audio, not per packet), the file written by a
//! writer thread so that disk latency never delays a tick.

use std::sync::mpsc;
use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;

use super::events::{LegEvent, RecordOptions, RecordStop};
use crate::dtmf::Digit;
use crate::prompt::wav;

/// A recording in progress.
pub struct Recorder {
    opts: RecordOptions,
    rate: u32,
    /// Interleaved when stereo.
    samples: Vec<i16>,
    max_frames: u64,
    frames: u64,
    silent_frames: u64,
    silence_frames_limit: u64,
}

fn rms(x: &[i16]) -> f64 {
    if x.is_empty() {
        return 0.0;
    }
    (x.iter().map(|&v| v as f64 * v as f64).sum::<f64>() / x.len() as f64).sqrt()
}

fn frames_of(d: Duration) -> u64 {
    (d.as_millis() / 20) as u64
}

impl Recorder {
    /// Starts a recording at `rate` Hz.
    pub fn new(opts: RecordOptions, rate: u32) -> Self {
        let channels = if opts.stereo { 2 } else { 1 };
        Recorder {
            max_frames: frames_of(opts.max_duration).max(1),
            silence_frames_limit: opts.silence.map(|s| frames_of(s.after).max(1)).unwrap_or(0),
            samples: Vec::with_capacity(rate as usize * channels),
            opts,
            rate,
            frames: 0,
            silent_frames: 0,
        }
    }

    /// Adds one 20 ms frame: what the peer said and what it heard (either
    /// may be shorter than a frame; the rest is silence). Returns why the
    /// recording must stop, if it must.
    pub fn push(&mut self, inbound: &[i16], outbound: &[i16]) -> Option<RecordStop> {
        let n = (self.rate / 50) as usize;
        if self.opts.stereo {
            for i in 0..n {
                self.samples.push(inbound.get(i).copied().unwrap_or(0));
                self.samples.push(outbound.get(i).copied().unwrap_or(0));
            }
        } else {
            self.samples
                .extend((0..n).map(|i| inbound.get(i).copied().unwrap_or(0)));
        }
        self.frames += 1;
        if let Some(s) = self.opts.silence {
            if rms(inbound) < s.threshold as f64 {
                self.silent_frames += 1;
                if self.silent_frames >= self.silence_frames_limit {
                    return Some(RecordStop::Silence);
                }
            } else {
                self.silent_frames = 0;
            }
        }
        (self.frames >= self.max_frames).then_some(RecordStop::MaxDuration)
    }

    /// Whether `digit` stops this recording.
    pub fn stops_on(&self, digit: Digit) -> bool {
        self.opts.stop_digits.contains(&digit)
    }

    /// Hands the recording to the writer thread.
    pub fn finish(
        mut self,
        reason: RecordStop,
        writer: &mpsc::Sender<WriteJob>,
        events: UnboundedSender<LegEvent>,
    ) {
        let channels: usize = if self.opts.stereo { 2 } else { 1 };
        if reason == RecordStop::Silence {
            let keep =
                (self.frames - self.silent_frames) as usize * (self.rate as usize / 50) * channels;
            self.samples.truncate(keep);
        }
        let job = WriteJob {
            path: self.opts.path,
            samples: self.samples,
            rate: self.rate,
            channels: channels as u16,
            reason,
            events,
        };
        if let Err(mpsc::SendError(job)) = writer.send(job) {
            // Writer gone (engine shutting down): write here rather than lose it.
            job.run();
        }
    }
}

/// A finished recording on its way to disk.
pub struct WriteJob {
    path: std::path::PathBuf,
    samples: Vec<i16>,
    rate: u32,
    channels: u16,
    reason: RecordStop,
    events: UnboundedSender<LegEvent>,
}

impl WriteJob {
    /// Writes the file and reports the result on the leg's channel.
    pub fn run(self) {
        let result = wav::write(&self.path, &self.samples, self.rate, self.channels);
        let frames = self.samples.len() as u64 / self.channels as u64;
        let _ = self.events.send(LegEvent::RecordingFinished {
            path: self.path,
            duration: Duration::from_millis(frames * 1000 / self.rate as u64),
            reason: self.reason,
            error: result.err().map(|e| e.to_string()),
        });
    }
}

/// Starts the writer thread; it ends when every sender is dropped.
pub fn spawn_writer() -> std::io::Result<mpsc::Sender<WriteJob>> {
    let (tx, rx) = mpsc::channel::<WriteJob>();
    std::thread::Builder::new()
        .name("media-recorder".into())
        .spawn(move || {
            for job in rx {
                job.run();
            }
        })?;
    Ok(tx)
}
