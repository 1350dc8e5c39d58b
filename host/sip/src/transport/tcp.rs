//! TCP: listeners, one task per connection, and the connection map used
//! for responses and connection reuse. The connection task is generic
//! over the byte stream, so TLS ([`super::tls`]) runs the same framing,
//! keep-alive and idle handling over a rustls stream.

use super::connections;
use super::{
    ConnectionId, Incoming, Shared, Target, TransportError, TransportKind, bump, error_response,
    stamp_received,
};
use crate::message::parse::keepalive_len;
use crate::message::{Headers, SipMessage, parse_stream};
use bytes::{Buf, BytesMut};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep};

/// Read buffer growth step.
const READ_CHUNK: usize = 8 * 1024;

/// Bind a listener.
pub(super) async fn bind(addr: SocketAddr) -> Result<TcpListener, TransportError> {
    Ok(TcpListener::bind(addr).await?)
}

/// Accept connections until aborted.
pub(super) async fn accept_loop(shared: Arc<Shared>, listener: TcpListener) {
    loop {
        match listener.accept().await {
            Ok((stream, peer)) => {
                if let Err(e) = start_connection(&shared, stream, peer) {
                    tracing::debug!(%peer, error = %e, "tcp connection setup failed");
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "tcp accept failed");
                // Out of descriptors and the like: do not spin.
                sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    }
}

/// Register a connection and spawn its task.
fn start_connection(
    shared: &Arc<Shared>,
    stream: TcpStream,
    peer: SocketAddr,
) -> Result<ConnectionId, TransportError> {
    let local = stream.local_addr()?;
    let _ = stream.set_nodelay(true);
    Ok(spawn_connection(
        shared,
        stream,
        TransportKind::Tcp,
        peer,
        local,
    ))
}

/// Register a connection over any byte stream (TCP, or TLS once the
/// handshake is done) and spawn its task.
pub(super) fn spawn_connection<S>(
    shared: &Arc<Shared>,
    stream: S,
    kind: TransportKind,
    peer: SocketAddr,
    local: SocketAddr,
) -> ConnectionId
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let id = connections::next_id(shared);
    let (tx, rx) = mpsc::channel(connections::QUEUE);
    shared.connections.insert(id, kind, peer, tx);
    let conn = ConnInfo {
        id,
        kind,
        peer,
        local,
    };
    let task = tokio::spawn(run_connection(shared.clone(), stream, conn, rx));
    shared.track(task.abort_handle());
    id
}

/// Send over `target.connection`, else a connection to `target.addr`,
/// else a new one.
pub(super) async fn send(
    shared: &Arc<Shared>,
    bytes: Vec<u8>,
    target: Target,
) -> Result<ConnectionId, TransportError> {
    let bytes = match connections::send_existing(shared, TransportKind::Tcp, target, bytes).await {
        Ok(id) => return Ok(id),
        Err(bytes) => bytes,
    };
    if !shared
        .tcp_local
        .iter()
        .any(|l| l.is_ipv4() == target.addr.is_ipv4())
    {
        return Err(TransportError::NoSocket(TransportKind::Tcp, target.addr));
    }
    let stream = tokio::time::timeout(
        shared.config.connect_timeout,
        TcpStream::connect(target.addr),
    )
    .await
    .map_err(|_| TransportError::ConnectTimeout(target.addr))??;
    let id = start_connection(shared, stream, target.addr)?;
    connections::send_on(shared, id, bytes).await?;
    Ok(id)
}

/// Why a connection ended.
enum Close {
    Peer,
    Local,
    Idle,
    Error,
}

/// What identifies a connection to its task.
#[derive(Clone, Copy)]
struct ConnInfo {
    id: ConnectionId,
    kind: TransportKind,
    peer: SocketAddr,
    local: SocketAddr,
}

/// One connection: read and frame, write queued messages, time out.
async fn run_connection<S>(
    shared: Arc<Shared>,
    mut stream: S,
    info: ConnInfo,
    mut rx: mpsc::Receiver<Vec<u8>>,
) where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let ConnInfo {
        id,
        kind,
        peer,
        local,
    } = info;
    let idle = shared.config.idle_timeout;
    let mut buf = BytesMut::with_capacity(READ_CHUNK);
    // Where the search for the end of the header section resumes: a peer
    // sending a message one byte per segment must not make every read
    // re-parse the whole buffer.
    let mut scan_from = 0;
    let deadline = sleep(idle);
    tokio::pin!(deadline);
    let close = loop {
        buf.reserve(READ_CHUNK);
        tokio::select! {
            read = stream.read_buf(&mut buf) => {
                match read {
                    Ok(0) | Err(_) => break Close::Peer,
                    Ok(_) => {}
                }
                deadline.as_mut().reset(Instant::now() + idle);
                let conn = Conn { shared: &shared, id, kind, peer, local };
                if !conn.process(&mut stream, &mut buf, &mut scan_from).await {
                    break Close::Error;
                }
            }
            out = rx.recv() => {
                let Some(bytes) = out else { break Close::Local };
                if write_flush(&mut stream, &bytes).await.is_err() {
                    break Close::Peer;
                }
                deadline.as_mut().reset(Instant::now() + idle);
            }
            _ = &mut deadline => break Close::Idle,
        }
    };
    shared.connections.remove(id);
    match close {
        Close::Idle => bump(&shared.counters.closed_idle),
        Close::Error => bump(&shared.counters.closed_on_error),
        Close::Peer | Close::Local => {}
    }
    let _ = stream.shutdown().await;
    tracing::debug!(?id, %peer, transport = %kind, "connection closed");
}

struct Conn<'a> {
    shared: &'a Arc<Shared>,
    id: ConnectionId,
    kind: TransportKind,
    peer: SocketAddr,
    local: SocketAddr,
}

impl Conn<'_> {
    /// Handle everything complete in `buf`. `false` = close the
    /// connection.
    async fn process<S: AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        buf: &mut BytesMut,
        scan_from: &mut usize,
    ) -> bool {
        let max = self.shared.config.max_size();
        loop {
            let k = keepalive_len(buf);
            if k >= 4 && buf[..4] == *b"\r\n\r\n" {
                // RFC 5626 section 4.4.1: answer a ping with a pong.
                if write_flush(stream, b"\r\n").await.is_err() {
                    return false;
                }
                buf.advance(4);
                *scan_from = 0;
                continue;
            }
            if k == buf.len() {
                return true; // nothing, or a partial ping or a pong
            }
            if k > 0 {
                buf.advance(k);
                *scan_from = 0;
            }
            if !header_end_after(buf, *scan_from) {
                *scan_from = buf.len().saturating_sub(2);
                if buf.len() > max {
                    tracing::debug!(peer = %self.peer, "tcp header section over the size limit");
                    return false;
                }
                return true;
            }
            match parse_stream(buf) {
                Ok(None) => {
                    if buf.len() > max {
                        tracing::debug!(peer = %self.peer, "tcp message over the size limit");
                        return false;
                    }
                    return true;
                }
                Ok(Some((message, used))) => {
                    buf.advance(used);
                    *scan_from = 0;
                    if used > max {
                        if let SipMessage::Request(r) = message {
                            self.reject(stream, 513, r.headers).await;
                        }
                        return false;
                    }
                    if !self.deliver(message).await {
                        return false;
                    }
                }
                Err(e) => {
                    match (e.status(), e.request_headers()) {
                        (Some(status), Some(headers)) => {
                            self.reject(stream, status, headers.clone()).await;
                        }
                        _ => bump(&self.shared.counters.dropped),
                    }
                    tracing::debug!(peer = %self.peer, error = %e, "tcp framing error");
                    return false;
                }
            }
        }
    }

    async fn deliver(&self, mut message: SipMessage) -> bool {
        if let SipMessage::Request(r) = &mut message {
            stamp_received(&mut r.headers, self.peer);
        }
        let incoming = Incoming {
            message,
            source: self.peer,
            local: self.local,
            transport: self.kind,
            connection: Some(self.id),
        };
        self.shared.incoming.send(incoming).await.is_ok()
    }

    async fn reject<S: AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        status: u16,
        mut headers: Headers,
    ) {
        stamp_received(&mut headers, self.peer);
        let response = error_response(status, &headers);
        if write_flush(stream, &response.to_bytes()).await.is_ok() {
            bump(&self.shared.counters.rejected);
        }
    }
}

/// Write all of `bytes` and flush (a no-op for TCP; for TLS it makes
/// sure the records leave rustls' buffer).
async fn write_flush<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> std::io::Result<()> {
    stream.write_all(bytes).await?;
    stream.flush().await
}

/// Whether the header section's end (an empty line, CRLF or bare LF) lies
/// in `buf` at or after `from`.
fn header_end_after(buf: &[u8], from: usize) -> bool {
    let tail = &buf[from.min(buf.len())..];
    tail.windows(2).any(|w| w == b"\n\n") || tail.windows(3).any(|w| w == b"\n\r\n")
}
