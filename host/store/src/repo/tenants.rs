//! Tenants: the companies sharing the PBX, with their limits and defaults.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::{Action, ChangeKind};
use crate::error::{Result, StoreError};
use crate::ids::TenantId;
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::{self, Arg};
use crate::store::Store;
use crate::time::{Timestamp, now, to_ms};

/// What an admin sets on a tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TenantSpec {
    /// Unique name, e.g. `acme`.
    pub name: String,
    /// Most concurrent inbound calls.
    pub max_inbound_calls: i64,
    /// Most concurrent outbound calls.
    pub max_outbound_calls: i64,
    /// Most extensions.
    pub max_extensions: i64,
    /// Most DIDs.
    pub max_dids: i64,
    /// Default language of prompts, a BCP 47 tag such as `fr-FR`.
    pub language: String,
    /// IANA time zone for schedules, e.g. `Europe/Paris`.
    pub time_zone: String,
    /// Where a call goes when its flow fails (an extension number, a queue
    /// name or any destination the call model understands).
    pub fallback_destination: Option<String>,
}

/// A stored tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tenant {
    /// Its id.
    pub id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: TenantSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

const COLUMNS: &str = "name, max_inbound_calls, max_outbound_calls, max_extensions, max_dids, \
                       language, time_zone, fallback_destination";
const CONFLICT: &str = "a tenant with this name already exists: choose another name";

impl TenantSpec {
    /// Checks names, limits, language and time zone.
    pub fn validate(&self) -> Result<()> {
        crate::validate::name("name", &self.name)?;
        for (field, v) in [
            ("max_inbound_calls", self.max_inbound_calls),
            ("max_outbound_calls", self.max_outbound_calls),
            ("max_extensions", self.max_extensions),
            ("max_dids", self.max_dids),
        ] {
            if v < 0 {
                return Err(StoreError::invalid(
                    field,
                    format!("{v} is negative: use 0 or more"),
                ));
            }
        }
        crate::validate::language("language", &self.language)?;
        crate::validate::time_zone("time_zone", &self.time_zone)?;
        Ok(())
    }

    fn args(&self) -> Vec<Arg> {
        vec![
            self.name.clone().into(),
            self.max_inbound_calls.into(),
            self.max_outbound_calls.into(),
            self.max_extensions.into(),
            self.max_dids.into(),
            self.language.clone().into(),
            self.time_zone.clone().into(),
            self.fallback_destination.clone().into(),
        ]
    }
}

impl Tenant {
    pub(crate) fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            spec: TenantSpec {
                name: row::text(r, "name")?,
                max_inbound_calls: row::int(r, "max_inbound_calls")?,
                max_outbound_calls: row::int(r, "max_outbound_calls")?,
                max_extensions: row::int(r, "max_extensions")?,
                max_dids: row::int(r, "max_dids")?,
                language: row::text(r, "language")?,
                time_zone: row::text(r, "time_zone")?,
                fallback_destination: row::opt_text(r, "fallback_destination")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

impl Store {
    /// Creates a tenant.
    pub async fn create_tenant(&self, actor: &str, spec: &TenantSpec) -> Result<Tenant> {
        spec.validate()?;
        let id = TenantId::new();
        let t = to_ms(&now());
        let mut args = vec![Arg::Text(id.to_string())];
        args.extend(spec.args());
        args.push(t.into());
        args.push(t.into());
        let sql = format!(
            "INSERT INTO tenants (id, {COLUMNS}, created_at, updated_at) VALUES ({})",
            sql::placeholders(1, args.len())
        );
        let mut tx = self.begin().await?;
        sql::bind(sqlx::query(&sql), &args)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from_sqlx(e, CONFLICT))?;
        let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let tenant = Tenant::from_row(&row)?;
        self.commit_change(
            tx,
            actor,
            Some(id),
            ChangeKind::Tenant,
            id.to_string(),
            Action::Create,
            None::<&Tenant>,
            Some(&tenant),
        )
        .await?;
        Ok(tenant)
    }

    /// One tenant.
    pub async fn get_tenant(&self, id: TenantId) -> Result<Tenant> {
        let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(self.pool())
            .await?
            .ok_or_else(|| StoreError::not_found("tenant", id))?;
        Tenant::from_row(&row)
    }

    /// All tenants, by name (for superadmins).
    pub async fn list_tenants(&self, page: Page) -> Result<Paged<Tenant>> {
        sql::fetch_page(
            self.pool(),
            "FROM tenants",
            "name, id",
            vec![],
            page,
            Tenant::from_row,
        )
        .await
    }

    /// Replaces a tenant's settings.
    pub async fn update_tenant(
        &self,
        actor: &str,
        id: TenantId,
        spec: &TenantSpec,
    ) -> Result<Tenant> {
        spec.validate()?;
        let before = self.get_tenant(id).await?;
        let mut args = spec.args();
        let n = args.len();
        let sets = COLUMNS
            .split(',')
            .enumerate()
            .map(|(i, c)| format!("{} = ${}", c.trim(), i + 1))
            .collect::<Vec<_>>()
            .join(", ");
        args.push(to_ms(&now()).into());
        args.push(id.to_string().into());
        let sql = format!(
            "UPDATE tenants SET {sets}, updated_at = ${} WHERE id = ${}",
            n + 1,
            n + 2
        );
        let mut tx = self.begin().await?;
        let done = sql::bind(sqlx::query(&sql), &args)
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from_sqlx(e, CONFLICT))?;
        if done.rows_affected() == 0 {
            return Err(StoreError::not_found("tenant", id));
        }
        let row = sqlx::query("SELECT * FROM tenants WHERE id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let after = Tenant::from_row(&row)?;
        self.commit_change(
            tx,
            actor,
            Some(id),
            ChangeKind::Tenant,
            id.to_string(),
            Action::Update,
            Some(&before),
            Some(&after),
        )
        .await?;
        Ok(after)
    }

    /// Deletes a tenant and everything it owns (extensions, routes, flows,
    /// call records...). Flow component files stay in the data directory
    /// until [`Store::collect_flow_files`] removes the unused ones.
    pub async fn delete_tenant(&self, actor: &str, id: TenantId) -> Result<()> {
        let before = self.get_tenant(id).await?;
        let mut tx = self.begin().await?;
        // The audit rows of the tenant stay: they have no foreign key.
        sqlx::query("DELETE FROM tenants WHERE id = $1")
            .bind(id.to_string())
            .execute(&mut *tx)
            .await
            .map_err(|e| StoreError::from_sqlx(e, "the tenant is still referenced"))?;
        self.commit_change(
            tx,
            actor,
            Some(id),
            ChangeKind::Tenant,
            id.to_string(),
            Action::Delete,
            Some(&before),
            None::<&Tenant>,
        )
        .await
    }
}
