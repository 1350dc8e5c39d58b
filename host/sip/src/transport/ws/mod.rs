//! SIP over WebSocket (RFC 7118), for browser phones: `WS` listeners on
//! [`TransportConfig::ws_listen`](super::TransportConfig::ws_listen) and
//! `WSS` listeners (WebSocket over TLS, with the certificate of
//! [`TlsConfig`](super::TlsConfig)) on
//! [`TransportConfig::wss_listen`](super::TransportConfig::wss_listen).
//!
//! The HTTP upgrade must offer the `sip` subprotocol, which the answer
//! names (section 4); other requests get an HTTP error saying so, as do
//! origins outside [`WsConfig::allowed_origins`] when that list is set.
//! After the upgrade each WebSocket message carries exactly one SIP
//! message (section 5), text or binary, parsed like a datagram (no
//! Content-Length needed); a message over the configured maximum size
//! closes the connection (close code 1009). Pings are answered with
//! pongs and an RFC 5626 `CRLFCRLF` message with `CRLF`. A peer silent
//! for half of [`TransportConfig::idle_timeout`](super::TransportConfig::idle_timeout)
//! is sent a Ping, and closed when silent (no Pong either) for all of it.
//!
//! A browser cannot accept connections, so messages to a WebSocket peer
//! (responses, and requests to a registered browser phone) always go
//! over its open connection, found by [`ConnectionId`] or by the peer's
//! address; when it is gone, sending fails with
//! [`TransportError::NoConnection`]. We never open WebSocket connections
//! ourselves.

mod connection;
mod handshake;

use super::{ConnectionId, Shared, Target, TransportError, TransportKind, bump, connections};
use connection::ConnInfo;
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout_at};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Settings of the WebSocket listeners.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WsConfig {
    /// `Origin` values allowed to connect (e.g.
    /// `https://phone.example.com`), compared without regard to ASCII
    /// case; empty (the default) allows any origin, and requests without
    /// an `Origin` header.
    pub allowed_origins: Vec<String>,
}

/// Read buffer per connection: SIP messages are small, and a browser
/// phone server may hold many idle connections.
const READ_BUFFER: usize = 16 * 1024;

/// The WebSocket limits for a SIP message size limit of `max` bytes.
fn websocket_config(max: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(Some(max))
        .max_frame_size(Some(max))
}

/// Accept connections on a `WS` or `WSS` (`kind`) listener until aborted;
/// each connection's TLS handshake, upgrade and life run in a task of its
/// own.
pub(super) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener, kind: TransportKind) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                let task = tokio::spawn(serve(shared.clone(), stream, peer, kind));
                shared.track(task.abort_handle());
            }
            Err(e) => {
                tracing::warn!(error = %e, transport = %kind, "accept failed");
                // Out of descriptors and the like: do not spin.
                sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// One accepted connection: TLS for `WSS`, the upgrade, then the
/// connection task. TLS and upgrade together must finish within the
/// connect timeout, so a silent peer cannot hold a task.
async fn serve(shared: Arc<Shared>, stream: TcpStream, peer: SocketAddr, kind: TransportKind) {
    let Ok(local) = stream.local_addr() else {
        return;
    };
    let _ = stream.set_nodelay(true);
    let deadline = Instant::now() + shared.config.connect_timeout;
    let info = Accepted {
        kind,
        peer,
        local,
        deadline,
    };
    if kind != TransportKind::Wss {
        return upgrade(shared, stream, info).await;
    }
    let Some(acceptor) = shared.tls.acceptor() else {
        return;
    };
    match timeout_at(deadline, acceptor.accept(stream)).await {
        Ok(Ok(tls)) => upgrade(shared, tls, info).await,
        Ok(Err(e)) => {
            bump(&shared.counters.ws_refused);
            tracing::debug!(%peer, error = %e, "wss tls handshake failed");
        }
        Err(_) => {
            bump(&shared.counters.ws_refused);
            tracing::debug!(%peer, "wss tls handshake timed out");
        }
    }
}

/// An accepted connection on its way to the upgrade.
struct Accepted {
    kind: TransportKind,
    peer: SocketAddr,
    local: SocketAddr,
    deadline: Instant,
}

/// Run the HTTP upgrade over `stream` and, once accepted, the connection.
async fn upgrade<S>(shared: Arc<Shared>, stream: S, accepted: Accepted)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let Accepted {
        kind,
        peer,
        local,
        deadline,
    } = accepted;
    let callback = handshake::SipUpgrade {
        allowed_origins: shared.config.ws.allowed_origins.clone(),
    };
    let config = websocket_config(shared.config.max_size());
    let accept = tokio_tungstenite::accept_hdr_async_with_config(stream, callback, Some(config));
    let ws = match timeout_at(deadline, accept).await {
        Ok(Ok(ws)) => ws,
        Ok(Err(e)) => {
            bump(&shared.counters.ws_refused);
            tracing::debug!(%peer, error = %e, transport = %kind, "websocket upgrade refused");
            return;
        }
        Err(_) => {
            bump(&shared.counters.ws_refused);
            tracing::debug!(%peer, transport = %kind, "websocket upgrade timed out");
            return;
        }
    };
    let id = connections::next_id(&shared);
    let (tx, rx) = mpsc::channel(connections::QUEUE);
    shared.connections.insert(id, kind, peer, tx);
    tracing::debug!(?id, %peer, transport = %kind, "websocket connection open");
    let info = ConnInfo {
        id,
        kind,
        peer,
        local,
    };
    connection::run(shared, ws, info, rx).await;
}

/// Send over `target.connection` while open, else over the open
/// connection of the same kind from `target.addr`; there is no third
/// way (we do not connect to WebSocket peers).
pub(super) async fn send(
    shared: &Shared,
    bytes: Vec<u8>,
    target: Target,
) -> Result<ConnectionId, TransportError> {
    connections::send_existing(shared, target.transport, target, bytes)
        .await
        .map_err(|_| TransportError::NoConnection(target.transport, target.addr))
}
