//! Signing in and out with a password, and who am I.

use crate::auth::principal::cookie_value;
use crate::auth::{Principal, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::ApiJson;
use crate::roles::Role;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use pbx_store::{TenantId, UserId};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Credentials for a session.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The user name.
    pub username: String,
    /// The password.
    pub password: String,
}

/// A session was opened.
#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send this in the `X-CSRF-Token` header with every request that
    /// changes something while using the session cookie.
    pub csrf_token: String,
    /// Who signed in.
    pub user: Me,
}

/// The caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    /// User id.
    #[schema(value_type = String)]
    pub id: UserId,
    /// Tenant, absent for a superadmin.
    #[schema(value_type = Option<String>)]
    pub tenant_id: Option<TenantId>,
    /// Role: superadmin, tenant_admin, supervisor, agent, user, accounting.
    #[schema(value_type = String)]
    pub role: Role,
}

/// Sign in with a user name and password; sets the session cookie.
#[utoipa::path(
    post, path = "/auth/login", tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in; the `pbx_session` cookie is set", body = LoginResponse),
        (status = 401, description = "Wrong user name or password", body = ErrorBody),
        (status = 400, description = "Malformed body", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
    )
)]
async fn login(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    if req.username.len() > 256 || req.password.len() > 1024 {
        return Err(ApiError::invalid(
            "username",
            "user name or password is too long: user names have at most 256 characters, passwords 1024",
        ));
    }
    let user = state
        .store
        .verify_password(&req.username, &req.password)
        .await?
        .ok_or_else(|| {
            ApiError::unauthorized(
                "wrong user name or password, or the user is disabled: check them and retry",
            )
        })?;
    let (id, session) = state
        .sessions
        .create(user.id, user.spec.tenant_id, user.spec.role);
    let cookie = format!("{SESSION_COOKIE}={id}; Path=/api; HttpOnly; SameSite=Strict");
    let body = LoginResponse {
        csrf_token: session.csrf_token,
        user: Me {
            id: user.id,
            tenant_id: user.spec.tenant_id,
            role: user.spec.role,
        },
    };
    let mut response = Json(body).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
    );
    Ok(response)
}

/// End the session of the cookie sent (no-op without one).
#[utoipa::path(
    post, path = "/auth/logout", tag = "auth",
    responses((status = 204, description = "Signed out; the cookie is cleared"))
)]
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    if let Some(id) = cookie_value(&headers, SESSION_COOKIE) {
        state.sessions.remove(id);
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("pbx_session=; Path=/api; HttpOnly; SameSite=Strict; Max-Age=0"),
    );
    response
}

/// Who the credentials sent belong to.
#[utoipa::path(
    get, path = "/me", tag = "auth",
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Not signed in", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn me(principal: Principal) -> Json<Me> {
    Json(Me {
        id: principal.user_id,
        tenant_id: principal.tenant_id,
        role: principal.role,
    })
}

/// The routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(login))
        .routes(routes!(logout))
        .routes(routes!(me))
}
