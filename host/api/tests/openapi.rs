//! The OpenAPI document is served, describes every route the router has,
//! and every documented operation is routed (no `unknown_endpoint`).

mod common;

use common::TestApi;
use pbx_api::resources::crud_resources;
use reqwest::{Method, StatusCode};

#[tokio::test]
async fn the_served_document_matches_the_router() {
    let api = TestApi::start().await;
    let r = api
        .http
        .get(format!("{}/openapi.json", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let doc: serde_json::Value = r.json().await.unwrap();
    assert_eq!(
        doc["openapi"].as_str().map(|v| v.starts_with("3.")),
        Some(true)
    );
    let paths = doc["paths"].as_object().unwrap();
    for info in crud_resources() {
        let collection = format!("/api/v1/tenants/{{tenant_id}}/{}", info.segment);
        let item = format!("{collection}/{{id}}");
        for (p, methods) in [
            (&collection, &["get", "post"][..]),
            (&item, &["get", "put", "delete"][..]),
        ] {
            let entry = paths
                .get(p)
                .unwrap_or_else(|| panic!("{p} is not documented"));
            for m in methods {
                assert!(entry.get(*m).is_some(), "{m} {p} is not documented");
            }
        }
        let example =
            &paths[&collection]["post"]["requestBody"]["content"]["application/json"]["example"];
        assert_eq!(
            example, &info.example,
            "the documented example of {}",
            info.segment
        );
    }
    for p in [
        "/api/v1/auth/login",
        "/api/v1/me/tokens",
        "/api/v1/tenants/{tenant_id}/call-records/export.csv",
        "/api/v1/tenants/{tenant_id}/flows/{id}/versions/{version_id}/simulate",
        "/api/v1/tenants/{tenant_id}/inbound-routes/from-template",
    ] {
        assert!(paths.contains_key(p), "{p} is not documented");
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
    // Every documented operation reaches a handler.
    for (path, item) in paths {
        for method in item.as_object().unwrap().keys() {
            let concrete = path
                .trim_start_matches("/api/v1")
                .replace("{tenant_id}", &api.a.tenant)
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{version_id}", "00000000-0000-0000-0000-000000000000");
            let m = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = api.call(m, &concrete, &api.a.token, None).await;
            assert_ne!(
                r.code(),
                "unknown_endpoint",
                "{method} {path} is documented but not routed"
            );
            assert_ne!(
                r.code(),
                "method_not_allowed",
                "{method} {path} is documented but not routed"
            );
            assert!(!r.status.is_server_error(), "{method} {path}: {}", r.text);
        }
    }
}

#[tokio::test]
async fn api_writes_reach_the_change_feed() {
    let api = TestApi::start().await;
    let mut feed = api.store.subscribe();
    let info = &crud_resources()[0];
    let id = common::create_example(&api, &api.a, info, "cf").await;
    let change = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            let c = feed.recv().await.expect("feed open");
            if c.id == id {
                return c;
            }
        }
    })
    .await
    .expect("the change feed announced the API's write");
    assert_eq!(change.tenant, Some(api.a.tenant_id));
}
