//! Transport tests over loopback (127.0.0.1 and ::1; IPv6 tests skip
//! when ::1 cannot be bound).

use pbx_sip::message::{SipMessage, Via};
use pbx_sip::transport::{
    Incoming, Target, TransportConfig, TransportHandle, TransportKind, Transports,
};
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::mpsc;
use tokio::time::timeout;

const WAIT: Duration = Duration::from_secs(5);

fn v4() -> SocketAddr {
    "127.0.0.1:0".parse().unwrap()
}

fn v6() -> SocketAddr {
    "[::1]:0".parse().unwrap()
}

fn config(udp: Vec<SocketAddr>, tcp: Vec<SocketAddr>) -> TransportConfig {
    TransportConfig {
        udp,
        tcp,
        ..TransportConfig::default()
    }
}

async fn start(config: TransportConfig) -> (TransportHandle, mpsc::Receiver<Incoming>) {
    Transports::start(config).await.expect("bind")
}

fn options(via_transport: &str, call_id: &str) -> String {
    format!(
        "OPTIONS sip:pbx@127.0.0.1 SIP/2.0\r\n\
         Via: SIP/2.0/{via_transport} client.invalid:5099;rport;branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\n\
         To: <sip:pbx@127.0.0.1>\r\n\
         From: <sip:alice@example.com>;tag=1928301774\r\n\
         Call-ID: {call_id}\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    )
}

async fn next(rx: &mut mpsc::Receiver<Incoming>) -> Incoming {
    timeout(WAIT, rx.recv())
        .await
        .expect("timed out waiting for a message")
        .expect("channel closed")
}

fn request(incoming: &Incoming) -> &pbx_sip::message::Request {
    match &incoming.message {
        SipMessage::Request(r) => r,
        other => panic!("expected a request, got {other:?}"),
    }
}

async fn recv_text(socket: &UdpSocket) -> (String, SocketAddr) {
    let mut buf = vec![0u8; 65_535];
    let (n, from) = timeout(WAIT, socket.recv_from(&mut buf))
        .await
        .expect("timed out waiting for a datagram")
        .unwrap();
    (String::from_utf8_lossy(&buf[..n]).into_owned(), from)
}

/// Read from a stream until `needle` has arrived; returns all read.
async fn read_until(stream: &mut TcpStream, needle: &str) -> String {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    timeout(WAIT, async {
        while !String::from_utf8_lossy(&got).contains(needle) {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(
                n > 0,
                "closed before {needle:?}; got {:?}",
                String::from_utf8_lossy(&got)
            );
            got.extend_from_slice(&buf[..n]);
        }
    })
    .await
    .expect("timed out reading");
    String::from_utf8_lossy(&got).into_owned()
}

/// Read until the peer closes; returns what was read.
async fn read_to_close(stream: &mut TcpStream) -> String {
    let mut got = Vec::new();
    timeout(WAIT, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .expect("connection not closed");
    String::from_utf8_lossy(&got).into_owned()
}

async fn udp_round_trip(bind: SocketAddr) {
    let (handle, mut rx) = start(config(vec![bind], vec![])).await;
    let server = handle.local_addrs(TransportKind::Udp)[0];
    let client = UdpSocket::bind(SocketAddr::new(bind.ip(), 0))
        .await
        .unwrap();
    let client_addr = client.local_addr().unwrap();
    client
        .send_to(options("UDP", "udp1").as_bytes(), server)
        .await
        .unwrap();

    let incoming = next(&mut rx).await;
    assert_eq!(incoming.transport, TransportKind::Udp);
    assert_eq!(incoming.source, client_addr);
    assert_eq!(incoming.local, server);
    assert_eq!(incoming.connection, None);
    let req = request(&incoming);
    let via = req.headers.top_via().unwrap();
    assert_eq!(
        via.param("received"),
        Some(Some(client_addr.ip().to_string().as_str()))
    );
    assert_eq!(
        via.param("rport"),
        Some(Some(client_addr.port().to_string().as_str()))
    );

    let response = req.response(200, "OK", Some("srv"));
    handle
        .send_response(&response, TransportKind::Udp, None)
        .await
        .unwrap();
    let (text, from) = recv_text(&client).await;
    assert_eq!(from, server);
    assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
    assert!(text.contains("Call-ID: udp1\r\n"), "{text}");
    handle.shutdown();
}

#[tokio::test]
async fn udp_request_round_trip_v4() {
    udp_round_trip(v4()).await;
}

#[tokio::test]
async fn udp_request_round_trip_v6() {
    if std::net::UdpSocket::bind(v6()).is_err() {
        eprintln!("IPv6 loopback unavailable: skipped");
        return;
    }
    udp_round_trip(v6()).await;
}

#[tokio::test]
async fn udp_malformed_salvageable_gets_400() {
    let (handle, mut rx) = start(config(vec![v4()], vec![])).await;
    let server = handle.local_addrs(TransportKind::Udp)[0];
    let client = UdpSocket::bind(v4()).await.unwrap();
    // CSeq method differs from the request method: 400 (RFC 4475 mismatch01).
    let bad = options("UDP", "bad1").replace("CSeq: 1 OPTIONS", "CSeq: 1 INVITE");
    client.send_to(bad.as_bytes(), server).await.unwrap();
    let (text, _) = recv_text(&client).await;
    assert!(text.starts_with("SIP/2.0 400 "), "{text}");
    assert!(text.contains("Call-ID: bad1\r\n"), "{text}");
    assert!(text.contains(";received=127.0.0.1"), "{text}");
    assert!(text.contains(";tag="), "{text}");
    assert_eq!(handle.stats().rejected, 1);
    assert!(rx.try_recv().is_err());
    handle.shutdown();
}

#[tokio::test]
async fn udp_garbage_dropped_and_counted() {
    let (handle, mut rx) = start(config(vec![v4()], vec![])).await;
    let server = handle.local_addrs(TransportKind::Udp)[0];
    let client = UdpSocket::bind(v4()).await.unwrap();
    client
        .send_to(b"\x00\x01 definitely not SIP", server)
        .await
        .unwrap();
    // A good message afterwards still gets through, so the loop survived.
    client
        .send_to(options("UDP", "after").as_bytes(), server)
        .await
        .unwrap();
    let incoming = next(&mut rx).await;
    assert_eq!(request(&incoming).headers.call_id(), Some("after"));
    assert_eq!(handle.stats().dropped, 1);
    let mut buf = [0u8; 100];
    assert!(
        timeout(Duration::from_millis(200), client.recv_from(&mut buf))
            .await
            .is_err(),
        "nothing is sent back for garbage"
    );
    handle.shutdown();
}

async fn tcp_setup(cfg: TransportConfig) -> (TransportHandle, mpsc::Receiver<Incoming>, TcpStream) {
    let (handle, rx) = start(cfg).await;
    let server = handle.local_addrs(TransportKind::Tcp)[0];
    let stream = TcpStream::connect(server).await.unwrap();
    (handle, rx, stream)
}

#[tokio::test]
async fn tcp_two_messages_in_one_write() {
    let (handle, mut rx, mut stream) = tcp_setup(config(vec![], vec![v4()])).await;
    let both = options("TCP", "one") + &options("TCP", "two");
    stream.write_all(both.as_bytes()).await.unwrap();
    let a = next(&mut rx).await;
    let b = next(&mut rx).await;
    assert_eq!(request(&a).headers.call_id(), Some("one"));
    assert_eq!(request(&b).headers.call_id(), Some("two"));
    assert_eq!(a.transport, TransportKind::Tcp);
    assert!(a.connection.is_some());
    assert_eq!(a.connection, b.connection);
    assert_eq!(a.source, stream.local_addr().unwrap());
    let via = request(&a).headers.top_via().unwrap();
    assert_eq!(via.param("received"), Some(Some("127.0.0.1")));
    handle.shutdown();
}

#[tokio::test]
async fn tcp_message_split_across_writes() {
    let (handle, mut rx, mut stream) = tcp_setup(config(vec![], vec![v4()])).await;
    let body = "v=0\r\n";
    let msg = options("TCP", "split").replace(
        "Content-Length: 0\r\n\r\n",
        &format!(
            "Content-Type: application/sdp\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ),
    );
    let bytes = msg.as_bytes();
    for chunk in [
        &bytes[..20],
        &bytes[20..bytes.len() - 3],
        &bytes[bytes.len() - 3..],
    ] {
        stream.write_all(chunk).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_millis(30)).await;
    }
    let a = next(&mut rx).await;
    assert_eq!(request(&a).headers.call_id(), Some("split"));
    assert_eq!(&request(&a).body[..], body.as_bytes());
    assert!(rx.try_recv().is_err());
    handle.shutdown();
}

#[tokio::test]
async fn tcp_message_sent_byte_by_byte_is_framed_once() {
    // The end of the header section arrives split over several segments:
    // the transport must still find it (it only searches the new bytes).
    let (handle, mut rx, mut stream) = tcp_setup(config(vec![], vec![v4()])).await;
    stream.set_nodelay(true).unwrap();
    let msg = options("TCP", "bytewise");
    for b in msg.as_bytes() {
        stream.write_all(&[*b]).await.unwrap();
        stream.flush().await.unwrap();
        tokio::time::sleep(Duration::from_micros(300)).await;
    }
    let a = next(&mut rx).await;
    assert_eq!(request(&a).headers.call_id(), Some("bytewise"));
    assert!(rx.try_recv().is_err());
    handle.shutdown();
}

#[tokio::test]
async fn tcp_keepalive_ping_gets_pong() {
    let (handle, mut rx, mut stream) = tcp_setup(config(vec![], vec![v4()])).await;
    stream.write_all(b"\r\n\r\n").await.unwrap();
    let mut pong = [0u8; 2];
    timeout(WAIT, stream.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"\r\n");
    // Still usable, and a ping right before a message is answered too.
    stream
        .write_all((String::from("\r\n\r\n") + &options("TCP", "afterping")).as_bytes())
        .await
        .unwrap();
    timeout(WAIT, stream.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"\r\n");
    let a = next(&mut rx).await;
    assert_eq!(request(&a).headers.call_id(), Some("afterping"));
    handle.shutdown();
}

#[tokio::test]
async fn tcp_response_over_same_connection() {
    let (handle, mut rx, mut stream) = tcp_setup(config(vec![], vec![v4()])).await;
    stream
        .write_all(options("TCP", "resp").as_bytes())
        .await
        .unwrap();
    let a = next(&mut rx).await;
    let response = request(&a).response(200, "OK", Some("srv"));
    let used = handle
        .send_response(&response, TransportKind::Tcp, a.connection)
        .await
        .unwrap();
    assert_eq!(used, a.connection);
    let text = read_until(&mut stream, "\r\n\r\n").await;
    assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
    assert!(text.contains("Call-ID: resp\r\n"), "{text}");
    handle.shutdown();
}

#[tokio::test]
async fn tcp_v6_request_and_response() {
    if std::net::TcpListener::bind(v6()).is_err() {
        eprintln!("IPv6 loopback unavailable: skipped");
        return;
    }
    let (handle, mut rx, mut stream) = tcp_setup(config(vec![], vec![v6()])).await;
    stream
        .write_all(options("TCP", "six").as_bytes())
        .await
        .unwrap();
    let a = next(&mut rx).await;
    assert!(a.source.is_ipv6());
    let via = request(&a).headers.top_via().unwrap();
    assert_eq!(via.param("received"), Some(Some("::1")));
    let response = request(&a).response(200, "OK", Some("srv"));
    handle
        .send_response(&response, TransportKind::Tcp, a.connection)
        .await
        .unwrap();
    let text = read_until(&mut stream, "\r\n\r\n").await;
    assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");
    handle.shutdown();
}

#[tokio::test]
async fn tcp_oversize_closes_connection() {
    let mut cfg = config(vec![], vec![v4()]);
    cfg.max_message_size = 1000;
    let (handle, mut rx, mut stream) = tcp_setup(cfg).await;
    let body = "x".repeat(2000);
    let msg = options("TCP", "big").replace(
        "Content-Length: 0\r\n\r\n",
        &format!("Content-Length: {}\r\n\r\n{body}", body.len()),
    );
    // The server may close while we write: ignore write errors.
    let _ = stream.write_all(msg.as_bytes()).await;
    read_to_close(&mut stream).await;
    assert!(rx.try_recv().is_err());
    assert_eq!(handle.stats().closed_on_error, 1);
    handle.shutdown();
}

#[tokio::test]
async fn tcp_over_parser_limit_gets_513_and_close() {
    let (handle, _rx, mut stream) = tcp_setup(config(vec![], vec![v4()])).await;
    let big = format!("X-Filler: {}\r\n", "y".repeat(70 * 1024));
    let msg = options("TCP", "huge").replace("Max-Forwards", &format!("{big}Max-Forwards"));
    let _ = stream.write_all(msg.as_bytes()).await;
    let text = read_to_close(&mut stream).await;
    // With the header section incomplete at the limit the parser cannot
    // salvage headers: a 513 is sent only when it could.
    assert!(text.is_empty() || text.starts_with("SIP/2.0 513"), "{text}");
    assert_eq!(handle.stats().closed_on_error, 1);
    handle.shutdown();
}

#[tokio::test]
async fn tcp_idle_timeout_closes() {
    let mut cfg = config(vec![], vec![v4()]);
    cfg.idle_timeout = Duration::from_millis(200);
    let (handle, _rx, mut stream) = tcp_setup(cfg).await;
    let started = std::time::Instant::now();
    read_to_close(&mut stream).await;
    assert!(started.elapsed() >= Duration::from_millis(150));
    tokio::time::sleep(Duration::from_millis(20)).await;
    assert_eq!(handle.stats().closed_idle, 1);
    handle.shutdown();
}

#[tokio::test]
async fn tcp_outgoing_connect_and_reuse() {
    let (handle, mut rx) = start(config(vec![], vec![v4()])).await;
    let peer = TcpListener::bind(v4()).await.unwrap();
    let peer_addr = peer.local_addr().unwrap();
    let target = Target {
        transport: TransportKind::Tcp,
        addr: peer_addr,
        connection: None,
    };
    let req = |id: &str| pbx_sip::message::parse_datagram(options("TCP", id).as_bytes()).unwrap();
    let first = handle.send(&req("out1"), target).await.unwrap();
    let (mut conn, _) = timeout(WAIT, peer.accept()).await.unwrap().unwrap();
    read_until(&mut conn, "Call-ID: out1").await;
    let second = handle.send(&req("out2"), target).await.unwrap();
    assert_eq!(first, second, "the connection is reused");
    read_until(&mut conn, "Call-ID: out2").await;
    assert!(handle.is_open(first.unwrap()));

    // A response from the peer arrives tagged with that connection.
    let response = "SIP/2.0 200 OK\r\n\
         Via: SIP/2.0/TCP client.invalid:5099;branch=z9hG4bKout1\r\n\
         To: <sip:pbx@127.0.0.1>;tag=p\r\n\
         From: <sip:alice@example.com>;tag=1928301774\r\n\
         Call-ID: out1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n";
    conn.write_all(response.as_bytes()).await.unwrap();
    let incoming = next(&mut rx).await;
    assert!(matches!(incoming.message, SipMessage::Response(ref r) if r.status == 200));
    assert_eq!(incoming.connection, first);

    // Once the peer closes, the next send connects anew.
    drop(conn);
    timeout(WAIT, async {
        while handle.is_open(first.unwrap()) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("closed connection not noticed");
    let third = handle.send(&req("out3"), target).await.unwrap();
    assert_ne!(third, first);
    let (mut conn, _) = timeout(WAIT, peer.accept()).await.unwrap().unwrap();
    read_until(&mut conn, "Call-ID: out3").await;
    handle.shutdown();
}

#[test]
fn via_helpers_are_public() {
    let via = Via::parse("SIP/2.0/UDP h:5070;received=192.0.2.7;rport=4000").unwrap();
    assert_eq!(
        pbx_sip::transport::response_target(&via, false),
        Some(pbx_sip::transport::ResponseTarget::Addr(
            "192.0.2.7:4000".parse().unwrap()
        ))
    );
}
