//! What a SIP request/response round trip costs over WebSocket compared
//! with plain TCP, through the real transports on loopback: the client
//! sends an OPTIONS, the stack side answers it with `send_response`, the
//! client reads the 200. One iteration is one round trip.
//!
//! `cargo bench -p pbx-sip --bench ws_transport`

use criterion::{Criterion, criterion_group, criterion_main};
use futures_util::{SinkExt, StreamExt};
use pbx_sip::message::{SipMessage, parse_stream};
use pbx_sip::transport::{TransportConfig, TransportHandle, TransportKind, Transports};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::runtime::Runtime;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

fn options(transport: &str) -> String {
    format!(
        "OPTIONS sip:pbx@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/{transport} client.invalid;rport;branch=z9hG4bKbench\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:pbx@127.0.0.1>\r\n\
         From: <sip:alice@127.0.0.1>;tag=1928301774\r\n\
         Call-ID: bench@client.invalid\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

/// Transports on loopback TCP and WS whose stack side answers every
/// request with a 200 over the request's connection.
async fn echo_server() -> TransportHandle {
    let config = TransportConfig {
        udp: vec![],
        tcp: vec!["127.0.0.1:0".parse().unwrap()],
        ws_listen: vec!["127.0.0.1:0".parse().unwrap()],
        ..TransportConfig::default()
    };
    let (handle, mut rx) = Transports::start(config).await.expect("start");
    let answer = handle.clone();
    tokio::spawn(async move {
        while let Some(incoming) = rx.recv().await {
            if let SipMessage::Request(r) = &incoming.message {
                let ok = r.response(200, "OK", Some("srv"));
                let _ = answer
                    .send_response(&ok, incoming.transport, incoming.connection)
                    .await;
            }
        }
    });
    handle
}

async fn ws_client(server: SocketAddr) -> WebSocketStream<TcpStream> {
    let tcp = TcpStream::connect(server).await.unwrap();
    tcp.set_nodelay(true).unwrap();
    let mut request = format!("ws://{server}/").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
    tokio_tungstenite::client_async(request, tcp)
        .await
        .expect("upgrade")
        .0
}

async fn tcp_round_trip(stream: &mut TcpStream, request: &[u8], buf: &mut Vec<u8>) {
    stream.write_all(request).await.unwrap();
    buf.clear();
    loop {
        let mut chunk = [0u8; 4096];
        let n = stream.read(&mut chunk).await.unwrap();
        assert!(n > 0, "server closed");
        buf.extend_from_slice(&chunk[..n]);
        if let Ok(Some((SipMessage::Response(r), _))) = parse_stream(buf) {
            assert_eq!(r.status, 200);
            return;
        }
    }
}

async fn ws_round_trip(ws: &mut WebSocketStream<TcpStream>, request: &str) {
    ws.send(Message::text(request)).await.unwrap();
    loop {
        match ws.next().await.expect("closed").expect("ws error") {
            Message::Text(t) => {
                assert!(t.starts_with("SIP/2.0 200 "));
                return;
            }
            _ => continue,
        }
    }
}

fn round_trips(c: &mut Criterion) {
    let rt = Runtime::new().unwrap();
    let handle = rt.block_on(echo_server());
    let tcp_addr = handle.local_addrs(TransportKind::Tcp)[0];
    let ws_addr = handle.local_addrs(TransportKind::Ws)[0];
    let mut group = c.benchmark_group("round_trip");

    let mut tcp = rt.block_on(async {
        let s = TcpStream::connect(tcp_addr).await.unwrap();
        s.set_nodelay(true).unwrap();
        s
    });
    let tcp_request = options("TCP").into_bytes();
    let mut buf = Vec::new();
    group.bench_function("tcp_options", |b| {
        b.iter(|| rt.block_on(tcp_round_trip(&mut tcp, &tcp_request, &mut buf)))
    });

    let mut ws = rt.block_on(ws_client(ws_addr));
    let ws_request = options("WS");
    group.bench_function("ws_options", |b| {
        b.iter(|| rt.block_on(ws_round_trip(&mut ws, &ws_request)))
    });
    group.finish();
    handle.shutdown();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = round_trips
}
criterion_main!(benches);
