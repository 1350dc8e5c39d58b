//! UDP: one receive loop per bound socket.

use super::{
    Incoming, Shared, TransportError, TransportKind, bump, error_response, resolve,
    response_target, stamp_received,
};
use crate::message::{SipMessage, parse_datagram};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::net::UdpSocket;

/// Largest UDP payload over IPv4/IPv6 (without jumbograms).
const MAX_DATAGRAM: usize = 65_535;

/// A bound UDP socket.
pub(super) struct UdpEndpoint {
    pub(super) socket: Arc<UdpSocket>,
    pub(super) local: SocketAddr,
}

impl UdpEndpoint {
    pub(super) async fn bind(addr: SocketAddr) -> Result<Self, TransportError> {
        let socket = UdpSocket::bind(addr).await?;
        let local = socket.local_addr()?;
        Ok(UdpEndpoint {
            socket: Arc::new(socket),
            local,
        })
    }
}

/// Send one datagram from a socket of the destination's address family.
pub(super) async fn send_to(
    shared: &Shared,
    bytes: &[u8],
    to: SocketAddr,
) -> Result<(), TransportError> {
    let endpoint = shared
        .udp
        .iter()
        .find(|e| e.local.is_ipv4() == to.is_ipv4())
        .ok_or(TransportError::NoSocket(TransportKind::Udp, to))?;
    endpoint.socket.send_to(bytes, to).await?;
    Ok(())
}

/// Receive datagrams on `shared.udp[index]` until the incoming channel
/// closes.
pub(super) async fn receive_loop(shared: Arc<Shared>, index: usize) {
    let endpoint = &shared.udp[index];
    let socket = endpoint.socket.clone();
    let local = endpoint.local;
    let max = shared.config.max_size();
    let mut buf = vec![0u8; MAX_DATAGRAM];
    loop {
        let (len, source) = match socket.recv_from(&mut buf).await {
            Ok(r) => r,
            Err(e) => {
                // ICMP errors surface here on some platforms; keep going.
                tracing::debug!(%local, error = %e, "udp recv error");
                continue;
            }
        };
        let data = &buf[..len];
        let result = if len > max {
            // Over our limit: read the headers for a 513 only.
            match parse_datagram(data) {
                Ok(SipMessage::Request(r)) => Err(Some(r.headers)),
                _ => Err(None),
            }
        } else {
            match parse_datagram(data) {
                Ok(m) => Ok(m),
                Err(e) => {
                    if let (Some(status), Some(headers)) = (e.status(), e.request_headers()) {
                        reject(&shared, status, headers.clone(), source).await;
                    } else {
                        tracing::debug!(%source, error = %e, "udp datagram dropped");
                        bump(&shared.counters.dropped);
                    }
                    continue;
                }
            }
        };
        let mut message = match result {
            Ok(m) => m,
            Err(Some(headers)) => {
                reject(&shared, 513, headers, source).await;
                continue;
            }
            Err(None) => {
                bump(&shared.counters.dropped);
                continue;
            }
        };
        if let SipMessage::Request(r) = &mut message {
            stamp_received(&mut r.headers, source);
        }
        let incoming = Incoming {
            message,
            source,
            local,
            transport: TransportKind::Udp,
            connection: None,
        };
        if shared.incoming.send(incoming).await.is_err() {
            return; // the stack is gone
        }
    }
}

/// Answer a malformed request with `status`, routed by its stamped Via.
async fn reject(
    shared: &Shared,
    status: u16,
    mut headers: crate::message::Headers,
    source: SocketAddr,
) {
    stamp_received(&mut headers, source);
    let response = error_response(status, &headers);
    let to = match headers.top_via() {
        Some(via) => resolve(response_target(&via, false)).await.ok(),
        None => None,
    }
    .unwrap_or(source);
    match send_to(shared, &response.to_bytes(), to).await {
        Ok(()) => bump(&shared.counters.rejected),
        Err(e) => {
            tracing::debug!(%to, error = %e, "could not send error response");
            bump(&shared.counters.dropped);
        }
    }
}
