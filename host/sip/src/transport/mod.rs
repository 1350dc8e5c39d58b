//! SIP transports (RFC 3261 section 18): UDP, TCP, TLS, WebSocket and
//! secure WebSocket, over IPv4 and IPv6.
//!
//! [`Transports::start`] binds the sockets listed in a
//! [`TransportConfig`] and returns a [`TransportHandle`] for sending and
//! an mpsc receiver of [`Incoming`] messages for the stack above.
//!
//! - **UDP**: one receive loop per socket, one reused receive buffer,
//!   [`parse_datagram`](crate::message::parse_datagram). Malformed
//!   requests whose headers can be salvaged are answered with the status
//!   the parser names (400, 416, 505, 513); anything else is dropped and
//!   counted ([`TransportStats`]).
//! - **TCP**: a listener per address and a task per connection with its
//!   own read buffer, framed by
//!   [`parse_stream`](crate::message::parse_stream). `CRLFCRLF` pings
//!   are answered with `CRLF` (RFC 5626 section 4.4.1); a message larger
//!   than the configured maximum, or any framing error, closes the
//!   connection (after a 513/400 when it can be built); connections idle
//!   for [`TransportConfig::idle_timeout`] are closed. Responses go back
//!   over the connection the request came on; outgoing requests reuse an
//!   open connection to the same address (accepted or connected) and
//!   connect when there is none.
//! - **TLS** (RFC 3261 section 26, RFC 5630): a listener per
//!   [`TransportConfig::tls_listen`] address with the certificate chain
//!   and key of [`TransportConfig::tls`]; after the handshake a
//!   connection runs exactly the TCP connection task (framing,
//!   keep-alives, idle timeout, reuse) over the rustls stream. Outgoing
//!   TLS connections verify the server's certificate against
//!   [`TlsConfig::root_certificates`]. Via transport `TLS`.
//! - **WS and WSS** (RFC 7118, `transport/ws/`): listeners on
//!   [`TransportConfig::ws_listen`] and [`TransportConfig::wss_listen`]
//!   (WSS with the TLS certificate); the upgrade must offer the `sip`
//!   subprotocol ([`WsConfig::allowed_origins`] can restrict origins);
//!   one SIP message per WebSocket message, parsed like a datagram; the
//!   size limit and idle timeout close the connection. Messages to a
//!   WebSocket peer only ever go over its own open connection. Via
//!   transports `WS` and `WSS`.
//! - On every incoming request the top Via gets `received`/`rport`
//!   (RFC 3261 section 18.2.1, RFC 3581), see [`via`];
//!   [`TransportHandle::send_response`] routes responses per RFC 3261
//!   section 18.2.2.
//!
//! Not here: outgoing WebSocket connections, SCTP, and the sent-by check
//! on received responses (section 18.1.2, left to the transaction layer).
//! The switch to TCP for large UDP requests (RFC 3261 section 18.1.1) is
//! made by the service's driver, which knows the request.

mod config;
mod connections;
mod error;
mod kind;
mod stats;
mod tcp;
mod tls;
mod udp;
mod uri;
pub mod via;
mod ws;

use crate::message::{Response, SipMessage};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

pub use config::TransportConfig;
pub use error::TransportError;
pub use kind::TransportKind;
pub use stats::TransportStats;
use stats::{Counters, bump};
pub use tls::{PemSource, TlsConfig};
pub use uri::transport_for_uri;
pub use via::{ResponseTarget, response_target, stamp_received};
pub use ws::WsConfig;

/// Identifies one TCP, TLS or WebSocket connection for the lifetime of
/// a [`Transports`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

/// A message received from the network.
#[derive(Debug, Clone)]
pub struct Incoming {
    /// The message; for a request the top Via already carries
    /// `received`/`rport` as RFC 3261 18.2.1 and RFC 3581 require.
    pub message: SipMessage,
    /// The peer's address.
    pub source: SocketAddr,
    /// Our address it arrived on.
    pub local: SocketAddr,
    /// The transport.
    pub transport: TransportKind,
    /// The connection, for connection-oriented transports.
    pub connection: Option<ConnectionId>,
}

/// Where to send a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target {
    /// The transport.
    pub transport: TransportKind,
    /// The peer's address (used to find or open a connection when
    /// `connection` is absent or closed).
    pub addr: SocketAddr,
    /// A specific connection to use when still open.
    pub connection: Option<ConnectionId>,
}

/// State shared by all transport tasks and handles.
struct Shared {
    config: TransportConfig,
    udp: Vec<udp::UdpEndpoint>,
    tcp_local: Vec<SocketAddr>,
    tls_local: Vec<SocketAddr>,
    ws_local: Vec<SocketAddr>,
    wss_local: Vec<SocketAddr>,
    tls: tls::TlsState,
    connections: connections::Connections,
    incoming: mpsc::Sender<Incoming>,
    counters: Counters,
    tasks: Mutex<Vec<AbortHandle>>,
    next_connection: AtomicU64,
}

impl Shared {
    fn track(&self, handle: AbortHandle) {
        let mut tasks = self.tasks.lock().unwrap_or_else(|e| e.into_inner());
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle);
    }
}

/// Entry point: binds and starts the transports.
pub struct Transports;

impl Transports {
    /// Bind every configured address and start the receive tasks. Must
    /// be called within a tokio runtime.
    pub async fn start(
        config: TransportConfig,
    ) -> Result<(TransportHandle, mpsc::Receiver<Incoming>), TransportError> {
        let (tx, rx) = mpsc::channel(config.channel_capacity.max(1));
        let mut udp_sockets = Vec::new();
        for addr in &config.udp {
            udp_sockets.push(udp::UdpEndpoint::bind(*addr).await?);
        }
        let (listeners, tcp_local) = bind_all(&config.tcp).await?;
        let serves_tls = !config.tls_listen.is_empty() || !config.wss_listen.is_empty();
        let tls = tls::TlsState::build(&config.tls, serves_tls)?;
        let (tls_listeners, tls_local) = bind_all(&config.tls_listen).await?;
        let (ws_listeners, ws_local) = bind_all(&config.ws_listen).await?;
        let (wss_listeners, wss_local) = bind_all(&config.wss_listen).await?;
        let shared = Arc::new(Shared {
            config,
            udp: udp_sockets,
            tcp_local,
            tls_local,
            ws_local,
            wss_local,
            tls,
            connections: connections::Connections::default(),
            incoming: tx,
            counters: Counters::default(),
            tasks: Mutex::new(Vec::new()),
            next_connection: AtomicU64::new(1),
        });
        for index in 0..shared.udp.len() {
            let task = tokio::spawn(udp::receive_loop(shared.clone(), index));
            shared.track(task.abort_handle());
        }
        for listener in listeners {
            let task = tokio::spawn(tcp::accept_loop(shared.clone(), listener));
            shared.track(task.abort_handle());
        }
        for listener in tls_listeners {
            let task = tokio::spawn(tls::accept_loop(shared.clone(), listener));
            shared.track(task.abort_handle());
        }
        let ws = ws_listeners.into_iter().map(|l| (l, TransportKind::Ws));
        let wss = wss_listeners.into_iter().map(|l| (l, TransportKind::Wss));
        for (listener, kind) in ws.chain(wss) {
            let task = tokio::spawn(ws::accept_loop(shared.clone(), listener, kind));
            shared.track(task.abort_handle());
        }
        Ok((TransportHandle { shared }, rx))
    }
}

/// Sends messages; cheap to clone.
#[derive(Clone)]
pub struct TransportHandle {
    shared: Arc<Shared>,
}

impl fmt::Debug for TransportHandle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TransportHandle")
            .field("local_addrs", &self.all_local_addrs())
            .finish()
    }
}

impl TransportHandle {
    /// The bound local addresses of one transport (the actual ports when
    /// 0 was configured).
    pub fn local_addrs(&self, transport: TransportKind) -> Vec<SocketAddr> {
        match transport {
            TransportKind::Udp => self.shared.udp.iter().map(|u| u.local).collect(),
            TransportKind::Tcp => self.shared.tcp_local.clone(),
            TransportKind::Tls => self.shared.tls_local.clone(),
            TransportKind::Ws => self.shared.ws_local.clone(),
            TransportKind::Wss => self.shared.wss_local.clone(),
        }
    }

    fn all_local_addrs(&self) -> Vec<(TransportKind, SocketAddr)> {
        TransportKind::ALL
            .into_iter()
            .flat_map(|k| self.local_addrs(k).into_iter().map(move |a| (k, a)))
            .collect()
    }

    /// Send a message to `target`. Over TCP and TLS this uses
    /// `target.connection` while it is open, else an open connection to
    /// `target.addr`, else a new connection. Over WS and WSS only the
    /// first two apply: with neither open it fails with
    /// [`TransportError::NoConnection`]. Returns the connection used, if
    /// any.
    pub async fn send(
        &self,
        message: &SipMessage,
        target: Target,
    ) -> Result<Option<ConnectionId>, TransportError> {
        self.send_bytes(message.to_bytes(), target).await
    }

    /// Send raw bytes (already a serialised message) to `target`.
    pub async fn send_bytes(
        &self,
        bytes: Vec<u8>,
        target: Target,
    ) -> Result<Option<ConnectionId>, TransportError> {
        match target.transport {
            TransportKind::Udp => {
                udp::send_to(&self.shared, &bytes, target.addr).await?;
                Ok(None)
            }
            TransportKind::Tcp => tcp::send(&self.shared, bytes, target).await.map(Some),
            TransportKind::Tls => tls::send(&self.shared, bytes, target, None).await.map(Some),
            TransportKind::Ws | TransportKind::Wss => {
                ws::send(&self.shared, bytes, target).await.map(Some)
            }
        }
    }

    /// Send a message over TLS to `addr`, reusing an open TLS connection
    /// to it, else connecting and verifying the server's certificate for
    /// `server_name` (the host of a `sips:` URI; RFC 3261 section 26.2.2)
    /// rather than for the IP address as [`send`](Self::send) does.
    pub async fn send_tls_named(
        &self,
        message: &SipMessage,
        addr: SocketAddr,
        server_name: &str,
    ) -> Result<ConnectionId, TransportError> {
        let target = Target {
            transport: TransportKind::Tls,
            addr,
            connection: None,
        };
        tls::send(&self.shared, message.to_bytes(), target, Some(server_name)).await
    }

    /// Send a response to a request received on `transport` (and
    /// `connection`), routed by the response's top Via as RFC 3261
    /// section 18.2.2 and RFC 3581 say: over the request's connection
    /// while open, else to `received`/`rport` (or `maddr`, or sent-by).
    /// Over WS and WSS the fallback is the open connection from
    /// `received`/`rport` (the address the request's connection came
    /// from), never a new one.
    pub async fn send_response(
        &self,
        response: &Response,
        transport: TransportKind,
        connection: Option<ConnectionId>,
    ) -> Result<Option<ConnectionId>, TransportError> {
        let bytes = response.to_bytes();
        if transport.is_reliable()
            && let Some(id) = connection
            && connections::send_on(&self.shared, id, bytes.clone())
                .await
                .is_ok()
        {
            return Ok(Some(id));
        }
        let via = response.headers.top_via().ok_or(TransportError::NoRoute)?;
        // A WebSocket peer is reachable only over its own connection,
        // known by the address it came from: `received` and `rport`, as
        // for an unreliable transport.
        let reliable = transport.is_reliable() && !transport.is_websocket();
        let addr = resolve(response_target(&via, reliable)).await?;
        self.send_bytes(
            bytes,
            Target {
                transport,
                addr,
                connection: None,
            },
        )
        .await
    }

    /// A snapshot of the counters.
    pub fn stats(&self) -> TransportStats {
        self.shared.counters.snapshot()
    }

    /// Whether a TCP, TLS or WebSocket connection is still open.
    pub fn is_open(&self, connection: ConnectionId) -> bool {
        self.shared.connections.contains(connection)
    }

    /// Stop every task and close every socket and connection.
    pub fn shutdown(&self) {
        let tasks =
            std::mem::take(&mut *self.shared.tasks.lock().unwrap_or_else(|e| e.into_inner()));
        for t in tasks {
            t.abort();
        }
        self.shared.connections.clear();
    }
}

/// Bind a listener on each address; returns them with their bound
/// addresses.
async fn bind_all(
    addrs: &[SocketAddr],
) -> Result<(Vec<tokio::net::TcpListener>, Vec<SocketAddr>), TransportError> {
    let mut listeners = Vec::new();
    let mut local = Vec::new();
    for addr in addrs {
        let listener = tcp::bind(*addr).await?;
        local.push(listener.local_addr()?);
        listeners.push(listener);
    }
    Ok((listeners, local))
}

/// Turn a [`ResponseTarget`] into an address, resolving names.
async fn resolve(target: Option<ResponseTarget>) -> Result<SocketAddr, TransportError> {
    match target.ok_or(TransportError::NoRoute)? {
        ResponseTarget::Addr(a) => Ok(a),
        ResponseTarget::Name(host, port) => {
            let found = tokio::net::lookup_host((host.as_str(), port)).await?.next();
            found.ok_or(TransportError::Unresolved(host))
        }
    }
}

/// Build the error response for a malformed request from its salvaged
/// headers (Via already stamped), adding a To tag when missing.
fn error_response(status: u16, headers: &crate::message::Headers) -> Response {
    let request = crate::message::Request {
        method: crate::message::Method::Other(String::new()),
        uri: String::new(),
        headers: headers.clone(),
        body: bytes::Bytes::new(),
    };
    let tag = format!("{:016x}", rand::random::<u64>());
    request.response(status, crate::message::reason_phrase(status), Some(&tag))
}
