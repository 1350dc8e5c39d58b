//! Inbound routes: which dialled numbers (matched by a pattern, see
//! [`crate::NumberPattern`]) go to a flow, an extension, a queue or a
//! voicemail box.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::ChangeKind;
use crate::crud::{self, Entity};
use crate::error::{Result, StoreError};
use crate::ids::{ExtensionId, FlowId, FlowVersionId, InboundRouteId, TenantId};
use crate::page::{Page, Paged};
use crate::pattern::NumberPattern;
use crate::row;
use crate::sql::Arg;
use crate::store::Store;
use crate::time::Timestamp;
use crate::validate;

/// Where an inbound route sends a call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteTarget {
    /// Run a flow: a pinned version, or the flow's active version when
    /// `version` is `None`.
    Flow {
        /// The flow.
        flow_id: FlowId,
        /// A pinned version, or `None` to follow the active one.
        version: Option<FlowVersionId>,
    },
    /// Ring an extension.
    Extension {
        /// The extension.
        extension_id: ExtensionId,
    },
    /// Put the call in a queue.
    Queue {
        /// The queue name.
        queue: String,
    },
    /// Straight to an extension's voicemail.
    Voicemail {
        /// The extension whose box takes the message.
        extension_id: ExtensionId,
    },
}

/// What an admin sets on an inbound route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundRouteSpec {
    /// Unique name in the tenant.
    pub name: String,
    /// The dialled numbers it takes, see [`NumberPattern`].
    pub pattern: String,
    /// Lower first when several patterns match.
    pub priority: i64,
    /// Where calls go.
    pub target: RouteTarget,
    /// Parameters for the flow (the form its `describe` declares); `{}`
    /// for other targets.
    pub params: serde_json::Value,
}

/// A stored inbound route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboundRoute {
    /// Its id.
    pub id: InboundRouteId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: InboundRouteSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Entity for InboundRoute {
    type Spec = InboundRouteSpec;
    const TABLE: &'static str = "inbound_routes";
    const KIND: ChangeKind = ChangeKind::InboundRoute;
    const NAME: &'static str = "inbound route";
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "pattern",
        "priority",
        "target_kind",
        "flow_id",
        "flow_version_id",
        "extension_id",
        "queue",
        "params",
    ];
    const ORDER: &'static str = "priority, name, id";
    const CONFLICT: &'static str = "an inbound route with this name already exists in the tenant, \
         or its flow, version or extension does not exist";

    fn validate(s: &InboundRouteSpec) -> Result<()> {
        validate::name("name", &s.name)?;
        NumberPattern::parse(&s.pattern)?;
        if let RouteTarget::Queue { queue } = &s.target {
            validate::name("target.queue", queue)?;
        }
        if !s.params.is_object() {
            return Err(StoreError::invalid(
                "params",
                "must be a JSON object, e.g. {}",
            ));
        }
        Ok(())
    }

    fn args(s: &InboundRouteSpec) -> Result<Vec<Arg>> {
        let (kind, flow, version, ext, queue) = match &s.target {
            RouteTarget::Flow { flow_id, version } => (
                "flow",
                Some(flow_id.to_string()),
                version.map(|v| v.to_string()),
                None,
                None,
            ),
            RouteTarget::Extension { extension_id } => (
                "extension",
                None,
                None,
                Some(extension_id.to_string()),
                None,
            ),
            RouteTarget::Queue { queue } => ("queue", None, None, None, Some(queue.clone())),
            RouteTarget::Voicemail { extension_id } => (
                "voicemail",
                None,
                None,
                Some(extension_id.to_string()),
                None,
            ),
        };
        Ok(vec![
            s.name.clone().into(),
            s.pattern.clone().into(),
            s.priority.into(),
            kind.into(),
            flow.into(),
            version.into(),
            ext.into(),
            queue.into(),
            row::to_json(&s.params)?.into(),
        ])
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        let missing = |col: &str| StoreError::Database(format!("inbound route without {col}"));
        let kind = row::text(r, "target_kind")?;
        let target = match kind.as_str() {
            "flow" => RouteTarget::Flow {
                flow_id: row::opt_parsed(r, "flow_id")?.ok_or_else(|| missing("flow_id"))?,
                version: row::opt_parsed(r, "flow_version_id")?,
            },
            "extension" => RouteTarget::Extension {
                extension_id: row::opt_parsed(r, "extension_id")?
                    .ok_or_else(|| missing("extension_id"))?,
            },
            "queue" => RouteTarget::Queue {
                queue: row::opt_text(r, "queue")?.ok_or_else(|| missing("queue"))?,
            },
            "voicemail" => RouteTarget::Voicemail {
                extension_id: row::opt_parsed(r, "extension_id")?
                    .ok_or_else(|| missing("extension_id"))?,
            },
            other => {
                return Err(StoreError::Database(format!(
                    "unknown route target {other:?}"
                )));
            }
        };
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            spec: InboundRouteSpec {
                name: row::text(r, "name")?,
                pattern: row::text(r, "pattern")?,
                priority: row::int(r, "priority")?,
                target,
                params: row::json(r, "params")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

impl Store {
    /// Creates an inbound route. The flow, version or extension it names
    /// must belong to the same tenant.
    pub async fn create_inbound_route(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &InboundRouteSpec,
    ) -> Result<InboundRoute> {
        self.check_route_target(tenant, &spec.target).await?;
        crud::create(self, actor, tenant, InboundRouteId::new().to_string(), spec).await
    }

    /// One inbound route of `tenant`.
    pub async fn get_inbound_route(
        &self,
        tenant: TenantId,
        id: InboundRouteId,
    ) -> Result<InboundRoute> {
        crud::get(self, tenant, &id.to_string()).await
    }

    /// `tenant`'s inbound routes by priority.
    pub async fn list_inbound_routes(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paged<InboundRoute>> {
        crud::list(self, tenant, None, vec![], page).await
    }

    /// Replaces an inbound route.
    pub async fn update_inbound_route(
        &self,
        actor: &str,
        tenant: TenantId,
        id: InboundRouteId,
        spec: &InboundRouteSpec,
    ) -> Result<InboundRoute> {
        self.check_route_target(tenant, &spec.target).await?;
        crud::update(self, actor, tenant, &id.to_string(), spec).await
    }

    /// Deletes an inbound route.
    pub async fn delete_inbound_route(
        &self,
        actor: &str,
        tenant: TenantId,
        id: InboundRouteId,
    ) -> Result<()> {
        crud::delete::<InboundRoute>(self, actor, tenant, &id.to_string()).await
    }

    /// Foreign keys only prove the target exists somewhere; this proves it
    /// is the same tenant's, and that a pinned version is of that flow.
    async fn check_route_target(&self, tenant: TenantId, target: &RouteTarget) -> Result<()> {
        match target {
            RouteTarget::Flow { flow_id, version } => {
                self.get_flow(tenant, *flow_id).await.map_err(|_| {
                    StoreError::invalid(
                        "target.flow_id",
                        format!("no flow {flow_id} in this tenant"),
                    )
                })?;
                if let Some(v) = version {
                    let fv = self.get_flow_version(tenant, *v).await.map_err(|_| {
                        StoreError::invalid(
                            "target.version",
                            format!("no flow version {v} in this tenant"),
                        )
                    })?;
                    if fv.flow_id != *flow_id {
                        return Err(StoreError::invalid(
                            "target.version",
                            format!("version {v} belongs to another flow"),
                        ));
                    }
                }
            }
            RouteTarget::Extension { extension_id } | RouteTarget::Voicemail { extension_id } => {
                self.get_extension(tenant, *extension_id)
                    .await
                    .map_err(|_| {
                        StoreError::invalid(
                            "target.extension_id",
                            format!("no extension {extension_id} in this tenant"),
                        )
                    })?;
            }
            RouteTarget::Queue { .. } => {}
        }
        Ok(())
    }
}
