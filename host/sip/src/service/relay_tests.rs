//! In-dialog requests relayed between the legs of a call (INFO with DTMF,
//! UPDATE, MESSAGE), over real loopback UDP with plain sockets as phones.

use super::test_phones::*;
use crate::message::{Method, SipMessage};
use bytes::Bytes;

#[tokio::test]
async fn info_update_and_message_are_relayed_with_their_bodies() {
    let service = service(None).await;
    let allow = [("Allow", "INVITE, ACK, BYE, CANCEL, UPDATE, INFO, MESSAGE")];
    let (caller, callee, _b_invite, ok) = connected_call_with(&service, "relay", &allow).await;
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

#[tokio::test]
async fn update_to_a_peer_without_update_goes_as_a_reinvite() {
    let service = service(None).await;
    // The callee's 200 has no Allow: it never said it takes UPDATE.
    let (caller, callee, _b_invite, ok) = connected_call(&service, "upd").await;
    let to = ok.headers.get("To").unwrap().to_string();
    let mut update = caller.request("UPDATE", "1003", "upd", 10, "");
    update.headers.set("To", &to);
    update.headers.set("Content-Type", "application/sdp");
    update.body = Bytes::from("v=0\r\no=caller 1 2 IN IP4 127.0.0.1\r\n");
    caller.send(&SipMessage::Request(update)).await;
    let reinvite = callee.next_request(Method::Invite).await;
    assert_eq!(
        reinvite.body,
        Bytes::from("v=0\r\no=caller 1 2 IN IP4 127.0.0.1\r\n")
    );
    let mut answer = reinvite.response(200, "OK", None);
    answer.headers.set("Content-Type", "application/sdp");
    answer.body = Bytes::from("v=0\r\no=callee 1 2 IN IP4 127.0.0.1\r\n");
    callee.send(&SipMessage::Response(answer)).await;
    let _ack = callee.next_request(Method::Ack).await;
    let back = caller
        .next_response(WAIT, |s| s >= 200)
        .await
        .expect("UPDATE answered");
    assert_eq!(back.status, 200);
    assert_eq!(back.headers.cseq().map(|c| c.1), Some(Method::Update));
    assert_eq!(
        back.body,
        Bytes::from("v=0\r\no=callee 1 2 IN IP4 127.0.0.1\r\n")
    );
    // Without an offer the UPDATE is answered at once.
    let mut refresh = caller.request("UPDATE", "1003", "upd", 11, "");
    refresh.headers.set("To", &to);
    caller.send(&SipMessage::Request(refresh)).await;
    let back = caller
        .next_response(WAIT, |s| s >= 200)
        .await
        .expect("answered");
    assert_eq!(back.status, 200);
    service.shutdown().await;
}

#[tokio::test]
async fn a_request_too_large_for_udp_goes_over_tcp() {
    use tokio::io::AsyncReadExt;
    let service = service(None).await;
    let callee = registered_callee(&service).await;
    // The callee also listens on TCP at its UDP port.
    let tcp = tokio::net::TcpListener::bind(("127.0.0.1", callee.port))
        .await
        .unwrap();
    let caller = Phone::new(&service, "1001").await;
    let mut invite = caller.request("INVITE", "1003", "big", 1, "");
    invite.headers.set("Content-Type", "application/sdp");
    let sdp = format!("v=0\r\n{}", "a=x-filler:0123456789abcdef\r\n".repeat(60));
    invite.body = Bytes::from(sdp.clone());
    caller.send_authenticated(invite).await;
    let (mut conn, _) = tokio::time::timeout(WAIT, tcp.accept())
        .await
        .expect("the PBX connects over TCP")
        .unwrap();
    let mut received = Vec::new();
    let mut buf = vec![0u8; 8192];
    while !String::from_utf8_lossy(&received).contains("x-filler:0123456789abcdef\r\n\r\n")
        && received.len() < sdp.len()
    {
        let n = tokio::time::timeout(WAIT, conn.read(&mut buf))
            .await
            .expect("the INVITE arrives")
            .unwrap();
        assert!(n > 0, "connection closed early");
        received.extend_from_slice(&buf[..n]);
        if received.len() >= sdp.len() {
            break;
        }
    }
    let text = String::from_utf8_lossy(&received);
    assert!(text.starts_with("INVITE "), "{text}");
    assert!(text.contains("Via: SIP/2.0/TCP "), "{text}");
    service.shutdown().await;
}
