//! One SIP WebSocket connection after the upgrade: each WebSocket message
//! is one SIP message (RFC 7118 section 5), parsed like a datagram;
//! queued outgoing messages are written as one WebSocket message each;
//! a silent peer is pinged and then closed, and so is one breaking the
//! size limit or the WebSocket protocol.

use super::super::{
    ConnectionId, Incoming, Shared, TransportKind, bump, error_response, stamp_received,
};
use crate::message::{Headers, SipMessage, parse_datagram};
use futures_util::{SinkExt, StreamExt};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, timeout};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};

/// How long the closing handshake may take before the socket is dropped.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// What identifies a connection to its task.
#[derive(Clone, Copy)]
pub(super) struct ConnInfo {
    pub(super) id: ConnectionId,
    pub(super) kind: TransportKind,
    pub(super) peer: SocketAddr,
    pub(super) local: SocketAddr,
}

/// Why a connection ended.
enum Close {
    /// The peer closed, or the socket failed.
    Peer,
    /// Our side dropped the connection (shutdown).
    Local,
    /// No traffic for the idle timeout.
    Idle,
    /// A message over the size limit (close code 1009).
    TooBig,
    /// A WebSocket protocol violation (close code 1002).
    Protocol,
    /// A text message that is not UTF-8 (close code 1007).
    BadText,
}

/// Serve one upgraded connection until it closes; it must already be in
/// the connection map under `info.id` with `rx` as its queue.
pub(super) async fn run<S>(
    shared: Arc<Shared>,
    mut ws: WebSocketStream<S>,
    info: ConnInfo,
    mut rx: mpsc::Receiver<Vec<u8>>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    // Browser phones rarely send keep-alives of their own, so silence
    // for half the idle timeout draws a Ping (browsers answer them
    // without help from the page); silence for the whole idle timeout,
    // Pong included, closes the connection. Only what the peer sends
    // counts as a sign of life.
    let half = shared.config.idle_timeout / 2;
    let mut pinged = false;
    let deadline = sleep(half);
    tokio::pin!(deadline);
    let conn = Conn {
        shared: &shared,
        info,
    };
    let close = loop {
        tokio::select! {
            read = ws.next() => {
                deadline.as_mut().reset(Instant::now() + half);
                pinged = false;
                let data = match read {
                    None => break Close::Peer,
                    Some(Ok(Message::Text(text))) => bytes::Bytes::from(text),
                    Some(Ok(Message::Binary(data))) => data,
                    // Pings are answered by the WebSocket layer; a Close
                    // is answered there too and the stream then ends.
                    Some(Ok(_)) => continue,
                    Some(Err(WsError::Capacity(e))) => {
                        tracing::debug!(peer = %info.peer, error = %e, "ws message over the size limit");
                        break Close::TooBig;
                    }
                    Some(Err(WsError::Protocol(e))) => {
                        tracing::debug!(peer = %info.peer, error = %e, "ws protocol error");
                        break Close::Protocol;
                    }
                    Some(Err(WsError::Utf8(e))) => {
                        tracing::debug!(peer = %info.peer, error = %e, "ws text frame not UTF-8");
                        break Close::BadText;
                    }
                    Some(Err(_)) => break Close::Peer,
                };
                match conn.handle(&data) {
                    Handled::Deliver(incoming) => {
                        if shared.incoming.send(incoming).await.is_err() {
                            break Close::Local; // the stack is gone
                        }
                    }
                    Handled::Reply(bytes) => {
                        if ws.send(to_message(bytes)).await.is_err() {
                            break Close::Peer;
                        }
                    }
                    Handled::Nothing => {}
                }
            }
            out = rx.recv() => {
                let Some(bytes) = out else { break Close::Local };
                if ws.send(to_message(bytes)).await.is_err() {
                    break Close::Peer;
                }
            }
            _ = &mut deadline => {
                if pinged {
                    break Close::Idle;
                }
                if ws.send(Message::Ping(bytes::Bytes::new())).await.is_err() {
                    break Close::Peer;
                }
                pinged = true;
                deadline.as_mut().reset(Instant::now() + half);
            }
        }
    };
    shared.connections.remove(info.id);
    let frame = match &close {
        Close::Idle => {
            bump(&shared.counters.closed_idle);
            Some((CloseCode::Normal, "idle timeout"))
        }
        Close::TooBig => {
            bump(&shared.counters.closed_on_error);
            Some((CloseCode::Size, "SIP message over the size limit"))
        }
        Close::Protocol => {
            bump(&shared.counters.closed_on_error);
            Some((CloseCode::Protocol, "WebSocket protocol error"))
        }
        Close::BadText => {
            bump(&shared.counters.closed_on_error);
            Some((CloseCode::Invalid, "text message not UTF-8"))
        }
        Close::Local => Some((CloseCode::Away, "server going away")),
        Close::Peer => None,
    };
    if let Some((code, reason)) = frame {
        let frame = CloseFrame {
            code,
            reason: reason.into(),
        };
        let clean = matches!(close, Close::Idle | Close::Local);
        let _ = timeout(CLOSE_GRACE, async {
            ws.close(Some(frame)).await?;
            // After a clean close wait for the peer's Close (RFC 6455
            // section 7.1.1) so the socket does not close under unread
            // data; after an error the stream is not worth reading.
            while clean && ws.next().await.is_some_and(|r| r.is_ok()) {}
            Ok::<(), WsError>(())
        })
        .await;
    }
    tracing::debug!(id = ?info.id, peer = %info.peer, transport = %info.kind, "connection closed");
}

/// What to do with one received WebSocket message.
enum Handled {
    /// Pass a message up the stack.
    Deliver(Incoming),
    /// Answer on the connection (a keep-alive pong or an error response).
    Reply(Vec<u8>),
    /// Nothing (a pong, or a message dropped and counted).
    Nothing,
}

struct Conn<'a> {
    shared: &'a Arc<Shared>,
    info: ConnInfo,
}

impl Conn<'_> {
    /// Parse one WebSocket message as one SIP message.
    fn handle(&self, data: &[u8]) -> Handled {
        if data.iter().all(|b| matches!(b, b'\r' | b'\n')) {
            // Some WebSocket phones send the RFC 5626 CRLFCRLF ping in a
            // message of its own: answer with the CRLF pong.
            return if data.starts_with(b"\r\n\r\n") {
                Handled::Reply(b"\r\n".to_vec())
            } else {
                Handled::Nothing
            };
        }
        // No size check here: the WebSocket layer refuses messages over
        // the configured maximum before they are read.
        match parse_datagram(data) {
            Ok(mut message) => {
                if let SipMessage::Request(r) = &mut message {
                    stamp_received(&mut r.headers, self.info.peer);
                }
                Handled::Deliver(Incoming {
                    message,
                    source: self.info.peer,
                    local: self.info.local,
                    transport: self.info.kind,
                    connection: Some(self.info.id),
                })
            }
            Err(e) => {
                tracing::debug!(peer = %self.info.peer, error = %e, "ws message rejected");
                match (e.status(), e.request_headers()) {
                    (Some(status), Some(headers)) => self.reject(status, headers.clone()),
                    _ => {
                        bump(&self.shared.counters.dropped);
                        Handled::Nothing
                    }
                }
            }
        }
    }

    /// The error response to a malformed request, over the connection.
    fn reject(&self, status: u16, mut headers: Headers) -> Handled {
        stamp_received(&mut headers, self.info.peer);
        bump(&self.shared.counters.rejected);
        Handled::Reply(error_response(status, &headers).to_bytes())
    }
}

/// One serialised SIP message as one WebSocket message: a text message
/// when it is valid UTF-8, else binary (RFC 7118 section 5.1).
fn to_message(bytes: Vec<u8>) -> Message {
    match String::from_utf8(bytes) {
        Ok(text) => Message::text(text),
        Err(e) => Message::binary(e.into_bytes()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_or_binary() {
        assert!(matches!(
            to_message(b"OPTIONS sip:a SIP/2.0\r\n\r\n".to_vec()),
            Message::Text(_)
        ));
        assert!(matches!(
            to_message(vec![b'x', 0xff, 0xfe]),
            Message::Binary(_)
        ));
    }
}
