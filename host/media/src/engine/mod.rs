//! The media engine: a handle the call model drives from tokio, and a few
//! worker threads that own the legs and share one 20 ms clock.
//!
//! Every method is cheap and non-blocking except the few `async` ones that
//! wait for a worker's reply (at most one tick). Events come back on the
//! per-leg channel returned by [`MediaEngine::create_leg`].

mod command;
mod config;
mod control;
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
use std::time::Instant;

use tokio::sync::mpsc as tmpsc;

use crate::error::{MediaError, Result};
use crate::prompt::moh::MohClass;
use crate::rtp::ports::PortAllocator;
use crate::sdp::{self, Direction, LocalMedia, Negotiated, SessionDescription};
use command::Command;
pub use events::{LegEvent, LegId, LegStats, PlayId, RecordOptions, RecordStop, SilenceDetection};
pub use worker::{LATE, TICK};

pub use config::{EngineConfig, InbandDtmf, NewLeg, WorkerStats};

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
