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

mod callee;
mod caller;
mod endpoint;
mod report;
mod result;

pub use caller::proxy_authorization;
pub use report::render;
pub use result::{CallsResult, Failure, Stage};

use crate::media::MediaPlan;
use anyhow::{Result, bail};
use callee::{UasMedia, register_callee};
use caller::{Call, call_one};
use endpoint::{Counters, bind_endpoints};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::sync::Semaphore;
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
    /// Whom they call, with what media, and who hangs up.
    pub plan: CallPlan,
}

/// Whom the callers call, with what media, and who hangs up.
#[derive(Debug, Clone, Default)]
pub struct CallPlan {
    /// Whom the callers call.
    pub callees: Callees,
    /// How a call ends.
    pub end: CallEnd,
    /// The callers' RTP (none: the SDP offer names a port nobody listens
    /// on and no RTP flows).
    pub media: Option<MediaPlan>,
    /// The callees' RTP, answering with this plan's codec (none: the offer
    /// is echoed as the answer, and no RTP flows).
    pub callee_media: Option<MediaPlan>,
}

/// Whom the callers call.
#[derive(Debug, Clone, Default)]
pub enum Callees {
    /// The first half of the accounts are callees, registered and answered
    /// by this tool; the other half call them.
    #[default]
    Registered,
    /// Every account calls this number (a flow's number, say); nobody is
    /// registered.
    Number(String),
    /// As `Registered`, but the callers dial this prefix before the
    /// callee's number (a route to a flow that bridges, say).
    Prefixed(String),
}

/// How a call ends.
#[derive(Debug, Clone, Copy, Default)]
pub enum CallEnd {
    /// The caller sends BYE `hold` after its ACK.
    #[default]
    CallerBye,
    /// The far end (a flow) hangs up: no sooner than `after` from the ACK
    /// ([`Failure::EarlyRemoteBye`] otherwise), and no later than `after +
    /// within` (else the caller hangs up and the call fails with
    /// [`Failure::NoRemoteBye`]).
    RemoteBye {
        /// Earliest expected BYE after the ACK.
        after: Duration,
        /// Window after `after`.
        within: Duration,
    },
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
    let registered = !matches!(cfg.plan.callees, Callees::Number(_));
    if cfg.users < if registered { 2 } else { 1 } {
        bail!("calls need at least 2 users (half callees, half callers), or 1 to call a number");
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
    let uas_media = cfg
        .plan
        .callee_media
        .clone()
        .map(|p| Arc::new(UasMedia::new(p)));
    let callers_eps = bind_endpoints(cfg.sources, bind_ip, None, &counters, &mut loops).await?;
    let uas_eps = if registered {
        bind_endpoints(
            cfg.sources,
            bind_ip,
            uas_media.clone(),
            &counters,
            &mut loops,
        )
        .await?
    } else {
        Vec::new()
    };
    let run_id = format!(
        "{:x}{:x}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    );

    // Register the callees, 64 at a time.
    let callees = if registered { cfg.users / 2 } else { 0 };
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
            callee: match &cfg.plan.callees {
                Callees::Number(n) => n.clone(),
                Callees::Registered => crate::user_name(cfg.first_user, seq as usize % callees),
                Callees::Prefixed(p) => format!(
                    "{p}{}",
                    crate::user_name(cfg.first_user, seq as usize % callees)
                ),
            },
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
    result.remote_byes = counters.remote_byes.load(Ordering::Relaxed);
    if cfg.plan.media.is_some() {
        result.caller_media = counters.caller_media.lock().ok().map(|m| m.clone());
    }
    if let Some(m) = &uas_media {
        result.callee_media = Some(m.finish(Duration::from_secs(2)).await);
        result.callee_refused = m.refused.load(Ordering::Relaxed);
    }
    result.srd_us.sort_unstable();
    for l in loops {
        l.abort();
    }
    Ok((result, marker))
}
