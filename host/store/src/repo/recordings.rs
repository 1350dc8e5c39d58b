//! Call recordings: metadata in the database, audio in content-addressed
//! files under the data directory (written by the media side).

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::error::{Result, StoreError};
use crate::ids::{RecordingId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::{self, Arg};
use crate::store::Store;
use crate::time::{Timestamp, to_ms};

/// One recording.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recording {
    /// Its id.
    pub id: RecordingId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// The SIP Call-ID of the recorded call (as in its call record).
    pub call_id: String,
    /// When recording started.
    pub started_at: Timestamp,
    /// Its length.
    pub duration_ms: i64,
    /// Hex SHA-256 of the audio file.
    pub sha256: String,
    /// Audio size in bytes.
    pub size: i64,
    /// What the flow called it (e.g. `greeting`), if anything.
    pub label: Option<String>,
}

impl Recording {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            call_id: row::text(r, "call_id")?,
            started_at: row::ts(r, "started_at")?,
            duration_ms: row::int(r, "duration_ms")?,
            sha256: row::text(r, "sha256")?,
            size: row::int(r, "size")?,
            label: row::opt_text(r, "label")?,
        })
    }
}

impl Store {
    /// Records a recording's metadata (its audio file already written).
    pub async fn insert_recording(&self, rec: &Recording) -> Result<()> {
        let args: Vec<Arg> = vec![
            rec.id.to_string().into(),
            rec.tenant_id.to_string().into(),
            rec.call_id.clone().into(),
            to_ms(&rec.started_at).into(),
            rec.duration_ms.into(),
            rec.sha256.clone().into(),
            rec.size.into(),
            rec.label.clone().into(),
        ];
        sql::bind(
            sqlx::query(
                "INSERT INTO recordings (id, tenant_id, call_id, started_at, duration_ms, sha256, size, label) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            ),
            &args,
        )
        .execute(self.pool())
        .await
        .map_err(|e| StoreError::from_sqlx(e, "a recording with this id exists, or its tenant does not"))?;
        Ok(())
    }

    /// One recording of `tenant`.
    pub async fn get_recording(&self, tenant: TenantId, id: RecordingId) -> Result<Recording> {
        let row = sqlx::query("SELECT * FROM recordings WHERE id = $1 AND tenant_id = $2")
            .bind(id.to_string())
            .bind(tenant.to_string())
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("recording", id))?;
        Recording::from_row(&row)
    }

    /// `tenant`'s recordings, newest first; only those of one call when
    /// `call_id` is given.
    pub async fn list_recordings(
        &self,
        tenant: TenantId,
        call_id: Option<&str>,
        page: Page,
    ) -> Result<Paged<Recording>> {
        let (from, args) = match call_id {
            Some(c) => (
                "FROM recordings WHERE tenant_id = $1 AND call_id = $2",
                vec![tenant.to_string().into(), c.into()],
            ),
            None => (
                "FROM recordings WHERE tenant_id = $1",
                vec![tenant.to_string().into()],
            ),
        };
        sql::fetch_page(
            self.pool(),
            from,
            "started_at DESC, id DESC",
            args,
            page,
            Recording::from_row,
        )
        .await
    }

    /// Deletes a recording's metadata.
    pub async fn delete_recording(&self, tenant: TenantId, id: RecordingId) -> Result<()> {
        let done = sqlx::query("DELETE FROM recordings WHERE id = $1 AND tenant_id = $2")
            .bind(id.to_string())
            .bind(tenant.to_string())
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("recording", id));
        }
        Ok(())
    }
}
