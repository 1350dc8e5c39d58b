//! The flow lifecycle over HTTP: refused uploads with their reason, the
//! auto-attendant uploaded, described, simulated, activated, rolled back
//! and deleted, and a route made from it as a template.
//!
//! Needs the guest flows: run scripts/build-flows.sh first.

mod common;

use common::{TestApi, assert_json_error, auto_attendant_wasm, flow_fixture};
use reqwest::{Method, StatusCode};
use serde_json::json;

async fn new_flow(api: &TestApi, name: &str) -> String {
    let r = api
        .post(
            &format!("/tenants/{}/flows", api.a.tenant),
            &api.a.token,
            &json!({"name": name, "description": "test"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    r.json["id"].as_str().unwrap().to_string()
}

/// A self-contained Christmas scenario: the shared base with the date
/// changed, and the expectations of closed-christmas.toml.
fn christmas_scenario() -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../scripts/scenarios/auto-attendant");
    let base = std::fs::read_to_string(dir.join("base.toml")).unwrap();
    let christmas = std::fs::read_to_string(dir.join("closed-christmas.toml")).unwrap();
    let base = base.replace("at = 2026-11-23T09:00:00", "at = 2026-12-25T10:00:00");
    let expects = &christmas[christmas.find("[[expect]]").expect("expectations")..];
    format!("{base}\n{expects}")
}

#[tokio::test]
async fn refused_uploads_say_why() {
    let api = TestApi::start().await;
    let flow = new_flow(&api, "bad").await;
    let path = format!("/tenants/{}/flows/{flow}/versions", api.a.tenant);
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (b"hello, not wasm".to_vec(), "not a WebAssembly"),
        (flow_fixture("core_module.wat"), "core WebAssembly module"),
        (flow_fixture("empty_component.wat"), "does not export"),
        (
            flow_fixture("imports_foreign_interface.wat"),
            "does not provide",
        ),
        (flow_fixture("imports_log_0_2_0.wat"), "pbx:flow@0.1.0"),
    ];
    for (bytes, reason) in cases {
        let r = api
            .raw(Method::POST, &path, &api.a.token, "application/wasm", bytes)
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text);
        assert_eq!(r.code(), "flow_rejected");
        let message = r.json["error"]["message"].as_str().unwrap();
        assert!(
            message.contains(reason),
            "expected `{reason}` in: {message}"
        );
    }
    let r = api
        .raw(
            Method::POST,
            &path,
            &api.a.token,
            "application/json",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let versions = api.get(&path, &api.a.token).await;
    assert_eq!(
        versions.json["total"], 0,
        "refused uploads must not be stored"
    );
}

#[tokio::test]
async fn upload_describe_simulate_activate_rollback_delete() {
    let api = TestApi::start().await;
    let wasm = auto_attendant_wasm();
    let t = api.a.tenant.clone();
    let flow = new_flow(&api, "main-ivr").await;
    let versions = format!("/tenants/{t}/flows/{flow}/versions");

    let v1 = api
        .raw(
            Method::POST,
            &versions,
            &api.a.token,
            "application/wasm",
            wasm.clone(),
        )
        .await;
    assert_eq!(v1.status, StatusCode::CREATED, "{}", v1.text);
    assert_eq!(v1.json["version"], 1);
    assert_eq!(v1.json["size"], wasm.len());
    let describe = &v1.json["describe"];
    assert!(
        describe["name"].is_string() && describe["params"].is_array(),
        "{describe}"
    );
    let v1 = v1.json["id"].as_str().unwrap().to_string();
    let v2 = api
        .raw(
            Method::POST,
            &versions,
            &api.a.token,
            "application/wasm",
            wasm.clone(),
        )
        .await;
    assert_eq!(v2.status, StatusCode::CREATED, "{}", v2.text);
    assert_eq!(v2.json["version"], 2);
    let v2 = v2.json["id"].as_str().unwrap().to_string();

    let list = api.get(&versions, &api.a.token).await;
    assert_eq!(list.json["total"], 2);
    assert_eq!(list.json["items"][0]["version"], 2, "newest first");
    assert!(list.json["items"][0]["describe"]["params"].is_array());

    // The simulator, server-side.
    let sim = api
        .post(
            &format!("{versions}/{v1}/simulate"),
            &api.a.token,
            &json!({"scenario": christmas_scenario()}),
        )
        .await;
    assert_eq!(sim.status, StatusCode::OK, "{}", sim.text);
    assert_eq!(sim.json["passed"], true, "{}", sim.text);
    assert_eq!(sim.json["outcome"], "completed");
    assert!(
        sim.json["trace"]["events"]
            .as_array()
            .is_some_and(|e| !e.is_empty())
    );
    assert!(
        sim.json["actions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|a| a.as_str().unwrap().contains("voicemail"))
    );
    let bad = api
        .post(
            &format!("{versions}/{v1}/simulate"),
            &api.a.token,
            &json!({"scenario": "[call\nnot toml"}),
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(bad.code(), "scenario_invalid");

    // Activate 2, roll back to 1, then nothing older is left.
    let r = api
        .post(
            &format!("{versions}/{v2}/activate"),
            &api.a.token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["active_version_id"], v2.as_str());
    let rollback = format!("/tenants/{t}/flows/{flow}/rollback");
    let r = api.post(&rollback, &api.a.token, &json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json["active_version_id"], v1.as_str());
    let r = api.post(&rollback, &api.a.token, &json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // The active version cannot be deleted; the unused one can.
    let r = api.delete(&format!("{versions}/{v1}"), &api.a.token).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    assert_json_error(&r);
    let r = api.delete(&format!("{versions}/{v2}"), &api.a.token).await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(api.get(&versions, &api.a.token).await.json["total"], 1);

    // Another tenant sees none of it.
    assert_eq!(
        api.get(&versions, &api.b.token).await.status,
        StatusCode::NOT_FOUND
    );
    let r = api
        .post(
            &format!("{versions}/{v1}/activate"),
            &api.b.token,
            &json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api
        .raw(
            Method::POST,
            &format!("/tenants/{}/flows/{flow}/versions", api.b.tenant),
            &api.b.token,
            "application/wasm",
            wasm,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}

#[tokio::test]
async fn routes_from_a_template_are_checked_against_its_schema() {
    let api = TestApi::start().await;
    let t = api.a.tenant.clone();
    let flow = new_flow(&api, "office-hours").await;
    let versions = format!("/tenants/{t}/flows/{flow}/versions");
    let v = api
        .raw(
            Method::POST,
            &versions,
            &api.a.token,
            "application/wasm",
            auto_attendant_wasm(),
        )
        .await;
    assert_eq!(v.status, StatusCode::CREATED, "{}", v.text);
    let params = v.json["describe"]["params"].as_array().unwrap().clone();
    let vid = v.json["id"].as_str().unwrap().to_string();
    let path = format!("/tenants/{t}/inbound-routes/from-template");
    let route = |params: serde_json::Value, version: Option<&str>| json!({"name": "main", "pattern": "+33123456789", "priority": 1, "flow_id": flow, "version_id": version, "params": params});
    // No active version and none pinned.
    let r = api.post(&path, &api.a.token, &route(json!({}), None)).await;
    assert_eq!(r.json["error"]["field"], "version_id", "{}", r.text);
    // An unknown parameter.
    let r = api
        .post(
            &path,
            &api.a.token,
            &route(json!({"no-such-param": "x"}), Some(&vid)),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["error"]["field"], "params.no-such-param");
    // A parameter of the wrong type, when the schema has a text one.
    if let Some(p) = params
        .iter()
        .find(|p| p["kind"] != "integer" && p["kind"] != "boolean" && p["kind"] != "text-list")
    {
        let name = p["name"].as_str().unwrap();
        let r = api
            .post(&path, &api.a.token, &route(json!({name: 42}), Some(&vid)))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
        assert_eq!(r.json["error"]["field"], format!("params.{name}"));
    }
    // Valid: every required parameter without default gets a value.
    let mut good = serde_json::Map::new();
    for p in &params {
        if p["required"] == true && p["default"].is_null() {
            let v = match p["kind"].as_str().unwrap() {
                "integer" => json!(1),
                "boolean" => json!(true),
                "text-list" => json!(["1=ext:101"]),
                _ => json!("national"),
            };
            good.insert(p["name"].as_str().unwrap().to_string(), v);
        }
    }
    let r = api
        .post(
            &path,
            &api.a.token,
            &route(serde_json::Value::Object(good), Some(&vid)),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    assert_eq!(r.json["target"]["kind"], "flow");
    // Another tenant cannot use A's flow as a template.
    let r = api
        .post(
            &format!("/tenants/{}/inbound-routes/from-template", api.b.tenant),
            &api.b.token,
            &route(json!({}), Some(&vid)),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
}
