//! DIDs: the public numbers a tenant owns. A number belongs to one tenant
//! across the whole PBX, which is how an incoming call finds its tenant.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::ChangeKind;
use crate::crud::{self, Entity};
use crate::error::Result;
use crate::ids::{DidId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::Arg;
use crate::store::Store;
use crate::time::Timestamp;
use crate::validate;

/// What an admin sets on a DID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DidSpec {
    /// The number in E.164 form, e.g. `+33123456789`; unique PBX-wide.
    pub number: String,
    /// Free text, e.g. `main line`.
    pub description: String,
}

/// A stored DID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Did {
    /// Its id.
    pub id: DidId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: DidSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Entity for Did {
    type Spec = DidSpec;
    const TABLE: &'static str = "dids";
    const KIND: ChangeKind = ChangeKind::Did;
    const NAME: &'static str = "DID";
    const COLUMNS: &'static [&'static str] = &["number", "description"];
    const ORDER: &'static str = "number, id";
    const CONFLICT: &'static str =
        "this number is already a DID (of this or another tenant): release it there first";
    const LIMIT: Option<(&'static str, &'static str)> = Some(("max_dids", "DIDs"));

    fn validate(s: &DidSpec) -> Result<()> {
        validate::number("number", &s.number)
    }

    fn args(s: &DidSpec) -> Result<Vec<Arg>> {
        Ok(vec![s.number.clone().into(), s.description.clone().into()])
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            spec: DidSpec {
                number: row::text(r, "number")?,
                description: row::text(r, "description")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

impl Store {
    /// Adds a DID to `tenant`; `Conflict` if any tenant already has the
    /// number, `LimitReached` past the tenant's `max_dids`.
    pub async fn create_did(&self, actor: &str, tenant: TenantId, spec: &DidSpec) -> Result<Did> {
        crud::create(self, actor, tenant, DidId::new().to_string(), spec).await
    }

    /// One DID of `tenant`.
    pub async fn get_did(&self, tenant: TenantId, id: DidId) -> Result<Did> {
        crud::get(self, tenant, &id.to_string()).await
    }

    /// `tenant`'s DIDs by number.
    pub async fn list_dids(&self, tenant: TenantId, page: Page) -> Result<Paged<Did>> {
        crud::list(self, tenant, None, vec![], page).await
    }

    /// Replaces a DID's settings.
    pub async fn update_did(
        &self,
        actor: &str,
        tenant: TenantId,
        id: DidId,
        spec: &DidSpec,
    ) -> Result<Did> {
        crud::update(self, actor, tenant, &id.to_string(), spec).await
    }

    /// Releases a DID.
    pub async fn delete_did(&self, actor: &str, tenant: TenantId, id: DidId) -> Result<()> {
        crud::delete::<Did>(self, actor, tenant, &id.to_string()).await
    }
}
