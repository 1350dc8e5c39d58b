//! Bad input never gives a 500 and always gives a JSON error with a stable
//! code: malformed JSON, wrong types, oversize bodies, wrong content types,
//! unknown and malformed ids, unknown endpoints and methods. Ends with a
//! property test that throws random requests at every documented path.

mod common;

use common::{TestApi, assert_json_error};
use proptest::prelude::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::sync::OnceLock;

#[tokio::test]
async fn malformed_and_mistyped_json_name_the_problem() {
    let api = TestApi::start().await;
    let path = format!("/tenants/{}/extensions", api.a.tenant);
    let r = api
        .raw(
            Method::POST,
            &path,
            &api.a.token,
            "application/json",
            b"{\"number\": ".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "malformed_json");
    let mut body = pbx_api::resources::crud_resources()[0].example.clone();
    body["class_of_service"] = json!(42);
    let r = api.post(&path, &api.a.token, &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.code(), "invalid_field");
    assert_eq!(r.json["error"]["field"], "class_of_service");
    body["class_of_service"] = json!("galactic");
    let r = api.post(&path, &api.a.token, &body).await;
    assert_eq!(r.code(), "invalid_field");
    let r = api
        .raw(
            Method::POST,
            &path,
            &api.a.token,
            "text/plain",
            b"{}".to_vec(),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(r.code(), "unsupported_media_type");
    // Store-side validation: a short SIP password.
    let mut body = pbx_api::resources::crud_resources()[0].example.clone();
    body["sip_password"] = json!("short");
    let r = api.post(&path, &api.a.token, &body).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["error"]["field"], "sip_password");
}

#[tokio::test]
async fn oversize_bodies_are_413() {
    let api = TestApi::start().await;
    let path = format!("/tenants/{}/extensions", api.a.tenant);
    let big = format!("{{\"number\": \"{}\"}}", "1".repeat(2 * 1024 * 1024));
    let r = api
        .raw(
            Method::POST,
            &path,
            &api.a.token,
            "application/json",
            big.into_bytes(),
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_eq!(r.code(), "payload_too_large");
    let r = api
        .raw(
            Method::POST,
            &format!(
                "/tenants/{}/flows/{}/versions",
                api.a.tenant,
                pbx_store::FlowId::new()
            ),
            &api.a.token,
            "application/wasm",
            vec![0u8; 33 * 1024 * 1024],
        )
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text);
    assert_json_error(&r);
}

#[tokio::test]
async fn unknown_and_malformed_ids_and_paths() {
    let api = TestApi::start().await;
    let t = &api.a.tenant;
    let r = api
        .get(
            &format!("/tenants/{t}/trunks/{}", pbx_store::TrunkId::new()),
            &api.a.token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "not_found");
    let r = api
        .get(&format!("/tenants/{t}/trunks/not-a-uuid"), &api.a.token)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.code(), "invalid_field");
    let r = api
        .get(
            &format!("/tenants/{}/trunks", pbx_store::TenantId::new()),
            &api.a.token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.get("/no-such-thing", &api.a.token).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.code(), "unknown_endpoint");
    let r = api
        .call(
            Method::PATCH,
            &format!("/tenants/{t}/trunks"),
            &api.a.token,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.code(), "method_not_allowed");
    let r = api
        .get(&format!("/tenants/{t}/trunks?limit=0"), &api.a.token)
        .await;
    assert_eq!(r.json["error"]["field"], "limit");
    let r = api
        .get(&format!("/tenants/{t}/trunks?limit=ten"), &api.a.token)
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert_eq!(r.json["error"]["field"], "limit");
    let r = api
        .get(
            &format!("/tenants/{t}/call-records?from=yesterday"),
            &api.a.token,
        )
        .await;
    assert_eq!(r.json["error"]["field"], "from", "{}", r.text);
    let r = api
        .get(
            &format!("/tenants/{t}/call-records?direction=sideways"),
            &api.a.token,
        )
        .await;
    assert_eq!(r.json["error"]["field"], "direction", "{}", r.text);
}

/// The runtime the shared API runs on, the API, and every documented
/// operation as (method, path template).
type Shared = (tokio::runtime::Runtime, TestApi, Vec<(String, String)>);

/// One API for the whole property run (a runtime kept alive with it).
fn shared() -> &'static Shared {
    static API: OnceLock<Shared> = OnceLock::new();
    API.get_or_init(|| {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let api = rt.block_on(TestApi::start());
        let doc = serde_json::to_value(pbx_api::openapi()).unwrap();
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                ops.push((
                    method.to_uppercase(),
                    path.trim_start_matches("/api/v1").to_string(),
                ));
            }
        }
        (rt, api, ops)
    })
}

fn id_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("TENANT".to_string()),
        Just("00000000-0000-0000-0000-000000000000".to_string()),
        any::<u128>().prop_map(uuid_like),
        "[a-zA-Z0-9%._~-]{0,40}",
        Just("%F0%9F%92%A9".to_string()),
        Just("..".to_string()),
    ]
}

fn uuid_like(n: u128) -> String {
    let h = format!("{n:032x}");
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

fn body_strategy() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        Just(Vec::new()),
        proptest::collection::vec(any::<u8>(), 0..256),
        "\\PC{0,200}".prop_map(|s| s.into_bytes()),
        Just(b"{}".to_vec()),
        Just(b"[]".to_vec()),
        Just(b"null".to_vec()),
        Just(br#"{"name": 1, "number": [], "limit": -1}"#.to_vec()),
        Just(br#"{"name":"x","pattern":"*","priority":1,"target":{"kind":"flow","flow_id":"00000000-0000-0000-0000-000000000000","version":null},"params":{}}"#.to_vec()),
        Just(b"\0asm\x01\0\0\0".to_vec()),
        Just(b"\0asm\x0d\0\x01\0".to_vec()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_requests_never_give_a_server_error(
        op in any::<prop::sample::Index>(),
        ids in proptest::collection::vec(id_strategy(), 3),
        body in body_strategy(),
        content_type in prop_oneof![
            Just("application/json"), Just("application/wasm"), Just("text/csv"),
            Just("text/plain"), Just("application/json; charset=utf-8"), Just("")
        ],
        query in prop_oneof![Just(String::new()), "[a-z]{1,8}=[a-zA-Z0-9%-]{0,12}(&[a-z]{1,8}=[0-9-]{0,12})?"],
        as_root in any::<bool>(),
    ) {
        let (rt, api, ops) = shared();
        let (method, template) = op.get(ops);
        let mut path = template.clone();
        for (i, name) in ["{tenant_id}", "{id}", "{version_id}"].iter().enumerate() {
            let v = if ids[i] == "TENANT" { api.a.tenant.clone() } else { ids[i].clone() };
            path = path.replace(name, &v);
        }
        if !query.is_empty() {
            path = format!("{path}?{query}");
        }
        let token = if as_root { api.root.clone() } else { api.a.token.clone() };
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let r = rt.block_on(async {
            let mut req = api.http.request(method.clone(), format!("{}{path}", api.base)).bearer_auth(&token);
            if !content_type.is_empty() {
                req = req.header("content-type", content_type);
            }
            common::reply(req.body(body.clone()).send().await.expect("request")).await
        });
        prop_assert!(!r.status.is_server_error(), "{method} {path} ({content_type}) -> {} {}", r.status, r.text);
        if r.status.is_client_error() {
            prop_assert!(r.json["error"]["code"].is_string(), "{method} {path}: not a JSON error: {}", r.text);
        }
    }
}
