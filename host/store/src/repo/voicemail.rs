//! Voicemail messages: metadata in the database, audio in content-addressed
//! files under the data directory (written by the media side).

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::ChangeKind;
use crate::error::{Result, StoreError};
use crate::ids::{ExtensionId, TenantId, VoicemailId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::{self, Arg};
use crate::store::Store;
use crate::time::{Timestamp, to_ms};

/// One voicemail message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VoicemailMessage {
    /// Its id.
    pub id: VoicemailId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Whose box it is in.
    pub extension_id: ExtensionId,
    /// The call that left it.
    pub call_id: Option<String>,
    /// Caller number.
    pub caller: String,
    /// Caller name, if presented.
    pub caller_name: Option<String>,
    /// When it was left.
    pub received_at: Timestamp,
    /// Its length.
    pub duration_ms: i64,
    /// Hex SHA-256 of the audio file.
    pub sha256: String,
    /// Audio size in bytes.
    pub size: i64,
    /// Whether the owner listened to it.
    pub heard: bool,
}

impl VoicemailMessage {
    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            extension_id: row::parsed(r, "extension_id")?,
            call_id: row::opt_text(r, "call_id")?,
            caller: row::text(r, "caller")?,
            caller_name: row::opt_text(r, "caller_name")?,
            received_at: row::ts(r, "received_at")?,
            duration_ms: row::int(r, "duration_ms")?,
            sha256: row::text(r, "sha256")?,
            size: row::int(r, "size")?,
            heard: row::boolean(r, "heard")?,
        })
    }
}

impl Store {
    /// Records a new message (its audio file already written). The
    /// extension must be `msg.tenant_id`'s.
    pub async fn insert_voicemail(&self, msg: &VoicemailMessage) -> Result<()> {
        self.get_extension(msg.tenant_id, msg.extension_id).await?;
        let args: Vec<Arg> = vec![
            msg.id.to_string().into(),
            msg.tenant_id.to_string().into(),
            msg.extension_id.to_string().into(),
            msg.call_id.clone().into(),
            msg.caller.clone().into(),
            msg.caller_name.clone().into(),
            to_ms(&msg.received_at).into(),
            msg.duration_ms.into(),
            msg.sha256.clone().into(),
            msg.size.into(),
            msg.heard.into(),
        ];
        sql::bind(
            sqlx::query(
                "INSERT INTO voicemail_messages (id, tenant_id, extension_id, call_id, caller, caller_name, \
                 received_at, duration_ms, sha256, size, heard) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            ),
            &args,
        )
        .execute(self.pool())
        .await
        .map_err(|e| StoreError::from_sqlx(e, "a voicemail message with this id exists"))?;
        let _ = self.inner.changes.send(crate::Change {
            tenant: Some(msg.tenant_id),
            kind: ChangeKind::Voicemail,
            id: msg.id.to_string(),
        });
        Ok(())
    }

    /// The messages in one extension's box, newest first.
    pub async fn list_voicemail(
        &self,
        tenant: TenantId,
        extension: ExtensionId,
        page: Page,
    ) -> Result<Paged<VoicemailMessage>> {
        sql::fetch_page(
            self.pool(),
            "FROM voicemail_messages WHERE tenant_id = $1 AND extension_id = $2",
            "received_at DESC, id DESC",
            vec![tenant.to_string().into(), extension.to_string().into()],
            page,
            VoicemailMessage::from_row,
        )
        .await
    }

    /// Marks a message heard or not.
    pub async fn mark_voicemail_heard(
        &self,
        tenant: TenantId,
        id: VoicemailId,
        heard: bool,
    ) -> Result<()> {
        let done = sqlx::query(
            "UPDATE voicemail_messages SET heard = $1 WHERE id = $2 AND tenant_id = $3",
        )
        .bind(i64::from(heard))
        .bind(id.to_string())
        .bind(tenant.to_string())
        .execute(self.pool())
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("voicemail message", id));
        }
        Ok(())
    }

    /// Deletes a message's metadata (the caller removes the audio file if
    /// nothing else uses it).
    pub async fn delete_voicemail(&self, tenant: TenantId, id: VoicemailId) -> Result<()> {
        let done = sqlx::query("DELETE FROM voicemail_messages WHERE id = $1 AND tenant_id = $2")
            .bind(id.to_string())
            .bind(tenant.to_string())
            .execute(self.pool())
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("voicemail message", id));
        }
        Ok(())
    }
}
