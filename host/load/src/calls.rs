//! The call scenario: basic calls through the PBX's B2BUA.
//!
//! Half the accounts are *callees*: they are registered (digest, 401 then
//! REGISTER with `Authorization`) from this tool's own UAS sockets, so the
//! PBX forks their calls back to us. A UAS socket answers an INVITE with
//! 180 then 200 (the offer echoed as the answer, or a fixed small SDP when
//! the INVITE has no body), ignores ACK and answers BYE (and CANCEL,
//! OPTIONS) with 200.
//!
//! The other half are *callers*. One call: INVITE without credentials,
//! 407 (ACKed), INVITE with `Proxy-Authorization` (a new transaction on the
//! same Call-ID), 100/180, 200, ACK, a hold time (`hold`, default 0), BYE,
//! 200. Calls start at a paced rate (a tokio interval that bursts to catch
//! up) with at most `concurrency` in flight, over `sources` UDP sockets.
//!
//! Retransmission, simplified from RFC 3261 timers A/E: INVITE and BYE are
//! resent after 500 ms, then 1 s and 2 s later (INVITE only until a
//! provisional response arrives), and fail 4 s after their first send
//! without a final response. A 200 to the INVITE that arrives again
//! (the PBX retransmits until it sees our ACK) is ACKed again.
//!
//! Figures, after RFC 6076: the *session establishment ratio* (SER,
//! answered / attempted) and the *session request delay* (SRD), measured
//! here from sending the INVITE with credentials to receiving its 200
//! (the 407 round trip excluded, retransmissions included).
//!
//! Limits: the UAS does not retransmit its 200 (the PBX's ACK is expected
//! on loopback); no media; UDP only.

use crate::register::{self, AlgorithmChoice, T1, TRANSACTION_TIMEOUT, parse_challenge};
use crate::report::{PbxUsage, percentile};
use anyhow::{Context, Result, bail};
use pbx_sip::auth::digest::{Algorithm, expected_response, ha1};
use pbx_sip::message::{Method, Request, Response, SipMessage, parse_datagram, reason_phrase};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinSet;
use tokio::time::{Instant, MissedTickBehavior};

/// The SDP sent in INVITEs (and by the UAS when an INVITE has none).
pub const SDP: &str = "v=0\r\n\
o=pbx-load 1 1 IN IP4 127.0.0.1\r\n\
s=-\r\n\
c=IN IP4 127.0.0.1\r\n\
t=0 0\r\n\
m=audio 40000 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

/// What to run.
#[derive(Debug, Clone)]
pub struct CallsConfig {
    /// The PBX's UDP address.
    pub target: SocketAddr,
    /// Number of accounts (named by [`crate::user_name`]); the first half
    /// are callees, the rest callers. At least 2.
    pub users: usize,
    /// Number of the first account.
    pub first_user: u32,
    /// Password of every account.
    pub password: String,
    /// Realm and domain.
    pub realm: String,
    /// Calls started per second.
    pub rate: f64,
    /// How long to keep starting calls.
    pub duration: Duration,
    /// Time between the caller's ACK and its BYE.
    pub hold: Duration,
    /// Most calls in flight at once.
    pub concurrency: usize,
    /// Number of caller UDP sockets (and as many UAS sockets).
    pub sources: usize,
}

/// Why a call (or a callee registration) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Failure {
    /// No final response to this request within 4 s.
    Timeout(Stage),
    /// This request got an unexpected final status.
    Status(Stage, u16),
    /// The 407 offered nothing usable.
    BadChallenge,
    /// The socket failed to send.
    SendError,
}

/// Which request of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The INVITE without credentials (expects 407).
    Invite1,
    /// The INVITE with credentials (expects 200).
    Invite2,
    /// The BYE (expects 200).
    Bye,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Timeout(s) => write!(f, "timeout on {s:?}"),
            Failure::Status(s, c) => write!(f, "status {c} to {s:?}"),
            Failure::BadChallenge => write!(f, "unusable 407 challenge"),
            Failure::SendError => write!(f, "send error"),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct CallsResult {
    /// Callees registered before the calls started.
    pub callees_registered: u64,
    /// Calls started (first INVITE sent).
    pub attempted: u64,
    /// Calls whose authenticated INVITE got a 200.
    pub answered: u64,
    /// Calls answered, ACKed and ended by a BYE answered 200.
    pub completed: u64,
    /// Failures by cause (a call fails at most once).
    pub failures: HashMap<Failure, u64>,
    /// Retransmitted INVITEs and BYEs.
    pub retransmissions: u64,
    /// ACKs sent again for retransmitted 200s.
    pub reacks: u64,
    /// Responses that matched no request in flight.
    pub stray_responses: u64,
    /// INVITEs the UAS answered (retransmissions included).
    pub uas_invites: u64,
    /// BYEs the UAS answered.
    pub uas_byes: u64,
    /// Session request delays (INVITE with credentials to 200) of the
    /// answered calls, microseconds, sorted.
    pub srd_us: Vec<u64>,
    /// Time spent starting calls.
    pub send_window: Duration,
    /// Time from the first call to the last completion.
    pub elapsed: Duration,
}

impl CallsResult {
    /// Calls that did not complete.
    pub fn failed(&self) -> u64 {
        self.attempted - self.completed
    }

    /// Session establishment ratio (RFC 6076): answered / attempted (1
    /// when nothing was attempted).
    pub fn ser(&self) -> f64 {
        if self.attempted == 0 {
            1.0
        } else {
            self.answered as f64 / self.attempted as f64
        }
    }

    /// Failed / attempted (0 when nothing was attempted).
    pub fn failure_ratio(&self) -> f64 {
        if self.attempted == 0 {
            0.0
        } else {
            self.failed() as f64 / self.attempted as f64
        }
    }
}

/// Counters shared by every call and socket.
#[derive(Default)]
struct Counters {
    retransmissions: AtomicU64,
    reacks: AtomicU64,
    stray: AtomicU64,
    uas_invites: AtomicU64,
    uas_byes: AtomicU64,
}

/// One UDP socket: responses go to the transaction waiting on their
/// Call-ID; requests are answered as a UAS.
struct Endpoint {
    socket: UdpSocket,
    local: SocketAddr,
    pending: Mutex<HashMap<String, mpsc::Sender<Response>>>,
}

/// Removes a waiter from its endpoint when dropped.
struct Waiter<'a> {
    endpoint: &'a Endpoint,
    call_id: &'a str,
    rx: mpsc::Receiver<Response>,
}

impl<'a> Waiter<'a> {
    fn new(endpoint: &'a Endpoint, call_id: &'a str) -> Self {
        let (tx, rx) = mpsc::channel(16);
        if let Ok(mut p) = endpoint.pending.lock() {
            p.insert(call_id.to_string(), tx);
        }
        Waiter {
            endpoint,
            call_id,
            rx,
        }
    }
}

impl Drop for Waiter<'_> {
    fn drop(&mut self) {
        if let Ok(mut p) = self.endpoint.pending.lock() {
            p.remove(self.call_id);
        }
    }
}

fn to_tag_for(call_id: &str) -> String {
    let mut h = DefaultHasher::new();
    call_id.hash(&mut h);
    format!("u{:x}", h.finish())
}

/// The UAS: answer `req` received from `from`.
async fn serve_request(endpoint: &Endpoint, counters: &Counters, req: Request, from: SocketAddr) {
    let call_id = req.headers.call_id().unwrap_or_default().to_string();
    let tag = to_tag_for(&call_id);
    let send = |r: Response| async move {
        let _ = endpoint.socket.send_to(&r.to_bytes(), from).await;
    };
    match req.method {
        Method::Invite => {
            counters.uas_invites.fetch_add(1, Ordering::Relaxed);
            send(req.response(180, reason_phrase(180), Some(&tag))).await;
            let mut ok = req.response(200, reason_phrase(200), Some(&tag));
            let user = req
                .uri
                .strip_prefix("sip:")
                .and_then(|u| u.split('@').next())
                .unwrap_or("uas");
            ok.headers
                .push("Contact", &format!("<sip:{user}@{}>", endpoint.local));
            ok.headers.push("Content-Type", "application/sdp");
            ok.body = if req.body.is_empty() {
                SDP.as_bytes().into()
            } else {
                req.body.clone()
            };
            send(ok).await;
        }
        Method::Ack => {}
        Method::Bye => {
            counters.uas_byes.fetch_add(1, Ordering::Relaxed);
            send(req.response(200, reason_phrase(200), Some(&tag))).await;
        }
        _ => send(req.response(200, reason_phrase(200), Some(&tag))).await,
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
                        .and_then(|p| p.get(id).cloned())
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
            Ok(SipMessage::Request(req)) => serve_request(&endpoint, &counters, req, from).await,
            Err(_) => {}
        }
    }
}

/// Send `bytes` and wait for the final response to `(cseq, method)`,
/// retransmitting after T1 doubling (INVITE: until a provisional) until
/// [`TRANSACTION_TIMEOUT`]. A 2xx to the INVITE seen meanwhile is answered
/// with `reack` when given.
#[allow(clippy::too_many_arguments)]
async fn transaction(
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
    let deadline = start + TRANSACTION_TIMEOUT;
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
                        next_send = None;
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

/// The `Proxy-Authorization` value answering the first usable
/// `Proxy-Authenticate` offer of `response` for an INVITE to `uri`.
pub fn proxy_authorization(
    response: &Response,
    user: &str,
    password: &str,
    uri: &str,
    cnonce: &str,
) -> Option<String> {
    let offer = response
        .headers
        .get_all("Proxy-Authenticate")
        .find_map(parse_challenge)?;
    let alg = offer.algorithm.unwrap_or(Algorithm::Md5);
    let ha1 = ha1(alg, user, &offer.realm, password);
    let nc = "00000001";
    let qop = offer.qop_auth.then_some((nc, cnonce));
    let digest = expected_response(alg, &ha1, "INVITE", uri, &offer.nonce, qop);
    let mut v = format!(
        "Digest username=\"{user}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", response=\"{digest}\", algorithm={}",
        offer.realm,
        offer.nonce,
        alg.token()
    );
    if let Some(opaque) = &offer.opaque {
        let _ = write!(v, ", opaque=\"{opaque}\"");
    }
    if offer.qop_auth {
        let _ = write!(v, ", qop=auth, nc={nc}, cnonce=\"{cnonce}\"");
    }
    Some(v)
}

/// The dialog-forming headers of one call.
struct Call {
    caller: String,
    callee: String,
    call_id: String,
    from: String,
    id: u64,
}

impl Call {
    fn request(
        &self,
        local: SocketAddr,
        method: Method,
        uri: &str,
        cseq: u32,
        branch: &str,
        to: &str,
    ) -> Request {
        let mut req = Request::new(method.clone(), uri);
        let h = &mut req.headers;
        h.push(
            "Via",
            &format!("SIP/2.0/UDP {local};branch=z9hG4bK{branch};rport"),
        );
        h.push("Max-Forwards", "70");
        h.push("From", &self.from);
        h.push("To", to);
        h.push("Call-ID", &self.call_id);
        h.push("CSeq", &format!("{cseq} {}", method.as_str()));
        if method == Method::Invite {
            h.push("Contact", &format!("<sip:{}@{local}>", self.caller));
        }
        req
    }
}

/// ACK for a final response to INVITE `invite` (same branch for a non-2xx,
/// a new one with `uri` for a 2xx).
fn ack_for(invite: &Request, resp: &Response, uri: &str, branch: Option<&str>) -> Vec<u8> {
    let mut ack = Request::new(Method::Ack, uri);
    for (name, value) in invite.headers.iter() {
        match name {
            "Via" => match branch {
                Some(b) => {
                    let sent_by = value.split(';').next().unwrap_or(value);
                    ack.headers
                        .push("Via", &format!("{sent_by};branch=z9hG4bK{b};rport"));
                }
                None => ack.headers.push("Via", value),
            },
            "Max-Forwards" | "From" | "Call-ID" => ack.headers.push(name, value),
            "To" => ack
                .headers
                .push("To", resp.headers.get("To").unwrap_or(value)),
            "CSeq" => {
                let n = invite.headers.cseq().map_or(1, |(n, _)| n);
                ack.headers.push("CSeq", &format!("{n} ACK"));
            }
            _ => {}
        }
    }
    ack.to_bytes()
}

/// The URI inside `<...>` of a Contact value (or the value itself).
fn contact_uri(value: &str) -> &str {
    match (value.find('<'), value.find('>')) {
        (Some(a), Some(b)) if a < b => &value[a + 1..b],
        _ => value.split(';').next().unwrap_or(value).trim(),
    }
}

/// One whole call. `Err((failure, answered))`.
async fn call_one(
    cfg: Arc<CallsConfig>,
    endpoint: Arc<Endpoint>,
    counters: Arc<Counters>,
    call: Call,
) -> Result<Duration, (Failure, bool)> {
    let ep = &*endpoint;
    let mut waiter = Waiter::new(ep, &call.call_id);
    let target = cfg.target;
    let uri = format!("sip:{}@{}", call.callee, cfg.realm);
    let to = format!("<{uri}>");
    let b = |n: u32| format!("{:x}c{n}", call.id);
    let fail = |f: Failure| (f, false);

    // 1. INVITE without credentials: 407, ACKed.
    let mut inv1 = call.request(ep.local, Method::Invite, &uri, 1, &b(1), &to);
    inv1.headers.push("Content-Type", "application/sdp");
    inv1.body = SDP.as_bytes().into();
    let r1 = transaction(
        ep,
        target,
        &inv1.to_bytes(),
        (1, Method::Invite),
        Stage::Invite1,
        &mut waiter,
        &counters,
        None,
    )
    .await
    .map_err(fail)?;
    if r1.status != 407 {
        if r1.status >= 300 {
            let _ = ep
                .socket
                .send_to(&ack_for(&inv1, &r1, &uri, None), target)
                .await;
        }
        return Err(fail(Failure::Status(Stage::Invite1, r1.status)));
    }
    let _ = ep
        .socket
        .send_to(&ack_for(&inv1, &r1, &uri, None), target)
        .await;
    let cnonce = format!("{:016x}", call.id);
    let auth = proxy_authorization(&r1, &call.caller, &cfg.password, &uri, &cnonce)
        .ok_or_else(|| fail(Failure::BadChallenge))?;

    // 2. INVITE with credentials: 200, ACKed with a new branch.
    let mut inv2 = call.request(ep.local, Method::Invite, &uri, 2, &b(2), &to);
    inv2.headers.push("Proxy-Authorization", &auth);
    inv2.headers.push("Content-Type", "application/sdp");
    inv2.body = SDP.as_bytes().into();
    let t0 = Instant::now();
    let r2 = transaction(
        ep,
        target,
        &inv2.to_bytes(),
        (2, Method::Invite),
        Stage::Invite2,
        &mut waiter,
        &counters,
        None,
    )
    .await
    .map_err(fail)?;
    let srd = t0.elapsed();
    if r2.status / 100 != 2 {
        let _ = ep
            .socket
            .send_to(&ack_for(&inv2, &r2, &uri, None), target)
            .await;
        return Err(fail(Failure::Status(Stage::Invite2, r2.status)));
    }
    let remote = r2
        .headers
        .get("Contact")
        .map(contact_uri)
        .unwrap_or(&uri)
        .to_string();
    let to_tagged = r2.headers.get("To").unwrap_or(&to).to_string();
    let ack = ack_for(&inv2, &r2, &remote, Some(&b(3)));
    ep.socket
        .send_to(&ack, target)
        .await
        .map_err(|_| (Failure::SendError, true))?;

    // 3. Hold, then BYE: 200.
    if !cfg.hold.is_zero() {
        let hold_end = Instant::now() + cfg.hold;
        // Keep ACKing 200 retransmissions while holding.
        while let Ok(Some(r)) = tokio::time::timeout_at(hold_end, waiter.rx.recv()).await {
            if r.status / 100 == 2 && matches!(r.headers.cseq(), Some((_, Method::Invite))) {
                counters.reacks.fetch_add(1, Ordering::Relaxed);
                let _ = ep.socket.send_to(&ack, target).await;
            }
        }
    }
    let bye = call.request(ep.local, Method::Bye, &remote, 3, &b(4), &to_tagged);
    let r3 = transaction(
        ep,
        target,
        &bye.to_bytes(),
        (3, Method::Bye),
        Stage::Bye,
        &mut waiter,
        &counters,
        Some(&ack),
    )
    .await
    .map_err(|f| (f, true))?;
    if r3.status / 100 != 2 {
        return Err((Failure::Status(Stage::Bye, r3.status), true));
    }
    Ok(srd)
}

/// Register callee `user` from `endpoint` (401 then digest, expects 200).
async fn register_callee(
    cfg: &CallsConfig,
    endpoint: &Endpoint,
    counters: &Counters,
    user: &str,
    call_id: &str,
) -> Result<(), Failure> {
    let mut waiter = Waiter::new(endpoint, call_id);
    let realm_uri = format!("sip:{}", cfg.realm);
    let build = |cseq: u32, auth: Option<&str>| {
        let mut req = Request::new(Method::Register, realm_uri.clone());
        let h = &mut req.headers;
        h.push(
            "Via",
            &format!(
                "SIP/2.0/UDP {};branch=z9hG4bK{call_id}r{cseq};rport",
                endpoint.local
            ),
        );
        h.push("Max-Forwards", "70");
        h.push("From", &format!("<sip:{user}@{}>;tag=r{user}", cfg.realm));
        h.push("To", &format!("<sip:{user}@{}>", cfg.realm));
        h.push("Call-ID", call_id);
        h.push("CSeq", &format!("{cseq} REGISTER"));
        h.push("Contact", &format!("<sip:{user}@{}>", endpoint.local));
        h.push("Expires", "3600");
        if let Some(a) = auth {
            h.push("Authorization", a);
        }
        req.to_bytes()
    };
    let stage = Stage::Invite1;
    let r1 = transaction(
        endpoint,
        cfg.target,
        &build(1, None),
        (1, Method::Register),
        stage,
        &mut waiter,
        counters,
        None,
    )
    .await?;
    let r = match r1.status {
        200..=299 => return Ok(()),
        401 => {
            let auth = register::authorization(
                &r1,
                AlgorithmChoice::Auto,
                user,
                &cfg.password,
                &realm_uri,
                "0123456789abcdef",
            )
            .ok_or(Failure::BadChallenge)?;
            transaction(
                endpoint,
                cfg.target,
                &build(2, Some(&auth)),
                (2, Method::Register),
                stage,
                &mut waiter,
                counters,
                None,
            )
            .await?
        }
        s => return Err(Failure::Status(stage, s)),
    };
    if r.status / 100 == 2 {
        Ok(())
    } else {
        Err(Failure::Status(stage, r.status))
    }
}

async fn bind_endpoints(
    n: usize,
    bind_ip: IpAddr,
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
        });
        tasks.push(tokio::spawn(receive_loop(ep.clone(), counters.clone())));
        out.push(ep);
    }
    Ok(out)
}

/// Run the scenario. Must be called within a multi-threaded tokio runtime.
pub async fn run(cfg: CallsConfig) -> Result<CallsResult> {
    Ok(run_with(cfg, || Ok(())).await?.0)
}

/// [`run`], calling `before_calls` once the callees are registered and
/// just before the first call (e.g. to read the PBX's CPU time).
pub async fn run_with<T>(
    cfg: CallsConfig,
    before_calls: impl FnOnce() -> Result<T>,
) -> Result<(CallsResult, T)> {
    if cfg.users < 2 {
        bail!("calls need at least 2 users (half callees, half callers)");
    }
    if !(cfg.rate > 0.0 && cfg.rate.is_finite()) {
        bail!("the call rate must be positive");
    }
    let cfg = Arc::new(cfg);
    let bind_ip: IpAddr = match cfg.target.ip() {
        ip if ip.is_loopback() => ip,
        IpAddr::V4(_) => Ipv4Addr::UNSPECIFIED.into(),
        IpAddr::V6(_) => Ipv6Addr::UNSPECIFIED.into(),
    };
    let counters = Arc::new(Counters::default());
    let mut loops = Vec::new();
    let callers_eps = bind_endpoints(cfg.sources, bind_ip, &counters, &mut loops).await?;
    let uas_eps = bind_endpoints(cfg.sources, bind_ip, &counters, &mut loops).await?;
    let run_id = format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );

    // Register the callees, 64 at a time.
    let callees = cfg.users / 2;
    let callers = cfg.users - callees;
    let mut result = CallsResult::default();
    let mut regs: JoinSet<Result<(), Failure>> = JoinSet::new();
    let limit = Arc::new(Semaphore::new(64));
    for i in 0..callees {
        let permit = limit.clone().acquire_owned().await?;
        let (cfg2, counters2) = (cfg.clone(), counters.clone());
        let ep = uas_eps[i % uas_eps.len()].clone();
        let call_id = format!("{run_id}-reg{i}@pbx-load");
        regs.spawn(async move {
            let user = crate::user_name(cfg2.first_user, i);
            let r = register_callee(&cfg2, &ep, &counters2, &user, &call_id).await;
            drop(permit);
            r
        });
    }
    let mut reg_failures = Vec::new();
    while let Some(r) = regs.join_next().await {
        match r? {
            Ok(()) => result.callees_registered += 1,
            Err(f) => reg_failures.push(f),
        }
    }
    if let Some(f) = reg_failures.first() {
        bail!(
            "{} of {callees} callee registrations failed (first: {f})",
            reg_failures.len()
        );
    }

    // Calls.
    let marker = before_calls()?;
    let limit = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / cfg.rate));
    ticker.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let mut tasks: JoinSet<Result<Duration, (Failure, bool)>> = JoinSet::new();
    let absorb = |res: &mut CallsResult, outcome: Result<Duration, (Failure, bool)>| match outcome {
        Ok(d) => {
            res.answered += 1;
            res.completed += 1;
            res.srd_us.push(d.as_micros() as u64);
        }
        Err((f, answered)) => {
            if answered {
                res.answered += 1;
            }
            *res.failures.entry(f).or_insert(0) += 1;
        }
    };
    let start = Instant::now();
    let end = start + cfg.duration;
    let mut seq: u64 = 0;
    loop {
        ticker.tick().await;
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => p?,
            _ = tokio::time::sleep_until(end) => break,
        };
        if Instant::now() >= end {
            break;
        }
        let caller = crate::user_name(cfg.first_user, callees + (seq as usize % callers));
        let call = Call {
            from: format!("<sip:{caller}@{}>;tag=c{seq:x}", cfg.realm),
            caller,
            callee: crate::user_name(cfg.first_user, seq as usize % callees),
            call_id: format!("{run_id}-{seq}@pbx-load"),
            id: seq,
        };
        let ep = callers_eps[seq as usize % callers_eps.len()].clone();
        let (cfg2, counters2) = (cfg.clone(), counters.clone());
        tasks.spawn(async move {
            let outcome = call_one(cfg2, ep, counters2, call).await;
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
    result.reacks = counters.reacks.load(Ordering::Relaxed);
    result.stray_responses = counters.stray.load(Ordering::Relaxed);
    result.uas_invites = counters.uas_invites.load(Ordering::Relaxed);
    result.uas_byes = counters.uas_byes.load(Ordering::Relaxed);
    result.srd_us.sort_unstable();
    for l in loops {
        l.abort();
    }
    Ok((result, marker))
}

fn ms(us: u64) -> String {
    format!("{:.2} ms", us as f64 / 1000.0)
}

/// The report, one figure a line.
pub fn render(result: &CallsResult, pbx: Option<&PbxUsage>) -> String {
    let mut out = String::new();
    let secs = result.elapsed.as_secs_f64().max(1e-9);
    let window = result.send_window.as_secs_f64().max(1e-9);
    let _ = writeln!(
        out,
        "callees registered:        {}",
        result.callees_registered
    );
    let _ = writeln!(out, "calls attempted:           {}", result.attempted);
    let _ = writeln!(out, "calls answered:            {}", result.answered);
    let _ = writeln!(out, "calls completed (BYE 200): {}", result.completed);
    let _ = writeln!(out, "calls failed:              {}", result.failed());
    let mut causes: Vec<_> = result.failures.iter().collect();
    causes.sort();
    for (cause, n) in causes {
        let _ = writeln!(out, "  {cause}: {n}");
    }
    let _ = writeln!(
        out,
        "session establishment ratio (SER): {:.4}",
        result.ser()
    );
    let _ = writeln!(
        out,
        "offered rate:              {:.1} calls/s over {:.2} s",
        result.attempted as f64 / window,
        window
    );
    let _ = writeln!(
        out,
        "completed rate:            {:.1} calls/s over {:.2} s (incl. drain)",
        result.completed as f64 / secs,
        secs
    );
    let _ = writeln!(
        out,
        "retransmissions:           {} (re-ACKs {})",
        result.retransmissions, result.reacks
    );
    let _ = writeln!(out, "stray responses:           {}", result.stray_responses);
    let _ = writeln!(
        out,
        "UAS answered:              {} INVITEs, {} BYEs",
        result.uas_invites, result.uas_byes
    );
    let d = &result.srd_us;
    let _ = writeln!(
        out,
        "session request delay (SRD, INVITE with credentials to 200): p50 {}, p95 {}, p99 {}, max {}",
        ms(percentile(d, 50.0)),
        ms(percentile(d, 95.0)),
        ms(percentile(d, 99.0)),
        ms(d.last().copied().unwrap_or(0))
    );
    if let Some(p) = pbx {
        let cpu = p.cpu().as_secs_f64();
        let _ = writeln!(out, "PBX ({}):", p.label);
        let _ = writeln!(
            out,
            "  CPU time:                {:.2} s ({:.0}% of one core over the run)",
            cpu,
            100.0 * cpu / secs
        );
        if result.completed > 0 && cpu > 0.0 {
            let _ = writeln!(
                out,
                "  CPU per completed call:  {:.1} us (INVITE/407/ACK, INVITE/200/ACK, BYE/200; both legs)",
                cpu * 1e6 / result.completed as f64
            );
            let _ = writeln!(
                out,
                "  calls per CPU-second (= per core): {:.0}",
                result.completed as f64 / cpu
            );
        }
        let _ = writeln!(
            out,
            "  RSS:                     {} KiB before, {} KiB after (peak {} KiB)",
            p.before.rss_kib, p.after.rss_kib, p.after.hwm_kib
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contact_uri_strips_brackets_and_params() {
        assert_eq!(
            contact_uri("<sip:a@1.2.3.4:5>;expires=3"),
            "sip:a@1.2.3.4:5"
        );
        assert_eq!(contact_uri("sip:a@h;transport=udp"), "sip:a@h");
    }

    #[test]
    fn ack_for_non_2xx_keeps_branch_and_takes_to_tag() {
        let mut inv = Request::new(Method::Invite, "sip:1@h");
        inv.headers
            .push("Via", "SIP/2.0/UDP 127.0.0.1:5;branch=z9hG4bKx;rport");
        inv.headers.push("From", "<sip:2@h>;tag=a");
        inv.headers.push("To", "<sip:1@h>");
        inv.headers.push("Call-ID", "c");
        inv.headers.push("CSeq", "7 INVITE");
        let resp = inv.response(407, "Proxy Authentication Required", Some("t"));
        let ack = String::from_utf8(ack_for(&inv, &resp, "sip:1@h", None)).unwrap();
        assert!(ack.starts_with("ACK sip:1@h SIP/2.0\r\n"), "{ack}");
        assert!(ack.contains("branch=z9hG4bKx"), "{ack}");
        assert!(ack.contains("To: <sip:1@h>;tag=t"), "{ack}");
        assert!(ack.contains("CSeq: 7 ACK"), "{ack}");
        let ack2 = String::from_utf8(ack_for(&inv, &resp, "sip:1@x", Some("new"))).unwrap();
        assert!(ack2.contains("branch=z9hG4bKnew;rport"), "{ack2}");
    }
}
