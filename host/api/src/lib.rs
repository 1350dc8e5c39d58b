//! Admin REST API (`/api/v1`), its OpenAPI document and authentication.
//!
//! The API owns HTTP: routing, authentication (session cookies and bearer
//! tokens), authorisation by role (one table, [`permissions`]), tenant
//! scoping of every request, pagination, JSON errors with stable codes,
//! body limits, and the flow lifecycle endpoints (upload validated by the
//! flow runtime, simulator runs, activation, rollback). It stores nothing
//! itself: every read and write goes through `pbx-store`, which records the
//! audit entry and fires the change feed the call model listens to. It
//! knows nothing of SIP or media.
//!
//! Build the service with [`router`] over an [`AppState`]; the document is
//! served at `/api/v1/openapi.json` and available from [`openapi`].

pub mod auth;
pub mod crud;
pub mod error;
pub mod extract;
pub mod flows;
pub mod openapi;
pub mod pagination;
pub mod permissions;
pub mod resources;
pub mod roles;
pub mod routes;
pub mod server;
pub mod state;

pub use error::{ApiError, ApiResult, ErrorCode};
pub use routes::metrics::MetricsHook;
pub use state::{AppState, Limits};

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::header::CONTENT_TYPE;
use axum::response::IntoResponse;
use axum::routing::get;
use std::sync::Arc;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi as _;
use utoipa_axum::router::OpenApiRouter;

/// The routes under `/api/v1` (without state) and their OpenAPI document.
fn build() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .merge(routes::auth::router())
        .merge(routes::tokens::router())
        .merge(routes::tenants::router())
        .merge(routes::users::router())
        .merge(routes::contacts::router())
        .merge(routes::call_records::router())
        .merge(routes::messages::router())
        .merge(flows::routes::router())
        .merge(flows::routes::upload_router())
        .split_for_parts();
    let router = resources::register_all(router, &mut api);
    openapi::prefix_paths(&mut api);
    (router, api)
}

/// The OpenAPI document of the API, as served.
pub fn openapi() -> utoipa::openapi::OpenApi {
    build().1
}

async fn unknown_endpoint() -> ApiError {
    ApiError::new(
        ErrorCode::UnknownEndpoint,
        "no such endpoint: see /api/v1/openapi.json for the list",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        ErrorCode::MethodNotAllowed,
        "this endpoint does not take this HTTP method: see /api/v1/openapi.json",
    )
}

/// The whole service: `/api/v1/...` with body limits, tracing and JSON
/// errors for unknown paths and methods, and `/metrics` when the state has
/// a metrics hook.
pub fn router(state: AppState) -> Router {
    let (api_routes, document) = build();
    let json: Arc<str> = serde_json::to_string(&document)
        .expect("the OpenAPI document serialises")
        .into();
    let api_routes =
        api_routes
            .route(
                "/openapi.json",
                get(move || {
                    let json = json.clone();
                    async move {
                        ([(CONTENT_TYPE, "application/json")], json.to_string()).into_response()
                    }
                }),
            )
            .method_not_allowed_fallback(method_not_allowed);
    routes::metrics::add(Router::new(), &state)
        .nest(openapi::BASE, api_routes)
        .fallback(unknown_endpoint)
        .layer(DefaultBodyLimit::max(state.limits.upload_bytes))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
