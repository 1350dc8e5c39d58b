//! The HTTP endpoints of the flow lifecycle.

use super::describe::FlowDescriptionDto;
use super::simulate::{self, SimulateReport, SimulateRequest};
use super::template::{self, RouteFromTemplate};
use super::upload::WasmBody;
use super::validate;
use crate::auth::Principal;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::permissions::{Access, Resource};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pbx_store::{
    Flow, FlowId, FlowVersion, FlowVersionId, InboundRoute, InboundRouteSpec, Page, Paged,
    RouteTarget, TenantId,
};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// `{tenant_id}/flows/{id}` of a path.
#[derive(Debug, Deserialize)]
struct FlowPath {
    tenant_id: String,
    id: String,
}

/// `{tenant_id}/flows/{id}/versions/{version_id}` of a path.
#[derive(Debug, Deserialize)]
struct VersionPath {
    tenant_id: String,
    id: String,
    version_id: String,
}

impl FlowPath {
    fn ids(&self, p: &Principal, access: Access) -> ApiResult<(TenantId, FlowId)> {
        let tenant = p.authorize(self.tenant_id.parse()?, Resource::Flows, access)?;
        Ok((tenant, self.id.parse()?))
    }
}

impl VersionPath {
    /// The ids, checked: the version must belong to the flow of the path.
    async fn version(
        &self,
        state: &AppState,
        p: &Principal,
        access: Access,
    ) -> ApiResult<(TenantId, FlowId, FlowVersion)> {
        let tenant = p.authorize(self.tenant_id.parse()?, Resource::Flows, access)?;
        let flow: FlowId = self.id.parse()?;
        let id: FlowVersionId = self.version_id.parse()?;
        let version = state.store.get_flow_version(tenant, id).await?;
        if version.flow_id != flow {
            return Err(ApiError::not_found("flow version of this flow"));
        }
        Ok((tenant, flow, version))
    }
}

/// Upload a new version of a flow: validated, compiled and described by
/// the flow runtime; refused with `flow_rejected` and the reason.
#[utoipa::path(
    post, path = "/tenants/{tenant_id}/flows/{id}/versions", tag = "flows",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Flow id"),
    ),
    request_body(content = Vec<u8>, content_type = "application/wasm", description = "The component (max 32 MiB)"),
    responses(
        (status = 201, description = "Stored; `describe` holds the flow's description", body = Object),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not upload flows", body = ErrorBody),
        (status = 404, description = "No such flow in the tenant", body = ErrorBody),
        (status = 413, description = "Component too large", body = ErrorBody),
        (status = 415, description = "Not sent as application/wasm", body = ErrorBody),
        (status = 422, description = "Refused by validation (`flow_rejected`)", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn upload(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<FlowPath>,
    WasmBody(bytes): WasmBody,
) -> ApiResult<(StatusCode, Json<FlowVersion>)> {
    let (tenant, flow) = path.ids(&principal, Access::Write)?;
    // Fail on an unknown flow before spending CPU on compiling.
    state.store.get_flow(tenant, flow).await?;
    let prepared = validate::prepare(&state.engine, &bytes).await?;
    let describe = serde_json::to_value(FlowDescriptionDto::from(&prepared.description))
        .map_err(ApiError::internal)?;
    let version = state
        .store
        .create_flow_version(&principal.actor(), tenant, flow, &bytes, &describe)
        .await?;
    Ok((StatusCode::CREATED, Json(version)))
}

/// List a flow's versions, newest first, with their `describe` output.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/flows/{id}/versions", tag = "flows",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Flow id"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of versions", body = Object),
        (status = 400, description = "Malformed id or paging", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read flows", body = ErrorBody),
        (status = 404, description = "No such flow in the tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn list_versions(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<FlowPath>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<FlowVersion>>> {
    let (tenant, flow) = path.ids(&principal, Access::Read)?;
    let page = query.validate()?;
    state.store.get_flow(tenant, flow).await?;
    Ok(Json(
        state
            .store
            .list_flow_versions(tenant, flow, page.into())
            .await?,
    ))
}

/// Read one version.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/flows/{id}/versions/{version_id}", tag = "flows",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Flow id"),
        ("version_id" = String, Path, description = "Version id"),
    ),
    responses(
        (status = 200, description = "The version", body = Object),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read flows", body = ErrorBody),
        (status = 404, description = "No such version of this flow", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn read_version(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<VersionPath>,
) -> ApiResult<Json<FlowVersion>> {
    let (_, _, version) = path.version(&state, &principal, Access::Read).await?;
    Ok(Json(version))
}

/// Delete a version that is neither active nor pinned by a route.
#[utoipa::path(
    delete, path = "/tenants/{tenant_id}/flows/{id}/versions/{version_id}", tag = "flows",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Flow id"),
        ("version_id" = String, Path, description = "Version id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not delete versions", body = ErrorBody),
        (status = 404, description = "No such version of this flow", body = ErrorBody),
        (status = 409, description = "Active or used by a route (`conflict`)", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn delete_version(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<VersionPath>,
) -> ApiResult<StatusCode> {
    let (tenant, _, version) = path.version(&state, &principal, Access::Write).await?;
    state
        .store
        .delete_flow_version(&principal.actor(), tenant, version.id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make this version the one new calls run; calls in progress finish on
/// theirs.
#[utoipa::path(
    post, path = "/tenants/{tenant_id}/flows/{id}/versions/{version_id}/activate", tag = "flows",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Flow id"),
        ("version_id" = String, Path, description = "Version id"),
    ),
    responses(
        (status = 200, description = "The flow, with its new active version", body = Object),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not activate", body = ErrorBody),
        (status = 404, description = "No such version of this flow", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn activate(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<VersionPath>,
) -> ApiResult<Json<Flow>> {
    let (tenant, flow, version) = path.version(&state, &principal, Access::Write).await?;
    Ok(Json(
        state
            .store
            .activate_flow_version(&principal.actor(), tenant, flow, Some(version.id))
            .await?,
    ))
}

/// Activate the version uploaded before the active one.
#[utoipa::path(
    post, path = "/tenants/{tenant_id}/flows/{id}/rollback", tag = "flows",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Flow id"),
    ),
    responses(
        (status = 200, description = "The flow, with the earlier version active", body = Object),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not activate", body = ErrorBody),
        (status = 404, description = "No such flow in the tenant", body = ErrorBody),
        (status = 409, description = "Nothing active, or no earlier version", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn rollback(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<FlowPath>,
) -> ApiResult<Json<Flow>> {
    let (tenant, flow_id) = path.ids(&principal, Access::Write)?;
    let flow = state.store.get_flow(tenant, flow_id).await?;
    let Some(active) = flow.active_version_id else {
        return Err(ApiError::conflict(
            "the flow has no active version to roll back from: activate a version instead",
        ));
    };
    let active = state.store.get_flow_version(tenant, active).await?;
    let previous = earlier_version(&state, tenant, flow_id, active.version).await?;
    let Some(previous) = previous else {
        return Err(ApiError::conflict(format!(
            "version {} is the oldest one left: there is nothing to roll back to",
            active.version
        )));
    };
    Ok(Json(
        state
            .store
            .activate_flow_version(&principal.actor(), tenant, flow_id, Some(previous))
            .await?,
    ))
}

/// The highest-numbered version below `number`.
async fn earlier_version(
    state: &AppState,
    tenant: TenantId,
    flow: FlowId,
    number: i64,
) -> ApiResult<Option<FlowVersionId>> {
    let mut offset = 0;
    loop {
        let page = state
            .store
            .list_flow_versions(tenant, flow, Page { limit: 200, offset })
            .await?;
        // Newest first: the first one below `number` is the answer.
        if let Some(v) = page.items.iter().find(|v| v.version < number) {
            return Ok(Some(v.id));
        }
        offset += page.items.len() as u64;
        if page.items.is_empty() || offset >= page.total {
            return Ok(None);
        }
    }
}

/// Run a simulator scenario against this version, server-side, and return
/// what the flow did with its trace.
#[utoipa::path(
    post, path = "/tenants/{tenant_id}/flows/{id}/versions/{version_id}/simulate", tag = "flows",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Flow id"),
        ("version_id" = String, Path, description = "Version id"),
    ),
    request_body = SimulateRequest,
    responses(
        (status = 200, description = "The simulated call", body = SimulateReport),
        (status = 400, description = "Malformed id or body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not run flows", body = ErrorBody),
        (status = 404, description = "No such version of this flow", body = ErrorBody),
        (status = 413, description = "Scenario too large", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
        (status = 422, description = "Scenario invalid (`scenario_invalid`)", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn simulate_version(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<VersionPath>,
    ApiJson(req): ApiJson<SimulateRequest>,
) -> ApiResult<Json<SimulateReport>> {
    // Running a flow changes nothing, but costs CPU: same right as upload.
    let (tenant, _, version) = path.version(&state, &principal, Access::Write).await?;
    let scenario = simulate::parse_scenario(&req.scenario)?;
    let bytes = state.store.read_flow_component(tenant, version.id).await?;
    let prepared = validate::prepare(&state.engine, &bytes).await?;
    Ok(Json(
        simulate::run(&state.engine, &prepared, &scenario).await?,
    ))
}

/// Create an inbound route running a template flow, with parameters
/// checked against the flow's parameter schema.
#[utoipa::path(
    post, path = "/tenants/{tenant_id}/inbound-routes/from-template", tag = "inbound-routes",
    params(("tenant_id" = String, Path, description = "Tenant id")),
    request_body = RouteFromTemplate,
    responses(
        (status = 201, description = "The route", body = Object),
        (status = 400, description = "Parameters do not fit the schema (`invalid_field`, field `params.<name>`)", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not create routes", body = ErrorBody),
        (status = 404, description = "No such flow or version in the tenant", body = ErrorBody),
        (status = 409, description = "Route name taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn route_from_template(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<crate::crud::handlers::TenantPath>,
    ApiJson(req): ApiJson<RouteFromTemplate>,
) -> ApiResult<(StatusCode, Json<InboundRoute>)> {
    let tenant = principal.authorize(path.id()?, Resource::InboundRoutes, Access::Write)?;
    let version = template::schema_version(&state.store, tenant, &req).await?;
    template::check(&version, &req)?;
    let spec = InboundRouteSpec {
        name: req.name,
        pattern: req.pattern,
        priority: req.priority,
        target: RouteTarget::Flow {
            flow_id: req.flow_id,
            version: req.version_id,
        },
        params: serde_json::Value::Object(req.params),
    };
    let route = state
        .store
        .create_inbound_route(&principal.actor(), tenant, &spec)
        .await?;
    Ok((StatusCode::CREATED, Json(route)))
}

/// The routes of this module, except the upload (it has its own body
/// limit; see [`upload_router`]).
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_versions))
        .routes(routes!(read_version, delete_version))
        .routes(routes!(activate))
        .routes(routes!(rollback))
        .routes(routes!(simulate_version))
        .routes(routes!(route_from_template))
}

/// The upload route, to be given the upload body limit.
pub fn upload_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload))
}
