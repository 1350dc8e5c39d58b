//! The state every handler shares: the store, the flow engine and the
//! sessions. Cheap to clone (handles only).

use crate::auth::Sessions;
use crate::error::ApiResult;
use crate::routes::metrics::MetricsHook;
use pbx_flow::FlowEngine;
use pbx_store::{Store, User};

/// Size limits of request bodies.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// JSON bodies (every endpoint but component uploads).
    pub json_bytes: usize,
    /// Flow component uploads.
    pub upload_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            json_bytes: 1024 * 1024,
            upload_bytes: 32 * 1024 * 1024,
        }
    }
}

/// Shared state of the API.
#[derive(Clone)]
pub struct AppState {
    /// Everything persistent.
    pub store: Store,
    /// Validates uploads and runs the simulator.
    pub engine: FlowEngine,
    /// Browser sessions of this process.
    pub sessions: Sessions,
    /// Body size limits.
    pub limits: Limits,
    /// Renders `GET /metrics`; `None` (the default) leaves the path
    /// unrouted (404). See [`crate::routes::metrics`].
    pub metrics: Option<MetricsHook>,
}

impl AppState {
    /// State over `store` and `engine` with default limits.
    pub fn new(store: Store, engine: FlowEngine) -> Self {
        AppState {
            store,
            engine,
            sessions: Sessions::default(),
            limits: Limits::default(),
            metrics: None,
        }
    }

    /// Serve `GET /metrics` with the text `render` returns (Prometheus
    /// format 0.0.4).
    pub fn with_metrics(mut self, render: MetricsHook) -> Self {
        self.metrics = Some(render);
        self
    }

    /// The user an API token secret belongs to, if it is live.
    pub async fn user_for_token(&self, secret: &str) -> ApiResult<Option<User>> {
        Ok(self
            .store
            .authenticate_token(secret)
            .await?
            .map(|(user, _token)| user))
    }
}
