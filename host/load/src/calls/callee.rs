//! The callee side: the answering UAS (optionally with RTP both ways) and
//! the callee registrations.

use super::CallsConfig;
use super::SDP;
use super::endpoint::{Counters, Endpoint, Waiter, transaction};
use super::result::{Failure, Stage};
use crate::media::{self, MediaPlan, MediaStats, RtpLeg, RunningLeg};
use crate::register::{self, AlgorithmChoice};
use pbx_sip::message::{Method, Request, Response, reason_phrase};
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// RTP of the calls a UAS answers: each answered INVITE gets a media leg
/// with `plan`'s codec, running until the call's BYE.
pub(crate) struct UasMedia {
    plan: MediaPlan,
    calls: Mutex<HashMap<String, (RunningLeg, String)>>,
    totals: Mutex<MediaStats>,
    stopping: AtomicU64,
    /// Calls answered with media.
    pub(crate) answered: AtomicU64,
    /// Offers refused (no address, or not the plan's codec).
    pub(crate) refused: AtomicU64,
}

impl UasMedia {
    /// Media with `plan` for every answered call.
    pub(crate) fn new(plan: MediaPlan) -> UasMedia {
        UasMedia {
            plan,
            calls: Mutex::new(HashMap::new()),
            totals: Mutex::new(MediaStats::default()),
            stopping: AtomicU64::new(0),
            answered: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    /// The SDP answer of a call already answered (a retransmitted INVITE
    /// or a re-INVITE).
    fn known(&self, call_id: &str) -> Option<String> {
        let calls = self.calls.lock().ok()?;
        calls.get(call_id).map(|(_, sdp)| sdp.clone())
    }

    /// Answer `offer`: a new leg sending to the offer's address. `None`
    /// when the offer is unusable.
    async fn answer(&self, endpoint: &Endpoint, call_id: &str, offer: &str) -> Option<String> {
        let codec = self.plan.codec;
        let (remote, pts) = media::remote_from_sdp(offer)?;
        if !pts.contains(&codec.payload_type()) {
            return None;
        }
        let leg = RtpLeg::bind(endpoint.local.ip()).await.ok()?;
        let mut h = DefaultHasher::new();
        call_id.hash(&mut h);
        let sdp = media::sdp(
            leg.local(),
            codec,
            self.plan.dtmf_payload_type,
            h.finish() & 0xffff_ffff,
        );
        let running = leg.start(remote, self.plan.clone());
        if let Ok(mut calls) = self.calls.lock() {
            calls.insert(call_id.to_string(), (running, sdp.clone()));
        }
        self.answered.fetch_add(1, Ordering::Relaxed);
        Some(sdp)
    }

    /// The call ended: stop its media in the background and add its
    /// figures to the totals.
    fn hang_up(self: &std::sync::Arc<Self>, call_id: &str) {
        let Some((running, _)) = self.calls.lock().ok().and_then(|mut c| c.remove(call_id)) else {
            return;
        };
        self.stopping.fetch_add(1, Ordering::Relaxed);
        let me = self.clone();
        tokio::spawn(async move {
            let stats = running.stop().await;
            if let Ok(mut t) = me.totals.lock() {
                t.add(&stats);
            }
            me.stopping.fetch_sub(1, Ordering::Relaxed);
        });
    }

    /// Wait up to `grace` for the calls still up to end, stop the rest, and
    /// return the figures of every leg.
    pub(crate) async fn finish(&self, grace: Duration) -> MediaStats {
        let end = tokio::time::Instant::now() + grace;
        while tokio::time::Instant::now() < end
            && (self.stopping.load(Ordering::Relaxed) > 0
                || self.calls.lock().map(|c| !c.is_empty()).unwrap_or(false))
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let left: Vec<RunningLeg> = self
            .calls
            .lock()
            .map(|mut c| c.drain().map(|(_, (r, _))| r).collect())
            .unwrap_or_default();
        let mut totals = self.totals.lock().map(|t| t.clone()).unwrap_or_default();
        for running in left {
            totals.add(&running.stop().await);
        }
        totals
    }
}

fn to_tag_for(call_id: &str) -> String {
    let mut h = DefaultHasher::new();
    call_id.hash(&mut h);
    format!("u{:x}", h.finish())
}

/// The UAS: answer `req` received from `from`.
pub(super) async fn serve_request(
    endpoint: &Endpoint,
    counters: &Counters,
    req: Request,
    from: SocketAddr,
) {
    let call_id = req.headers.call_id().unwrap_or_default().to_string();
    let tag = to_tag_for(&call_id);
    let send = |r: Response| async move {
        let _ = endpoint.socket.send_to(&r.to_bytes(), from).await;
    };
    match req.method {
        Method::Invite => {
            counters.uas_invites.fetch_add(1, Ordering::Relaxed);
            let body = match &endpoint.uas_media {
                None if req.body.is_empty() => SDP.to_string(),
                None => String::from_utf8_lossy(&req.body).into_owned(),
                Some(m) => match m.known(&call_id) {
                    Some(sdp) => sdp,
                    None => {
                        let offer = String::from_utf8_lossy(&req.body);
                        match m.answer(endpoint, &call_id, &offer).await {
                            Some(sdp) => sdp,
                            None => {
                                m.refused.fetch_add(1, Ordering::Relaxed);
                                send(req.response(488, reason_phrase(488), Some(&tag))).await;
                                return;
                            }
                        }
                    }
                },
            };
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
            ok.body = body.into_bytes().into();
            send(ok).await;
        }
        Method::Ack => {}
        Method::Bye => {
            if let Some(m) = &endpoint.uas_media {
                m.hang_up(&call_id);
            }
            counters.uas_byes.fetch_add(1, Ordering::Relaxed);
            send(req.response(200, reason_phrase(200), Some(&tag))).await;
        }
        _ => send(req.response(200, reason_phrase(200), Some(&tag))).await,
    }
}

/// Register callee `user` from `endpoint` (401 then digest, expects 200).
pub(super) async fn register_callee(
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
