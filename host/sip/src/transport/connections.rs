//! The map of open connections (TCP, TLS, WS and WSS): each
//! connection's outgoing queue by [`ConnectionId`], and the connection to
//! reuse per transport and peer address.

use super::{ConnectionId, Shared, Target, TransportError, TransportKind};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use tokio::sync::mpsc;

/// Outgoing messages queued per connection.
pub(super) const QUEUE: usize = 64;

/// Open connections (TCP, TLS, WS and WSS), by id and by transport and peer
/// address.
#[derive(Default)]
pub(super) struct Connections {
    inner: Mutex<ConnMap>,
}

#[derive(Default)]
struct ConnMap {
    by_id: HashMap<ConnectionId, mpsc::Sender<Vec<u8>>>,
    by_addr: HashMap<(TransportKind, SocketAddr), ConnectionId>,
}

impl Connections {
    fn lock(&self) -> std::sync::MutexGuard<'_, ConnMap> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn insert(
        &self,
        id: ConnectionId,
        kind: TransportKind,
        peer: SocketAddr,
        tx: mpsc::Sender<Vec<u8>>,
    ) {
        let mut map = self.lock();
        map.by_id.insert(id, tx);
        map.by_addr.insert((kind, peer), id);
    }

    pub(super) fn remove(&self, id: ConnectionId) {
        let mut map = self.lock();
        map.by_id.remove(&id);
        map.by_addr.retain(|_, v| *v != id);
    }

    pub(super) fn sender(&self, id: ConnectionId) -> Option<mpsc::Sender<Vec<u8>>> {
        self.lock().by_id.get(&id).cloned()
    }

    pub(super) fn by_addr(&self, kind: TransportKind, addr: SocketAddr) -> Option<ConnectionId> {
        self.lock().by_addr.get(&(kind, addr)).copied()
    }

    pub(super) fn contains(&self, id: ConnectionId) -> bool {
        self.lock().by_id.contains_key(&id)
    }

    pub(super) fn clear(&self) {
        let mut map = self.lock();
        map.by_id.clear();
        map.by_addr.clear();
    }
}

/// Allocate a fresh connection id.
pub(super) fn next_id(shared: &Shared) -> ConnectionId {
    ConnectionId(shared.next_connection.fetch_add(1, Ordering::Relaxed))
}

/// Queue bytes on an open connection.
pub(super) async fn send_on(
    shared: &Shared,
    id: ConnectionId,
    bytes: Vec<u8>,
) -> Result<(), TransportError> {
    let tx = shared
        .connections
        .sender(id)
        .ok_or(TransportError::ConnectionClosed)?;
    tx.send(bytes)
        .await
        .map_err(|_| TransportError::ConnectionClosed)
}

/// Queue bytes on `target.connection` while open, else on the open
/// `kind` connection to `target.addr`. Gives the bytes back when neither
/// is open.
pub(super) async fn send_existing(
    shared: &Shared,
    kind: TransportKind,
    target: Target,
    bytes: Vec<u8>,
) -> Result<ConnectionId, Vec<u8>> {
    let mut bytes = bytes;
    for id in [
        target.connection,
        shared.connections.by_addr(kind, target.addr),
    ]
    .into_iter()
    .flatten()
    {
        let Some(tx) = shared.connections.sender(id) else {
            continue;
        };
        match tx.send(bytes).await {
            Ok(()) => return Ok(id),
            Err(mpsc::error::SendError(b)) => bytes = b,
        }
    }
    Err(bytes)
}
