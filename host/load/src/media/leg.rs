//! One RTP leg of a load call: a UDP socket, bound before the SDP is
//! written, then started against the peer's address with a [`MediaPlan`]
//! and stopped for its [`MediaStats`]. Sending is done by the shared
//! pacers ([`super::pacer`]); receiving by one small task per leg.

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use super::codec::Codec;
use super::destination::Destination;
use super::pacer::{self, Registration};
use super::receive::Receiver;
use super::send::{SendCounters, SendLeg};
use super::stats::MediaStats;

/// Largest datagram read; longer ones are truncated (and G.711 packets
/// are 172 bytes).
const RECV_BUF: usize = 1500;

/// What a leg sends and how it judges what it receives.
#[derive(Debug, Clone, PartialEq)]
pub struct MediaPlan {
    /// The audio codec sent (received audio of either G.711 law is decoded
    /// by its payload type).
    pub codec: Codec,
    /// Digits to send as RFC 4733 events, each at an offset from `start`.
    /// Characters other than `0-9 * # A-D` are ignored. An event holds the
    /// stream for its duration plus 40 ms (the end packet is sent three
    /// times) and is followed by 60 ms of audio before the next one, so
    /// digits planned closer than that are played one after another.
    pub dtmf: Vec<(Duration, char)>,
    /// The negotiated telephone-event payload type, sent and recognised.
    pub dtmf_payload_type: u8,
    /// Length of each sent digit (40 ms to 1 s); 100 ms by default.
    pub dtmf_duration: Duration,
    /// A received audio packet is late when its transit time exceeds the
    /// smallest seen by more than this; 40 ms by default.
    pub late_after: Duration,
    /// Whether to send at all (`false`: receive only).
    pub send: bool,
    /// Whether to move the destination, once, to the source address of
    /// the first RTP packet received when it differs (symmetric RTP, as
    /// behind NAT). Off by default.
    pub latch: bool,
}

impl Default for MediaPlan {
    fn default() -> Self {
        MediaPlan {
            codec: Codec::Pcmu,
            dtmf: Vec::new(),
            dtmf_payload_type: 101,
            dtmf_duration: Duration::from_millis(100),
            late_after: Duration::from_millis(40),
            send: true,
            latch: false,
        }
    }
}

/// A bound RTP socket, not yet sending or receiving.
#[derive(Debug)]
pub struct RtpLeg {
    socket: Arc<UdpSocket>,
    local: SocketAddr,
}

impl RtpLeg {
    /// Binds a UDP socket on an ephemeral port of `ip`.
    pub async fn bind(ip: IpAddr) -> io::Result<RtpLeg> {
        let socket = UdpSocket::bind(SocketAddr::new(ip, 0)).await?;
        // Let the runtime record the socket as writable, so the pacer's
        // first non-blocking send is not refused.
        socket.writable().await?;
        let local = socket.local_addr()?;
        Ok(RtpLeg {
            socket: Arc::new(socket),
            local,
        })
    }

    /// The bound address (its port goes into the SDP).
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// Starts sending to `remote` and receiving from anyone, following
    /// `plan`. Must be called within a tokio runtime (it spawns the
    /// receive task). Datagrams that reached the socket before this call
    /// are read at once and count as arriving at the start.
    pub fn start(self, remote: SocketAddr, plan: MediaPlan) -> RunningLeg {
        let start = Instant::now();
        let counters = Arc::new(SendCounters::default());
        let destination = Arc::new(Destination::new(remote));
        let registration = if plan.send {
            pacer::register(SendLeg::new(
                self.socket.clone(),
                destination.clone(),
                plan.codec,
                &plan.dtmf,
                plan.dtmf_payload_type,
                plan.dtmf_duration,
                start,
                counters.clone(),
            ))
        } else {
            None
        };
        let (stop_tx, stop_rx) = oneshot::channel();
        let receiver = Receiver::new(plan.dtmf_payload_type, plan.late_after);
        let latch = plan.latch.then(|| destination.clone());
        let task = tokio::spawn(receive(self.socket, receiver, start, latch, stop_rx));
        RunningLeg {
            local: self.local,
            destination,
            registration,
            stop: Some(stop_tx),
            task: Some(task),
            counters,
        }
    }
}

/// A started leg; [`RunningLeg::stop`] ends it. Dropping it also stops
/// sending and receiving, without the figures.
#[derive(Debug)]
pub struct RunningLeg {
    local: SocketAddr,
    destination: Arc<Destination>,
    registration: Option<Registration>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<Receiver>>,
    counters: Arc<SendCounters>,
}

impl RunningLeg {
    /// The local address.
    pub fn local(&self) -> SocketAddr {
        self.local
    }

    /// The address packets are sent to (moved by latching, if planned).
    pub fn remote(&self) -> SocketAddr {
        self.destination.get()
    }

    /// Stops sending and receiving and returns the figures. Returns within
    /// a millisecond or so: the pacer and the receive task are told at once
    /// and nothing of the leg keeps running afterwards.
    pub async fn stop(mut self) -> MediaStats {
        if let Some(r) = self.registration.take() {
            r.remove().await;
        }
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let mut stats = match self.task.take() {
            Some(task) => task.await.map(|r| r.stats()).unwrap_or_default(),
            None => MediaStats::default(),
        };
        let c = &self.counters;
        stats.sent = c.sent.load(Ordering::Relaxed);
        stats.send_late = c.late.load(Ordering::Relaxed);
        stats.send_failed = c.failed.load(Ordering::Relaxed);
        stats.dtmf_sent = c.dtmf.load(Ordering::Relaxed);
        stats
    }
}

impl Drop for RunningLeg {
    fn drop(&mut self) {
        if let Some(r) = self.registration.take() {
            r.remove_now();
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The receive task: feeds every datagram to the receiver until told to
/// stop, then hands the receiver back. With `latch`, the source of the
/// first RTP packet becomes the destination.
async fn receive(
    socket: Arc<UdpSocket>,
    mut receiver: Receiver,
    start: Instant,
    mut latch: Option<Arc<Destination>>,
    mut stop: oneshot::Receiver<()>,
) -> Receiver {
    let mut buf = [0u8; RECV_BUF];
    loop {
        tokio::select! {
            biased;
            _ = &mut stop => break,
            r = socket.recv_from(&mut buf) => match r {
                Ok((n, from)) => {
                    let rtp = receiver.on_datagram(&buf[..n], start.elapsed());
                    if rtp && let Some(dest) = latch.take() && dest.get() != from {
                        dest.set(from);
                    }
                    // Drain what else is queued without going back to the
                    // scheduler.
                    while let Ok((n, _)) = socket.try_recv_from(&mut buf) {
                        receiver.on_datagram(&buf[..n], start.elapsed());
                    }
                }
                // ICMP errors surfacing on the socket, or a runtime
                // shutting down: back off briefly rather than spin.
                Err(_) => tokio::time::sleep(Duration::from_millis(5)).await,
            },
        }
    }
    receiver
}
