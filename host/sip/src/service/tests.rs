//! The service over real loopback UDP, with a plain socket as the peer.

use super::{ServiceConfig, ServiceHandle, start};
use crate::auth::InMemoryCredentials;
use crate::message::{Response, SipMessage, parse_datagram};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;

async fn service() -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    creds.add_password("pbx.test", "1001", "s3cret");
    let config = ServiceConfig::new("pbx.test", Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    start(config).await.expect("service starts")
}

struct Peer {
    socket: UdpSocket,
    port: u16,
}

impl Peer {
    async fn new(service: &ServiceHandle) -> Peer {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(service.udp_addr().unwrap()).await.unwrap();
        let port = socket.local_addr().unwrap().port();
        Peer { socket, port }
    }

    /// A request with the usual headers; `{port}` is this peer's.
    fn request(&self, method: &str, branch: &str, extra: &str) -> String {
        let port = self.port;
        format!(
            "{method} sip:pbx.test SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{branch};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:1001@pbx.test>;tag=abc\r\n\
             To: <sip:1001@pbx.test>\r\n\
             Call-ID: {branch}@127.0.0.1\r\n\
             CSeq: 1 {method}\r\n\
             Contact: <sip:1001@127.0.0.1:{port}>\r\n\
             {extra}Content-Length: 0\r\n\r\n"
        )
    }

    async fn send(&self, text: &str) {
        self.socket.send(text.as_bytes()).await.unwrap();
    }

    /// The next final response, or `None` after `wait`.
    async fn final_response(&self, wait: Duration) -> Option<Response> {
        let mut buf = vec![0u8; 65536];
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let n = tokio::time::timeout_at(deadline, self.socket.recv(&mut buf))
                .await
                .ok()?
                .unwrap();
            match parse_datagram(&buf[..n]) {
                Ok(SipMessage::Response(r)) if r.status >= 200 => return Some(r),
                _ => continue,
            }
        }
    }
}

const WAIT: Duration = Duration::from_secs(3);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_without_credentials_is_challenged() {
    let service = service().await;
    let peer = Peer::new(&service).await;
    peer.send(&peer.request("REGISTER", "reg1", "Expires: 60\r\n"))
        .await;
    let r = peer.final_response(WAIT).await.expect("an answer");
    assert_eq!(r.status, 401);
    let challenge = r.headers.get("WWW-Authenticate").expect("a challenge");
    assert!(challenge.contains("realm=\"pbx.test\""), "{challenge}");
    assert!(service.lookup("sip:1001@pbx.test").is_empty());
    assert_eq!(service.stats().challenged, 1);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_gets_200() {
    let service = service().await;
    let peer = Peer::new(&service).await;
    peer.send(&peer.request("OPTIONS", "opt1", "")).await;
    let r = peer.final_response(WAIT).await.expect("an answer");
    assert_eq!(r.status, 200);
    assert!(r.headers.get("Allow").is_some());
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unauthenticated_invite_gets_407_and_others_501() {
    let service = service().await;
    let peer = Peer::new(&service).await;
    peer.send(&peer.request("INVITE", "inv1", "")).await;
    let r = peer.final_response(WAIT).await.expect("an answer");
    assert_eq!(r.status, 407);
    assert!(r.headers.get("Proxy-Authenticate").is_some());
    // ACK the non-2xx so the INVITE server transaction stops retransmitting.
    peer.send(&peer.request("ACK", "inv1", "")).await;
    peer.send(&peer.request("SUBSCRIBE", "sub1", "")).await;
    let r = peer.final_response(WAIT).await.expect("an answer");
    assert_eq!(r.status, 501);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_gets_nothing_or_400() {
    let service = service().await;
    let peer = Peer::new(&service).await;
    peer.send("this is not SIP\r\n\r\n").await;
    if let Some(r) = peer.final_response(Duration::from_millis(500)).await {
        assert_eq!(r.status, 400);
    }
    // The service still answers afterwards.
    peer.send(&peer.request("OPTIONS", "opt2", "")).await;
    let r = peer.final_response(WAIT).await.expect("an answer");
    assert_eq!(r.status, 200);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn banned_source_is_dropped() {
    let service = service().await;
    let peer = Peer::new(&service).await;
    let ip = "127.0.0.1".parse().unwrap();
    let now = std::time::SystemTime::now();
    while service.bans().record_failure(ip, now).is_none() {}
    peer.send(&peer.request("OPTIONS", "opt3", "")).await;
    assert!(
        peer.final_response(Duration::from_millis(500))
            .await
            .is_none()
    );
    assert_eq!(service.stats().banned_dropped, 1);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn options_over_tcp_gets_200_on_the_same_connection() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let service = service().await;
    let addr = service.local_addrs(crate::transport::TransportKind::Tcp)[0];
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let port = stream.local_addr().unwrap().port();
    let request = format!(
        "OPTIONS sip:pbx.test SIP/2.0\r\n\
         Via: SIP/2.0/TCP 127.0.0.1:{port};branch=z9hG4bKtcp1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:1001@pbx.test>;tag=abc\r\n\
         To: <sip:pbx.test>\r\n\
         Call-ID: tcp1@127.0.0.1\r\n\
         CSeq: 1 OPTIONS\r\n\
         Content-Length: 0\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut buf = vec![0u8; 8192];
    let mut got = Vec::new();
    let answer = tokio::time::timeout(WAIT, async {
        loop {
            let n = stream.read(&mut buf).await.unwrap();
            assert!(n > 0, "connection closed");
            got.extend_from_slice(&buf[..n]);
            if let Ok(Some((SipMessage::Response(r), _))) = crate::message::parse_stream(&got) {
                return r;
            }
        }
    })
    .await
    .expect("an answer");
    assert_eq!(answer.status, 200);
    service.shutdown().await;
}
