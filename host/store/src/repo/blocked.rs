//! Blocked numbers: callers refused before any flow runs, matched exactly
//! or by prefix.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::ChangeKind;
use crate::crud::{self, Entity};
use crate::error::Result;
use crate::ids::{BlockedId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::Arg;
use crate::store::Store;
use crate::text_enum::text_enum;
use crate::time::Timestamp;
use crate::validate;

text_enum! {
    /// How a blocked entry matches the caller's number.
    MatchKind {
        /// The whole number.
        Exact = "exact",
        /// Any number starting with it.
        Prefix = "prefix",
    }
}

/// What an admin sets on a blocked-number entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedSpec {
    /// The number or prefix, e.g. `+33899` or `+33123456789`.
    pub number: String,
    /// Exact or prefix.
    pub match_kind: MatchKind,
    /// Why (for the admin).
    pub reason: String,
}

impl BlockedSpec {
    /// Whether `caller` is blocked by this entry.
    pub fn blocks(&self, caller: &str) -> bool {
        match self.match_kind {
            MatchKind::Exact => caller == self.number,
            MatchKind::Prefix => caller.starts_with(&self.number),
        }
    }
}

/// A stored blocked-number entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockedNumber {
    /// Its id.
    pub id: BlockedId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: BlockedSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Entity for BlockedNumber {
    type Spec = BlockedSpec;
    const TABLE: &'static str = "blocked_numbers";
    const KIND: ChangeKind = ChangeKind::Blocked;
    const NAME: &'static str = "blocked number";
    const COLUMNS: &'static [&'static str] = &["number", "match_kind", "reason"];
    const ORDER: &'static str = "number, id";
    const CONFLICT: &'static str = "this number is already blocked in the tenant";

    fn validate(s: &BlockedSpec) -> Result<()> {
        validate::number("number", &s.number)
    }

    fn args(s: &BlockedSpec) -> Result<Vec<Arg>> {
        Ok(vec![
            s.number.clone().into(),
            s.match_kind.as_str().into(),
            s.reason.clone().into(),
        ])
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            spec: BlockedSpec {
                number: row::text(r, "number")?,
                match_kind: row::parsed(r, "match_kind")?,
                reason: row::text(r, "reason")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

impl Store {
    /// Blocks a number or prefix.
    pub async fn create_blocked(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &BlockedSpec,
    ) -> Result<BlockedNumber> {
        crud::create(self, actor, tenant, BlockedId::new().to_string(), spec).await
    }

    /// One entry of `tenant`.
    pub async fn get_blocked(&self, tenant: TenantId, id: BlockedId) -> Result<BlockedNumber> {
        crud::get(self, tenant, &id.to_string()).await
    }

    /// `tenant`'s entries by number.
    pub async fn list_blocked(&self, tenant: TenantId, page: Page) -> Result<Paged<BlockedNumber>> {
        crud::list(self, tenant, None, vec![], page).await
    }

    /// Replaces an entry.
    pub async fn update_blocked(
        &self,
        actor: &str,
        tenant: TenantId,
        id: BlockedId,
        spec: &BlockedSpec,
    ) -> Result<BlockedNumber> {
        crud::update(self, actor, tenant, &id.to_string(), spec).await
    }

    /// Unblocks.
    pub async fn delete_blocked(&self, actor: &str, tenant: TenantId, id: BlockedId) -> Result<()> {
        crud::delete::<BlockedNumber>(self, actor, tenant, &id.to_string()).await
    }
}
