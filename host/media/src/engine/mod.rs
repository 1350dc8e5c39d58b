//! The media engine: a handle the call model drives from tokio, and a few
//! worker threads that own the legs and share one 20 ms clock.
//!
//! Every method is cheap and non-blocking except the few `async` ones that
//! wait for a worker's reply (at most one tick). Events come back on the
//! per-leg channel returned by [`MediaEngine::create_leg`].

mod command;
pub mod events;
mod jitter;
mod leg;
mod output;
pub mod priority;
mod receive;
mod recorder;
mod worker;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use tokio::sync::{mpsc as tmpsc, oneshot};

use crate::codec::Codec;
use crate::dtmf::{Digit, DtmfSource, info};
use crate::error::{MediaError, Result};
use crate::prompt::Playlist;
use crate::prompt::moh::MohClass;
use crate::rtp::ports::PortAllocator;
use crate::sdp::{self, Direction, LocalMedia, Negotiated, SessionDescription};
use command::Command;
pub use events::{LegEvent, LegId, LegStats, PlayId, RecordOptions, RecordStop, SilenceDetection};
pub use worker::{LATE, TICK};

/// When in-band (tone) DTMF detection runs on a G.711 leg.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum InbandDtmf {
    /// Only when the peer did not negotiate telephone-event.
    #[default]
    Auto,
    /// Always (duplicates of RFC 4733 digits are collapsed).
    Always,
    /// Never.
    Never,
}

/// Engine configuration.
#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Address RTP sockets bind to.
    pub bind: IpAddr,
    /// Address written in SDP (defaults to `bind`; required when `bind` is a wildcard).
    pub advertise: Option<IpAddr>,
    /// First RTP port of the range.
    pub port_min: u16,
    /// Last RTP port of the range.
    pub port_max: u16,
    /// Worker threads (one per core available to media is the usual choice).
    pub workers: usize,
    /// Codecs served, in order of preference.
    pub codecs: Vec<Codec>,
    /// Offer and accept RFC 4733 telephone-event.
    pub telephone_event: bool,
    /// In-band DTMF policy.
    pub inband_dtmf: InbandDtmf,
    /// Report [`LegEvent::RtpTimeout`] after this long without RTP.
    pub rtp_timeout: Duration,
    /// Run workers with real-time priority when allowed (see [`priority`]).
    pub realtime: bool,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            bind: IpAddr::from([127, 0, 0, 1]),
            advertise: None,
            port_min: 20000,
            port_max: 29999,
            workers: 2,
            codecs: Codec::ALL.to_vec(),
            telephone_event: true,
            inband_dtmf: InbandDtmf::Auto,
            rtp_timeout: Duration::from_secs(30),
            realtime: true,
        }
    }
}

/// A new leg: its id, the SDP to send (an answer, or our offer), its events.
#[derive(Debug)]
pub struct NewLeg {
    /// The leg's id.
    pub id: LegId,
    /// SDP for the peer.
    pub sdp: String,
    /// The leg's events.
    pub events: tmpsc::UnboundedReceiver<LegEvent>,
}

/// Counters of one worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerStats {
    /// Ticks run.
    pub ticks: u64,
    /// RTP packets sent.
    pub packets: u64,
    /// Packets sent more than [`LATE`] after their slot.
    pub late_packets: u64,
    /// Worst lateness, microseconds.
    pub max_late_us: u64,
    /// Legs owned.
    pub legs: u64,
}

struct LegInfo {
    worker: usize,
    local: LocalMedia,
    neg: Option<Negotiated>,
}

struct WorkerHandle {
    tx: mpsc::Sender<Command>,
    counters: Arc<worker::Counters>,
}

struct Inner {
    config: EngineConfig,
    address: IpAddr,
    ports: PortAllocator,
    workers: Vec<WorkerHandle>,
    /// A std Mutex: held for map look-ups only, never across an await.
    legs: Mutex<HashMap<LegId, LegInfo>>,
    moh: Mutex<HashMap<String, Arc<MohClass>>>,
    next_leg: AtomicU64,
    next_play: AtomicU64,
    next_worker: AtomicUsize,
}

/// The engine handle: cheap to clone, shared by every call.
#[derive(Clone)]
pub struct MediaEngine {
    inner: Arc<Inner>,
}

impl MediaEngine {
    /// Starts the workers and the recording writer.
    pub fn start(config: EngineConfig) -> Result<MediaEngine> {
        if config.workers == 0 || config.workers > 64 {
            return Err(MediaError::Config(format!(
                "{} media workers; use 1 to 64 (one per core given to media)",
                config.workers
            )));
        }
        if config.codecs.is_empty() {
            return Err(MediaError::Config(
                "no codec enabled; enable at least PCMU".into(),
            ));
        }
        let address = match config.advertise {
            Some(a) => a,
            None if config.bind.is_unspecified() => {
                return Err(MediaError::Config(
                    "bind is a wildcard address; set advertise to the address peers should send RTP to".into(),
                ));
            }
            None => config.bind,
        };
        let ports = PortAllocator::new(config.bind, config.port_min, config.port_max)?;
        let writer = recorder::spawn_writer()?;
        let epoch = Instant::now();
        let settings = worker::Settings {
            inband: config.inband_dtmf,
            rtp_timeout: config.rtp_timeout,
            realtime: config.realtime,
        };
        let mut workers = Vec::with_capacity(config.workers);
        for n in 0..config.workers {
            let (tx, rx) = mpsc::channel();
            let counters = Arc::new(worker::Counters::default());
            let w = worker::Worker::new(epoch, settings, writer.clone(), counters.clone());
            std::thread::Builder::new()
                .name(format!("media-worker-{n}"))
                .spawn(move || w.run(rx))?;
            workers.push(WorkerHandle { tx, counters });
        }
        Ok(MediaEngine {
            inner: Arc::new(Inner {
                config,
                address,
                ports,
                workers,
                legs: Mutex::new(HashMap::new()),
                moh: Mutex::new(HashMap::new()),
                next_leg: AtomicU64::new(1),
                next_play: AtomicU64::new(1),
                next_worker: AtomicUsize::new(0),
            }),
        })
    }

    fn legs(&self) -> std::sync::MutexGuard<'_, HashMap<LegId, LegInfo>> {
        self.inner.legs.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn send(&self, worker: usize, cmd: Command) -> Result<()> {
        self.inner.workers[worker]
            .tx
            .send(cmd)
            .map_err(|_| MediaError::Stopped)
    }

    fn worker_of(&self, leg: LegId) -> Result<usize> {
        self.legs()
            .get(&leg)
            .map(|l| l.worker)
            .ok_or(MediaError::UnknownLeg(leg))
    }

    fn to_leg(&self, leg: LegId, cmd: Command) -> Result<()> {
        let w = self.worker_of(leg)?;
        self.send(w, cmd)
    }

    /// Creates a leg. With an offer, answers it (an error says why an offer
    /// cannot be served); without one, makes our offer, to be completed by
    /// [`MediaEngine::set_answer`].
    pub fn create_leg(&self, offer: Option<&str>) -> Result<NewLeg> {
        let id = self.inner.next_leg.fetch_add(1, Ordering::Relaxed);
        let offer = offer.map(SessionDescription::parse).transpose()?;
        let (rtp, rtcp) = self.inner.ports.allocate()?;
        let port = rtp.local_addr()?.port();
        let local = LocalMedia {
            address: self.inner.address,
            port,
            codecs: self.inner.config.codecs.clone(),
            telephone_event: self.inner.config.telephone_event,
            session_id: fastrand::u64(1..u64::MAX / 2),
            session_version: 1,
            direction: Direction::SendRecv,
        };
        let (sdp, neg) = match &offer {
            Some(o) => {
                let (answer, neg) = sdp::answer_offer(o, &local)?;
                (answer.to_string(), Some(neg))
            }
            None => (sdp::build_offer(&local).to_string(), None),
        };
        let (tx, rx) = tmpsc::unbounded_channel();
        let mut leg = leg::Leg::new(id, rtp, rtcp, tx);
        if let Some(n) = &neg {
            leg.apply(n.clone(), self.inner.config.inband_dtmf)?;
        }
        let n = self.inner.workers.len();
        let worker = self.inner.next_worker.fetch_add(1, Ordering::Relaxed) % n;
        self.legs().insert(id, LegInfo { worker, local, neg });
        self.send(worker, Command::Add(Box::new(leg)))?;
        Ok(NewLeg {
            id,
            sdp,
            events: rx,
        })
    }

    /// Completes a leg created without an offer with the peer's answer.
    pub fn set_answer(&self, leg: LegId, answer: &str) -> Result<()> {
        let answer = SessionDescription::parse(answer)?;
        let (worker, neg) = {
            let mut legs = self.legs();
            let info = legs.get_mut(&leg).ok_or(MediaError::UnknownLeg(leg))?;
            let neg = sdp::accept_answer(&info.local, &answer)?;
            info.neg = Some(neg.clone());
            (info.worker, neg)
        };
        self.send(worker, Command::Update(leg, neg))
    }

    /// Answers a new offer on an existing leg (re-INVITE: hold, resume,
    /// transfer to a new far end). Our RTP stream continues unbroken.
    pub fn update(&self, leg: LegId, offer: &str) -> Result<String> {
        let offer = SessionDescription::parse(offer)?;
        let (worker, neg, answer) = {
            let mut legs = self.legs();
            let info = legs.get_mut(&leg).ok_or(MediaError::UnknownLeg(leg))?;
            info.local.session_version += 1;
            let (answer, neg) = sdp::answer_offer(&offer, &info.local)?;
            info.neg = Some(neg.clone());
            (info.worker, neg, answer.to_string())
        };
        self.send(worker, Command::Update(leg, neg))?;
        Ok(answer)
    }

    /// A new offer from us with `direction` (sendonly to put the peer on
    /// hold, sendrecv to resume); complete it with [`MediaEngine::set_answer`].
    pub fn reoffer(&self, leg: LegId, direction: Direction) -> Result<String> {
        let mut legs = self.legs();
        let info = legs.get_mut(&leg).ok_or(MediaError::UnknownLeg(leg))?;
        info.local.session_version += 1;
        info.local.direction = direction;
        Ok(sdp::build_offer(&info.local).to_string())
    }

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

    /// Sends digits as RFC 4733 events, `duration_ms` each.
    pub fn send_dtmf(&self, leg: LegId, digits: &str, duration_ms: u32) -> Result<()> {
        let has_te = {
            let legs = self.legs();
            let info = legs.get(&leg).ok_or(MediaError::UnknownLeg(leg))?;
            info.neg
                .as_ref()
                .is_some_and(|n| n.telephone_event_pt.is_some())
        };
        if !has_te {
            return Err(MediaError::Dtmf(format!(
                "leg {leg} did not negotiate telephone-event; send the digits by SIP INFO instead"
            )));
        }
        let parsed: Vec<Digit> = digits
            .chars()
            .map(|c| Digit::parse(&c.to_string()))
            .collect::<Result<_>>()?;
        for d in parsed {
            self.to_leg(leg, Command::SendDtmf(leg, d, duration_ms))?;
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

    /// Clears the workers' worst-lateness figures (to measure a window).
    pub fn reset_worker_peaks(&self) {
        for w in &self.inner.workers {
            w.counters.max_late_us.store(0, Ordering::Relaxed);
        }
    }

    /// Counters of every worker.
    pub fn worker_stats(&self) -> Vec<WorkerStats> {
        self.inner
            .workers
            .iter()
            .map(|w| {
                let c = &w.counters;
                WorkerStats {
                    ticks: c.ticks.load(Ordering::Relaxed),
                    packets: c.packets.load(Ordering::Relaxed),
                    late_packets: c.late_packets.load(Ordering::Relaxed),
                    max_late_us: c.max_late_us.load(Ordering::Relaxed),
                    legs: c.legs.load(Ordering::Relaxed),
                }
            })
            .collect()
    }
}
