//! TLS (RFC 3261 section 26, RFC 5630): listeners, the TLS handshake on
//! accepted and outgoing connections, and the rustls configuration built
//! from [`TlsConfig`].
//!
//! After the handshake a TLS connection is handed to the TCP connection
//! task ([`tcp::spawn_connection`]) and shares the connection map, so
//! framing, `CRLFCRLF` keep-alives, the idle timeout, responses over the
//! request's connection and connection reuse behave as for TCP. Outgoing
//! connections verify the server's certificate against
//! [`TlsConfig::root_certificates`], for the host name given to
//! [`TransportHandle::send_tls_named`](super::TransportHandle::send_tls_named)
//! or else for the target's IP address (the certificate must then name
//! it in a subjectAltName).

use super::{ConnectionId, Shared, Target, TransportError, TransportKind, connections, tcp};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{sleep, timeout};
use tokio_rustls::{TlsAcceptor, TlsConnector};

/// PEM data: a file read when the transports start, or the bytes
/// themselves.
#[derive(Clone, PartialEq, Eq)]
pub enum PemSource {
    /// A PEM file.
    File(PathBuf),
    /// PEM text in memory.
    Bytes(Vec<u8>),
}

impl fmt::Debug for PemSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PemSource::File(path) => f.debug_tuple("File").field(path).finish(),
            // Never print key material.
            PemSource::Bytes(b) => write!(f, "Bytes(<{} bytes>)", b.len()),
        }
    }
}

impl PemSource {
    /// How errors name this source.
    fn describe(&self) -> String {
        match self {
            PemSource::File(path) => path.display().to_string(),
            PemSource::Bytes(_) => "<in-memory PEM>".to_string(),
        }
    }

    fn load(&self) -> Result<Vec<u8>, TransportError> {
        match self {
            PemSource::File(path) => std::fs::read(path)
                .map_err(|e| TransportError::Tls(format!("cannot read {}: {e}", path.display()))),
            PemSource::Bytes(b) => Ok(b.clone()),
        }
    }

    /// Every certificate in the PEM data (at least one).
    fn certificates(&self) -> Result<Vec<CertificateDer<'static>>, TransportError> {
        let pem = self.load()?;
        let certs = rustls_pemfile::certs(&mut pem.as_slice())
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TransportError::Tls(format!("invalid PEM in {}: {e}", self.describe())))?;
        if certs.is_empty() {
            return Err(TransportError::Tls(format!(
                "no certificate in {}",
                self.describe()
            )));
        }
        Ok(certs)
    }

    /// The first private key (PKCS#8, PKCS#1 or SEC1) in the PEM data.
    fn private_key(&self) -> Result<PrivateKeyDer<'static>, TransportError> {
        let pem = self.load()?;
        rustls_pemfile::private_key(&mut pem.as_slice())
            .map_err(|e| TransportError::Tls(format!("invalid PEM in {}: {e}", self.describe())))?
            .ok_or_else(|| TransportError::Tls(format!("no private key in {}", self.describe())))
    }
}

/// Certificates and keys for TLS.
#[derive(Debug, Clone, Default)]
pub struct TlsConfig {
    /// Our certificate chain (leaf first); required when
    /// [`TransportConfig::tls_listen`](super::TransportConfig::tls_listen)
    /// is not empty.
    pub certificate_chain: Option<PemSource>,
    /// The private key of the leaf certificate.
    pub private_key: Option<PemSource>,
    /// Trust anchors for verifying servers we connect to. Without any,
    /// outgoing TLS connections fail.
    pub root_certificates: Vec<PemSource>,
}

/// The rustls side of [`TlsConfig`], built once at start.
pub(super) struct TlsState {
    acceptor: Option<TlsAcceptor>,
    connector: Option<TlsConnector>,
}

fn tls_error(e: impl fmt::Display) -> TransportError {
    TransportError::Tls(e.to_string())
}

impl TlsState {
    /// Load the configured PEM data; the server side only when
    /// `listening`. Errors name the file at fault.
    pub(super) fn build(config: &TlsConfig, listening: bool) -> Result<TlsState, TransportError> {
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let acceptor = if listening {
            let chain_source = config.certificate_chain.as_ref().ok_or_else(|| {
                TransportError::Tls("a TLS listener needs a certificate chain".into())
            })?;
            let key_source = config
                .private_key
                .as_ref()
                .ok_or_else(|| TransportError::Tls("a TLS listener needs a private key".into()))?;
            let chain = chain_source.certificates()?;
            let key = key_source.private_key()?;
            let server = rustls::ServerConfig::builder_with_provider(provider.clone())
                .with_safe_default_protocol_versions()
                .map_err(tls_error)?
                .with_no_client_auth()
                .with_single_cert(chain, key)
                .map_err(|e| {
                    TransportError::Tls(format!(
                        "certificate {} with key {}: {e}",
                        chain_source.describe(),
                        key_source.describe()
                    ))
                })?;
            Some(TlsAcceptor::from(Arc::new(server)))
        } else {
            None
        };
        let connector = if config.root_certificates.is_empty() {
            None
        } else {
            let mut roots = rustls::RootCertStore::empty();
            for source in &config.root_certificates {
                for cert in source.certificates()? {
                    roots.add(cert).map_err(|e| {
                        TransportError::Tls(format!(
                            "bad root certificate in {}: {e}",
                            source.describe()
                        ))
                    })?;
                }
            }
            let client = rustls::ClientConfig::builder_with_provider(provider)
                .with_safe_default_protocol_versions()
                .map_err(tls_error)?
                .with_root_certificates(roots)
                .with_no_client_auth();
            Some(TlsConnector::from(Arc::new(client)))
        };
        Ok(TlsState {
            acceptor,
            connector,
        })
    }
}

impl TlsState {
    /// The server side, when a TLS or WSS listener is configured.
    pub(super) fn acceptor(&self) -> Option<TlsAcceptor> {
        self.acceptor.clone()
    }
}

/// Accept connections until aborted; each handshake runs in its own task
/// (bounded by the connect timeout) so a slow or hostile peer cannot
/// stall the listener.
pub(super) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    let Some(acceptor) = shared.tls.acceptor.clone() else {
        return;
    };
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let shared2 = shared.clone();
                let acceptor = acceptor.clone();
                let task = tokio::spawn(async move {
                    let Ok(local) = stream.local_addr() else {
                        return;
                    };
                    let _ = stream.set_nodelay(true);
                    let limit = shared2.config.connect_timeout;
                    match timeout(limit, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            tcp::spawn_connection(&shared2, tls, TransportKind::Tls, peer, local);
                        }
                        Ok(Err(e)) => {
                            tracing::debug!(%peer, error = %e, "tls handshake failed");
                        }
                        Err(_) => tracing::debug!(%peer, "tls handshake timed out"),
                    }
                });
                shared.track(task.abort_handle());
            }
            Err(e) => {
                tracing::warn!(error = %e, "tls accept failed");
                sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// Send over `target.connection`, else a TLS connection to
/// `target.addr`, else a new one (handshake verifying the server's
/// certificate for `server_name`, or the target's IP address).
pub(super) async fn send(
    shared: &Arc<Shared>,
    bytes: Vec<u8>,
    target: Target,
    server_name: Option<&str>,
) -> Result<ConnectionId, TransportError> {
    let bytes = match connections::send_existing(shared, TransportKind::Tls, target, bytes).await {
        Ok(id) => return Ok(id),
        Err(bytes) => bytes,
    };
    let connector = shared.tls.connector.clone().ok_or_else(|| {
        TransportError::Tls("no TLS root certificates configured for outgoing connections".into())
    })?;
    let addr = target.addr;
    let name = match server_name {
        Some(host) => ServerName::try_from(host.to_string())
            .map_err(|e| TransportError::Tls(format!("bad server name {host:?}: {e}")))?,
        None => ServerName::IpAddress(addr.ip().into()),
    };
    let connect = async {
        let stream = TcpStream::connect(addr).await?;
        let _ = stream.set_nodelay(true);
        let local = stream.local_addr()?;
        let tls = connector
            .connect(name, stream)
            .await
            .map_err(|e| TransportError::Tls(format!("handshake with {addr}: {e}")))?;
        Ok::<_, TransportError>((tls, local))
    };
    let (tls, local) = timeout(shared.config.connect_timeout, connect)
        .await
        .map_err(|_| TransportError::ConnectTimeout(addr))??;
    let id = tcp::spawn_connection(shared, tls, TransportKind::Tls, addr, local);
    connections::send_on(shared, id, bytes).await?;
    Ok(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_key_file_is_named() {
        let config = TlsConfig {
            certificate_chain: Some(PemSource::Bytes(Vec::new())),
            private_key: Some(PemSource::File("/nonexistent/key.pem".into())),
            root_certificates: Vec::new(),
        };
        // The chain is checked first: empty PEM has no certificate.
        let err = TlsState::build(&config, true).err().unwrap().to_string();
        assert!(err.contains("no certificate"), "{err}");
        assert!(TlsState::build(&TlsConfig::default(), false).is_ok());
        let err = TlsState::build(&TlsConfig::default(), true)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("certificate chain"), "{err}");
    }

    #[test]
    fn debug_hides_key_bytes() {
        let s = format!("{:?}", PemSource::Bytes(b"secret".to_vec()));
        assert!(!s.contains("secret"));
    }
}
