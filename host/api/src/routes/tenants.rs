//! Tenants: created and changed by the superadmin; a tenant's own users
//! read theirs.

use crate::auth::Principal;
use crate::crud::handlers::TenantPath;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::permissions::{Access, Resource};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pbx_store::{Paged, Tenant, TenantSpec};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// List tenants: every tenant for a superadmin, one's own otherwise.
#[utoipa::path(
    get, path = "/tenants", tag = "tenants",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of tenants", body = Object),
        (status = 400, description = "Bad paging", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read tenants", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<Tenant>>> {
    principal.require(Resource::Tenants, Access::Read)?;
    let page = query.validate()?;
    match principal.tenant_id {
        None => Ok(Json(state.store.list_tenants(page.into()).await?)),
        Some(own) => {
            let t = state.store.get_tenant(own).await?;
            let items = if page.offset == 0 {
                vec![t]
            } else {
                Vec::new()
            };
            Ok(Json(Paged {
                items,
                total: 1,
                limit: page.limit,
                offset: page.offset,
            }))
        }
    }
}

/// Create a tenant (superadmin).
#[utoipa::path(
    post, path = "/tenants", tag = "tenants",
    request_body(content = Object, example = json!({
        "name": "acme", "max_inbound_calls": 10, "max_outbound_calls": 10,
        "max_extensions": 50, "max_dids": 10, "language": "fr-FR",
        "time_zone": "Europe/Paris", "fallback_destination": null
    })),
    responses(
        (status = 201, description = "Created", body = Object),
        (status = 400, description = "Invalid body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a superadmin", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(spec): ApiJson<TenantSpec>,
) -> ApiResult<(StatusCode, Json<Tenant>)> {
    principal.require(Resource::Tenants, Access::Write)?;
    let t = state.store.create_tenant(&principal.actor(), &spec).await?;
    Ok((StatusCode::CREATED, Json(t)))
}

/// Read a tenant.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}", tag = "tenants",
    params(("tenant_id" = String, Path, description = "Tenant id")),
    responses(
        (status = 200, description = "The tenant", body = Object),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read tenants", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn read(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
) -> ApiResult<Json<Tenant>> {
    let tenant = principal.authorize(path.id()?, Resource::Tenants, Access::Read)?;
    Ok(Json(state.store.get_tenant(tenant).await?))
}

/// Replace a tenant's settings (superadmin).
#[utoipa::path(
    put, path = "/tenants/{tenant_id}", tag = "tenants",
    params(("tenant_id" = String, Path, description = "Tenant id")),
    request_body = Object,
    responses(
        (status = 200, description = "The tenant as stored", body = Object),
        (status = 400, description = "Invalid body or id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a superadmin", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 409, description = "Name taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn replace(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiJson(spec): ApiJson<TenantSpec>,
) -> ApiResult<Json<Tenant>> {
    let tenant = principal.authorize(path.id()?, Resource::Tenants, Access::Write)?;
    Ok(Json(
        state
            .store
            .update_tenant(&principal.actor(), tenant, &spec)
            .await?,
    ))
}

/// Delete a tenant and everything it owns (superadmin).
#[utoipa::path(
    delete, path = "/tenants/{tenant_id}", tag = "tenants",
    params(("tenant_id" = String, Path, description = "Tenant id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Not a superadmin", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
) -> ApiResult<StatusCode> {
    let tenant = principal.authorize(path.id()?, Resource::Tenants, Access::Write)?;
    state
        .store
        .delete_tenant(&principal.actor(), tenant)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, replace, remove))
}
