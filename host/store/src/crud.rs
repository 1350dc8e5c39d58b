//! The create/get/list/update/delete path shared by the tenant-scoped
//! entities: each entity describes its table once (an [`Entity`] impl) and
//! its public functions call these.
//!
//! Every statement filters by `tenant_id`, so a row of another tenant is
//! [`StoreError::NotFound`] exactly like a missing one.

use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::{Any, Transaction};

use crate::change::{Action, ChangeKind};
use crate::engine::Engine;
use crate::error::{Result, StoreError};
use crate::ids::TenantId;
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::{self, Arg};
use crate::store::Store;
use crate::time::{now, to_ms};

/// A tenant-scoped table with `id`, `tenant_id`, the entity's own columns,
/// `created_at` and `updated_at`.
pub(crate) trait Entity: Serialize + Sized {
    /// What the caller supplies on create and update.
    type Spec: Serialize;
    /// Table name.
    const TABLE: &'static str;
    /// Change-feed and audit kind.
    const KIND: ChangeKind;
    /// Human name for messages, e.g. `extension`.
    const NAME: &'static str;
    /// The spec's columns, in the order of [`Entity::args`].
    const COLUMNS: &'static [&'static str];
    /// List order; must end in a unique column so pages are stable.
    const ORDER: &'static str;
    /// What a unique violation means, said so the user can fix it.
    const CONFLICT: &'static str;
    /// `(tenants column, what)` when the tenant limits how many rows exist.
    const LIMIT: Option<(&'static str, &'static str)> = None;

    /// Checks the spec; called before every write.
    fn validate(spec: &Self::Spec) -> Result<()>;
    /// The values of [`Entity::COLUMNS`].
    fn args(spec: &Self::Spec) -> Result<Vec<Arg>>;
    /// Reads a full row.
    fn from_row(row: &AnyRow) -> Result<Self>;
}

async fn fetch_in_tx<E: Entity>(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
    id: &str,
) -> Result<E> {
    let sql = format!(
        "SELECT * FROM {} WHERE id = $1 AND tenant_id = $2",
        E::TABLE
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(tenant.to_string())
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| StoreError::not_found(E::NAME, id))?;
    E::from_row(&row)
}

async fn check_limit<E: Entity>(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
) -> Result<()> {
    let Some((column, what)) = E::LIMIT else {
        return Ok(());
    };
    let sql = format!(
        "SELECT (SELECT COUNT(*) FROM {} WHERE tenant_id = $1) AS used, \
         (SELECT {column} FROM tenants WHERE id = $1) AS lim",
        E::TABLE
    );
    let r = sqlx::query(&sql)
        .bind(tenant.to_string())
        .fetch_one(&mut **tx)
        .await?;
    let used = row::int(&r, "used")?;
    let limit = row::opt_int(&r, "lim")?.ok_or_else(|| StoreError::not_found("tenant", tenant))?;
    if used >= limit {
        return Err(StoreError::LimitReached {
            what: what.to_string(),
            limit,
        });
    }
    Ok(())
}

/// Inserts a row for `tenant` and returns it as stored.
pub(crate) async fn create<E: Entity>(
    store: &Store,
    actor: &str,
    tenant: TenantId,
    id: String,
    spec: &E::Spec,
) -> Result<E> {
    E::validate(spec)?;
    let mut tx = store.begin().await?;
    ensure_tenant(&mut tx, tenant).await?;
    if E::LIMIT.is_some() && store.engine() == Engine::Postgres {
        // Serialise counted inserts of one tenant, so two nodes cannot
        // both see room for the last extension. (SQLite's BEGIN IMMEDIATE
        // already serialises every writer.)
        sqlx::query("SELECT id FROM tenants WHERE id = $1 FOR UPDATE")
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await?;
    }
    check_limit::<E>(&mut tx, tenant).await?;
    let t = to_ms(&now());
    let mut args = vec![Arg::Text(id.clone()), Arg::Text(tenant.to_string())];
    args.extend(E::args(spec)?);
    args.push(Arg::Int(t));
    args.push(Arg::Int(t));
    let sql = format!(
        "INSERT INTO {} (id, tenant_id, {}, created_at, updated_at) VALUES ({})",
        E::TABLE,
        E::COLUMNS.join(", "),
        sql::placeholders(1, args.len())
    );
    sql::bind(sqlx::query(&sql), &args)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx(e, E::CONFLICT))?;
    let created: E = fetch_in_tx::<E>(&mut tx, tenant, &id).await?;
    store
        .commit_change(
            tx,
            actor,
            Some(tenant),
            E::KIND,
            id,
            Action::Create,
            None::<&E>,
            Some(&created),
        )
        .await?;
    Ok(created)
}

/// One row of `tenant`.
pub(crate) async fn get<E: Entity>(store: &Store, tenant: TenantId, id: &str) -> Result<E> {
    let sql = format!(
        "SELECT * FROM {} WHERE id = $1 AND tenant_id = $2",
        E::TABLE
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .bind(tenant.to_string())
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| StoreError::not_found(E::NAME, id))?;
    E::from_row(&row)
}

/// A page of `tenant`'s rows, optionally narrowed by `filter` (SQL using
/// parameters from `$2`, with its values in `filter_args`).
pub(crate) async fn list<E: Entity>(
    store: &Store,
    tenant: TenantId,
    filter: Option<&str>,
    filter_args: Vec<Arg>,
    page: Page,
) -> Result<Paged<E>> {
    let from_where = match filter {
        Some(f) => format!("FROM {} WHERE tenant_id = $1 AND ({f})", E::TABLE),
        None => format!("FROM {} WHERE tenant_id = $1", E::TABLE),
    };
    let mut args = vec![Arg::Text(tenant.to_string())];
    args.extend(filter_args);
    sql::fetch_page(store.pool(), &from_where, E::ORDER, args, page, E::from_row).await
}

/// Every row of `tenant` (for caches and exports).
pub(crate) async fn all<E: Entity>(store: &Store, tenant: TenantId) -> Result<Vec<E>> {
    let sql = format!(
        "SELECT * FROM {} WHERE tenant_id = $1 ORDER BY {}",
        E::TABLE,
        E::ORDER
    );
    let rows = sqlx::query(&sql)
        .bind(tenant.to_string())
        .fetch_all(store.pool())
        .await?;
    rows.iter().map(E::from_row).collect()
}

/// Replaces the spec of one row of `tenant`.
pub(crate) async fn update<E: Entity>(
    store: &Store,
    actor: &str,
    tenant: TenantId,
    id: &str,
    spec: &E::Spec,
) -> Result<E> {
    E::validate(spec)?;
    let mut tx = store.begin().await?;
    let before: E = fetch_in_tx::<E>(&mut tx, tenant, id).await?;
    let mut args = E::args(spec)?;
    let n = args.len();
    let sets = E::COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", i + 1))
        .collect::<Vec<_>>()
        .join(", ");
    args.push(Arg::Int(to_ms(&now())));
    args.push(Arg::Text(id.to_string()));
    args.push(Arg::Text(tenant.to_string()));
    let sql = format!(
        "UPDATE {} SET {sets}, updated_at = ${} WHERE id = ${} AND tenant_id = ${}",
        E::TABLE,
        n + 1,
        n + 2,
        n + 3
    );
    sql::bind(sqlx::query(&sql), &args)
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx(e, E::CONFLICT))?;
    let after: E = fetch_in_tx::<E>(&mut tx, tenant, id).await?;
    store
        .commit_change(
            tx,
            actor,
            Some(tenant),
            E::KIND,
            id.to_string(),
            Action::Update,
            Some(&before),
            Some(&after),
        )
        .await?;
    Ok(after)
}

/// Deletes one row of `tenant`; a row still referenced elsewhere is a
/// [`StoreError::Conflict`].
pub(crate) async fn delete<E: Entity>(
    store: &Store,
    actor: &str,
    tenant: TenantId,
    id: &str,
) -> Result<()> {
    let mut tx = store.begin().await?;
    let before: E = fetch_in_tx::<E>(&mut tx, tenant, id).await?;
    let sql = format!("DELETE FROM {} WHERE id = $1 AND tenant_id = $2", E::TABLE);
    sqlx::query(&sql)
        .bind(id)
        .bind(tenant.to_string())
        .execute(&mut *tx)
        .await
        .map_err(|e| StoreError::from_sqlx(e, &format!("the {} {id} is still in use", E::NAME)))?;
    store
        .commit_change(
            tx,
            actor,
            Some(tenant),
            E::KIND,
            id.to_string(),
            Action::Delete,
            Some(&before),
            None::<&E>,
        )
        .await
}

/// Fails with NotFound unless the tenant exists (a clearer message than
/// the foreign-key error the insert would raise).
pub(crate) async fn ensure_tenant(
    tx: &mut Transaction<'static, Any>,
    tenant: TenantId,
) -> Result<()> {
    let found = sqlx::query("SELECT id FROM tenants WHERE id = $1")
        .bind(tenant.to_string())
        .fetch_optional(&mut **tx)
        .await?;
    match found {
        Some(_) => Ok(()),
        None => Err(StoreError::not_found("tenant", tenant)),
    }
}
