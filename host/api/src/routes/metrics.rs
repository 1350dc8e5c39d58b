//! `GET /metrics`: the PBX's Prometheus metrics, when the process that
//! embeds the API provides them ([`crate::AppState::with_metrics`]).
//!
//! The API knows nothing of calls or SIP: it serves whatever text the hook
//! renders. The route sits at the root (`/metrics`, where Prometheus looks
//! by default), outside `/api/v1` and its OpenAPI document, and needs no
//! token: metrics hold counts, not tenant data, and the endpoint is only
//! reachable on the API's own listening address. Without a hook the path
//! is not routed and answers 404 like any unknown path.

use crate::state::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::sync::Arc;

/// Renders the metrics in the Prometheus text format 0.0.4.
pub type MetricsHook = Arc<dyn Fn() -> String + Send + Sync>;

/// The content type of the Prometheus text exposition format.
pub const CONTENT_TYPE_0_0_4: &str = "text/plain; version=0.0.4; charset=utf-8";

/// Add `GET /metrics` to `router` when `state` has a metrics hook.
pub fn add(router: Router<AppState>, state: &AppState) -> Router<AppState> {
    if state.metrics.is_some() {
        router.route("/metrics", get(metrics))
    } else {
        router
    }
}

async fn metrics(State(state): State<AppState>) -> Response {
    match &state.metrics {
        Some(render) => ([(CONTENT_TYPE, CONTENT_TYPE_0_0_4)], render()).into_response(),
        None => axum::http::StatusCode::NOT_FOUND.into_response(),
    }
}
