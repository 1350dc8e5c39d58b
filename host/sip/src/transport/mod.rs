//! SIP transports (RFC 3261 section 18): UDP and TCP over IPv4 and IPv6.
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
//! - On every incoming request the top Via gets `received`/`rport`
//!   (RFC 3261 section 18.2.1, RFC 3581), see [`via`];
//!   [`TransportHandle::send_response`] routes responses per RFC 3261
//!   section 18.2.2.
//!
//! Not here (later work): WebSocket (RFC 7118), SCTP, switching to a
//! congestion-controlled transport for large UDP requests (RFC 3261
//! section 18.1.1), and the sent-by check on received responses (section
//! 18.1.2, left to the transaction layer).

mod connections;
mod tcp;
mod tls;
mod udp;
pub mod via;

use crate::message::{Response, SipMessage};
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;
use tokio::task::AbortHandle;

pub use tls::{PemSource, TlsConfig, transport_for_uri};
pub use via::{ResponseTarget, response_target, stamp_received};

/// Which transport a message came on or goes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP (RFC 3261 section 26).
    Tls,
}

impl TransportKind {
    /// The Via transport token ("UDP", "TCP", "TLS").
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
        }
    }

    /// Whether the transport is reliable (RFC 3261 section 18).
    pub fn is_reliable(self) -> bool {
        matches!(self, TransportKind::Tcp | TransportKind::Tls)
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Identifies one TCP connection for the lifetime of a [`Transports`].
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

/// What to bind and how to behave.
#[derive(Debug, Clone)]
pub struct TransportConfig {
    /// UDP bind addresses (IPv4 and/or IPv6; port 0 picks one).
    pub udp: Vec<SocketAddr>,
    /// TCP listen addresses.
    pub tcp: Vec<SocketAddr>,
    /// TLS listen addresses (default none; needs
    /// [`TlsConfig::certificate_chain`] and [`TlsConfig::private_key`]).
    pub tls_listen: Vec<SocketAddr>,
    /// Certificates and keys for TLS, listening and connecting.
    pub tls: TlsConfig,
    /// A TCP connection with no traffic either way for this long is
    /// closed (default 5 minutes).
    pub idle_timeout: Duration,
    /// Largest message accepted, in bytes (default and upper bound:
    /// [`MAX_MESSAGE_BYTES`](crate::message::MAX_MESSAGE_BYTES)).
    pub max_message_size: usize,
    /// Capacity of the [`Incoming`] channel.
    pub channel_capacity: usize,
    /// How long an outgoing TCP connect may take.
    pub connect_timeout: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            udp: vec![SocketAddr::from(([0, 0, 0, 0], 5060))],
            tcp: vec![SocketAddr::from(([0, 0, 0, 0], 5060))],
            tls_listen: Vec::new(),
            tls: TlsConfig::default(),
            idle_timeout: Duration::from_secs(300),
            max_message_size: crate::message::MAX_MESSAGE_BYTES,
            channel_capacity: 1024,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl TransportConfig {
    /// The effective message size limit (never above the parser's).
    fn max_size(&self) -> usize {
        self.max_message_size
            .clamp(1, crate::message::MAX_MESSAGE_BYTES)
    }
}

/// Transport failures seen by a sender.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// A socket operation failed.
    #[error("i/o error: {0}")]
    Io(#[from] std::io::Error),
    /// No socket of that transport and address family is bound.
    #[error("no {0} socket for {1}")]
    NoSocket(TransportKind, SocketAddr),
    /// The message has no usable top Via to route a response by.
    #[error("no usable top Via to route the response")]
    NoRoute,
    /// The host name in a Via did not resolve.
    #[error("could not resolve {0}")]
    Unresolved(String),
    /// Connecting timed out.
    #[error("connect to {0} timed out")]
    ConnectTimeout(SocketAddr),
    /// The connection closed before the message could be queued.
    #[error("connection closed")]
    ConnectionClosed,
    /// TLS configuration or handshake failure (names the file or peer).
    #[error("tls: {0}")]
    Tls(String),
    /// The transports were shut down.
    #[error("transports shut down")]
    Shutdown,
}

/// Counters for monitoring.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Messages dropped without an answer (unparseable, or a malformed
    /// response, or no channel room).
    pub dropped: u64,
    /// Malformed requests answered with an error status.
    pub rejected: u64,
    /// TCP connections closed because of bad or oversize input.
    pub closed_on_error: u64,
    /// TCP connections closed for being idle.
    pub closed_idle: u64,
}

#[derive(Default)]
struct Counters {
    dropped: AtomicU64,
    rejected: AtomicU64,
    closed_on_error: AtomicU64,
    closed_idle: AtomicU64,
}

fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

/// State shared by all transport tasks and handles.
struct Shared {
    config: TransportConfig,
    udp: Vec<udp::UdpEndpoint>,
    tcp_local: Vec<SocketAddr>,
    tls_local: Vec<SocketAddr>,
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
        let mut listeners = Vec::new();
        for addr in &config.tcp {
            listeners.push(tcp::bind(*addr).await?);
        }
        let tcp_local = listeners
            .iter()
            .map(|l| l.local_addr())
            .collect::<Result<Vec<_>, _>>()?;
        let tls = tls::TlsState::build(&config.tls, !config.tls_listen.is_empty())?;
        let mut tls_listeners = Vec::new();
        for addr in &config.tls_listen {
            tls_listeners.push(tcp::bind(*addr).await?);
        }
        let tls_local = tls_listeners
            .iter()
            .map(|l| l.local_addr())
            .collect::<Result<Vec<_>, _>>()?;
        let shared = Arc::new(Shared {
            config,
            udp: udp_sockets,
            tcp_local,
            tls_local,
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
        }
    }

    fn all_local_addrs(&self) -> Vec<(TransportKind, SocketAddr)> {
        [TransportKind::Udp, TransportKind::Tcp, TransportKind::Tls]
            .into_iter()
            .flat_map(|k| self.local_addrs(k).into_iter().map(move |a| (k, a)))
            .collect()
    }

    /// Send a message to `target`. Over TCP this uses `target.connection`
    /// while it is open, else an open connection to `target.addr`, else a
    /// new connection. Returns the connection used, if any.
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
        let addr = resolve(response_target(&via, transport.is_reliable())).await?;
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
        let c = &self.shared.counters;
        TransportStats {
            dropped: c.dropped.load(Ordering::Relaxed),
            rejected: c.rejected.load(Ordering::Relaxed),
            closed_on_error: c.closed_on_error.load(Ordering::Relaxed),
            closed_idle: c.closed_idle.load(Ordering::Relaxed),
        }
    }

    /// Whether a TCP or TLS connection is still open.
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
