//! WebSocket transport tests (RFC 7118) over loopback, with a
//! tokio-tungstenite client as the browser phone.

use futures_util::{SinkExt, StreamExt};
use pbx_sip::auth::InMemoryCredentials;
use pbx_sip::message::{SipMessage, parse_datagram};
use pbx_sip::service::ServiceConfig;
use pbx_sip::transport::{
    Incoming, PemSource, Target, TlsConfig, TransportConfig, TransportError, TransportHandle,
    TransportKind, Transports, WsConfig,
};
use rcgen::{CertificateParams, KeyPair, SanType};
use rustls::pki_types::ServerName;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

const WAIT: Duration = Duration::from_secs(5);

fn v4() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A WS-only configuration on loopback.
fn ws_config() -> TransportConfig {
    TransportConfig {
        udp: vec![],
        tcp: vec![],
        ws_listen: vec![v4()],
        ..TransportConfig::default()
    }
}

async fn start(config: TransportConfig) -> (TransportHandle, mpsc::Receiver<Incoming>) {
    Transports::start(config).await.expect("start")
}

/// The WebSocket upgrade over `stream`, offering `protocol` (none when
/// `None`) and sending `origin` when given.
async fn upgrade<S>(
    stream: S,
    server: SocketAddr,
    scheme: &str,
    protocol: Option<&str>,
    origin: Option<&str>,
) -> Result<(WebSocketStream<S>, Option<String>), WsError>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut request = format!("{scheme}://{server}/").into_client_request()?;
    if let Some(p) = protocol {
        request
            .headers_mut()
            .insert("Sec-WebSocket-Protocol", p.parse().unwrap());
    }
    if let Some(o) = origin {
        request.headers_mut().insert("Origin", o.parse().unwrap());
    }
    let (ws, response) = timeout(WAIT, tokio_tungstenite::client_async(request, stream))
        .await
        .expect("upgrade timed out")?;
    let chosen = response
        .headers()
        .get("Sec-WebSocket-Protocol")
        .map(|v| v.to_str().unwrap().to_string());
    Ok((ws, chosen))
}

/// A plain `ws://` client offering the `sip` subprotocol.
async fn connect(server: SocketAddr) -> WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(server).await.unwrap();
    let (ws, chosen) = upgrade(tcp, server, "ws", Some("sip"), None)
        .await
        .expect("upgrade");
    assert_eq!(chosen.as_deref(), Some("sip"));
    ws
}

/// A request without Content-Length (RFC 7118 section 5: the WebSocket
/// message delimits it).
fn request(method: &str, call_id: &str) -> String {
    format!(
        "{method} sip:pbx@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/WS df7jal23ls0d.invalid;rport;branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:alice@127.0.0.1>\r\n\
         From: <sip:alice@127.0.0.1>;tag=1928301774\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 {method}\r\n\
         Contact: <sip:alice@df7jal23ls0d.invalid;transport=ws>\r\n\r\n"
    )
}

async fn next(rx: &mut mpsc::Receiver<Incoming>) -> Incoming {
    timeout(WAIT, rx.recv())
        .await
        .expect("timed out waiting for a message")
        .expect("channel closed")
}

fn as_request(incoming: &Incoming) -> &pbx_sip::message::Request {
    match &incoming.message {
        SipMessage::Request(r) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

/// The next data message (text or binary) as text; pings and pongs are
/// skipped.
async fn next_text<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>) -> String {
    timeout(WAIT, async {
        loop {
            match ws.next().await.expect("closed").expect("ws error") {
                Message::Text(t) => return t.to_string(),
                Message::Binary(b) => return String::from_utf8_lossy(&b).into_owned(),
                Message::Close(f) => panic!("closed: {f:?}"),
                _ => continue,
            }
        }
    })
    .await
    .expect("timed out waiting for a ws message")
}

/// Read until the server closes; returns the close code if it sent one.
async fn closed<S: AsyncRead + AsyncWrite + Unpin>(
    ws: &mut WebSocketStream<S>,
) -> Option<CloseCode> {
    timeout(WAIT, async {
        let mut code = None;
        while let Some(item) = ws.next().await {
            match item {
                Ok(Message::Close(frame)) => code = frame.map(|f| f.code),
                Ok(_) => {}
                Err(_) => break,
            }
        }
        code
    })
    .await
    .expect("the server did not close the connection")
}

/// Poll `check` until it holds (counters move after the close).
async fn eventually(mut check: impl FnMut() -> bool) {
    timeout(WAIT, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("condition never held");
}

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
async fn idle_connection_is_closed() {
    let config = TransportConfig {
        idle_timeout: Duration::from_millis(300),
        ..ws_config()
    };
    let (handle, _rx) = start(config).await;
    let server = handle.local_addrs(TransportKind::Ws)[0];
    let mut ws = connect(server).await;
    assert_eq!(closed(&mut ws).await, Some(CloseCode::Normal));
    eventually(|| handle.stats().closed_idle == 1).await;
    handle.shutdown();
}

/// A self-signed certificate for 127.0.0.1 and "localhost": (cert, key).
fn self_signed() -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn connector(trusted_pem: &str) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut trusted_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn wss_with_a_self_signed_certificate() {
    let (cert, key) = self_signed();
    let config = TransportConfig {
        udp: vec![],
        tcp: vec![],
        wss_listen: vec![v4()],
        tls: TlsConfig {
            certificate_chain: Some(PemSource::Bytes(cert.clone().into_bytes())),
            private_key: Some(PemSource::Bytes(key.into_bytes())),
            root_certificates: Vec::new(),
        },
        ..TransportConfig::default()
    };
    let (handle, mut rx) = start(config).await;
    let server = handle.local_addrs(TransportKind::Wss)[0];
    assert!(handle.local_addrs(TransportKind::Ws).is_empty());

    let tcp = TcpStream::connect(server).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = timeout(WAIT, connector(&cert).connect(name, tcp))
        .await
        .unwrap()
        .expect("tls handshake");
    let (mut ws, chosen) = upgrade(tls, server, "wss", Some("sip"), None)
        .await
        .expect("upgrade");
    assert_eq!(chosen.as_deref(), Some("sip"));
    let req = request("REGISTER", "wss1").replace("SIP/2.0/WS ", "SIP/2.0/WSS ");
    ws.send(Message::text(req)).await.unwrap();
    let incoming = next(&mut rx).await;
    assert_eq!(incoming.transport, TransportKind::Wss);
    assert_eq!(incoming.transport.as_str(), "WSS");
    let r = as_request(&incoming);
    assert_eq!(
        r.headers.top_via().unwrap().param("received"),
        Some(Some("127.0.0.1"))
    );
    let ok = r.response(200, "OK", Some("srv"));
    handle
        .send_response(&ok, TransportKind::Wss, incoming.connection)
        .await
        .unwrap();
    let text = next_text(&mut ws).await;
    assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");

    // A plain ws:// client on the WSS port gets nowhere and is counted.
    let tcp = TcpStream::connect(server).await.unwrap();
    assert!(upgrade(tcp, server, "ws", Some("sip"), None).await.is_err());
    eventually(|| handle.stats().ws_refused == 1).await;
    handle.shutdown();
}

#[tokio::test]
async fn wss_without_a_certificate_fails_to_start() {
    let config = TransportConfig {
        udp: vec![],
        tcp: vec![],
        wss_listen: vec![v4()],
        ..TransportConfig::default()
    };
    let err = Transports::start(config).await.unwrap_err();
    assert!(err.to_string().contains("certificate chain"), "{err}");
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
