//! Helpers shared by the WebSocket transport tests: a loopback WS
//! configuration, a tokio-tungstenite client and message waiting.

use futures_util::StreamExt;
use pbx_sip::message::SipMessage;
use pbx_sip::transport::{Incoming, TransportConfig, TransportHandle, Transports};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

pub const WAIT: Duration = Duration::from_secs(5);

pub fn v4() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

/// A WS-only configuration on loopback.
pub fn ws_config() -> TransportConfig {
    TransportConfig {
        udp: vec![],
        tcp: vec![],
        ws_listen: vec![v4()],
        ..TransportConfig::default()
    }
}

pub async fn start(config: TransportConfig) -> (TransportHandle, mpsc::Receiver<Incoming>) {
    Transports::start(config).await.expect("start")
}

/// The WebSocket upgrade over `stream`, offering `protocol` (none when
/// `None`) and sending `origin` when given.
pub async fn upgrade<S>(
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
pub async fn connect(server: SocketAddr) -> WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(server).await.unwrap();
    let (ws, chosen) = upgrade(tcp, server, "ws", Some("sip"), None)
        .await
        .expect("upgrade");
    assert_eq!(chosen.as_deref(), Some("sip"));
    ws
}

/// A request without Content-Length (RFC 7118 section 5: the WebSocket
/// message delimits it).
pub fn request(method: &str, call_id: &str) -> String {
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

pub async fn next(rx: &mut mpsc::Receiver<Incoming>) -> Incoming {
    timeout(WAIT, rx.recv())
        .await
        .expect("timed out waiting for a message")
        .expect("channel closed")
}

pub fn as_request(incoming: &Incoming) -> &pbx_sip::message::Request {
    match &incoming.message {
        SipMessage::Request(r) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

/// The next data message (text or binary) as text; pings and pongs are
/// skipped.
pub async fn next_text<S: AsyncRead + AsyncWrite + Unpin>(ws: &mut WebSocketStream<S>) -> String {
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
pub async fn closed<S: AsyncRead + AsyncWrite + Unpin>(
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
pub async fn eventually(mut check: impl FnMut() -> bool) {
    timeout(WAIT, async {
        while !check() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("condition never held");
}
