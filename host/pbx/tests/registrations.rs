//! SIP registrations survive a restart: a phone registers (digest) with a
//! service whose registrar writes to a real SQLite store; the service
//! stops, a new one opens the same data directory, and the binding is
//! there without the phone registering again. An un-REGISTER removes it
//! from the database too.

use pbx::registrations::StoredRegistrations;
use pbx_sip::auth::client::{ClientAnswer, authorization, select_challenge};
use pbx_sip::auth::{Algorithm, InMemoryCredentials};
use pbx_sip::message::{Request, Response, SipMessage, parse_datagram};
use pbx_sip::service::{ServiceConfig, ServiceHandle, start};
use pbx_store::Store;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;

const AOR: &str = "sip:1001@pbx.test";

async fn service(data_dir: &Path) -> ServiceHandle {
    let store = Store::open_data_dir(data_dir).await.expect("store opens");
    let mut creds = InMemoryCredentials::new();
    creds.add_password("pbx.test", "1001", "s3cret");
    let mut config =
        ServiceConfig::new("pbx.test", Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    config.auth.algorithms = vec![Algorithm::Md5];
    config.store = Arc::new(StoredRegistrations::new(store));
    start(config).await.expect("service starts")
}

fn register(port: u16, cseq: u32, expires: u32) -> Request {
    let text = format!(
        "REGISTER sip:pbx.test SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKr{cseq};rport\r\n\
         Max-Forwards: 70\r\n\
         From: <{AOR}>;tag=reg\r\n\
         To: <{AOR}>\r\n\
         Call-ID: persist@127.0.0.1\r\n\
         CSeq: {cseq} REGISTER\r\n\
         Contact: <sip:1001@127.0.0.1:{port}>\r\n\
         Expires: {expires}\r\n\
         Content-Length: 0\r\n\r\n"
    );
    match parse_datagram(text.as_bytes()) {
        Ok(SipMessage::Request(r)) => r,
        other => panic!("{other:?}"),
    }
}

/// REGISTER with digest; returns the final status.
async fn registered(phone: &UdpSocket, cseq: u32, expires: u32) -> u16 {
    let port = phone.local_addr().unwrap().port();
    let first = register(port, cseq, expires);
    phone.send(&first.to_bytes()).await.unwrap();
    let challenge = response(phone).await;
    assert_eq!(challenge.status, 401);
    let parsed = select_challenge(challenge.headers.get_all("WWW-Authenticate")).unwrap();
    let value = authorization(
        &parsed,
        &ClientAnswer {
            username: "1001",
            password: "s3cret",
            method: "REGISTER",
            uri: &first.uri,
            nc: 1,
            cnonce: "abc",
        },
    )
    .unwrap();
    let mut second = register(port, cseq + 1, expires);
    second.headers.push("Authorization", &value);
    phone.send(&second.to_bytes()).await.unwrap();
    response(phone).await.status
}

async fn response(phone: &UdpSocket) -> Response {
    let mut buf = vec![0u8; 65536];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(5), phone.recv(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        if let Ok(SipMessage::Response(r)) = parse_datagram(&buf[..n])
            && r.status >= 200
        {
            return r;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registrations_survive_a_restart_and_unregistering_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();

    let first = service(dir.path()).await;
    phone.connect(first.udp_addr().unwrap()).await.unwrap();
    assert_eq!(registered(&phone, 1, 600).await, 200);
    assert_eq!(first.lookup(AOR).len(), 1);
    first.shutdown().await;

    let second = service(dir.path()).await;
    let bindings = second.lookup(AOR);
    assert_eq!(bindings.len(), 1, "the binding came back from the database");
    let me = phone.local_addr().unwrap();
    assert_eq!(bindings[0].contact, format!("sip:1001@{me}"));
    assert_eq!(bindings[0].source, me);

    phone.connect(second.udp_addr().unwrap()).await.unwrap();
    assert_eq!(registered(&phone, 3, 0).await, 200);
    assert!(second.lookup(AOR).is_empty());
    second.shutdown().await;

    let third = service(dir.path()).await;
    assert!(
        third.lookup(AOR).is_empty(),
        "the un-REGISTER reached the database"
    );
    third.shutdown().await;
}
