//! `WSS`: WebSocket over TLS with a self-signed certificate.

use super::support::{WAIT, as_request, eventually, next, next_text, request, start, upgrade, v4};
use futures_util::SinkExt;
use pbx_sip::transport::{PemSource, TlsConfig, TransportConfig, TransportKind, Transports};
use rcgen::{CertificateParams, KeyPair, SanType};
use rustls::pki_types::ServerName;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use tokio::net::TcpStream;
use tokio::time::timeout;
use tokio_rustls::TlsConnector;
use tokio_tungstenite::tungstenite::Message;

/// A self-signed certificate for 127.0.0.1 and "localhost": (cert, key).
fn self_signed() -> (String, String) {
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::IpAddress(IpAddr::V4(Ipv4Addr::LOCALHOST)));
    let cert = params.self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn connector(trusted_pem: &str) -> TlsConnector {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_pemfile::certs(&mut trusted_pem.as_bytes()) {
        roots.add(cert.unwrap()).unwrap();
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_root_certificates(roots)
    .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
}

#[tokio::test]
async fn wss_with_a_self_signed_certificate() {
    let (cert, key) = self_signed();
    let config = TransportConfig {
        udp: vec![],
        tcp: vec![],
        wss_listen: vec![v4()],
        tls: TlsConfig {
            certificate_chain: Some(PemSource::Bytes(cert.clone().into_bytes())),
            private_key: Some(PemSource::Bytes(key.into_bytes())),
            root_certificates: Vec::new(),
        },
        ..TransportConfig::default()
    };
    let (handle, mut rx) = start(config).await;
    let server = handle.local_addrs(TransportKind::Wss)[0];
    assert!(handle.local_addrs(TransportKind::Ws).is_empty());

    let tcp = TcpStream::connect(server).await.unwrap();
    let name = ServerName::try_from("localhost").unwrap();
    let tls = timeout(WAIT, connector(&cert).connect(name, tcp))
        .await
        .unwrap()
        .expect("tls handshake");
    let (mut ws, chosen) = upgrade(tls, server, "wss", Some("sip"), None)
        .await
        .expect("upgrade");
    assert_eq!(chosen.as_deref(), Some("sip"));
    let req = request("REGISTER", "wss1").replace("SIP/2.0/WS ", "SIP/2.0/WSS ");
    ws.send(Message::text(req)).await.unwrap();
    let incoming = next(&mut rx).await;
    assert_eq!(incoming.transport, TransportKind::Wss);
    assert_eq!(incoming.transport.as_str(), "WSS");
    let r = as_request(&incoming);
    assert_eq!(
        r.headers.top_via().unwrap().param("received"),
        Some(Some("127.0.0.1"))
    );
    let ok = r.response(200, "OK", Some("srv"));
    handle
        .send_response(&ok, TransportKind::Wss, incoming.connection)
        .await
        .unwrap();
    let text = next_text(&mut ws).await;
    assert!(text.starts_with("SIP/2.0 200 OK\r\n"), "{text}");

    // A plain ws:// client on the WSS port gets nowhere and is counted.
    let tcp = TcpStream::connect(server).await.unwrap();
    assert!(upgrade(tcp, server, "ws", Some("sip"), None).await.is_err());
    eventually(|| handle.stats().ws_refused == 1).await;
    handle.shutdown();
}

#[tokio::test]
async fn wss_without_a_certificate_fails_to_start() {
    let config = TransportConfig {
        udp: vec![],
        tcp: vec![],
        wss_listen: vec![v4()],
        ..TransportConfig::default()
    };
    let err = Transports::start(config).await.unwrap_err();
    assert!(err.to_string().contains("certificate chain"), "{err}");
}
