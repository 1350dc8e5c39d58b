//! Incident flags: named switches an admin (or a flow) turns on during an
//! incident, each selecting a message or a destination.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::ChangeKind;
use crate::crud::{self, Entity};
use crate::error::{Result, StoreError};
use crate::ids::{FlagId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::Arg;
use crate::store::Store;
use crate::time::Timestamp;
use crate::validate;

/// What an admin sets on an incident flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlagSpec {
    /// Unique name in the tenant, e.g. `network-outage`.
    pub name: String,
    /// Whether the incident is on.
    pub active: bool,
    /// The message flows announce while it is on.
    pub message: Option<String>,
    /// Where flows send calls while it is on.
    pub destination: Option<String>,
}

/// A stored incident flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IncidentFlag {
    /// Its id.
    pub id: FlagId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: FlagSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed (e.g. was switched on).
    pub updated_at: Timestamp,
}

impl Entity for IncidentFlag {
    type Spec = FlagSpec;
    const TABLE: &'static str = "incident_flags";
    const KIND: ChangeKind = ChangeKind::Flag;
    const NAME: &'static str = "incident flag";
    const COLUMNS: &'static [&'static str] = &["name", "active", "message", "destination"];
    const ORDER: &'static str = "name, id";
    const CONFLICT: &'static str = "an incident flag with this name already exists in the tenant";

    fn validate(s: &FlagSpec) -> Result<()> {
        validate::name("name", &s.name)
    }

    fn args(s: &FlagSpec) -> Result<Vec<Arg>> {
        Ok(vec![
            s.name.clone().into(),
            s.active.into(),
            s.message.clone().into(),
            s.destination.clone().into(),
        ])
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            spec: FlagSpec {
                name: row::text(r, "name")?,
                active: row::boolean(r, "active")?,
                message: row::opt_text(r, "message")?,
                destination: row::opt_text(r, "destination")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

impl Store {
    /// Creates an incident flag.
    pub async fn create_flag(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &FlagSpec,
    ) -> Result<IncidentFlag> {
        crud::create(self, actor, tenant, FlagId::new().to_string(), spec).await
    }

    /// One flag of `tenant`.
    pub async fn get_flag(&self, tenant: TenantId, id: FlagId) -> Result<IncidentFlag> {
        crud::get(self, tenant, &id.to_string()).await
    }

    /// `tenant`'s flags by name.
    pub async fn list_flags(&self, tenant: TenantId, page: Page) -> Result<Paged<IncidentFlag>> {
        crud::list(self, tenant, None, vec![], page).await
    }

    /// Replaces a flag.
    pub async fn update_flag(
        &self,
        actor: &str,
        tenant: TenantId,
        id: FlagId,
        spec: &FlagSpec,
    ) -> Result<IncidentFlag> {
        crud::update(self, actor, tenant, &id.to_string(), spec).await
    }

    /// Switches the flag called `name` on or off (what a flow's
    /// `set-flag` does), keeping its message and destination.
    pub async fn set_flag_active(
        &self,
        actor: &str,
        tenant: TenantId,
        name: &str,
        active: bool,
    ) -> Result<IncidentFlag> {
        let page = crud::list::<IncidentFlag>(
            self,
            tenant,
            Some("name = $2"),
            vec![name.into()],
            Page::first(1),
        )
        .await?;
        let flag = page
            .items
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::not_found("incident flag", name))?;
        let spec = FlagSpec {
            active,
            ..flag.spec
        };
        self.update_flag(actor, tenant, flag.id, &spec).await
    }

    /// Deletes a flag.
    pub async fn delete_flag(&self, actor: &str, tenant: TenantId, id: FlagId) -> Result<()> {
        crud::delete::<IncidentFlag>(self, actor, tenant, &id.to_string()).await
    }
}
