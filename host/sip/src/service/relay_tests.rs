//! In-dialog requests relayed between the legs of a call (INFO with DTMF,
//! UPDATE, MESSAGE), over real loopback UDP with plain sockets as phones.

use super::test_phones::*;
use crate::message::{Method, SipMessage};
use bytes::Bytes;

#[tokio::test]
async fn info_update_and_message_are_relayed_with_their_bodies() {
    let service = service(None).await;
    let (caller, callee, _b_invite, ok) = connected_call(&service, "relay").await;
    let to = ok.headers.get("To").unwrap().to_string();
    let cases = [
        (
            "INFO",
            "application/dtmf-relay",
            "Signal=5\r\nDuration=160\r\n",
        ),
        ("UPDATE", "application/sdp", "v=0\r\n"),
        ("MESSAGE", "text/plain", "hello"),
    ];
    for (n, (method, content_type, body)) in cases.into_iter().enumerate() {
        let seq = 10 + n as u32;
        let mut req = caller.request(method, "1003", "relay", seq, "");
        req.headers.set("To", &to);
        req.headers.set("Content-Type", content_type);
        req.body = Bytes::from(body);
        caller.send(&SipMessage::Request(req)).await;
        let relayed = callee.next_request(Method::from_token(method)).await;
        assert_eq!(
            relayed.headers.get("Content-Type"),
            Some(content_type),
            "{method}"
        );
        assert_eq!(relayed.body, Bytes::from(body), "{method}");
        assert_eq!(
            relayed.headers.call_id(),
            _b_invite.headers.call_id(),
            "{method} in the B dialog"
        );
        let answer = relayed.response(200, "OK", None);
        callee.send(&SipMessage::Response(answer)).await;
        let back = caller
            .next_response(WAIT, |s| s >= 200)
            .await
            .unwrap_or_else(|| panic!("{method} answered"));
        assert_eq!(back.status, 200, "{method}");
        assert_eq!(back.headers.cseq(), Some((seq, Method::from_token(method))));
    }
    // A refusal comes back as it is.
    let mut info = caller.request("INFO", "1003", "relay", 20, "");
    info.headers.set("To", &to);
    caller.send(&SipMessage::Request(info)).await;
    let relayed = callee.next_request(Method::Info).await;
    callee
        .send(&SipMessage::Response(relayed.response(
            415,
            "Unsupported Media Type",
            None,
        )))
        .await;
    let back = caller.next_response(WAIT, |s| s >= 200).await.unwrap();
    assert_eq!(back.status, 415);
    service.shutdown().await;
}

#[tokio::test]
async fn b_leg_advertises_the_configured_host() {
    let service = service_with(|c| c.advertised_host = Some("pbx.example.com".into())).await;
    let port = service.udp_addr().unwrap().port();
    let callee = registered_callee(&service).await;
    let caller = Phone::new(&service, "1001").await;
    let invite = caller.request("INVITE", "1003", "adv", 1, "");
    caller.send_authenticated(invite).await;
    let b_invite = callee.next_request(Method::Invite).await;
    let via = b_invite.headers.get("Via").unwrap();
    assert!(via.contains(&format!("pbx.example.com:{port}")), "{via}");
    let contact = b_invite.headers.get("Contact").unwrap();
    assert_eq!(contact, format!("<sip:pbx@pbx.example.com:{port}>"));
    service.shutdown().await;
}
