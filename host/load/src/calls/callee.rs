//! The callee side: the answering UAS and the callee registrations.

use super::CallsConfig;
use super::SDP;
use super::endpoint::{Counters, Endpoint, Waiter, transaction};
use super::result::{Failure, Stage};
use crate::register::{self, AlgorithmChoice};
use pbx_sip::message::{Method, Request, Response, reason_phrase};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::net::SocketAddr;
use std::sync::atomic::Ordering;

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
