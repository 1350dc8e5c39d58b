//! Named flows of a tenant and which of their versions is active.
//! Versions themselves live in [`crate::repo::flow_versions`].

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::{Action, ChangeKind};
use crate::crud::{self, Entity};
use crate::error::{Result, StoreError};
use crate::ids::{FlowId, FlowVersionId, TenantId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::Arg;
use crate::store::Store;
use crate::time::{Timestamp, now, to_ms};
use crate::validate;

/// What an admin sets on a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FlowSpec {
    /// Unique name in the tenant, e.g. `main-ivr`.
    pub name: String,
    /// Free text.
    pub description: String,
}

/// A stored flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Flow {
    /// Its id.
    pub id: FlowId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: FlowSpec,
    /// The version new calls run; `None` until one is activated.
    pub active_version_id: Option<FlowVersionId>,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Entity for Flow {
    type Spec = FlowSpec;
    const TABLE: &'static str = "flows";
    const KIND: ChangeKind = ChangeKind::Flow;
    const NAME: &'static str = "flow";
    const COLUMNS: &'static [&'static str] = &["name", "description"];
    const ORDER: &'static str = "name, id";
    const CONFLICT: &'static str =
        "a flow with this name already exists in the tenant: choose another name";

    fn validate(s: &FlowSpec) -> Result<()> {
        validate::name("name", &s.name)
    }

    fn args(s: &FlowSpec) -> Result<Vec<Arg>> {
        Ok(vec![s.name.clone().into(), s.description.clone().into()])
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            spec: FlowSpec {
                name: row::text(r, "name")?,
                description: row::text(r, "description")?,
            },
            active_version_id: row::opt_parsed(r, "active_version_id")?,
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

impl Store {
    /// Creates a flow (without versions yet).
    pub async fn create_flow(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &FlowSpec,
    ) -> Result<Flow> {
        crud::create(self, actor, tenant, FlowId::new().to_string(), spec).await
    }

    /// One flow of `tenant`.
    pub async fn get_flow(&self, tenant: TenantId, id: FlowId) -> Result<Flow> {
        crud::get(self, tenant, &id.to_string()).await
    }

    /// The flow of `tenant` called `name`.
    pub async fn find_flow_by_name(&self, tenant: TenantId, name: &str) -> Result<Flow> {
        let page = crud::list::<Flow>(
            self,
            tenant,
            Some("name = $2"),
            vec![name.into()],
            Page::first(1),
        )
        .await?;
        page.items
            .into_iter()
            .next()
            .ok_or_else(|| StoreError::not_found("flow", name))
    }

    /// `tenant`'s flows by name.
    pub async fn list_flows(&self, tenant: TenantId, page: Page) -> Result<Paged<Flow>> {
        crud::list(self, tenant, None, vec![], page).await
    }

    /// Renames or re-describes a flow.
    pub async fn update_flow(
        &self,
        actor: &str,
        tenant: TenantId,
        id: FlowId,
        spec: &FlowSpec,
    ) -> Result<Flow> {
        crud::update(self, actor, tenant, &id.to_string(), spec).await
    }

    /// Deletes a flow and its versions (and their files, unless another
    /// version has the same content); `Conflict` while an inbound route
    /// uses it. Extensions using it as personal flow lose it.
    pub async fn delete_flow(&self, actor: &str, tenant: TenantId, id: FlowId) -> Result<()> {
        let hashes: Vec<String> =
            sqlx::query("SELECT sha256 FROM flow_versions WHERE flow_id = $1 AND tenant_id = $2")
                .bind(id.to_string())
                .bind(tenant.to_string())
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| row::text(r, "sha256"))
                .collect::<Result<_>>()?;
        crud::delete::<Flow>(self, actor, tenant, &id.to_string()).await?;
        for h in hashes {
            self.remove_flow_file_if_unused(&h).await?;
        }
        Ok(())
    }

    /// Makes `version` the one new calls of `flow` run (`None` deactivates
    /// the flow). Calls in progress keep their version.
    pub async fn activate_flow_version(
        &self,
        actor: &str,
        tenant: TenantId,
        flow: FlowId,
        version: Option<FlowVersionId>,
    ) -> Result<Flow> {
        let before = self.get_flow(tenant, flow).await?;
        if let Some(v) = version {
            let fv = self.get_flow_version(tenant, v).await?;
            if fv.flow_id != flow {
                return Err(StoreError::invalid(
                    "version",
                    format!("version {v} belongs to another flow: pick one of flow {flow}"),
                ));
            }
        }
        let mut tx = self.begin().await?;
        sqlx::query("UPDATE flows SET active_version_id = $1, updated_at = $2 WHERE id = $3 AND tenant_id = $4")
            .bind(version.map(|v| v.to_string()))
            .bind(to_ms(&now()))
            .bind(flow.to_string())
            .bind(tenant.to_string())
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query("SELECT * FROM flows WHERE id = $1")
            .bind(flow.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let after = Flow::from_row(&row)?;
        self.commit_change(
            tx,
            actor,
            Some(tenant),
            ChangeKind::Flow,
            flow.to_string(),
            Action::Update,
            Some(&before),
            Some(&after),
        )
        .await?;
        Ok(after)
    }
}
