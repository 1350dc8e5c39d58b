//! REGISTERs for the registrar's tests, on simulated time: one address of
//! record, a fixed source, a time origin.

use pbx_sip::message::{Method, Request, Response};
use pbx_sip::registrar::{InMemoryStore, Registrar, RegistrarConfig};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

pub const AOR: &str = "sip:100@pbx.example.com";
pub const T0: u64 = 1_700_000_000;

pub fn at(offset: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0 + offset)
}

pub fn source() -> SocketAddr {
    "203.0.113.7:40123".parse().unwrap()
}

pub fn register(call_id: &str, cseq: u32, contacts: &[&str], expires: Option<&str>) -> Request {
    let mut r = Request::new(Method::Register, "sip:pbx.example.com");
    r.headers
        .push("Via", "SIP/2.0/TCP 10.0.0.5:5060;branch=z9hG4bKreg");
    r.headers.push("From", "<sip:100@pbx.example.com>;tag=f1");
    r.headers.push("To", "<sip:100@pbx.example.com>");
    r.headers.push("Call-ID", call_id);
    r.headers.push("CSeq", &format!("{cseq} REGISTER"));
    r.headers.push("User-Agent", "TestPhone/1.0");
    for c in contacts {
        r.headers.push("Contact", c);
    }
    if let Some(e) = expires {
        r.headers.push("Expires", e);
    }
    r
}

pub fn registrar_with(config: RegistrarConfig) -> (Registrar, Arc<InMemoryStore>) {
    let store = Arc::new(InMemoryStore::new());
    (Registrar::new(config, store.clone()), store)
}

pub fn registrar() -> (Registrar, Arc<InMemoryStore>) {
    registrar_with(RegistrarConfig::default())
}

/// Send a REGISTER built by [`register`] at `at(t)` from [`source`].
pub async fn send(
    reg: &Registrar,
    call_id: &str,
    cseq: u32,
    contacts: &[&str],
    expires: Option<&str>,
    t: u64,
) -> Response {
    let req = register(call_id, cseq, contacts, expires);
    reg.handle(&req, AOR, source(), at(t)).await
}
