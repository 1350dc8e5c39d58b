//! The caller side: one whole call (INVITE, 407, authenticated INVITE,
//! ACK, hold, BYE) and the requests it builds.

use super::endpoint::{Counters, Endpoint, Waiter, transaction};
use super::result::{Failure, Stage};
use super::{CallEnd, CallsConfig, SDP};
use crate::media::{self, RtpLeg, RunningLeg};
use crate::register::answer;
use pbx_sip::auth::client::parse_challenge;
use pbx_sip::message::{Method, Request, Response};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

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
        .filter_map(|v| parse_challenge(v).ok())
        .find(|c| c.is_supported())?;
    answer(&offer, "INVITE", user, password, uri, cnonce)
}

/// How much earlier than expected a far end's BYE may be stamped (it is
/// timed on arrival, the call's answer when this task gets to it).
const BYE_SLACK: Duration = Duration::from_millis(50);

/// The dialog-forming headers of one call.
pub(super) struct Call {
    pub(super) caller: String,
    pub(super) callee: String,
    pub(super) call_id: String,
    pub(super) from: String,
    pub(super) id: u64,
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
pub(super) async fn call_one(
    cfg: Arc<CallsConfig>,
    endpoint: Arc<Endpoint>,
    counters: Arc<Counters>,
    call: Call,
) -> Result<Duration, (Failure, bool)> {
    let mut running: Option<RunningLeg> = None;
    let outcome = call_dialog(&cfg, &endpoint, &counters, &call, &mut running).await;
    if let Some(r) = running {
        let stats = r.stop().await;
        if let Ok(mut t) = counters.caller_media.lock() {
            t.add(&stats);
        }
    }
    outcome
}

/// The SIP side of [`call_one`]; starts the call's media into `running`
/// once answered.
async fn call_dialog(
    cfg: &CallsConfig,
    endpoint: &Endpoint,
    counters: &Counters,
    call: &Call,
    running: &mut Option<RunningLeg>,
) -> Result<Duration, (Failure, bool)> {
    let ep = endpoint;
    let mut waiter = Waiter::new(ep, &call.call_id);
    let target = cfg.target;
    let uri = format!("sip:{}@{}", call.callee, cfg.realm);
    let to = format!("<{uri}>");
    let b = |n: u32| format!("{:x}c{n}", call.id);
    let fail = |f: Failure| (f, false);

    // Our media leg, when the call carries RTP.
    let (leg, offer) = match &cfg.plan.media {
        Some(plan) => {
            let leg = RtpLeg::bind(ep.local.ip())
                .await
                .map_err(|_| fail(Failure::Media))?;
            let sdp = media::sdp(leg.local(), plan.codec, plan.dtmf_payload_type, call.id);
            (Some(leg), sdp)
        }
        None => (None, SDP.to_string()),
    };

    // 1. INVITE without credentials: 407, ACKed.
    let mut inv1 = call.request(ep.local, Method::Invite, &uri, 1, &b(1), &to);
    inv1.headers.push("Content-Type", "application/sdp");
    inv1.body = offer.clone().into_bytes().into();
    let r1 = transaction(
        ep,
        target,
        &inv1.to_bytes(),
        (1, Method::Invite),
        Stage::Invite1,
        &mut waiter,
        counters,
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
    inv2.body = offer.into_bytes().into();
    let t0 = Instant::now();
    let r2 = transaction(
        ep,
        target,
        &inv2.to_bytes(),
        (2, Method::Invite),
        Stage::Invite2,
        &mut waiter,
        counters,
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
    let answered_at = Instant::now();
    let mut media_failure = None;
    if let (Some(leg), Some(plan)) = (leg, &cfg.plan.media) {
        match media::remote_from_sdp(&String::from_utf8_lossy(&r2.body)) {
            Some((addr, _)) => *running = Some(leg.start(addr, plan.clone())),
            None => media_failure = Some(Failure::NoAnswerSdp),
        }
    }

    // 3. The call: ours to end after the hold time, or the far end's.
    let (hang_up_at, expect_remote) = match cfg.plan.end {
        CallEnd::CallerBye => (answered_at + cfg.hold, None),
        // The far end's BYE is stamped by the receive loop, which may see
        // it before this task has even sent its ACK: allow for that.
        CallEnd::RemoteBye { after, within } => (
            answered_at + after + within,
            Some((answered_at + after).checked_sub(BYE_SLACK).unwrap_or(t0)),
        ),
    };
    loop {
        if waiter.bye_at().is_some() {
            break;
        }
        tokio::select! {
            r = tokio::time::timeout_at(hang_up_at, waiter.rx.recv()) => match r {
                // Keep ACKing 200 retransmissions.
                Ok(Some(r)) => {
                    if r.status / 100 == 2 && matches!(r.headers.cseq(), Some((_, Method::Invite))) {
                        counters.reacks.fetch_add(1, Ordering::Relaxed);
                        let _ = ep.socket.send_to(&ack, target).await;
                    }
                }
                _ => break,
            },
            _ = waiter.bye.changed() => {}
        }
    }
    if let Some(bye_at) = waiter.bye_at() {
        return match (expect_remote, media_failure) {
            (_, Some(f)) => Err((f, true)),
            (Some(earliest), None) if bye_at >= earliest => Ok(srd),
            _ => Err((Failure::EarlyRemoteBye, true)),
        };
    }
    let bye = call.request(ep.local, Method::Bye, &remote, 3, &b(4), &to_tagged);
    let r3 = transaction(
        ep,
        target,
        &bye.to_bytes(),
        (3, Method::Bye),
        Stage::Bye,
        &mut waiter,
        counters,
        Some(&ack),
    )
    .await
    .map_err(|f| (f, true))?;
    if let Some(f) = media_failure {
        return Err((f, true));
    }
    if expect_remote.is_some() {
        return Err((Failure::NoRemoteBye, true));
    }
    if r3.status / 100 != 2 {
        return Err((Failure::Status(Stage::Bye, r3.status), true));
    }
    Ok(srd)
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
