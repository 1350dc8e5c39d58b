//! Voicemail messages and recordings (metadata; the audio stays in the
//! data directory), and the audit log.

use crate::auth::Principal;
use crate::crud::handlers::{ItemPath, TenantPath};
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::permissions::{Access, Resource};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use pbx_store::{
    AuditRecord, ExtensionId, Paged, Recording, RecordingId, VoicemailId, VoicemailMessage,
};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Whether a message was listened to.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Heard {
    /// true once listened to.
    pub heard: bool,
}

/// List the voicemail messages of an extension, newest first.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/extensions/{id}/voicemail", tag = "voicemail",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Extension id"),
        PageQuery,
    ),
    responses(
        (status = 200, description = "A page of messages", body = Object),
        (status = 400, description = "Malformed id or paging", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read voicemail", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn list_voicemail(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<VoicemailMessage>>> {
    let (tenant, extension) = path.ids::<ExtensionId>()?;
    let tenant = principal.authorize(tenant, Resource::Voicemail, Access::Read)?;
    let page = query.validate()?;
    // An extension of another tenant is a 404, not an empty list.
    state.store.get_extension(tenant, extension).await?;
    Ok(Json(
        state
            .store
            .list_voicemail(tenant, extension, page.into())
            .await?,
    ))
}

/// Mark a voicemail message heard or new.
#[utoipa::path(
    put, path = "/tenants/{tenant_id}/voicemail/{id}/heard", tag = "voicemail",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Message id"),
    ),
    request_body = Heard,
    responses(
        (status = 204, description = "Updated"),
        (status = 400, description = "Malformed id or body", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not change voicemail", body = ErrorBody),
        (status = 404, description = "No such message in the tenant", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn mark_heard(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
    ApiJson(body): ApiJson<Heard>,
) -> ApiResult<StatusCode> {
    let (tenant, id) = path.ids::<VoicemailId>()?;
    let tenant = principal.authorize(tenant, Resource::Voicemail, Access::Write)?;
    state
        .store
        .mark_voicemail_heard(tenant, id, body.heard)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Delete a voicemail message.
#[utoipa::path(
    delete, path = "/tenants/{tenant_id}/voicemail/{id}", tag = "voicemail",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Message id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not change voicemail", body = ErrorBody),
        (status = 404, description = "No such message in the tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn delete_voicemail(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
) -> ApiResult<StatusCode> {
    let (tenant, id) = path.ids::<VoicemailId>()?;
    let tenant = principal.authorize(tenant, Resource::Voicemail, Access::Write)?;
    state.store.delete_voicemail(tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Narrow recordings to one call.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RecordingSearch {
    /// Only the recordings of this call.
    pub call_id: Option<String>,
    /// Items per page, 1 to 500 (default 50).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Items to skip (default 0).
    #[param(minimum = 0)]
    pub offset: Option<u64>,
}

/// List recordings, optionally of one call.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/recordings", tag = "recordings",
    params(("tenant_id" = String, Path, description = "Tenant id"), RecordingSearch),
    responses(
        (status = 200, description = "A page of recordings", body = Object),
        (status = 400, description = "Malformed id or paging", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read recordings", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn list_recordings(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiQuery(search): ApiQuery<RecordingSearch>,
) -> ApiResult<Json<Paged<Recording>>> {
    let tenant = principal.authorize(path.id()?, Resource::Voicemail, Access::Read)?;
    let page = PageQuery {
        limit: search.limit,
        offset: search.offset,
    }
    .validate()?;
    Ok(Json(
        state
            .store
            .list_recordings(tenant, search.call_id.as_deref(), page.into())
            .await?,
    ))
}

/// Read a recording's metadata.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/recordings/{id}", tag = "recordings",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Recording id"),
    ),
    responses(
        (status = 200, description = "The recording", body = Object),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read recordings", body = ErrorBody),
        (status = 404, description = "No such recording in the tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn read_recording(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
) -> ApiResult<Json<Recording>> {
    let (tenant, id) = path.ids::<RecordingId>()?;
    let tenant = principal.authorize(tenant, Resource::Voicemail, Access::Read)?;
    Ok(Json(state.store.get_recording(tenant, id).await?))
}

/// Delete a recording.
#[utoipa::path(
    delete, path = "/tenants/{tenant_id}/recordings/{id}", tag = "recordings",
    params(
        ("tenant_id" = String, Path, description = "Tenant id"),
        ("id" = String, Path, description = "Recording id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not delete recordings", body = ErrorBody),
        (status = 404, description = "No such recording in the tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn delete_recording(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<ItemPath>,
) -> ApiResult<StatusCode> {
    let (tenant, id) = path.ids::<RecordingId>()?;
    let tenant = principal.authorize(tenant, Resource::Voicemail, Access::Write)?;
    state.store.delete_recording(tenant, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The tenant's audit log, newest first.
#[utoipa::path(
    get, path = "/tenants/{tenant_id}/audit-log", tag = "audit-log",
    params(("tenant_id" = String, Path, description = "Tenant id"), PageQuery),
    responses(
        (status = 200, description = "A page of audit entries", body = Object),
        (status = 400, description = "Malformed id or paging", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Role may not read the audit log", body = ErrorBody),
        (status = 404, description = "No such tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn audit_log(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TenantPath>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<AuditRecord>>> {
    let tenant = principal.authorize(path.id()?, Resource::AuditLog, Access::Read)?;
    let page = query.validate()?;
    Ok(Json(state.store.list_audit(tenant, page.into()).await?))
}

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_voicemail))
        .routes(routes!(mark_heard))
        .routes(routes!(delete_voicemail))
        .routes(routes!(list_recordings))
        .routes(routes!(read_recording, delete_recording))
        .routes(routes!(audit_log))
}
