//! The REGISTER scenario: each registration sends a REGISTER without
//! credentials, expects a 401 challenge, answers it with digest
//! credentials (`qop=auth`, MD5 or SHA-256 as offered) in a second
//! REGISTER on the same Call-ID, and expects a 200.
//!
//! Registrations are spread round-robin over `sources` UDP sockets (each
//! its own source port and socket buffer) and over `users` accounts. They
//! start either at a paced rate (a tokio interval that bursts to catch up,
//! so the mean rate holds even above the timer's 1 ms resolution) or as
//! fast as possible; in both cases at most `concurrency` are in flight.
//!
//! Retransmission, simplified from RFC 3261 timer E: each transaction is
//! resent after T1 = 500 ms, then after 1 s and 2 s (doubling), and counts
//! as a timeout failure if no final response came within 4 s of its
//! first send (instead of timer F's 32 s: a registrar that needs more
//! than 4 s under load has failed the test anyway).
//!
//! The measured delay is RFC 6076's *registration request delay*: from
//! sending the first REGISTER to receiving the 200 for the authenticated
//! one, retransmissions included.

use anyhow::{Context, Result};
use pbx_sip::auth::client::{self, ClientAnswer, DigestChallenge, parse_challenge};
use pbx_sip::auth::digest::Algorithm;
use pbx_sip::message::{Method, Request, Response, SipMessage, parse_datagram};
use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

/// RFC 3261 T1.
pub const T1: Duration = Duration::from_millis(500);
/// How long a transaction may wait for its final response.
pub const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(4);

/// Which digest algorithm to answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlgorithmChoice {
    /// The first supported one the server offers (its preference).
    Auto,
    /// Only this one; a challenge without it is a failure.
    Only(Algorithm),
}

/// What to run.
#[derive(Debug, Clone)]
pub struct RegisterConfig {
    /// The registrar's UDP address.
    pub target: SocketAddr,
    /// Number of accounts, named by [`crate::user_name`].
    pub users: usize,
    /// Number of the first account.
    pub first_user: u32,
    /// Password of every account.
    pub password: String,
    /// Realm and domain (Request-URI `sip:REALM`, To `sip:USER@REALM`).
    pub realm: String,
    /// Registrations started per second; `None` for as fast as possible.
    pub rate: Option<f64>,
    /// Most registrations in flight at once.
    pub concurrency: usize,
    /// How long to keep starting registrations.
    pub duration: Duration,
    /// Number of UDP sockets (source ports).
    pub sources: usize,
    /// Digest algorithm policy.
    pub algorithm: AlgorithmChoice,
    /// `Expires` asked for.
    pub expires: u32,
}

/// Why a registration failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Failure {
    /// No final response to REGISTER number `.0` (1 or 2) within 4 s.
    Timeout(u8),
    /// REGISTER number `.0` got the final status `.1` (not 401 / 200).
    Status(u8, u16),
    /// The challenge offered nothing usable.
    BadChallenge,
    /// The socket failed to send.
    SendError,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Timeout(n) => write!(f, "timeout on REGISTER #{n}"),
            Failure::Status(n, s) => write!(f, "status {s} to REGISTER #{n}"),
            Failure::BadChallenge => write!(f, "unusable challenge"),
            Failure::SendError => write!(f, "send error"),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct RegisterResult {
    /// Registrations started.
    pub attempted: u64,
    /// Registrations that ended with a 200.
    pub succeeded: u64,
    /// Failures by cause.
    pub failures: HashMap<Failure, u64>,
    /// Retransmitted REGISTERs.
    pub retransmissions: u64,
    /// Responses that matched no registration in flight (late, duplicated).
    pub stray_responses: u64,
    /// Registration request delays of the successes, microseconds, sorted.
    pub delays_us: Vec<u64>,
    /// Time spent starting registrations.
    pub send_window: Duration,
    /// Time from the first start to the last completion.
    pub elapsed: Duration,
}

impl RegisterResult {
    /// Failed registrations.
    pub fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    /// Successes over attempts (1 when nothing was attempted).
    pub fn success_ratio(&self) -> f64 {
        if self.attempted == 0 {
            1.0
        } else {
            self.succeeded as f64 / self.attempted as f64
        }
    }
}

/// One UDP socket and the registrations waiting on it, by Call-ID.
struct Source {
    socket: UdpSocket,
    local: SocketAddr,
    pending: Mutex<HashMap<String, mpsc::Sender<Response>>>,
}

/// Counters shared by every registration.
#[derive(Default)]
struct Counters {
    retransmissions: AtomicU64,
    stray: AtomicU64,
}

/// Removes a registration's entry from its source when it ends.
struct PendingGuard<'a> {
    source: &'a Source,
    call_id: &'a str,
}

impl Drop for PendingGuard<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.source.pending.lock() {
            p.remove(self.call_id);
        }
    }
}

async fn receive_loop(source: Arc<Source>, counters: Arc<Counters>) {
    let mut buf = vec![0u8; 65536];
    loop {
        let Ok((n, _from)) = source.socket.recv_from(&mut buf).await else {
            // ICMP port unreachable surfaces as an error on some systems:
            // keep receiving.
            tokio::time::sleep(Duration::from_millis(1)).await;
            continue;
        };
        let Ok(SipMessage::Response(response)) = parse_datagram(&buf[..n]) else {
            continue;
        };
        let Some(call_id) = response.headers.call_id() else {
            continue;
        };
        let waiter = source
            .pending
            .lock()
            .ok()
            .and_then(|p| p.get(call_id).cloned());
        match waiter {
            Some(tx) => {
                let _ = tx.try_send(response);
            }
            None => {
                counters.stray.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// The `Authorization` value answering the first usable offer of
/// `response` (in header order, which is the server's preference).
pub fn authorization(
    response: &Response,
    choice: AlgorithmChoice,
    user: &str,
    password: &str,
    uri: &str,
    cnonce: &str,
) -> Option<String> {
    let offer = response
        .headers
        .get_all("WWW-Authenticate")
        .filter_map(|v| parse_challenge(v).ok())
        .filter(|c| c.is_supported())
        .find(|c| match choice {
            AlgorithmChoice::Auto => true,
            AlgorithmChoice::Only(a) => c.algorithm() == Some(a),
        })?;
    answer(&offer, "REGISTER", user, password, uri, cnonce)
}

/// The credentials answering `challenge` for the first request with its
/// nonce.
pub fn answer(
    challenge: &DigestChallenge,
    method: &str,
    user: &str,
    password: &str,
    uri: &str,
    cnonce: &str,
) -> Option<String> {
    let answer = ClientAnswer {
        username: user,
        password,
        method,
        uri,
        nc: 1,
        cnonce,
    };
    client::authorization(challenge, &answer).ok()
}

/// What one registration needs besides its source.
struct Job {
    user: String,
    call_id: String,
    tag: String,
    seq: u64,
}

fn build_register(
    cfg: &RegisterConfig,
    local: SocketAddr,
    job: &Job,
    cseq: u32,
    authorization: Option<&str>,
) -> Vec<u8> {
    let mut req = Request::new(Method::Register, format!("sip:{}", cfg.realm));
    let h = &mut req.headers;
    h.push(
        "Via",
        &format!(
            "SIP/2.0/UDP {local};branch=z9hG4bK{}x{cseq};rport",
            job.call_id.split('@').next().unwrap_or_default()
        ),
    );
    h.push("Max-Forwards", "70");
    h.push(
        "From",
        &format!("<sip:{}@{}>;tag={}", job.user, cfg.realm, job.tag),
    );
    h.push("To", &format!("<sip:{}@{}>", job.user, cfg.realm));
    h.push("Call-ID", &job.call_id);
    h.push("CSeq", &format!("{cseq} REGISTER"));
    h.push("Contact", &format!("<sip:{}@{local}>", job.user));
    h.push("Expires", &cfg.expires.to_string());
    if let Some(a) = authorization {
        h.push("Authorization", a);
    }
    h.push("User-Agent", "pbx-load");
    h.push("Content-Length", "0");
    req.to_bytes()
}

/// Send `bytes` and wait for the final response with CSeq `cseq`,
/// retransmitting per [`T1`] doubling until [`TRANSACTION_TIMEOUT`].
async fn transaction(
    source: &Source,
    target: SocketAddr,
    bytes: &[u8],
    cseq: u32,
    rx: &mut mpsc::Receiver<Response>,
    counters: &Counters,
) -> Result<Response, Failure> {
    let n = cseq as u8;
    let start = Instant::now();
    let deadline = start + TRANSACTION_TIMEOUT;
    let mut interval = T1;
    let mut next_send = start + interval;
    source
        .socket
        .send_to(bytes, target)
        .await
        .map_err(|_| Failure::SendError)?;
    loop {
        let wake = next_send.min(deadline);
        match tokio::time::timeout_at(wake, rx.recv()).await {
            Ok(Some(r)) => {
                if r.status >= 200 && r.headers.cseq().is_some_and(|(c, _)| c == cseq) {
                    return Ok(r);
                }
            }
            Ok(None) => return Err(Failure::Timeout(n)),
            Err(_) => {
                let now = Instant::now();
                if now >= deadline {
                    return Err(Failure::Timeout(n));
                }
                counters.retransmissions.fetch_add(1, Ordering::Relaxed);
                let _ = source.socket.send_to(bytes, target).await;
                interval *= 2;
                next_send = now + interval;
            }
        }
    }
}

async fn register_one(
    cfg: Arc<RegisterConfig>,
    source: Arc<Source>,
    counters: Arc<Counters>,
    job: Job,
) -> Result<Duration, Failure> {
    let (tx, mut rx) = mpsc::channel(8);
    if let Ok(mut p) = source.pending.lock() {
        p.insert(job.call_id.clone(), tx);
    }
    let _guard = PendingGuard {
        source: &source,
        call_id: &job.call_id,
    };
    let start = Instant::now();
    let first = build_register(&cfg, source.local, &job, 1, None);
    let r1 = transaction(&source, cfg.target, &first, 1, &mut rx, &counters).await?;
    match r1.status {
        // A registrar that does not authenticate: count it as done.
        200..=299 => return Ok(start.elapsed()),
        401 => {}
        s => return Err(Failure::Status(1, s)),
    }
    let uri = format!("sip:{}", cfg.realm);
    let cnonce = format!("{:016x}", job.seq);
    let auth = authorization(&r1, cfg.algorithm, &job.user, &cfg.password, &uri, &cnonce)
        .ok_or(Failure::BadChallenge)?;
    let second = build_register(&cfg, source.local, &job, 2, Some(&auth));
    let r2 = transaction(&source, cfg.target, &second, 2, &mut rx, &counters).await?;
    if (200..300).contains(&r2.status) {
        Ok(start.elapsed())
    } else {
        Err(Failure::Status(2, r2.status))
    }
}

fn absorb(res: &mut RegisterResult, outcome: Result<Duration, Failure>) {
    match outcome {
        Ok(d) => {
            res.succeeded += 1;
            res.delays_us.push(d.as_micros() as u64);
        }
        Err(f) => *res.failures.entry(f).or_insert(0) += 1,
    }
}

/// Run the scenario. Must be called within a multi-threaded tokio runtime.
pub async fn run(cfg: RegisterConfig) -> Result<RegisterResult> {
    let cfg = Arc::new(cfg);
    let bind_ip: IpAddr = match cfg.target.ip() {
        ip if ip.is_loopback() => ip,
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let counters = Arc::new(Counters::default());
    let mut sources = Vec::new();
    let mut receivers = Vec::new();
    for _ in 0..cfg.sources.max(1) {
        let socket = UdpSocket::bind(SocketAddr::new(bind_ip, 0))
            .await
            .context("binding a source socket")?;
        let local = socket.local_addr()?;
        let source = Arc::new(Source {
            socket,
            local,
            pending: Mutex::new(HashMap::new()),
        });
        receivers.push(tokio::spawn(receive_loop(source.clone(), counters.clone())));
        sources.push(source);
    }

    let run_id = format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );
    let limit = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut ticker = cfg.rate.filter(|r| *r > 0.0).map(|r| {
        let mut t = tokio::time::interval(Duration::from_secs_f64(1.0 / r));
        t.set_missed_tick_behavior(MissedTickBehavior::Burst);
        t
    });
    let mut result = RegisterResult::default();
    let mut tasks: JoinSet<Result<Duration, Failure>> = JoinSet::new();

    let start = Instant::now();
    let end = start + cfg.duration;
    let users = cfg.users.max(1);
    let mut seq: u64 = 0;
    loop {
        if let Some(t) = ticker.as_mut() {
            t.tick().await;
        }
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => p?,
            _ = tokio::time::sleep_until(end) => break,
        };
        if Instant::now() >= end {
            break;
        }
        let source = sources[(seq % sources.len() as u64) as usize].clone();
        let job = Job {
            user: crate::user_name(cfg.first_user, (seq % users as u64) as usize),
            call_id: format!("{run_id}-{seq}@pbx-load"),
            tag: format!("{seq:x}"),
            seq,
        };
        let (cfg2, counters2) = (cfg.clone(), counters.clone());
        tasks.spawn(async move {
            let outcome = register_one(cfg2, source, counters2, job).await;
            drop(permit);
            outcome
        });
        seq += 1;
        while let Some(done) = tasks.try_join_next() {
            absorb(&mut result, done?);
        }
    }
    result.send_window = start.elapsed();
    while let Some(done) = tasks.join_next().await {
        absorb(&mut result, done?);
    }
    result.elapsed = start.elapsed();
    result.attempted = seq;
    result.retransmissions = counters.retransmissions.load(Ordering::Relaxed);
    result.stray_responses = counters.stray.load(Ordering::Relaxed);
    result.delays_us.sort_unstable();
    for r in receivers {
        r.abort();
    }
    Ok(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_parses() {
        let o = parse_challenge(
            "Digest realm=\"pbx.test\", nonce=\"a,b\", opaque=\"xy\", algorithm=SHA-256, qop=\"auth\"",
        )
        .unwrap();
        assert_eq!(o.realm, "pbx.test");
        assert_eq!(o.nonce, "a,b");
        assert_eq!(o.opaque.as_deref(), Some("xy"));
        assert_eq!(o.algorithm(), Some(Algorithm::Sha256));
        assert!(o.offers_qop_auth());
        assert!(parse_challenge("Basic realm=\"x\"").is_err());
        let sha512 = parse_challenge("Digest realm=\"x\", nonce=\"n\", algorithm=SHA-512");
        assert!(sha512.is_err() || !sha512.unwrap().is_supported());
    }
}
