//! The transports by name.

use std::fmt;

/// Which transport a message came on or goes over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransportKind {
    /// UDP.
    Udp,
    /// TCP.
    Tcp,
    /// TLS over TCP (RFC 3261 section 26).
    Tls,
    /// WebSocket (RFC 7118).
    Ws,
    /// WebSocket over TLS (RFC 7118).
    Wss,
}

impl TransportKind {
    /// The Via transport token ("UDP", "TCP", "TLS", "WS", "WSS").
    pub fn as_str(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
            TransportKind::Ws => "WS",
            TransportKind::Wss => "WSS",
        }
    }

    /// The transport named by a Via transport token or a `transport=`
    /// URI parameter, in any case.
    pub fn from_token(token: &str) -> Option<TransportKind> {
        TransportKind::ALL
            .into_iter()
            .find(|k| k.as_str().eq_ignore_ascii_case(token.trim()))
    }

    /// Whether the transport is reliable (RFC 3261 section 18): all but
    /// UDP.
    pub fn is_reliable(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }

    /// Whether this is a WebSocket transport, over which we never open
    /// connections: messages go over the peer's open connection or not
    /// at all.
    pub fn is_websocket(self) -> bool {
        matches!(self, TransportKind::Ws | TransportKind::Wss)
    }

    /// Every transport, in Via-token order of the list above.
    pub const ALL: [TransportKind; 5] = [
        TransportKind::Udp,
        TransportKind::Tcp,
        TransportKind::Tls,
        TransportKind::Ws,
        TransportKind::Wss,
    ];
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
