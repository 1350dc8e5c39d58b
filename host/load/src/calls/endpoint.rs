//! The UDP endpoints shared by callers and callees: response routing by
//! Call-ID, BYEs of the far end for calls in progress, the client
//! transaction with retransmission, and shared counters.

use super::callee::{UasMedia, serve_request};
use super::result::{Failure, Stage};
use crate::media::MediaStats;
use crate::register::{T1, TRANSACTION_TIMEOUT};
use anyhow::{Context, Result};
use pbx_sip::message::{Method, Response, SipMessage, parse_datagram, reason_phrase};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Counters shared by every call and socket.
#[derive(Default)]
pub(super) struct Counters {
    pub(super) retransmissions: AtomicU64,
    pub(super) reacks: AtomicU64,
    pub(super) stray: AtomicU64,
    pub(super) uas_invites: AtomicU64,
    pub(super) uas_byes: AtomicU64,
    pub(super) remote_byes: AtomicU64,
    pub(super) caller_media: Mutex<MediaStats>,
}

/// One UDP socket: responses go to the transaction waiting on their
/// Call-ID; requests are answered as a UAS.
pub(super) struct Endpoint {
    pub(super) socket: UdpSocket,
    pub(super) local: SocketAddr,
    pending: Mutex<HashMap<String, Pending>>,
    /// Media of the calls this endpoint answers as a UAS, when it sends RTP.
    pub(super) uas_media: Option<Arc<UasMedia>>,
}

/// Where the messages of one call in progress go.
struct Pending {
    responses: mpsc::Sender<Response>,
    bye: watch::Sender<Option<Instant>>,
}

/// Removes a waiter from its endpoint when dropped.
pub(super) struct Waiter<'a> {
    endpoint: &'a Endpoint,
    call_id: &'a str,
    pub(super) rx: mpsc::Receiver<Response>,
    /// When the far end's BYE for this call arrived (answered 200 by the
    /// receive loop).
    pub(super) bye: watch::Receiver<Option<Instant>>,
}

impl<'a> Waiter<'a> {
    pub(super) fn new(endpoint: &'a Endpoint, call_id: &'a str) -> Self {
        let (tx, rx) = mpsc::channel(16);
        let (bye_tx, bye) = watch::channel(None);
        if let Ok(mut p) = endpoint.pending.lock() {
            p.insert(
                call_id.to_string(),
                Pending {
                    responses: tx,
                    bye: bye_tx,
                },
            );
        }
        Waiter {
            endpoint,
            call_id,
            rx,
            bye,
        }
    }

    /// When the far end hung up, if it has.
    pub(super) fn bye_at(&self) -> Option<Instant> {
        *self.bye.borrow()
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.endpoint.pending.lock() {
            p.remove(self.call_id);
        }
    }
}

async fn receive_loop(endpoint: Arc<Endpoint>, counters: Arc<Counters>) {
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, from)) = endpoint.socket.recv_from(&mut buf).await else {
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        match parse_datagram(&buf[..n]) {
            Ok(SipMessage::Response(response)) => {
                let waiter = response.headers.call_id().and_then(|id| {
                    endpoint
                        .pending
                        .lock()
                        .ok()
                        .and_then(|p| p.get(id).map(|w| w.responses.clone()))
                });
                match waiter {
                    Some(tx) => {
                        let _ = tx.try_send(response);
                    }
                    None => {
                        counters.stray.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
            Ok(SipMessage::Request(req)) if req.method == Method::Bye => {
                // The far end hangs up a call we placed: 200, and tell it.
                let caller_call = req.headers.call_id().is_some_and(|id| {
                    endpoint.pending.lock().ok().is_some_and(|p| {
                        p.get(id).is_some_and(|w| {
                            w.bye.send_if_modified(|at| {
                                at.is_none() && {
                                    *at = Some(Instant::now());
                                    true
                                }
                            });
                            true
                        })
                    })
                });
                if caller_call {
                    counters.remote_byes.fetch_add(1, Ordering::Relaxed);
                    let ok = req.response(200, reason_phrase(200), None);
                    let _ = endpoint.socket.send_to(&ok.to_bytes(), from).await;
                } else {
                    serve_request(&endpoint, &counters, req, from).await;
                }
            }
            Ok(SipMessage::Request(req)) => serve_request(&endpoint, &counters, req, from).await,
            Err(_) => {}
        }
    }
}

/// How long an INVITE that got a provisional response waits for its final
/// one (a flow's prompt in early media, a phone ringing).
const PROCEEDING_TIMEOUT: Duration = Duration::from_secs(60);

/// Send `bytes` and wait for the final response to `(cseq, method)`,
/// retransmitting after T1 doubling (INVITE: until a provisional) until
/// [`TRANSACTION_TIMEOUT`]. A 2xx to the INVITE seen meanwhile is answered
/// with `reack` when given.
#[allow(clippy::too_many_arguments)]
pub(super) async fn transaction(
    endpoint: &Endpoint,
    target: SocketAddr,
    bytes: &[u8],
    cseq: (u32, Method),
    stage: Stage,
    waiter: &mut Waiter<'_>,
    counters: &Counters,
    reack: Option<&[u8]>,
) -> Result<Response, Failure> {
    let start = Instant::now();
    let mut deadline = start + TRANSACTION_TIMEOUT;
    let mut interval = T1;
    let mut next_send = Some(start + interval);
    endpoint
        .socket
        .send_to(bytes, target)
        .await
        .map_err(|_| Failure::SendError)?;
    loop {
        let wake = next_send.map_or(deadline, |n| n.min(deadline));
        match tokio::time::timeout_at(wake, waiter.rx.recv()).await {
            Ok(Some(r)) => match r.headers.cseq() {
                Some(c) if c == cseq => {
                    if r.status >= 200 {
                        return Ok(r);
                    }
                    if cseq.1 == Method::Invite {
                        // Proceeding: the final answer may follow early
                        // media (an apology, ringback) much later.
                        next_send = None;
                        deadline = Instant::now() + PROCEEDING_TIMEOUT;
                    }
                }
                Some((_, Method::Invite)) if r.status / 100 == 2 => {
                    if let Some(ack) = reack {
                        counters.reacks.fetch_add(1, Ordering::Relaxed);
                        let _ = endpoint.socket.send_to(ack, target).await;
                    }
                }
                _ => {}
            },
            Ok(None) => return Err(Failure::Timeout(stage)),
            Err(_) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(Failure::Timeout(stage));
                }
                counters.retransmissions.fetch_add(1, Ordering::Relaxed);
                let _ = endpoint.socket.send_to(bytes, target).await;
                interval *= 2;
                next_send = Some(now + interval);
            }
        }
    }
}

pub(super) async fn bind_endpoints(
    n: usize,
    bind_ip: IpAddr,
    uas_media: Option<Arc<UasMedia>>,
    counters: &Arc<Counters>,
    tasks: &mut Vec<tokio::task::JoinHandle<()>>,
) -> Result<Vec<Arc<Endpoint>>> {
    let mut out = Vec::new();
    for _ in 0..n.max(1) {
        let socket = UdpSocket::bind(SocketAddr::new(bind_ip, 0))
            .await
            .context("binding a UDP socket")?;
        let local = socket.local_addr()?;
        let ep = Arc::new(Endpoint {
            socket,
            local,
            pending: Mutex::new(HashMap::new()),
            uas_media: uas_media.clone(),
        });
        tasks.push(tokio::spawn(receive_loop(ep.clone(), counters.clone())));
        out.push(ep);
    }
    Ok(out)
}
