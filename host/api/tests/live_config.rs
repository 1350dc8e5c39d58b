//! Changes made through the API reach the call model's routing cache
//! without a restart.

mod common;

use common::TestApi;
use pbx_store::RoutingCache;
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while !check() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the routing cache never saw: {what}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

#[tokio::test]
async fn the_routing_cache_follows_api_writes() {
    let api = TestApi::start().await;
    let cache = RoutingCache::load(&api.store).await.expect("cache");
    let a = api.a.tenant_id;
    assert!(
        cache
            .tenant(a)
            .and_then(|t| t.extension("100").map(|_| ()))
            .is_none()
    );

    let ext = pbx_api::resources::crud_resources()[0].example.clone();
    let r = api
        .post(
            &format!("/tenants/{}/extensions", api.a.tenant),
            &api.a.token,
            &ext,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    eventually("the new extension 100", || {
        cache
            .tenant(a)
            .is_some_and(|t| t.extension("100").is_some())
    })
    .await;

    let flag = json!({"name": "storm", "active": false, "message": "closed", "destination": null});
    let r = api
        .post(
            &format!("/tenants/{}/incident-flags", api.a.tenant),
            &api.a.token,
            &flag,
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    let id = r.json["id"].as_str().unwrap().to_string();
    eventually("flag storm off", || {
        cache
            .tenant(a)
            .is_some_and(|t| t.flag("storm").is_some_and(|f| !f.spec.active))
    })
    .await;
    let mut on = flag.clone();
    on["active"] = json!(true);
    let r = api
        .put(
            &format!("/tenants/{}/incident-flags/{id}", api.a.tenant),
            &api.a.token,
            &on,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    eventually("flag storm on", || {
        cache
            .tenant(a)
            .is_some_and(|t| t.flag("storm").is_some_and(|f| f.spec.active))
    })
    .await;
    // Tenant B's view is untouched.
    assert!(
        cache
            .tenant(api.b.tenant_id)
            .is_none_or(|t| t.flag("storm").is_none())
    );
}
