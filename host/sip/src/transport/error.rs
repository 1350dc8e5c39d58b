//! Transport failures.

use super::TransportKind;
use std::net::SocketAddr;

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
    /// No open connection of a transport we cannot connect over
    /// (WebSocket) to the peer.
    #[error(
        "no open {0} connection from {1}: WebSocket clients must keep their connection \
         open (the server never connects to them); the client has to reconnect and register again"
    )]
    NoConnection(TransportKind, SocketAddr),
    /// TLS configuration or handshake failure (names the file or peer).
    #[error("tls: {0}")]
    Tls(String),
    /// The transports were shut down.
    #[error("transports shut down")]
    Shutdown,
}
