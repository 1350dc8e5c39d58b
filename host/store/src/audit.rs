//! The audit log: one row per admin change, written in the same
//! transaction as the change itself so neither exists without the other.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::change::{Action, Change};
use crate::error::Result;
use crate::ids::{AuditId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::store::Store;
use crate::time::{Timestamp, now, to_ms};

/// One audit-log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// Its id.
    pub id: AuditId,
    /// The tenant whose data changed (`None` for global rows).
    pub tenant_id: Option<TenantId>,
    /// Who made the change (a username, `system`, or a token name).
    pub actor: String,
    /// The entity name, e.g. `extension` (see [`crate::ChangeKind::as_str`]).
    pub entity: String,
    /// The id of the changed row.
    pub entity_id: String,
    /// What was done.
    pub action: Action,
    /// The row before the change (absent on create).
    pub before: Option<serde_json::Value>,
    /// The row after the change (absent on delete).
    pub after: Option<serde_json::Value>,
    /// When.
    pub at: Timestamp,
}

impl AuditRecord {
    pub(crate) fn new<B: Serialize, A: Serialize>(
        actor: &str,
        change: &Change,
        action: Action,
        before: Option<&B>,
        after: Option<&A>,
    ) -> Result<Self> {
        Ok(Self {
            id: AuditId::new(),
            tenant_id: change.tenant,
            actor: actor.to_string(),
            entity: change.kind.as_str().to_string(),
            entity_id: change.id.clone(),
            action,
            before: before.map(to_value).transpose()?,
            after: after.map(to_value).transpose()?,
            at: now(),
        })
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        let opt_json = |col: &str| -> Result<Option<serde_json::Value>> {
            row::opt_text(r, col)?
                .map(|s| {
                    serde_json::from_str(&s)
                        .map_err(|e| crate::StoreError::Database(format!("column {col}: {e}")))
                })
                .transpose()
        };
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::opt_parsed(r, "tenant_id")?,
            actor: row::text(r, "actor")?,
            entity: row::text(r, "entity")?,
            entity_id: row::text(r, "entity_id")?,
            action: row::parsed(r, "action")?,
            before: opt_json("before_json")?,
            after: opt_json("after_json")?,
            at: row::ts(r, "at")?,
        })
    }
}

fn to_value<T: Serialize>(v: &T) -> Result<serde_json::Value> {
    serde_json::to_value(v)
        .map_err(|e| crate::StoreError::Database(format!("encoding audit JSON: {e}")))
}

pub(crate) async fn insert(tx: &mut Transaction<'static, Any>, rec: &AuditRecord) -> Result<()> {
    let before = rec.before.as_ref().map(|v| v.to_string());
    let after = rec.after.as_ref().map(|v| v.to_string());
    sqlx::query(
        "INSERT INTO audit_log (id, tenant_id, actor, entity, entity_id, action, before_json, \
         after_json, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(rec.id.to_string())
    .bind(rec.tenant_id.map(|t| t.to_string()))
    .bind(&rec.actor)
    .bind(&rec.entity)
    .bind(&rec.entity_id)
    .bind(rec.action.as_str())
    .bind(before)
    .bind(after)
    .bind(to_ms(&rec.at))
    .execute(&mut **tx)
    .await?;
    Ok(())
}

impl Store {
    /// The audit log of one tenant, newest first.
    pub async fn list_audit(&self, tenant: TenantId, page: Page) -> Result<Paged<AuditRecord>> {
        page.check()?;
        let t = tenant.to_string();
        let total = row::count(
            &sqlx::query("SELECT COUNT(*) FROM audit_log WHERE tenant_id = $1")
                .bind(&t)
                .fetch_one(self.pool())
                .await?,
        )?;
        let rows = sqlx::query(
            "SELECT * FROM audit_log WHERE tenant_id = $1 ORDER BY at DESC, id DESC \
             LIMIT $2 OFFSET $3",
        )
        .bind(&t)
        .bind(i64::from(page.limit))
        .bind(page.offset as i64)
        .fetch_all(self.pool())
        .await?;
        Ok(Paged {
            items: rows
                .iter()
                .map(AuditRecord::from_row)
                .collect::<Result<_>>()?,
            total,
            limit: page.limit,
            offset: page.offset,
        })
    }

    /// The audit log of global rows (superadmin users and their tokens),
    /// newest first.
    pub async fn list_global_audit(&self, page: Page) -> Result<Paged<AuditRecord>> {
        crate::sql::fetch_page(
            self.pool(),
            "FROM audit_log WHERE tenant_id IS NULL",
            "at DESC, id DESC",
            vec![],
            page,
            AuditRecord::from_row,
        )
        .await
    }
}
