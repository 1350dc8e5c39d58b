//! WebSocket transport tests (RFC 7118) over loopback, with a
//! tokio-tungstenite client as the browser phone. Helpers are in
//! `transport_ws/support.rs`, the WSS tests in `transport_ws/wss.rs`.

#[path = "transport_ws/support.rs"]
mod support;
#[path = "transport_ws/wss.rs"]
mod wss;

use futures_util::{SinkExt, StreamExt};
use pbx_sip::auth::InMemoryCredentials;
use pbx_sip::message::{SipMessage, parse_datagram};
use pbx_sip::service::ServiceConfig;
use pbx_sip::transport::{Target, TransportConfig, TransportError, TransportKind, WsConfig};
use std::sync::Arc;
use std::time::Duration;
use support::{
    WAIT, as_request, closed, connect, eventually, next, next_text, request, start, upgrade, v4,
    ws_config,
};
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

#[tokio::test]
async fn register_and_options_answered_over_the_same_connection() {
    let (handle, mut rx) = start(ws_config()).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    let mut ws = connect(server).await;

    ws.send(Message::text(request("REGISTER", "ws-reg")))
        .await
        .unwrap();
    let reg = next(&mut rx).await;
    assert_eq!(reg.transport, TransportKind::Ws);
    assert_eq!(reg.transport.as_str(), "WS");
    assert!(reg.transport.is_reliable());
    assert_eq!(reg.local, server);
    let conn = reg.connection.expect("a connection id");
    let r = as_request(&reg);
    assert_eq!(r.method.as_str(), "REGISTER");
    let via = r.headers.top_via().unwrap();
    assert_eq!(via.transport, "WS");
    assert_eq!(via.param("received"), Some(Some("127.0.0.1")));
    let port = reg.source.port().to_string();
    assert_eq!(via.param("rport"), Some(Some(port.as_str())));

    let ok = r.response(200, "OK", Some("srv"));
    let used = handle
        .send_response(&ok, TransportKind::Ws, Some(conn))
        .await
        .unwrap();
    assert_eq!(used, Some(conn));
    let text = next_text(&mut ws).await;
    assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
    assert!(text.contains("Call-ID: ws-reg\r\n"), "{text}");
    assert!(text.contains(&format!(";rport={port}")), "{text}");

    // A binary message carries a SIP message just as well.
    ws.send(Message::binary(request("OPTIONS", "ws-opt").into_bytes()))
        .await
        .unwrap();
    let opt = next(&mut rx).await;
    assert_eq!(opt.connection, Some(conn));
    // With the connection id forgotten the response still finds the
    // connection, by received/rport.
    let ok = as_request(&opt).response(200, "OK", Some("srv"));
    let used = handle
        .send_response(&ok, TransportKind::Ws, None)
        .await
        .unwrap();
    assert_eq!(used, Some(conn));
    assert!(next_text(&mut ws).await.contains("Call-ID: ws-opt\r\n"));

    // A request to the registered phone goes over its connection.
    let mut to_phone = pbx_sip::message::Request::new(
        pbx_sip::message::Method::Options,
        "sip:alice@df7jal23ls0d.invalid;transport=ws",
    );
    to_phone
        .headers
        .push("Via", &format!("SIP/2.0/WS {server};branch=z9hG4bKout1"));
    to_phone.headers.push("Call-ID", "to-phone");
    let target = Target {
        transport: TransportKind::Ws,
        addr: opt.source,
        connection: None,
    };
    let used = handle
        .send(&SipMessage::Request(to_phone), target)
        .await
        .unwrap();
    assert_eq!(used, Some(conn));
    let text = next_text(&mut ws).await;
    assert!(text.starts_with("OPTIONS sip:alice@"), "{text}");
    assert!(handle.is_open(conn));
    handle.shutdown();
}

#[tokio::test]
async fn pings_and_crlf_keepalives_are_answered() {
    let (handle, _rx) = start(ws_config()).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    let mut ws = connect(server).await;
    ws.send(Message::Ping(b"hi".to_vec().into())).await.unwrap();
    let pong = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert_eq!(pong, Message::Pong(b"hi".to_vec().into()));
    // RFC 5626 CRLFCRLF in a message of its own gets CRLF back.
    ws.send(Message::text("\r\n\r\n")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "\r\n");
    assert_eq!(handle.stats().dropped, 0);
    handle.shutdown();
}

#[tokio::test]
async fn client_without_sip_subprotocol_is_refused() {
    let (handle, mut rx) = start(ws_config()).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    for offered in [None, Some("chat")] {
        let tcp = TcpStream::connect(server).await.unwrap();
        let err = upgrade(tcp, server, "ws", offered, None)
            .await
            .map(|_| ())
            .expect_err("upgrade must be refused");
        let WsError::Http(response) = err else {
            panic!("expected an HTTP error, got {err:?}");
        };
        assert_eq!(response.status().as_u16(), 400);
        let body = String::from_utf8_lossy(response.body().as_deref().unwrap_or_default());
        assert!(body.contains("Sec-WebSocket-Protocol: sip"), "{body}");
    }
    eventually(|| handle.stats().ws_refused == 2).await;
    // The listener still serves proper clients.
    let mut ws = connect(server).await;
    ws.send(Message::text(request("OPTIONS", "after")))
        .await
        .unwrap();
    assert_eq!(
        as_request(&next(&mut rx).await).headers.call_id(),
        Some("after")
    );
    handle.shutdown();
}

#[tokio::test]
async fn origins_outside_the_allowed_list_are_refused() {
    let config = TransportConfig {
        ws: WsConfig {
            allowed_origins: vec!["https://phone.example.com".to_string()],
        },
        ..ws_config()
    };
    let (handle, _rx) = start(config).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    let tcp = TcpStream::connect(server).await.unwrap();
    let err = upgrade(tcp, server, "ws", Some("sip"), Some("https://evil.example"))
        .await
        .map(|_| ())
        .expect_err("origin must be refused");
    let WsError::Http(response) = err else {
        panic!("expected an HTTP error, got {err:?}");
    };
    assert_eq!(response.status().as_u16(), 403);
    let tcp = TcpStream::connect(server).await.unwrap();
    let (_ws, chosen) = upgrade(
        tcp,
        server,
        "ws",
        Some("sip"),
        Some("https://phone.example.com"),
    )
    .await
    .expect("allowed origin");
    assert_eq!(chosen.as_deref(), Some("sip"));
    handle.shutdown();
}

#[tokio::test]
async fn oversize_message_closes_the_connection() {
    let config = TransportConfig {
        max_message_size: 1000,
        ..ws_config()
    };
    let (handle, mut rx) = start(config).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    let mut ws = connect(server).await;
    ws.send(Message::text(request("OPTIONS", "small")))
        .await
        .unwrap();
    let conn = next(&mut rx).await.connection.unwrap();
    let big = request("OPTIONS", "big").replace(
        "Max-Forwards: 70\r\n",
        &format!("Max-Forwards: 70\r\nX-Pad: {}\r\n", "a".repeat(1200)),
    );
    ws.send(Message::text(big)).await.unwrap();
    assert_eq!(closed(&mut ws).await, Some(CloseCode::Size));
    eventually(|| !handle.is_open(conn)).await;
    assert_eq!(handle.stats().closed_on_error, 1);
    assert!(rx.try_recv().is_err(), "the oversize message was delivered");
    // Sending to a closed WebSocket connection fails clearly: the server
    // cannot connect to a browser.
    let err = handle
        .send_bytes(
            b"OPTIONS sip:x SIP/2.0\r\n\r\n".to_vec(),
            Target {
                transport: TransportKind::Ws,
                addr: server,
                connection: Some(conn),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        TransportError::NoConnection(TransportKind::Ws, _)
    ));
    assert!(err.to_string().contains("register again"), "{err}");
    handle.shutdown();
}

#[tokio::test]
async fn malformed_request_gets_400_over_the_connection() {
    let (handle, mut rx) = start(ws_config()).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    let mut ws = connect(server).await;
    // CSeq method differs from the request method (RFC 4475 mismatch01).
    let bad = request("OPTIONS", "bad1").replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE");
    ws.send(Message::text(bad)).await.unwrap();
    let text = next_text(&mut ws).await;
    assert!(text.starts_with("SIP/2.0 400 "), "{text}");
    assert!(text.contains("Call-ID: bad1\r\n"), "{text}");
    assert!(text.contains(";received=127.0.0.1"), "{text}");
    assert_eq!(handle.stats().rejected, 1);
    // Garbage is dropped and counted; the connection stays usable, as
    // every WebSocket message stands alone.
    ws.send(Message::binary(vec![0xff, 0x00, 0x13]))
        .await
        .unwrap();
    ws.send(Message::text(request("OPTIONS", "good")))
        .await
        .unwrap();
    assert_eq!(
        as_request(&next(&mut rx).await).headers.call_id(),
        Some("good")
    );
    assert_eq!(handle.stats().dropped, 1);
    handle.shutdown();
}

#[tokio::test]
async fn silent_peer_is_pinged_then_closed() {
    let config = TransportConfig {
        idle_timeout: Duration::from_millis(300),
        ..ws_config()
    };
    let (handle, _rx) = start(config).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    let mut ws = connect(server).await;
    // Not reading, the client cannot answer the server's Ping.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let first = timeout(WAIT, ws.next()).await.unwrap().unwrap().unwrap();
    assert!(matches!(first, Message::Ping(_)), "{first:?}");
    assert_eq!(closed(&mut ws).await, Some(CloseCode::Normal));
    eventually(|| handle.stats().closed_idle == 1).await;
    handle.shutdown();
}

#[tokio::test]
async fn peer_answering_pings_stays_connected() {
    let config = TransportConfig {
        idle_timeout: Duration::from_millis(600),
        ..ws_config()
    };
    let (handle, mut rx) = start(config).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    let mut ws = connect(server).await;
    // A reading client answers each Ping with a Pong by itself, as a
    // browser does, and so outlives several idle timeouts.
    let mut pings = 0;
    let _ = timeout(Duration::from_millis(2000), async {
        while let Some(Ok(message)) = ws.next().await {
            assert!(!matches!(message, Message::Close(_)), "closed");
            pings += usize::from(matches!(message, Message::Ping(_)));
        }
    })
    .await;
    assert!(pings >= 2, "{pings} pings");
    ws.send(Message::text(request("OPTIONS", "alive")))
        .await
        .unwrap();
    assert_eq!(
        as_request(&next(&mut rx).await).headers.call_id(),
        Some("alive")
    );
    assert_eq!(handle.stats().closed_idle, 0);
    handle.shutdown();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn service_challenges_a_register_over_websocket() {
    let mut creds = InMemoryCredentials::new();
    creds.add_password("pbx.test", "1001", "s3cret");
    let mut config = ServiceConfig::new("pbx.test", Arc::new(creds), v4());
    config.transport.ws_listen = vec![v4()];
    let service = pbx_sip::service::start(config)
        .await
        .expect("service starts");
    let server = service.local_addrs(TransportKind::Ws)[0];
    let mut ws = connect(server).await;
    let register = request("REGISTER", "svc-reg")
        .replace("sip:pbx@127.0.0.1", "sip:pbx.test")
        .replace("alice@127.0.0.1", "1001@pbx.test")
        .replace(
            "CSeq: 1 REGISTER\r\n",
            "CSeq: 1 REGISTER\r\nExpires: 60\r\n",
        );
    ws.send(Message::text(register)).await.unwrap();
    let text = next_text(&mut ws).await;
    let Ok(SipMessage::Response(r)) = parse_datagram(text.as_bytes()) else {
        panic!("not a response: {text}");
    };
    assert_eq!(r.status, 401, "{text}");
    let challenge = r.headers.get("WWW-Authenticate").expect("a challenge");
    assert!(challenge.contains("realm=\"pbx.test\""), "{challenge}");
    assert_eq!(r.headers.call_id(), Some("svc-reg"));
    service.shutdown().await;
}

#[tokio::test]
async fn sip_over_plain_tcp_on_the_ws_port_is_refused() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let (handle, mut rx) = start(ws_config()).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    let mut tcp = TcpStream::connect(server).await.unwrap();
    tcp.write_all(request("OPTIONS", "raw").as_bytes())
        .await
        .unwrap();
    // Not an HTTP upgrade: the connection is dropped, nothing delivered.
    let mut buf = [0u8; 512];
    let n = timeout(WAIT, tcp.read(&mut buf))
        .await
        .expect("the server kept the connection open")
        .unwrap_or(0);
    assert!(!String::from_utf8_lossy(&buf[..n]).starts_with("SIP/2.0"));
    eventually(|| handle.stats().ws_refused == 1).await;
    assert!(rx.try_recv().is_err());
    handle.shutdown();
}

#[tokio::test]
async fn ws_over_ipv6_loopback() {
    let Ok(probe) = std::net::TcpListener::bind("[::1]:0") else {
        eprintln!("skipped: ::1 cannot be bound here");
        return;
    };
    drop(probe);
    let config = TransportConfig {
        ws_listen: vec!["[::1]:0".parse().unwrap()],
        ..ws_config()
    };
    let (handle, mut rx) = start(config).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    assert!(server.is_ipv6());
    let mut ws = connect(server).await;
    ws.send(Message::text(request("OPTIONS", "v6")))
        .await
        .unwrap();
    let incoming = next(&mut rx).await;
    let r = as_request(&incoming);
    assert_eq!(
        r.headers.top_via().unwrap().param("received"),
        Some(Some("::1"))
    );
    let ok = r.response(200, "OK", Some("srv"));
    handle
        .send_response(&ok, TransportKind::Ws, incoming.connection)
        .await
        .unwrap();
    assert!(next_text(&mut ws).await.starts_with("SIP/2.0 200 OK\r\n"));
    handle.shutdown();
}
