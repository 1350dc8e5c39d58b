//! The per-tenant key-value store flows use (`pbx:flow/kv`): counters,
//! last-caller memory, callback lists. Small by design: keys up to 256
//! bytes, values up to 64 KiB, [`KV_MAX_ENTRIES`] live entries per tenant.
//!
//! Unlike routing data these reads are not cached: a flow asks for them
//! explicitly and values change call by call. Expired entries read as
//! absent and are removed by [`Store::kv_purge_expired`] or overwritten.

use std::time::Duration;

use sqlx::{Any, Transaction};

use crate::engine::Engine;
use crate::error::{Result, StoreError};
use crate::ids::TenantId;
use crate::row;
use crate::store::Store;
use crate::time::{now, to_ms};

/// Longest key, in bytes.
pub const KV_MAX_KEY: usize = 256;
/// Longest value, in bytes.
pub const KV_MAX_VALUE: usize = 64 * 1024;
/// Most live entries per tenant.
pub const KV_MAX_ENTRIES: i64 = 10_000;

fn check_key(key: &str) -> Result<()> {
    if key.is_empty() || key.len() > KV_MAX_KEY {
        return Err(StoreError::invalid(
            "key",
            format!("use 1 to {KV_MAX_KEY} bytes"),
        ));
    }
    Ok(())
}

fn expiry(ttl_seconds: Option<u32>) -> Option<i64> {
    ttl_seconds.map(|s| to_ms(&now()) + Duration::from_secs(u64::from(s)).as_millis() as i64)
}

/// The live value of `key` inside `tx`, locking the row on PostgreSQL.
async fn current(
    tx: &mut Transaction<'static, Any>,
    engine: Engine,
    tenant: TenantId,
    key: &str,
) -> Result<Option<String>> {
    let lock = if engine == Engine::Postgres {
        " FOR UPDATE"
    } else {
        ""
    };
    let sql =
        format!("SELECT value, expires_at FROM tenant_kv WHERE tenant_id = $1 AND key = $2{lock}");
    let Some(r) = sqlx::query(&sql)
        .bind(tenant.to_string())
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?
    else {
        return Ok(None);
    };
    match row::opt_int(&r, "expires_at")? {
        Some(e) if e <= to_ms(&now()) => Ok(None),
        _ => Ok(Some(row::text(&r, "value")?)),
    }
}

/// How [`write`] treats an existing row.
#[derive(PartialEq)]
enum Mode {
    /// Replace whatever is there (`set`: the last writer wins).
    Upsert,
    /// The key was found absent: insert, and fail with `Conflict` if a
    /// concurrent transaction created it meanwhile (`increment` retries).
    InsertNew,
    /// The key was found live and locked: update it.
    Update,
}

/// Writes `value`, counting against the quota when the key is new.
async fn write(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    key: &str,
    value: &str,
    expires_at: Option<i64>,
    mode: Mode,
) -> Result<()> {
    let existed = mode == Mode::Update;
    if !existed {
        let live = row::int(
            &sqlx::query("SELECT COUNT(*) AS n FROM tenant_kv WHERE tenant_id = $1 AND (expires_at IS NULL OR expires_at > $2)")
                .bind(tenant.to_string())
                .bind(to_ms(&now()))
                .fetch_one(&mut **tx)
                .await?,
            "n",
        )?;
        if live >= KV_MAX_ENTRIES {
            return Err(StoreError::LimitReached {
                what: "key-value entries".into(),
                limit: KV_MAX_ENTRIES,
            });
        }
    }
    let sql = if mode == Mode::InsertNew {
        // An expired row is absent for the caller but still holds the key.
        sqlx::query("DELETE FROM tenant_kv WHERE tenant_id = $1 AND key = $2 AND expires_at <= $3")
            .bind(tenant.to_string())
            .bind(key)
            .bind(to_ms(&now()))
            .execute(&mut **tx)
            .await?;
        "INSERT INTO tenant_kv (tenant_id, key, value, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5)"
    } else {
        "INSERT INTO tenant_kv (tenant_id, key, value, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (tenant_id, key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at, \
         updated_at = excluded.updated_at"
    };
    sqlx::query(sql)
        .bind(tenant.to_string())
        .bind(key)
        .bind(value)
        .bind(expires_at)
        .bind(to_ms(&now()))
        .execute(&mut **tx)
        .await
        .map_err(|e| {
            StoreError::from_sqlx(
                e,
                "the key was created meanwhile, or the tenant does not exist",
            )
        })?;
    Ok(())
}

impl Store {
    /// The value of `key`, `None` if absent or expired.
    pub async fn kv_get(&self, tenant: TenantId, key: &str) -> Result<Option<String>> {
        check_key(key)?;
        let r = sqlx::query("SELECT value FROM tenant_kv WHERE tenant_id = $1 AND key = $2 AND (expires_at IS NULL OR expires_at > $3)")
            .bind(tenant.to_string())
            .bind(key)
            .bind(to_ms(&now()))
            .fetch_optional(self.pool())
            .await?;
        r.map(|r| row::text(&r, "value")).transpose()
    }

    /// Stores `value` under `key`, expiring after `ttl_seconds` if given.
    pub async fn kv_set(
        &self,
        tenant: TenantId,
        key: &str,
        value: &str,
        ttl_seconds: Option<u32>,
    ) -> Result<()> {
        check_key(key)?;
        if value.len() > KV_MAX_VALUE {
            return Err(StoreError::invalid(
                "value",
                format!("is {} bytes: keep it under {KV_MAX_VALUE}", value.len()),
            ));
        }
        let mut tx = self.begin().await?;
        let mode = match current(&mut tx, self.engine(), tenant, key).await? {
            Some(_) => Mode::Update,
            None => Mode::Upsert,
        };
        write(&mut tx, tenant, key, value, expiry(ttl_seconds), mode).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes `key`; whether a live entry existed.
    pub async fn kv_delete(&self, tenant: TenantId, key: &str) -> Result<bool> {
        check_key(key)?;
        let mut tx = self.begin().await?;
        let existed = current(&mut tx, self.engine(), tenant, key)
            .await?
            .is_some();
        sqlx::query("DELETE FROM tenant_kv WHERE tenant_id = $1 AND key = $2")
            .bind(tenant.to_string())
            .bind(key)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(existed)
    }

    /// Adds `delta` to the integer at `key` (absent counts as 0) and
    /// returns the new value, atomically across calls and nodes; the TTL
    /// applies when the key is created.
    pub async fn kv_increment(
        &self,
        tenant: TenantId,
        key: &str,
        delta: i64,
        ttl_seconds: Option<u32>,
    ) -> Result<i64> {
        check_key(key)?;
        // On PostgreSQL two first increments can both find no row; the
        // loser's insert then fails on the key and simply retries.
        for _ in 0..5 {
            let mut tx = self.begin().await?;
            let old = current(&mut tx, self.engine(), tenant, key).await?;
            let (base, expires) = match &old {
                Some(v) => (
                    v.trim().parse::<i64>().map_err(|_| {
                        StoreError::invalid("value", format!("{key:?} holds {v:?}, not an integer"))
                    })?,
                    None,
                ),
                None => (0, expiry(ttl_seconds)),
            };
            let next = base
                .checked_add(delta)
                .ok_or_else(|| StoreError::invalid("delta", "the counter would overflow"))?;
            let expires = match old {
                // Keep the entry's own expiry.
                Some(_) => row::opt_int(
                    &sqlx::query(
                        "SELECT expires_at FROM tenant_kv WHERE tenant_id = $1 AND key = $2",
                    )
                    .bind(tenant.to_string())
                    .bind(key)
                    .fetch_one(&mut *tx)
                    .await?,
                    "expires_at",
                )?,
                None => expires,
            };
            match write(
                &mut tx,
                tenant,
                key,
                &next.to_string(),
                expires,
                if old.is_some() {
                    Mode::Update
                } else {
                    Mode::InsertNew
                },
            )
            .await
            {
                Ok(()) => {
                    tx.commit().await?;
                    return Ok(next);
                }
                Err(StoreError::Conflict { .. }) if self.engine() == Engine::Postgres => {
                    continue;
                }
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Database(format!(
            "incrementing {key:?} kept clashing with other calls; retry"
        )))
    }

    /// Removes expired entries of every tenant; returns how many.
    pub async fn kv_purge_expired(&self) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM tenant_kv WHERE expires_at IS NOT NULL AND expires_at <= $1")
                .bind(to_ms(&now()))
                .execute(self.pool())
                .await?;
        Ok(done.rows_affected())
    }
}
