//! Users of a tenant and their passwords. A tenant's users are managed
//! under the tenant's path, so the tenant is never taken from the body:
//! nobody can move a user to another tenant or make a superadmin here.

use crate::auth::Principal;
use crate::crud::handlers::{ItemPath, TenantPath};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::permissions::{Access, Resource};
use crate::roles::Role;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pbx_store::{Paged, TenantId, User, UserId, UserSpec};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A new user of the tenant.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserCreate {
    /// Sign-in name, unique across the PBX.
    pub username: String,
    /// Name shown in the portal.
    pub display_name: String,
    /// tenant_admin, supervisor, agent, user or accounting.
    #[schema(value_type = String, example = "supervisor")]
    pub role: Role,
    /// A disabled user cannot sign in.
    #[serde(default)]
    pub disabled: bool,
    /// At least 10 characters.
    pub password: String,
}

/// A user's settings (not the password: see `PUT .../password`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserUpdate {
    /// Sign-in name.
    pub username: String,
    /// Name shown in the portal.
    pub display_name: String,
    /// tenant_admin, supervisor, agent, user or accounting.
    #[schema(value_type = String, example = "agent")]
    pub role: Role,
    /// A disabled user cannot sign in.
    pub disabled: bool,
}

/// A new password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    /// At least 10 characters.
    pub password: String,
}

fn tenant_role(role: Role) -> ApiResult<Role> {
    if role == Role::Superadmin {
        return Err(ApiError::invalid(
            "role",
            "a tenant's user cannot be a superadmin: use tenant_admin, supervisor, agent, user or accounting",
        ));
    }
    Ok(role)
}

fn spec(
    tenant: TenantId,
    username: String,
    display_name: String,
    role: Role,
    disabled: bool,
) -> ApiResult<UserSpec> {
    Ok(UserSpec {
        tenant_id: Some(tenant),
        username,
        display_name,
        role: tenant_role(role)?,
        disabled,
    })
}

/// List the tenant's users.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/users", tag = "users",
    params(("tenant_id" = String, Path, description = "Tenant id"), PageQuery),
    responses(
        (status = 200, description = "A page of users", body = Object),
        (status = 400, description = "Bad id or paging", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read users", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<User>>> {
    let tenant = principal.authorize(path.id()?, Resource::Users, Access::Read)?;
    let page = query.validate()?;
    Ok(Json(
        state.store.list_users(Some(tenant), page.into()).await?,
    ))
}

/// Create a user in the tenant.
#[utoipa::path(
    post, path = "/tenants/{tenant_id}/users", tag = "users",
    params(("tenant_id" = String, Path, description = "Tenant id")),
    request_body = UserCreate,
    responses(
        (status = 201, description = "Created", body = Object),
        (status = 400, description = "Invalid body or id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not create users", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
        (status = 409, description = "User name taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiJson(body): ApiJson<UserCreate>,
) -> ApiResult<(StatusCode, Json<User>)> {
    let tenant = principal.authorize(path.id()?, Resource::Users, Access::Write)?;
    let spec = spec(
        tenant,
        body.username,
        body.display_name,
        body.role,
        body.disabled,
    )?;
    let user = state
        .store
        .create_user(&principal.actor(), &spec, &body.password)
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

/// Read a user of the tenant.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/users/{id}", tag = "users",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "User id"),
    ),
    responses(
        (status = 200, description = "The user", body = Object),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read users", body = ErrorBody),
        (status = 404, description = "No such user in the tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn read(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
) -> ApiResult<Json<User>> {
    let (tenant, id) = path.ids::<UserId>()?;
    let tenant = principal.authorize(tenant, Resource::Users, Access::Read)?;
    Ok(Json(state.store.get_user(Some(tenant), id).await?))
}

/// Replace a user's settings.
#[utoipa::path(
    put, path = "/tenants/{tenant_id}/users/{id}", tag = "users",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "User id"),
    ),
    request_body = UserUpdate,
    responses(
        (status = 200, description = "The user as stored", body = Object),
        (status = 400, description = "Invalid body or id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not change users", body = ErrorBody),
        (status = 404, description = "No such user in the tenant", body = ErrorBody),
        (status = 409, description = "User name taken", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn replace(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
    ApiJson(body): ApiJson<UserUpdate>,
) -> ApiResult<Json<User>> {
    let (tenant, id) = path.ids::<UserId>()?;
    let tenant = principal.authorize(tenant, Resource::Users, Access::Write)?;
    let spec = spec(
        tenant,
        body.username,
        body.display_name,
        body.role,
        body.disabled,
    )?;
    let user = state
        .store
        .update_user(&principal.actor(), Some(tenant), id, &spec)
        .await?;
    if user.spec.disabled {
        state.sessions.remove_user(id);
    }
    Ok(Json(user))
}

/// Set a user's password; their sessions end.
#[utoipa::path(
    put, path = "/tenants/{tenant_id}/users/{id}/password", tag = "users",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "User id"),
    ),
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "Too short, or invalid body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not change users", body = ErrorBody),
        (status = 404, description = "No such user in the tenant", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn set_password(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
    ApiJson(body): ApiJson<PasswordChange>,
) -> ApiResult<StatusCode> {
    let (tenant, id) = path.ids::<UserId>()?;
    // Everyone may change their own password; changing another user's is
    // an admin's job.
    let tenant = if id == principal.user_id {
        principal.scope(tenant)?
    } else {
        principal.authorize(tenant, Resource::Users, Access::Write)?
    };
    state
        .store
        .set_password(&principal.actor(), Some(tenant), id, &body.password)
        .await?;
    state.sessions.remove_user(id);
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a user; their sessions and tokens end.
#[utoipa::path(
    delete, path = "/tenants/{tenant_id}/users/{id}", tag = "users",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "User id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not delete users", body = ErrorBody),
        (status = 404, description = "No such user in the tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn remove(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
) -> ApiResult<StatusCode> {
    let (tenant, id) = path.ids::<UserId>()?;
    let tenant = principal.authorize(tenant, Resource::Users, Access::Write)?;
    state
        .store
        .delete_user(&principal.actor(), Some(tenant), id)
        .await?;
    state.sessions.remove_user(id);
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(read, replace, remove))
        .routes(routes!(set_password))
}
