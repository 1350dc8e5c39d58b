//! The service over real loopback UDP, with a plain socket as the peer.

use super::{ServiceConfig, ServiceHandle, start};
use crate::auth::InMemoryCredentials;
use crate::message::{Response, SipMessage, parse_datagram};
use crate::protection::{Acl, RateLimitConfig};
use crate::registrar::InMemoryStore;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
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

/// A peer socket bound to `ip` (any 127/8 address works on Linux loopback).
async fn peer_from(service: &ServiceHandle, ip: &str) -> Peer {
    let socket = UdpSocket::bind((ip, 0)).await.unwrap();
    socket.connect(service.udp_addr().unwrap()).await.unwrap();
    let port = socket.local_addr().unwrap().port();
    Peer { socket, port }
}

/// Poll `cond` every 20 ms until it holds or `WAIT` passes.
async fn eventually(mut cond: impl FnMut() -> bool) -> bool {
    let deadline = tokio::time::Instant::now() + WAIT;
    while tokio::time::Instant::now() < deadline {
        if cond() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    cond()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_over_the_rate_limit_are_dropped_per_source() {
    let mut creds = InMemoryCredentials::new();
    creds.add_password("pbx.test", "1001", "s3cret");
    let mut config =
        ServiceConfig::new("pbx.test", Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    // A bucket of 3 that refills once every 1000 s: exactly 3 pass, however
    // slowly the machine runs.
    config.rate_limit = Some(RateLimitConfig {
        rate_per_sec: 0.001,
        burst: 3,
        max_entries: 16,
    });
    let service = start(config).await.expect("service starts");
    let flooder = peer_from(&service, "127.0.0.1").await;
    for i in 0..10 {
        flooder
            .send(&flooder.request("OPTIONS", &format!("flood{i}"), ""))
            .await;
    }
    assert!(
        eventually(|| service.stats().rate_limited == 7).await,
        "{:?}",
        service.stats()
    );
    let mut answers = 0;
    while let Some(r) = flooder.final_response(Duration::from_millis(500)).await {
        assert_eq!(r.status, 200);
        answers += 1;
    }
    assert_eq!(answers, 3);
    assert_eq!(service.stats().requests, 3);

    // Another source has a bucket of its own.
    let other = peer_from(&service, "127.0.0.2").await;
    other.send(&other.request("OPTIONS", "other1", "")).await;
    let r = other.final_response(WAIT).await.expect("an answer");
    assert_eq!(r.status, 200);
    assert_eq!(service.stats().rate_limited, 7);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_can_be_disabled_and_invalid_config_refused() {
    let creds = Arc::new(InMemoryCredentials::new());
    let bind = "127.0.0.1:0".parse().unwrap();
    let mut config = ServiceConfig::new("pbx.test", creds.clone(), bind);
    config.rate_limit = Some(RateLimitConfig {
        burst: 0,
        ..RateLimitConfig::default()
    });
    assert!(start(config).await.is_err());

    let mut config = ServiceConfig::new("pbx.test", creds, bind);
    config.rate_limit = None;
    let service = start(config).await.expect("service starts");
    let peer = Peer::new(&service).await;
    for i in 0..5 {
        peer.send(&peer.request("OPTIONS", &format!("nolimit{i}"), ""))
            .await;
        let r = peer.final_response(WAIT).await.expect("an answer");
        assert_eq!(r.status, 200);
    }
    assert_eq!(service.stats().rate_limited, 0);
    service.shutdown().await;
}

/// A request from `user` (From and To), with optional extra headers.
fn user_request(
    peer: &Peer,
    method: &str,
    user: &str,
    call: &str,
    cseq: u32,
    extra: &str,
) -> String {
    let port = peer.port;
    format!(
        "{method} sip:{target}@pbx.test SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{call}{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:{user}@pbx.test>;tag=abc\r\n\
         To: <sip:{to}@pbx.test>\r\n\
         Call-ID: {call}@127.0.0.1\r\n\
         CSeq: {cseq} {method}\r\n\
         Contact: <sip:{user}@127.0.0.1:{port}>\r\n\
         {extra}Content-Length: 0\r\n\r\n",
        target = if method == "INVITE" { "1003" } else { user },
        to = if method == "INVITE" { "1003" } else { user },
    )
}

/// The quoted value of `name` in a challenge header.
fn param(challenge: &str, name: &str) -> String {
    let start = challenge
        .find(&format!("{name}=\""))
        .unwrap_or_else(|| panic!("{name} in {challenge}"))
        + name.len()
        + 2;
    let len = challenge[start..].find('"').unwrap();
    challenge[start..start + len].to_string()
}

/// Send `method` as `user` with `password`: first unauthenticated, then
/// answering the challenge (MD5, qop=auth). Returns the final response.
async fn authenticated(
    peer: &Peer,
    method: &str,
    user: &str,
    password: &str,
    call: &str,
) -> Response {
    use crate::auth::{Algorithm, digest};
    let (header, answer) = match method {
        "INVITE" => ("Proxy-Authenticate", "Proxy-Authorization"),
        _ => ("WWW-Authenticate", "Authorization"),
    };
    let expires = if method == "REGISTER" {
        "Expires: 600\r\n"
    } else {
        ""
    };
    peer.send(&user_request(peer, method, user, call, 1, expires))
        .await;
    let r = peer.final_response(WAIT).await.expect("a challenge");
    assert!(r.status == 401 || r.status == 407, "{}", r.status);
    if method == "INVITE" {
        peer.send(&user_request(peer, "ACK", user, call, 1, ""))
            .await;
    }
    let challenge = r.headers.get(header).expect("a challenge").to_string();
    let (nonce, opaque) = (param(&challenge, "nonce"), param(&challenge, "opaque"));
    let uri = format!(
        "sip:{}@pbx.test",
        if method == "INVITE" { "1003" } else { user }
    );
    let ha1 = digest::ha1(Algorithm::Md5, user, "pbx.test", password);
    let response = digest::expected_response(
        Algorithm::Md5,
        &ha1,
        method,
        &uri,
        &nonce,
        Some(("00000001", "c0ffee")),
    );
    let credentials = format!(
        "{answer}: Digest username=\"{user}\", realm=\"pbx.test\", nonce=\"{nonce}\", \
         uri=\"{uri}\", response=\"{response}\", algorithm=MD5, qop=auth, nc=00000001, \
         cnonce=\"c0ffee\", opaque=\"{opaque}\"\r\n{expires}"
    );
    peer.send(&user_request(peer, method, user, call, 2, &credentials))
        .await;
    let r = peer.final_response(WAIT).await.expect("an answer");
    if method == "INVITE" && r.status >= 300 {
        peer.send(&user_request(peer, "ACK", user, call, 2, ""))
            .await;
    }
    r
}

async fn acl_service() -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    for user in ["1001", "1002", "1003"] {
        creds.add_password("pbx.test", user, "s3cret");
    }
    let mut config =
        ServiceConfig::new("pbx.test", Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    config.auth.algorithms = vec![crate::auth::Algorithm::Md5];
    config
        .acls
        .insert("1001".into(), Acl::parse_list("10.0.0.0/8").unwrap());
    config
        .acls
        .insert("1002".into(), Acl::parse_list("127.0.0.0/8").unwrap());
    start(config).await.expect("service starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_from_outside_the_users_acl_gets_403() {
    let service = acl_service().await;
    let peer = Peer::new(&service).await;

    let wrong = authenticated(&peer, "REGISTER", "1001", "wrong", "aclwrong").await;
    assert_eq!(wrong.status, 403);
    let denied = authenticated(&peer, "REGISTER", "1001", "s3cret", "acldeny").await;
    assert_eq!(denied.status, 403);
    // Same shape as a wrong password: nothing tells the password was right.
    assert_eq!(denied.reason, wrong.reason);
    let names = |r: &Response| {
        r.headers
            .iter()
            .map(|(n, _)| n.to_ascii_lowercase())
            .collect::<Vec<_>>()
    };
    assert_eq!(names(&denied), names(&wrong));
    assert!(service.lookup("sip:1001@pbx.test").is_empty());

    let allowed = authenticated(&peer, "REGISTER", "1002", "s3cret", "aclok").await;
    assert_eq!(allowed.status, 200);
    assert_eq!(service.lookup("sip:1002@pbx.test").len(), 1);

    let stats = service.stats();
    assert_eq!(stats.acl_denied, 1);
    assert_eq!(stats.forbidden, 2);
    assert_eq!(stats.registered, 1);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invite_from_outside_the_callers_acl_gets_403() {
    let service = acl_service().await;
    let peer = Peer::new(&service).await;
    let denied = authenticated(&peer, "INVITE", "1001", "s3cret", "invdeny").await;
    assert_eq!(denied.status, 403);
    assert_eq!(service.stats().acl_denied, 1);
    // 1002 is allowed from here: past the ACL, 1003 has no binding (480).
    let allowed = authenticated(&peer, "INVITE", "1002", "s3cret", "invok").await;
    assert_eq!(allowed.status, 480);
    assert_eq!(service.stats().acl_denied, 1);
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lapsed_bindings_are_purged_periodically() {
    let creds = Arc::new(InMemoryCredentials::new());
    let mut config = ServiceConfig::new("pbx.test", creds, "127.0.0.1:0".parse().unwrap());
    let store = Arc::new(InMemoryStore::new());
    config.store = store.clone();
    config.purge_interval = Some(Duration::from_millis(50));
    let service = start(config).await.expect("service starts");
    let peer = Peer::new(&service).await;

    // A binding made an hour ago for 60 s: lapsed, but still stored.
    let text = peer.request("REGISTER", "old1", "Expires: 60\r\n");
    let Ok(SipMessage::Request(req)) = parse_datagram(text.as_bytes()) else {
        panic!("a request");
    };
    let then = SystemTime::now() - Duration::from_secs(3600);
    let source = "127.0.0.1:5060".parse().unwrap();
    let r = service
        .registrar()
        .handle(&req, "sip:1001@pbx.test", source, then)
        .await;
    assert_eq!(r.status, 200);
    // Without any lookup, the periodic purge removes it from the store.
    assert!(
        eventually(|| store.is_empty()).await,
        "{} stored",
        store.len()
    );
    assert!(eventually(|| service.stats().purged == 1).await);
    service.shutdown().await;
}
