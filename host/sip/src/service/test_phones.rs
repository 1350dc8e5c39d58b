//! Plain UDP sockets playing phones against a running service, for the
//! service's own tests.

use super::{ServiceConfig, ServiceHandle, start};
use crate::auth::client::{ClientAnswer, authorization, select_challenge};
use crate::auth::{Algorithm, InMemoryCredentials};
use crate::dialog::session_timer::UasPolicy;
use crate::message::{Method, Request, Response, SipMessage, parse_datagram};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;

pub(super) const REALM: &str = "pbx.test";
pub(super) const PASSWORD: &str = "s3cret";
pub(super) const WAIT: Duration = Duration::from_secs(5);

pub(super) async fn service(session_timer: Option<UasPolicy>) -> ServiceHandle {
    service_with(|config| config.session_timer = session_timer).await
}

/// A service with 1001 and 1003 (MD5), adjusted by `adjust`.
pub(super) async fn service_with(adjust: impl FnOnce(&mut ServiceConfig)) -> ServiceHandle {
    let mut creds = InMemoryCredentials::new();
    creds.add_password(REALM, "1001", PASSWORD);
    creds.add_password(REALM, "1003", PASSWORD);
    let mut config = ServiceConfig::new(REALM, Arc::new(creds), "127.0.0.1:0".parse().unwrap());
    config.auth.algorithms = vec![Algorithm::Md5];
    adjust(&mut config);
    start(config).await.expect("service starts")
}

/// A phone: a UDP socket talking to the service.
pub(super) struct Phone {
    socket: UdpSocket,
    user: &'static str,
    pub(super) port: u16,
}

impl Phone {
    pub(super) async fn new(service: &ServiceHandle, user: &'static str) -> Phone {
        let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
        socket.connect(service.udp_addr().unwrap()).await.unwrap();
        let port = socket.local_addr().unwrap().port();
        Phone { socket, user, port }
    }

    /// A request from this phone to `target`'s user.
    pub(super) fn request(
        &self,
        method: &str,
        target: &str,
        call: &str,
        cseq: u32,
        extra: &str,
    ) -> Request {
        let (user, port) = (self.user, self.port);
        let text = format!(
            "{method} sip:{target}@{REALM} SIP/2.0\r\n\
             Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{call}{cseq}{method};rport\r\n\
             Max-Forwards: 70\r\n\
             From: <sip:{user}@{REALM}>;tag={user}tag\r\n\
             To: <sip:{target}@{REALM}>\r\n\
             Call-ID: {call}@127.0.0.1\r\n\
             CSeq: {cseq} {method}\r\n\
             Contact: <sip:{user}@127.0.0.1:{port}>\r\n\
             {extra}Content-Length: 0\r\n\r\n"
        );
        match parse_datagram(text.as_bytes()) {
            Ok(SipMessage::Request(r)) => r,
            other => panic!("test request does not parse: {other:?}"),
        }
    }

    pub(super) async fn send(&self, message: &SipMessage) {
        let bytes = match message {
            SipMessage::Request(r) => r.to_bytes(),
            SipMessage::Response(r) => r.to_bytes(),
        };
        self.socket.send(&bytes).await.unwrap();
    }

    /// The next message `keep` accepts, or `None` after `wait`.
    pub(super) async fn next(
        &self,
        wait: Duration,
        keep: impl Fn(&SipMessage) -> bool,
    ) -> Option<SipMessage> {
        let mut buf = vec![0u8; 65536];
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let n = tokio::time::timeout_at(deadline, self.socket.recv(&mut buf))
                .await
                .ok()?
                .unwrap();
            if let Ok(m) = parse_datagram(&buf[..n])
                && keep(&m)
            {
                return Some(m);
            }
        }
    }

    pub(super) async fn next_request(&self, method: Method) -> Request {
        self.next_request_within(method, WAIT).await
    }

    pub(super) async fn next_request_within(&self, method: Method, wait: Duration) -> Request {
        match self
            .next(
                wait,
                |m| matches!(m, SipMessage::Request(r) if r.method == method),
            )
            .await
        {
            Some(SipMessage::Request(r)) => r,
            _ => panic!("{} got no {method:?}", self.user),
        }
    }

    pub(super) async fn next_response(
        &self,
        wait: Duration,
        status: impl Fn(u16) -> bool,
    ) -> Option<Response> {
        match self
            .next(
                wait,
                |m| matches!(m, SipMessage::Response(r) if status(r.status)),
            )
            .await
        {
            Some(SipMessage::Response(r)) => Some(r),
            _ => None,
        }
    }

    /// Send `request`, answering one digest challenge; returns the
    /// authenticated request as sent (CSeq + 1).
    pub(super) async fn send_authenticated(&self, mut request: Request) -> Request {
        self.send(&SipMessage::Request(request.clone())).await;
        let challenge = self
            .next_response(WAIT, |s| s == 401 || s == 407)
            .await
            .expect("a challenge");
        let invite = request.method == Method::Invite;
        if invite {
            let mut ack = request.clone();
            ack.method = Method::Ack;
            let (seq, _) = request.headers.cseq().unwrap();
            ack.headers.set("CSeq", &format!("{seq} ACK"));
            self.send(&SipMessage::Request(ack)).await;
        }
        let (ask, answer) = if challenge.status == 407 {
            ("Proxy-Authenticate", "Proxy-Authorization")
        } else {
            ("WWW-Authenticate", "Authorization")
        };
        let parsed = select_challenge(challenge.headers.get_all(ask)).unwrap();
        let value = authorization(
            &parsed,
            &ClientAnswer {
                username: self.user,
                password: PASSWORD,
                method: request.method.as_str(),
                uri: &request.uri,
                nc: 1,
                cnonce: "c0ffee",
            },
        )
        .unwrap();
        let (seq, method) = request.headers.cseq().unwrap();
        request
            .headers
            .set("CSeq", &format!("{} {}", seq + 1, method.as_str()));
        let via = request
            .headers
            .get("Via")
            .unwrap()
            .replace(";rport", "x;rport");
        request.headers.set("Via", &via);
        request.headers.push(answer, &value);
        self.send(&SipMessage::Request(request.clone())).await;
        request
    }
}

/// 1003 registers; returns its phone.
pub(super) async fn registered_callee(service: &ServiceHandle) -> Phone {
    let callee = Phone::new(service, "1003").await;
    let register = callee.request("REGISTER", "1003", "reg", 1, "Expires: 600\r\n");
    callee.send_authenticated(register).await;
    let ok = callee.next_response(WAIT, |s| s >= 200).await.unwrap();
    assert_eq!(ok.status, 200);
    callee
}

/// An answer of the callee to `req` with `status`, its tag and `extra`.
pub(super) fn answer(req: &Request, status: u16, extra: &[(&str, &str)]) -> SipMessage {
    let mut r = req.response(
        status,
        crate::message::reason_phrase(status),
        Some("calleetag"),
    );
    r.headers.push("Contact", "<sip:1003@127.0.0.1>");
    for (name, value) in extra {
        r.headers.push(name, value);
    }
    SipMessage::Response(r)
}

/// A call from 1001 to 1003 answered by the callee and ACKed by the
/// caller: (caller, callee, the callee's B-leg INVITE, the caller's 200).
pub(super) async fn connected_call(
    service: &ServiceHandle,
    call: &str,
) -> (Phone, Phone, Request, Response) {
    connected_call_with(service, call, &[]).await
}

/// [`connected_call`] with `extra` headers in the callee's 200.
pub(super) async fn connected_call_with(
    service: &ServiceHandle,
    call: &str,
    extra: &[(&str, &str)],
) -> (Phone, Phone, Request, Response) {
    let callee = registered_callee(service).await;
    let caller = Phone::new(service, "1001").await;
    let invite = caller.request("INVITE", "1003", call, 1, "");
    let invite = caller.send_authenticated(invite).await;
    let b_invite = callee.next_request(Method::Invite).await;
    callee.send(&answer(&b_invite, 200, extra)).await;
    let ok = caller.next_response(WAIT, |s| s == 200).await.expect("200");
    let mut ack = invite.clone();
    ack.method = Method::Ack;
    let (seq, _) = invite.headers.cseq().unwrap();
    ack.headers.set("CSeq", &format!("{seq} ACK"));
    ack.headers.set("To", ok.headers.get("To").unwrap());
    caller.send(&SipMessage::Request(ack)).await;
    (caller, callee, b_invite, ok)
}
