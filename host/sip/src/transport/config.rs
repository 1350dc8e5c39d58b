//! What the transports bind and how they behave.

use super::{TlsConfig, WsConfig};
use std::net::SocketAddr;
use std::time::Duration;

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
    /// Certificates and keys for TLS, listening and connecting (the
    /// `WSS` listeners use the same certificate chain and key).
    pub tls: TlsConfig,
    /// WebSocket (RFC 7118, Via transport `WS`) listen addresses
    /// (default none).
    pub ws_listen: Vec<SocketAddr>,
    /// Secure WebSocket (Via transport `WSS`) listen addresses (default
    /// none; needs the certificate and key of [`TransportConfig::tls`]).
    pub wss_listen: Vec<SocketAddr>,
    /// WebSocket settings (allowed origins).
    pub ws: WsConfig,
    /// A TCP or TLS connection with no traffic either way for this long
    /// is closed (default 5 minutes). A WebSocket peer silent for half
    /// of it is pinged, and closed when silent for all of it.
    pub idle_timeout: Duration,
    /// Largest message accepted, in bytes, on every transport (for
    /// WebSocket also the largest WebSocket message and frame; default
    /// and upper bound:
    /// [`MAX_MESSAGE_BYTES`](crate::message::MAX_MESSAGE_BYTES)).
    pub max_message_size: usize,
    /// Capacity of the [`Incoming`](super::Incoming) channel.
    pub channel_capacity: usize,
    /// How long an outgoing TCP connect may take; also the limit for an
    /// incoming TLS handshake, and for the TLS handshake and HTTP upgrade
    /// of an incoming WebSocket connection.
    pub connect_timeout: Duration,
}

impl Default for TransportConfig {
    fn default() -> Self {
        TransportConfig {
            udp: vec![SocketAddr::from(([0, 0, 0, 0], 5060))],
            tcp: vec![SocketAddr::from(([0, 0, 0, 0], 5060))],
            tls_listen: Vec::new(),
            tls: TlsConfig::default(),
            ws_listen: Vec::new(),
            wss_listen: Vec::new(),
            ws: WsConfig::default(),
            idle_timeout: Duration::from_secs(300),
            max_message_size: crate::message::MAX_MESSAGE_BYTES,
            channel_capacity: 1024,
            connect_timeout: Duration::from_secs(10),
        }
    }
}

impl TransportConfig {
    /// The effective message size limit (never above the parser's).
    pub(super) fn max_size(&self) -> usize {
        self.max_message_size
            .clamp(1, crate::message::MAX_MESSAGE_BYTES)
    }
}
