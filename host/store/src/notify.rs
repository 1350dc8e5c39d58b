//! Propagating changes between nodes sharing one PostgreSQL database, with
//! `LISTEN`/`NOTIFY` on the [`CHANNEL`] channel.
//!
//! A write sends its notification inside its transaction, so PostgreSQL
//! delivers it only if the write commits. Every node listens; a node skips
//! its own notifications (it announced them locally at commit) by comparing
//! the `origin` in the payload with its node id.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::postgres::PgListener;
use sqlx::{Any, Transaction};
use tokio::sync::broadcast;
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::change::{Change, ChangeKind};
use crate::error::{Result, StoreError};

/// The notification channel name.
pub const CHANNEL: &str = "pbx_changes";

#[derive(Serialize, Deserialize)]
struct Payload {
    origin: Uuid,
    change: Change,
}

pub(crate) async fn send(
    tx: &mut Transaction<'static, Any>,
    node: Uuid,
    change: &Change,
) -> Result<()> {
    let payload = serde_json::to_string(&Payload {
        origin: node,
        change: change.clone(),
    })
    .map_err(|e| StoreError::Database(format!("encoding change: {e}")))?;
    // Only the constant is selected: pg_notify returns `void`, which the
    // Any driver cannot describe.
    sqlx::query("SELECT 1 AS sent FROM (SELECT pg_notify($1, $2)) AS n")
        .bind(CHANNEL)
        .bind(payload)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub(crate) async fn spawn_listener(
    url: &str,
    node: Uuid,
    changes: broadcast::Sender<Change>,
) -> Result<JoinHandle<()>> {
    let mut listener = PgListener::connect(url)
        .await
        .map_err(|e| StoreError::Database(format!("cannot open the change listener: {e}")))?;
    listener
        .listen(CHANNEL)
        .await
        .map_err(|e| StoreError::Database(format!("LISTEN {CHANNEL} failed: {e}")))?;
    Ok(tokio::spawn(async move {
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => match serde_json::from_str::<Payload>(n.payload()) {
                    Ok(p) if p.origin == node => {}
                    Ok(p) => {
                        let _ = changes.send(p.change);
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "ignoring a malformed change notification")
                    }
                },
                Ok(None) => {
                    // The connection dropped; the next try_recv reconnects
                    // and listens again, but notifications sent meanwhile
                    // are lost: ask every cache to reload everything.
                    tracing::warn!("change listener reconnecting; caches reload everything");
                    let _ = changes.send(Change {
                        tenant: None,
                        kind: ChangeKind::Tenant,
                        id: "*".into(),
                    });
                }
                Err(e) => {
                    // A pause keeps a dead server from spinning this task.
                    tracing::warn!(error = %e, "change listener failed; retrying");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }))
}
