//! A browser-style phone on a WebSocket (RFC 7118) registers with digest
//! and is called by a UDP phone through the B2BUA: the B-leg INVITE
//! reaches it over its own WebSocket connection, with a WS Via and a
//! `transport=ws` Contact, and its answer connects the call.

use futures_util::{SinkExt, StreamExt};
use pbx_sip::auth::client::{ClientAnswer, authorization, select_challenge};
use pbx_sip::auth::{Algorithm, InMemoryCredentials};
use pbx_sip::message::{Method, Request, Response, SipMessage, parse_datagram};
use pbx_sip::service::{ServiceConfig, ServiceHandle, start};
use pbx_sip::transport::TransportKind;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::{TcpStream, UdpSocket};
use tokio::time::timeout;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const REALM: &str = "pbx.test";
const PASSWORD: &str = "s3cret";
const WAIT: Duration = Duration::from_secs(5);

async fn service() -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    creds.add_password(REALM, "1001", PASSWORD);
    creds.add_password(REALM, "2001", PASSWORD);
    let mut config = ServiceConfig::new(REALM, Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    config.auth.algorithms = vec![Algorithm::Md5];
    config.transport.ws_listen = vec!["127.0.0.1:0".parse().unwrap()];
    start(config).await.expect("service starts")
}

type Ws = WebSocketStream<TcpStream>;

async fn ws_connect(server: SocketAddr) -> Ws {
    let tcp = TcpStream::connect(server).await.unwrap();
    let mut request = format!("ws://{server}/").into_client_request().unwrap();
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "sip".parse().unwrap());
    let (ws, _) = tokio_tungstenite::client_async(request, tcp)
        .await
        .expect("upgrade");
    ws
}

fn parse(bytes: &[u8]) -> SipMessage {
    parse_datagram(bytes).expect("a SIP message")
}

async fn ws_next(ws: &mut Ws) -> SipMessage {
    loop {
        let frame = timeout(WAIT, ws.next())
            .await
            .expect("a WebSocket message in time")
            .expect("open")
            .expect("no error");
        match frame {
            Message::Text(t) => return parse(t.as_bytes()),
            Message::Binary(b) => return parse(&b),
            _ => continue,
        }
    }
}

async fn ws_send(ws: &mut Ws, message: &SipMessage) {
    let bytes = match message {
        SipMessage::Request(r) => r.to_bytes(),
        SipMessage::Response(r) => r.to_bytes(),
    };
    ws.send(Message::text(String::from_utf8(bytes).unwrap()))
        .await
        .unwrap();
}

fn request(text: &str) -> Request {
    match parse(text.as_bytes()) {
        SipMessage::Request(r) => r,
        other => panic!("{other:?}"),
    }
}

/// `req` again with credentials answering `challenge` (CSeq + 1, new
/// branch).
fn authorized(mut req: Request, challenge: &Response, user: &str) -> Request {
    let (ask, answer) = if challenge.status == 407 {
        ("Proxy-Authenticate", "Proxy-Authorization")
    } else {
        ("WWW-Authenticate", "Authorization")
    };
    let parsed = select_challenge(challenge.headers.get_all(ask)).unwrap();
    let value = authorization(
        &parsed,
        &ClientAnswer {
            username: user,
            password: PASSWORD,
            method: req.method.as_str(),
            uri: &req.uri,
            nc: 1,
            cnonce: "abc",
        },
    )
    .unwrap();
    let (seq, method) = req.headers.cseq().unwrap();
    req.headers
        .set("CSeq", &format!("{} {}", seq + 1, method.as_str()));
    let via = req
        .headers
        .get("Via")
        .unwrap()
        .replace("branch=z9hG4bK", "branch=z9hG4bK2");
    req.headers.set("Via", &via);
    req.headers.push(answer, &value);
    req
}

async fn udp_final(socket: &UdpSocket) -> Response {
    let mut buf = vec![0u8; 65536];
    loop {
        let n = timeout(WAIT, socket.recv(&mut buf)).await.unwrap().unwrap();
        if let SipMessage::Response(r) = parse(&buf[..n])
            && r.status >= 200
        {
            return r;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn websocket_phone_registers_and_is_called_over_its_connection() {
    let service = service().await;
    let ws_addr = service.local_addrs(TransportKind::Ws)[0];
    let udp_addr = service.udp_addr().unwrap();

    // The browser phone 2001 registers over its WebSocket.
    let mut ws = ws_connect(ws_addr).await;
    let register = request(&format!(
        "REGISTER sip:{REALM} SIP/2.0\r\n\
         Via: SIP/2.0/WS h7kjh12s.invalid;branch=z9hG4bKreg1\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:2001@{REALM}>;tag=ws1\r\n\
         To: <sip:2001@{REALM}>\r\n\
         Call-ID: wsreg\r\n\
         CSeq: 1 REGISTER\r\n\
         Contact: <sip:2001@h7kjh12s.invalid;transport=ws>\r\n\
         Expires: 600\r\n\r\n"
    ));
    ws_send(&mut ws, &SipMessage::Request(register.clone())).await;
    let SipMessage::Response(challenge) = ws_next(&mut ws).await else {
        panic!("a challenge")
    };
    assert_eq!(challenge.status, 401);
    ws_send(
        &mut ws,
        &SipMessage::Request(authorized(register, &challenge, "2001")),
    )
    .await;
    let SipMessage::Response(ok) = ws_next(&mut ws).await else {
        panic!("a 200")
    };
    assert_eq!(ok.status, 200);
    let bindings = service.lookup(&format!("sip:2001@{REALM}"));
    assert_eq!(bindings.len(), 1);
    assert_eq!(bindings[0].transport, "WS");

    // 1001 calls it from UDP.
    let phone = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    phone.connect(udp_addr).await.unwrap();
    let port = phone.local_addr().unwrap().port();
    let invite = request(&format!(
        "INVITE sip:2001@{REALM} SIP/2.0\r\n\
         Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKinv1;rport\r\n\
         Max-Forwards: 70\r\n\
         From: <sip:1001@{REALM}>;tag=u1\r\n\
         To: <sip:2001@{REALM}>\r\n\
         Call-ID: wscall\r\n\
         CSeq: 1 INVITE\r\n\
         Contact: <sip:1001@127.0.0.1:{port}>\r\n\
         Content-Length: 0\r\n\r\n"
    ));
    phone.send(&invite.to_bytes()).await.unwrap();
    let challenge = udp_final(&phone).await;
    assert_eq!(challenge.status, 407);
    let mut ack = invite.clone();
    ack.method = Method::Ack;
    ack.headers.set("CSeq", "1 ACK");
    ack.headers.set("To", challenge.headers.get("To").unwrap());
    phone.send(&ack.to_bytes()).await.unwrap();
    phone
        .send(&authorized(invite, &challenge, "1001").to_bytes())
        .await
        .unwrap();

    // The B-leg INVITE arrives over the phone's WebSocket.
    let b_invite = loop {
        if let SipMessage::Request(r) = ws_next(&mut ws).await
            && r.method == Method::Invite
        {
            break r;
        }
    };
    let via = b_invite.headers.get("Via").unwrap();
    assert!(via.starts_with("SIP/2.0/WS "), "{via}");
    assert!(via.contains(&ws_addr.port().to_string()), "{via}");
    let contact = b_invite.headers.get("Contact").unwrap();
    assert!(contact.contains(";transport=ws"), "{contact}");
    let mut answer = b_invite.response(200, "OK", Some("wsans"));
    answer
        .headers
        .push("Contact", "<sip:2001@h7kjh12s.invalid;transport=ws>");
    ws_send(&mut ws, &SipMessage::Response(answer)).await;
    let connected = udp_final(&phone).await;
    assert_eq!(connected.status, 200, "the caller is connected");
    // Our ACK for the B leg comes over the WebSocket too.
    let ack = loop {
        if let SipMessage::Request(r) = ws_next(&mut ws).await
            && r.method == Method::Ack
        {
            break r;
        }
    };
    assert!(ack.headers.get("Via").unwrap().starts_with("SIP/2.0/WS "));
    assert_eq!(service.live_calls(), 1);
    service.shutdown().await;
}
