//! Outbound trunk registration ([`pbx_sip::trunk::registration`]): the
//! state machine against simulated registrar responses, then end to end
//! against our own service acting as the carrier's registrar over
//! loopback UDP.

use pbx_sip::auth::InMemoryCredentials;
use pbx_sip::auth::digest::{
    Algorithm, challenge_headers, expected_response, ha1, parse_credentials, verify,
};
use pbx_sip::message::{Request, Response, SipMessage, parse_datagram};
use pbx_sip::service::{ServiceConfig, start};
use pbx_sip::trunk::registration::{
    Registration, RegistrationConfig, RegistrationState, backoff_delay, refresh_delay,
};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::UdpSocket;

const REALM: &str = "carrier.test";
const USER: &str = "trunk1";
const PASSWORD: &str = "s3cret";
const CONTACT: &str = "sip:trunk1@192.0.2.10:5060";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

fn config() -> RegistrationConfig {
    RegistrationConfig::new(
        "sip:carrier.test",
        "sip:trunk1@carrier.test",
        USER,
        PASSWORD,
        CONTACT,
        "192.0.2.10:5060",
    )
}

fn registration() -> Registration {
    Registration::with_ids(config(), "call-1", "tag-1")
}

fn cseq(req: &Request) -> u32 {
    req.headers.cseq().unwrap().0
}

fn expires(req: &Request) -> u32 {
    req.headers.expires().unwrap()
}

/// A response from the "carrier" to `req`.
fn reply(req: &Request, status: u16, extra: &[(&str, &str)]) -> Response {
    let mut r = req.response(status, "", Some("srv"));
    for (n, v) in extra {
        r.headers.push(n, v);
    }
    r
}

/// A 401 with one challenge per algorithm.
fn challenge(req: &Request, nonce: &str, stale: bool, algs: &[Algorithm]) -> Response {
    let mut r = req.response(401, "Unauthorized", Some("srv"));
    for v in challenge_headers(REALM, nonce, "opq", stale, true, algs) {
        r.headers.push("WWW-Authenticate", &v);
    }
    r
}

/// Check the request's Authorization against the real password.
fn assert_authorized(req: &Request, alg: Algorithm, nonce: &str, nc: &str) {
    let value = req.headers.get("Authorization").expect("Authorization");
    let creds = parse_credentials(value).unwrap();
    assert_eq!(creds.username, USER);
    assert_eq!(creds.realm, REALM);
    assert_eq!(creds.nonce, nonce);
    assert_eq!(creds.uri, req.uri);
    assert_eq!(creds.opaque.as_deref(), Some("opq"));
    assert_eq!(creds.qop.as_deref(), Some("auth"));
    assert_eq!(creds.nc.as_deref(), Some(nc));
    assert_eq!(creds.algorithm(), Some(alg));
    let ha1 = ha1(alg, USER, REALM, PASSWORD);
    assert!(verify(&creds, "REGISTER", &ha1, false), "{value}");
    let cnonce = creds.cnonce.as_deref().unwrap();
    assert_eq!(
        creds.response,
        expected_response(alg, &ha1, "REGISTER", &req.uri, nonce, Some((nc, cnonce)))
    );
}

/// Start, answer the challenge, get the 200: returns the machine
/// registered at t=0 with 1800 s granted.
fn registered() -> Registration {
    let mut reg = registration();
    let r1 = reg.start(secs(0));
    let r2 = reg
        .on_response(&challenge(&r1, "n1", false, &Algorithm::ALL), secs(0))
        .unwrap();
    let ok = reply(
        &r2,
        200,
        &[("Contact", &format!("<{CONTACT}>;expires=1800"))],
    );
    assert_eq!(reg.on_response(&ok, secs(0)), None);
    reg
}

#[test]
fn first_register_has_stable_ids_and_no_credentials() {
    let mut reg = registration();
    assert_eq!(reg.state(), &RegistrationState::Idle);
    let r = reg.start(secs(0));
    assert_eq!(reg.state(), &RegistrationState::Registering);
    assert_eq!(r.uri, "sip:carrier.test");
    assert_eq!(
        r.headers.get("From"),
        Some("<sip:trunk1@carrier.test>;tag=tag-1")
    );
    assert_eq!(r.headers.get("To"), Some("<sip:trunk1@carrier.test>"));
    assert_eq!(
        r.headers.get("Contact"),
        Some("<sip:trunk1@192.0.2.10:5060>")
    );
    assert_eq!(r.headers.call_id(), Some("call-1"));
    assert_eq!(cseq(&r), 1);
    assert_eq!(expires(&r), 3600);
    assert!(r.headers.get("Authorization").is_none());
    let via = r.headers.top_via().unwrap();
    assert!(via.branch.unwrap().starts_with("z9hG4bK"));
    // It is well-formed on the wire.
    assert!(matches!(
        parse_datagram(&r.to_bytes()),
        Ok(SipMessage::Request(_))
    ));
}

#[test]
fn challenge_is_answered_with_md5_and_sha256() {
    for alg in [Algorithm::Md5, Algorithm::Sha256] {
        let mut reg = registration();
        let r1 = reg.start(secs(0));
        let r2 = reg
            .on_response(&challenge(&r1, "n1", false, &[alg]), secs(0))
            .expect("an authorized REGISTER");
        assert_eq!(cseq(&r2), 2);
        assert_eq!(r2.headers.call_id(), Some("call-1"));
        assert_authorized(&r2, alg, "n1", "00000001");
    }
    // With both offered, the first (SHA-256) is used.
    let mut reg = registration();
    let r1 = reg.start(secs(0));
    let r2 = reg
        .on_response(&challenge(&r1, "n1", false, &Algorithm::ALL), secs(0))
        .unwrap();
    assert_authorized(&r2, Algorithm::Sha256, "n1", "00000001");
}

#[test]
fn proxy_challenge_gets_proxy_authorization() {
    let mut reg = registration();
    let r1 = reg.start(secs(0));
    let mut resp = r1.response(407, "Proxy Authentication Required", Some("p"));
    for v in challenge_headers(REALM, "pn", "opq", false, true, &[Algorithm::Md5]) {
        resp.headers.push("Proxy-Authenticate", &v);
    }
    let r2 = reg.on_response(&resp, secs(0)).unwrap();
    assert!(r2.headers.get("Authorization").is_none());
    let creds = parse_credentials(r2.headers.get("Proxy-Authorization").unwrap()).unwrap();
    assert!(verify(
        &creds,
        "REGISTER",
        &ha1(Algorithm::Md5, USER, REALM, PASSWORD),
        false
    ));
}

#[test]
fn ok_schedules_refresh_and_refresh_reuses_the_nonce() {
    let mut reg = registered();
    assert_eq!(
        reg.state(),
        &RegistrationState::Registered {
            expires: 1800,
            expires_at: secs(1800),
            refresh_at: secs(900),
        }
    );
    assert!(reg.is_registered());
    assert_eq!(reg.next_deadline(), Some(secs(900)));
    assert_eq!(reg.poll(secs(899)), None);
    let r3 = reg.poll(secs(900)).expect("the refresh");
    assert_eq!(reg.state(), &RegistrationState::Registering);
    assert_eq!(cseq(&r3), 3);
    assert_eq!(r3.headers.call_id(), Some("call-1"));
    assert_authorized(&r3, Algorithm::Sha256, "n1", "00000002");
    // The carrier forgot the nonce: a plain challenge to reused
    // credentials is answered, not treated as a wrong password.
    let r4 = reg
        .on_response(&challenge(&r3, "n2", false, &[Algorithm::Md5]), secs(900))
        .unwrap();
    assert_authorized(&r4, Algorithm::Md5, "n2", "00000001");
    // The Expires header is used when our Contact has no parameter.
    let ok = reply(
        &r4,
        200,
        &[("Contact", "<sip:other@x>;expires=5"), ("Expires", "120")],
    );
    reg.on_response(&ok, secs(900));
    assert_eq!(reg.next_deadline(), Some(secs(960)));
}

#[test]
fn refresh_and_backoff_schedules() {
    assert_eq!(refresh_delay(3600), secs(1800));
    assert_eq!(refresh_delay(120), secs(60));
    assert_eq!(refresh_delay(60), secs(30));
    assert_eq!(refresh_delay(40), secs(20));
    assert_eq!(refresh_delay(1), secs(1));
    let schedule: Vec<u64> = (0..7).map(|n| backoff_delay(n).as_secs()).collect();
    assert_eq!(schedule, vec![30, 60, 120, 240, 300, 300, 300]);
    assert_eq!(backoff_delay(u32::MAX), secs(300));
}

#[test]
fn interval_too_brief_retries_with_min_expires() {
    let mut reg = registration();
    let r1 = reg.start(secs(0));
    let r2 = reg
        .on_response(&reply(&r1, 423, &[("Min-Expires", "7200")]), secs(0))
        .expect("a retry");
    assert_eq!(expires(&r2), 7200);
    assert_eq!(cseq(&r2), 2);
    assert_eq!(reg.requested_expires(), 7200);
    // A 423 that does not raise the interval fails.
    let r3 = reg
        .on_response(&reply(&r2, 423, &[("Min-Expires", "60")]), secs(0))
        .map(|_| ());
    assert_eq!(r3, None);
    assert!(matches!(reg.state(), RegistrationState::Failed { .. }));
}

#[test]
fn stale_nonce_is_retried() {
    let mut reg = registration();
    let r1 = reg.start(secs(0));
    let r2 = reg
        .on_response(&challenge(&r1, "n1", false, &[Algorithm::Md5]), secs(0))
        .unwrap();
    let r3 = reg
        .on_response(&challenge(&r2, "n2", true, &[Algorithm::Md5]), secs(0))
        .expect("stale nonces are retried");
    assert_authorized(&r3, Algorithm::Md5, "n2", "00000001");
    reg.on_response(&reply(&r3, 200, &[("Expires", "600")]), secs(10));
    assert_eq!(reg.next_deadline(), Some(secs(310)));
}

#[test]
fn wrong_password_fails_after_the_second_challenge() {
    let mut reg = registration();
    let r1 = reg.start(secs(0));
    let r2 = reg
        .on_response(&challenge(&r1, "n1", false, &[Algorithm::Md5]), secs(0))
        .unwrap();
    assert_eq!(
        reg.on_response(&challenge(&r2, "n2", false, &[Algorithm::Md5]), secs(0)),
        None
    );
    let RegistrationState::Failed { reason } = reg.state() else {
        panic!("{:?}", reg.state());
    };
    assert!(reason.contains("credentials rejected"), "{reason}");
    assert_eq!(reg.next_deadline(), None);
    // A 403 also fails; start() tries again.
    let r = reg.start(secs(5));
    reg.on_response(&reply(&r, 403, &[]), secs(5));
    assert!(matches!(reg.state(), RegistrationState::Failed { .. }));
}

#[test]
fn timeouts_and_server_errors_back_off() {
    let mut reg = registration();
    let mut now = secs(0);
    let mut req = reg.start(now);
    let mut delays = Vec::new();
    for _ in 0..6 {
        reg.on_timeout(now);
        let at = reg.next_deadline().unwrap();
        delays.push((at - now).as_secs());
        assert!(matches!(reg.state(), RegistrationState::Backoff { .. }));
        assert_eq!(reg.poll(at - secs(1)), None);
        now = at;
        let next = reg.poll(now).expect("a retry");
        assert_eq!(cseq(&next), cseq(&req) + 1);
        req = next;
    }
    assert_eq!(delays, vec![30, 60, 120, 240, 300, 300]);
    // A 503 backs off too, honouring Retry-After.
    reg.on_response(&reply(&req, 503, &[("Retry-After", "10")]), now);
    assert_eq!(reg.next_deadline(), Some(now + secs(10)));
    now += secs(10);
    let req = reg.poll(now).unwrap();
    // Success resets the back-off.
    reg.on_response(&reply(&req, 200, &[("Expires", "3600")]), now);
    assert!(reg.is_registered());
    let req = reg.poll(now + secs(1800)).unwrap();
    now += secs(1800);
    reg.on_response(&reply(&req, 500, &[]), now);
    assert_eq!(reg.next_deadline(), Some(now + secs(30)));
}

#[test]
fn unrelated_and_provisional_responses_are_ignored() {
    let mut reg = registration();
    let r1 = reg.start(secs(0));
    assert_eq!(reg.on_response(&reply(&r1, 100, &[]), secs(0)), None);
    let mut other = reply(&r1, 200, &[]);
    other.headers.set("CSeq", "7 REGISTER");
    assert_eq!(reg.on_response(&other, secs(0)), None);
    assert_eq!(reg.state(), &RegistrationState::Registering);
}

#[test]
fn unregister_sends_expires_zero() {
    let mut reg = registered();
    let r = reg.unregister(secs(100)).expect("an un-REGISTER");
    assert_eq!(expires(&r), 0);
    assert_eq!(r.headers.call_id(), Some("call-1"));
    assert_eq!(cseq(&r), 3);
    assert_authorized(&r, Algorithm::Sha256, "n1", "00000002");
    assert_eq!(reg.state(), &RegistrationState::Unregistering);
    // A challenge is answered, still with Expires: 0.
    let r2 = reg
        .on_response(&challenge(&r, "n9", false, &[Algorithm::Md5]), secs(100))
        .unwrap();
    assert_eq!(expires(&r2), 0);
    reg.on_response(&reply(&r2, 200, &[]), secs(100));
    assert_eq!(reg.state(), &RegistrationState::Unregistered);
    assert_eq!(reg.next_deadline(), None);
    assert_eq!(reg.poll(secs(10_000)), None);
    // Nothing bound: nothing to send.
    assert_eq!(reg.unregister(secs(200)), None);
    // An unreachable carrier does not hold up shutdown.
    let mut reg = registered();
    reg.unregister(secs(0)).unwrap();
    reg.on_timeout(secs(32));
    assert_eq!(reg.state(), &RegistrationState::Unregistered);
    // After a failed refresh the old binding may still be there.
    let mut reg = registered();
    reg.poll(secs(900)).unwrap();
    reg.on_timeout(secs(932));
    let r = reg.unregister(secs(940)).expect("an un-REGISTER");
    assert_eq!(expires(&r), 0);
}

/// Send `req` to the registrar and feed final responses back until the
/// machine stops asking for requests.
async fn exchange(socket: &UdpSocket, reg: &mut Registration, req: Request, now: Duration) {
    let mut next = Some(req);
    let mut buf = vec![0u8; 65536];
    while let Some(req) = next.take() {
        socket.send(&req.to_bytes()).await.unwrap();
        let resp = loop {
            let n = tokio::time::timeout(Duration::from_secs(5), socket.recv(&mut buf))
                .await
                .expect("the registrar answers")
                .unwrap();
            if let Ok(SipMessage::Response(r)) = parse_datagram(&buf[..n])
                && r.status >= 200
            {
                break r;
            }
        };
        next = reg.on_response(&resp, now);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registers_to_our_own_registrar_over_udp() {
    let mut creds = InMemoryCredentials::new();
    creds.add_password(REALM, USER, PASSWORD);
    let service = start(ServiceConfig::new(
        REALM,
        Arc::new(creds),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .expect("service starts");
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.connect(service.udp_addr().unwrap()).await.unwrap();
    let local = socket.local_addr().unwrap();
    let contact = format!("sip:{USER}@{local}");
    let mut cfg = RegistrationConfig::new(
        format!("sip:{REALM}"),
        format!("sip:{USER}@{REALM}"),
        USER,
        PASSWORD,
        contact.clone(),
        local.to_string(),
    );
    cfg.expires = 600;
    let mut reg = Registration::new(cfg);
    let aor = format!("sip:{USER}@{REALM}");

    let first = reg.start(secs(0));
    exchange(&socket, &mut reg, first, secs(0)).await;
    assert_eq!(
        reg.state(),
        &RegistrationState::Registered {
            expires: 600,
            expires_at: secs(600),
            refresh_at: secs(300),
        }
    );
    let bindings = service.lookup(&aor);
    assert_eq!(bindings.len(), 1, "{bindings:?}");
    assert_eq!(bindings[0].contact, contact);
    assert_eq!(service.stats().challenged, 1);

    // The refresh reuses the nonce (nc=2) and is accepted without a
    // new challenge.
    let refresh = reg.poll(secs(300)).expect("a refresh");
    exchange(&socket, &mut reg, refresh, secs(300)).await;
    assert!(reg.is_registered(), "{:?}", reg.state());
    assert_eq!(service.stats().challenged, 1);
    assert_eq!(service.stats().registered, 2);

    let bye = reg.unregister(secs(400)).expect("an un-REGISTER");
    exchange(&socket, &mut reg, bye, secs(400)).await;
    assert_eq!(reg.state(), &RegistrationState::Unregistered);
    assert!(service.lookup(&aor).is_empty());
    service.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_fails_against_our_registrar() {
    let mut creds = InMemoryCredentials::new();
    creds.add_password(REALM, USER, PASSWORD);
    let service = start(ServiceConfig::new(
        REALM,
        Arc::new(creds),
        "127.0.0.1:0".parse().unwrap(),
    ))
    .await
    .expect("service starts");
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    socket.connect(service.udp_addr().unwrap()).await.unwrap();
    let local = socket.local_addr().unwrap();
    let mut cfg = config();
    cfg.password = "wrong".into();
    cfg.contact = format!("sip:{USER}@{local}");
    cfg.sent_by = local.to_string();
    let mut reg = Registration::new(cfg);
    let first = reg.start(secs(0));
    exchange(&socket, &mut reg, first, secs(0)).await;
    // Our registrar answers a wrong password with 403.
    let RegistrationState::Failed { reason } = reg.state() else {
        panic!("{:?}", reg.state());
    };
    assert!(reason.starts_with("403"), "{reason}");
    assert!(service.lookup(&format!("sip:{USER}@{REALM}")).is_empty());
    service.shutdown().await;
}
