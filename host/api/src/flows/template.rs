//! Creating an inbound route from a template flow and parameters, checked
//! against the parameter schema the flow's `describe` declares.

use super::describe::{FlowDescriptionDto, check_params};
use crate::error::{ApiError, ApiResult};
use pbx_store::{FlowId, FlowVersion, FlowVersionId, Store, TenantId};
use serde::Deserialize;
use utoipa::ToSchema;

/// A route to create from a template flow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteFromTemplate {
    /// Unique route name in the tenant.
    pub name: String,
    /// Dialled numbers it takes (`X` any digit, final `*` any rest).
    pub pattern: String,
    /// Lower first when several patterns match.
    pub priority: i64,
    /// The template: a flow of the tenant.
    #[schema(value_type = String)]
    pub flow_id: FlowId,
    /// Pin this version; absent to follow the flow's active version.
    #[schema(value_type = Option<String>)]
    pub version_id: Option<FlowVersionId>,
    /// Parameter values, checked against the flow's schema.
    #[serde(default)]
    #[schema(value_type = Object)]
    pub params: serde_json::Map<String, serde_json::Value>,
}

/// The version whose schema the parameters must fit: the pinned one, or
/// the flow's active one.
pub async fn schema_version(
    store: &Store,
    tenant: TenantId,
    req: &RouteFromTemplate,
) -> ApiResult<FlowVersion> {
    let flow = store.get_flow(tenant, req.flow_id).await?;
    let id = match req.version_id.or(flow.active_version_id) {
        Some(id) => id,
        None => {
            return Err(ApiError::invalid(
                "version_id",
                "the flow has no active version: activate one or give version_id",
            ));
        }
    };
    let version = store.get_flow_version(tenant, id).await?;
    if version.flow_id != req.flow_id {
        return Err(ApiError::invalid(
            "version_id",
            "this version belongs to another flow: pick a version of flow_id",
        ));
    }
    Ok(version)
}

/// Check `req.params` against `version`'s schema.
pub fn check(version: &FlowVersion, req: &RouteFromTemplate) -> ApiResult<()> {
    let dto: FlowDescriptionDto = serde_json::from_value(version.describe.clone())
        .map_err(|e| ApiError::internal(format!("stored describe output is unreadable: {e}")))?;
    let description = dto
        .to_runtime()
        .ok_or_else(|| ApiError::internal("stored describe output has unknown kinds"))?;
    check_params(&description, &req.params).map(|_| ())
}
