//! `GET /metrics`: served from the hook the embedding process provides,
//! without a token, as Prometheus text; absent (404) without a hook.

mod common;

use common::TestApi;
use pbx_api::{AppState, server};
use pbx_flow::{FlowEngine, FlowLimits};
use pbx_store::{Store, StoreConfig};
use reqwest::StatusCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// An API whose metrics hook reports `counter`; returns its root URL.
async fn api_with_metrics(
    dir: &tempfile::TempDir,
    counter: Arc<AtomicU64>,
) -> (String, tokio::sync::oneshot::Sender<()>) {
    let store = Store::open(&StoreConfig::sqlite(dir.path()))
        .await
        .expect("open store");
    let engine = FlowEngine::new(FlowLimits::default(), None).expect("flow engine");
    let state = AppState::new(store, engine).with_metrics(Arc::new(move || {
        format!(
            "# HELP test_calls_total Calls.\n# TYPE test_calls_total counter\ntest_calls_total {}\n",
            counter.load(Ordering::Relaxed)
        )
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(server::serve(listener, state, async {
        let _ = rx.await;
    }));
    (format!("http://{addr}"), tx)
}

#[tokio::test]
async fn metrics_come_from_the_hook_without_a_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let counter = Arc::new(AtomicU64::new(3));
    let (root, _stop) = api_with_metrics(&dir, counter.clone()).await;
    let http = reqwest::Client::new();

    let resp = http
        .get(format!("{root}/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    assert_eq!(resp.status(), StatusCode::OK);
    let content_type = resp.headers()["content-type"].to_str().unwrap().to_string();
    assert!(
        content_type.starts_with("text/plain; version=0.0.4"),
        "{content_type}"
    );
    let body = resp.text().await.unwrap();
    assert!(body.contains("test_calls_total 3\n"), "{body}");

    // Rendered per scrape, not cached.
    counter.store(4, Ordering::Relaxed);
    let body = http
        .get(format!("{root}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("test_calls_total 4\n"), "{body}");

    // The API itself still needs its token.
    let resp = http
        .get(format!("{root}/api/v1/tenants"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn without_a_hook_metrics_is_not_found() {
    let api = TestApi::start().await;
    let root = api.base.trim_end_matches("/api/v1");
    let resp = api
        .http
        .get(format!("{root}/metrics"))
        .send()
        .await
        .expect("GET /metrics");
    let r = common::reply(resp).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "unknown_endpoint", "{}", r.text);
}
