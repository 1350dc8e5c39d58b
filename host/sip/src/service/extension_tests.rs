//! Reliable provisionals (RFC 3262) and session timers (RFC 4028) in the
//! B2BUA, over real loopback UDP with plain sockets as the phones. Tokio's
//! clock is paused, so the 60 s a session timer waits pass at once.

use super::CallOutcome;
use super::test_phones::*;
use crate::dialog::session_timer::UasPolicy;
use crate::message::{Method, SipMessage};
use std::time::Duration;

#[tokio::test]
async fn unknown_required_extension_gets_420() {
    let service = service(None).await;
    let caller = Phone::new(&service, "1001").await;
    let invite = caller.request("INVITE", "1003", "c420", 1, "Require: 100rel, foo\r\n");
    caller.send(&SipMessage::Request(invite)).await;
    let r = caller.next_response(WAIT, |s| s >= 200).await.unwrap();
    assert_eq!(r.status, 420);
    assert_eq!(r.headers.get("Unsupported"), Some("foo"));
    service.shutdown().await;
}

#[tokio::test]
async fn provisionals_are_reliable_for_a_caller_that_requires_100rel() {
    let service = service(None).await;
    let callee = registered_callee(&service).await;
    let caller = Phone::new(&service, "1001").await;
    let invite = caller.request(
        "INVITE",
        "1003",
        "rel",
        1,
        "Require: 100rel\r\nSupported: 100rel\r\n",
    );
    let invite = caller.send_authenticated(invite).await;

    let b_invite = callee.next_request(Method::Invite).await;
    assert!(
        b_invite
            .headers
            .get_all("Supported")
            .any(|v| v.contains("100rel")),
        "our INVITE offers 100rel"
    );
    callee.send(&answer(&b_invite, 180, &[])).await;

    let ringing = caller.next_response(WAIT, |s| s == 180).await.expect("180");
    let rseq = ringing.headers.get("RSeq").expect("RSeq").to_string();
    assert!(
        ringing
            .headers
            .get_all("Require")
            .any(|v| v.contains("100rel"))
    );
    // Not PRACKed: it comes again, same RSeq.
    let again = caller
        .next_response(WAIT, |s| s == 180)
        .await
        .expect("retransmission");
    assert_eq!(again.headers.get("RSeq"), Some(rseq.as_str()));

    let (seq, _) = invite.headers.cseq().unwrap();
    let to = ringing.headers.get("To").unwrap().to_string();
    let mut prack = caller.request(
        "PRACK",
        "1003",
        "rel",
        seq + 1,
        &format!("RAck: {rseq} {seq} INVITE\r\n"),
    );
    prack.headers.set("To", &to);
    caller.send(&SipMessage::Request(prack)).await;
    let ok = caller
        .next_response(WAIT, |s| s >= 200)
        .await
        .expect("PRACK answered");
    assert_eq!(ok.status, 200, "PRACK matched");
    assert_eq!(ok.headers.cseq().map(|c| c.1), Some(Method::Prack));
    // PRACKed: no further retransmission of the 180.
    assert!(
        caller
            .next_response(Duration::from_secs(2), |s| s == 180)
            .await
            .is_none()
    );
    service.shutdown().await;
}

#[tokio::test]
async fn reliable_provisional_from_the_callee_is_pracked() {
    let service = service(None).await;
    let callee = registered_callee(&service).await;
    let caller = Phone::new(&service, "1001").await;
    let invite = caller.request("INVITE", "1003", "bprack", 1, "");
    caller.send_authenticated(invite).await;
    let b_invite = callee.next_request(Method::Invite).await;
    callee
        .send(&answer(
            &b_invite,
            183,
            &[("Require", "100rel"), ("RSeq", "77")],
        ))
        .await;
    let prack = callee.next_request(Method::Prack).await;
    let (seq, _) = b_invite.headers.cseq().unwrap();
    assert_eq!(
        prack.headers.get("RAck"),
        Some(format!("77 {seq} INVITE").as_str())
    );
    // The caller (no 100rel) still hears the 183, unreliably.
    let early = caller
        .next_response(WAIT, |s| s == 183)
        .await
        .expect("183 relayed");
    assert!(early.headers.get("RSeq").is_none());
    service.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn session_timer_is_negotiated_and_an_unrefreshed_session_is_ended() {
    let service = service(Some(UasPolicy::default())).await;
    let callee = registered_callee(&service).await;
    let caller = Phone::new(&service, "1001").await;

    let too_small = caller.request(
        "INVITE",
        "1003",
        "st1",
        1,
        "Session-Expires: 60\r\nSupported: timer\r\n",
    );
    caller.send(&SipMessage::Request(too_small)).await;
    let r = caller.next_response(WAIT, |s| s >= 200).await.unwrap();
    assert_eq!(r.status, 422);
    assert_eq!(r.headers.get("Min-SE"), Some("90"));

    let invite = caller.request(
        "INVITE",
        "1003",
        "st2",
        1,
        "Session-Expires: 120;refresher=uac\r\nSupported: timer\r\n",
    );
    let invite = caller.send_authenticated(invite).await;
    let b_invite = callee.next_request(Method::Invite).await;
    callee.send(&answer(&b_invite, 200, &[])).await;
    let ok = caller.next_response(WAIT, |s| s == 200).await.expect("200");
    assert_eq!(ok.headers.get("Session-Expires"), Some("120;refresher=uac"));
    assert!(ok.headers.get_all("Require").any(|v| v.contains("timer")));
    let mut ack = invite.clone();
    ack.method = Method::Ack;
    let (seq, _) = invite.headers.cseq().unwrap();
    ack.headers.set("CSeq", &format!("{seq} ACK"));
    ack.headers.set("To", ok.headers.get("To").unwrap());
    caller.send(&SipMessage::Request(ack)).await;

    // No refresh from the caller: after 120 - 32 s both legs get a BYE.
    let started = tokio::time::Instant::now();
    let bye = caller
        .next_request_within(Method::Bye, Duration::from_secs(300))
        .await;
    assert!(
        started.elapsed() >= Duration::from_secs(85),
        "{:?}",
        started.elapsed()
    );
    caller
        .send(&SipMessage::Response(bye.response(200, "OK", None)))
        .await;
    let _ = callee.next_request(Method::Bye).await;
    let calls = service.calls();
    assert_eq!(
        calls.last().map(|c| c.outcome),
        Some(CallOutcome::SessionExpired)
    );
    service.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn we_refresh_the_session_of_a_caller_without_timer_support() {
    let policy = UasPolicy {
        min_se: Duration::from_secs(90),
        preferred: Duration::from_secs(90),
    };
    let service = service(Some(policy)).await;
    let callee = registered_callee(&service).await;
    let caller = Phone::new(&service, "1001").await;
    let invite = caller.request("INVITE", "1003", "uas", 1, "");
    let invite = caller.send_authenticated(invite).await;
    let b_invite = callee.next_request(Method::Invite).await;
    callee.send(&answer(&b_invite, 200, &[])).await;
    let ok = caller.next_response(WAIT, |s| s == 200).await.expect("200");
    assert_eq!(ok.headers.get("Session-Expires"), Some("90;refresher=uas"));
    let mut ack = invite.clone();
    ack.method = Method::Ack;
    let (seq, _) = invite.headers.cseq().unwrap();
    ack.headers.set("CSeq", &format!("{seq} ACK"));
    ack.headers.set("To", ok.headers.get("To").unwrap());
    caller.send(&SipMessage::Request(ack)).await;

    // Twice, at half the interval: our re-INVITE, answered and ACKed.
    for _ in 0..2 {
        let started = tokio::time::Instant::now();
        let refresh = caller
            .next_request_within(Method::Invite, Duration::from_secs(300))
            .await;
        assert!(
            started.elapsed() >= Duration::from_secs(40),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            refresh.headers.get("Session-Expires"),
            Some("90;refresher=uac")
        );
        let mut ok = refresh.response(200, "OK", None);
        ok.headers.push("Contact", "<sip:1001@127.0.0.1>");
        caller.send(&SipMessage::Response(ok)).await;
        let _ack = caller.next_request(Method::Ack).await;
    }
    assert_eq!(service.live_calls(), 1, "refreshed sessions stay up");
    service.shutdown().await;
}
