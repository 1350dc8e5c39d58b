//! The caller's own API tokens: create (the secret is shown once), list,
//! revoke.

use crate::auth::Principal;
use crate::error::{ApiResult, ErrorBody};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::pagination::PageQuery;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use pbx_store::{ApiToken, NewToken, Paged, TokenId};
use serde::Deserialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A token to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenCreate {
    /// What it is for, e.g. `billing export`.
    pub name: String,
    /// When it stops working (RFC 3339); never when absent.
    pub expires_at: Option<DateTime<Utc>>,
}

/// `{id}` of a token path.
#[derive(Debug, Deserialize)]
struct TokenPath {
    id: String,
}

/// List your API tokens (without their secrets).
#[utoipa::path(
    get, path = "/me/tokens", tag = "tokens",
    params(PageQuery),
    responses(
        (status = 200, description = "A page of tokens", body = Object),
        (status = 400, description = "Bad paging", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn list(
    State(state): State<AppState>,
    principal: Principal,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> ApiResult<Json<Paged<ApiToken>>> {
    let page = query.validate()?;
    Ok(Json(
        state
            .store
            .list_tokens(principal.tenant_id, principal.user_id, page.into())
            .await?,
    ))
}

/// Create an API token for yourself; its secret is in the response only.
#[utoipa::path(
    post, path = "/me/tokens", tag = "tokens",
    request_body = TokenCreate,
    responses(
        (status = 201, description = "Created; `secret` is shown this once", body = Object),
        (status = 400, description = "Invalid name or expiry", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Missing CSRF header", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn create(
    State(state): State<AppState>,
    principal: Principal,
    ApiJson(body): ApiJson<TokenCreate>,
) -> ApiResult<(StatusCode, Json<NewToken>)> {
    let token = state
        .store
        .create_token(
            &principal.actor(),
            principal.tenant_id,
            principal.user_id,
            &body.name,
            body.expires_at,
        )
        .await?;
    Ok((StatusCode::CREATED, Json(token)))
}

/// Revoke one of your API tokens.
#[utoipa::path(
    delete, path = "/me/tokens/{id}", tag = "tokens",
    params(("id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 400, description = "Malformed id", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "Missing CSRF header", body = ErrorBody),
        (status = 404, description = "No such token of yours", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn revoke(
    State(state): State<AppState>,
    principal: Principal,
    ApiPath(path): ApiPath<TokenPath>,
) -> ApiResult<StatusCode> {
    let id: TokenId = path.id.parse()?;
    state
        .store
        .delete_token(
            &principal.actor(),
            principal.tenant_id,
            principal.user_id,
            id,
        )
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list, create))
        .routes(routes!(revoke))
}
