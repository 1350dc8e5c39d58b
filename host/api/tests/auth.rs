//! Authentication (bearer tokens, session cookies with CSRF protection)
//! and authorisation by role.

mod common;

use common::{TestApi, assert_json_error, reply};
use reqwest::StatusCode;
use serde_json::json;

#[tokio::test]
async fn requests_without_valid_credentials_are_401() {
    let api = TestApi::start().await;
    let ext = format!("/tenants/{}/extensions", api.a.tenant);
    for token in [
        "",
        "not-a-token",
        "pbx_0000000000000000000000000000000000000000000000000000000000000000",
    ] {
        let r = api.get(&ext, token).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "token {token:?}");
        assert_eq!(r.code(), "unauthorized");
    }
    let r = reply(
        api.http
            .get(format!("{}{ext}", api.base))
            .header("authorization", "Basic YTpi")
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(
        r.json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("Bearer")
    );
}

#[tokio::test]
async fn a_revoked_token_stops_working() {
    let api = TestApi::start().await;
    let t = api
        .post("/me/tokens", &api.a.token, &json!({"name": "temp"}))
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    let secret = t.json["secret"].as_str().unwrap().to_string();
    let id = t.json["token"]["id"].as_str().unwrap().to_string();
    assert_eq!(api.get("/me", &secret).await.status, StatusCode::OK);
    let listed = api.get("/me/tokens", &api.a.token).await;
    assert!(listed.text.contains(&id));
    assert!(
        !listed.text.contains(&secret),
        "the list must not show secrets"
    );
    assert_eq!(
        api.delete(&format!("/me/tokens/{id}"), &api.a.token)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        api.get("/me", &secret).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn session_cookie_login_needs_the_csrf_header_for_changes() {
    let api = TestApi::start().await;
    let url = |p: &str| format!("{}{p}", api.base);
    let r = reply(
        api.http
            .post(url("/auth/login"))
            .json(&json!({"username": api.a.username, "password": "wrong-password"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    let r = reply(
        api.http
            .post(url("/auth/login"))
            .json(&json!({"username": api.a.username, "password": "password-a-123"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let set_cookie = r.headers["set-cookie"].to_str().unwrap().to_string();
    assert!(
        set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict"),
        "{set_cookie}"
    );
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let csrf = r.json["csrf_token"].as_str().unwrap().to_string();
    let flags = url(&format!("/tenants/{}/incident-flags", api.a.tenant));
    // Reading with the cookie alone works.
    let r = reply(
        api.http
            .get(&flags)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // Changing without the CSRF token does not.
    let body = json!({"name": "storm", "active": true, "message": null, "destination": null});
    let r = reply(
        api.http
            .post(&flags)
            .header("cookie", &cookie)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.code(), "csrf_required");
    let r = reply(
        api.http
            .post(&flags)
            .header("cookie", &cookie)
            .header("x-csrf-token", "wrong")
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.code(), "csrf_required");
    let r = reply(
        api.http
            .post(&flags)
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    // After logout the cookie is dead.
    let r = reply(
        api.http
            .post(url("/auth/logout"))
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    let r = reply(
        api.http
            .get(&flags)
            .header("cookie", &cookie)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

/// Who, with which token, sends what, and the status the table promises.
type Case<'a> = (
    &'a str,
    &'a str,
    reqwest::Method,
    String,
    Option<serde_json::Value>,
    StatusCode,
);

#[tokio::test]
async fn roles_get_what_the_permission_table_says() {
    let api = TestApi::start().await;
    let t = &api.a.tenant;
    let accounting = api.user_with_role(&api.a, "accounting").await;
    let agent = api.user_with_role(&api.a, "agent").await;
    let supervisor = api.user_with_role(&api.a, "supervisor").await;
    let user = api.user_with_role(&api.a, "user").await;
    let flag = json!({"name": "flood", "active": false, "message": null, "destination": null});
    let trunk = pbx_api::resources::crud_resources()
        .into_iter()
        .find(|r| r.segment == "trunks")
        .unwrap()
        .example;
    let cases: Vec<Case> = vec![
        (
            "accounting",
            &accounting,
            reqwest::Method::GET,
            format!("/tenants/{t}/call-records"),
            None,
            StatusCode::OK,
        ),
        (
            "accounting",
            &accounting,
            reqwest::Method::GET,
            format!("/tenants/{t}/extensions"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "accounting",
            &accounting,
            reqwest::Method::POST,
            format!("/tenants/{t}/incident-flags"),
            Some(flag.clone()),
            StatusCode::FORBIDDEN,
        ),
        (
            "agent",
            &agent,
            reqwest::Method::GET,
            format!("/tenants/{t}/extensions"),
            None,
            StatusCode::OK,
        ),
        (
            "agent",
            &agent,
            reqwest::Method::POST,
            format!("/tenants/{t}/trunks"),
            Some(trunk.clone()),
            StatusCode::FORBIDDEN,
        ),
        (
            "agent",
            &agent,
            reqwest::Method::GET,
            format!("/tenants/{t}/call-records"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "supervisor",
            &supervisor,
            reqwest::Method::POST,
            format!("/tenants/{t}/incident-flags"),
            Some(flag.clone()),
            StatusCode::CREATED,
        ),
        (
            "supervisor",
            &supervisor,
            reqwest::Method::POST,
            format!("/tenants/{t}/trunks"),
            Some(trunk.clone()),
            StatusCode::FORBIDDEN,
        ),
        (
            "supervisor",
            &supervisor,
            reqwest::Method::GET,
            format!("/tenants/{t}/audit-log"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "user",
            &user,
            reqwest::Method::GET,
            format!("/tenants/{t}/users"),
            None,
            StatusCode::FORBIDDEN,
        ),
        (
            "user",
            &user,
            reqwest::Method::GET,
            format!("/tenants/{t}/contacts"),
            None,
            StatusCode::OK,
        ),
        (
            "tenant admin",
            &api.a.token,
            reqwest::Method::POST,
            "/tenants".to_string(),
            Some(json!({
                "name": "x", "max_inbound_calls": 1, "max_outbound_calls": 1,
                "max_extensions": 1, "max_dids": 1, "language": "fr-FR",
                "time_zone": "Europe/Paris", "fallback_destination": null
            })),
            StatusCode::FORBIDDEN,
        ),
        (
            "tenant admin",
            &api.a.token,
            reqwest::Method::POST,
            format!("/tenants/{t}/trunks"),
            Some(trunk.clone()),
            StatusCode::CREATED,
        ),
    ];
    for (who, token, method, path, body, expected) in cases {
        let r = api.call(method.clone(), &path, token, body.as_ref()).await;
        assert_eq!(r.status, expected, "{who} {method} {path}: {}", r.text);
        if !expected.is_success() {
            assert_json_error(&r);
            assert_eq!(r.code(), "forbidden");
        }
    }
}

#[tokio::test]
async fn a_tenant_admin_cannot_make_a_superadmin_and_the_superadmin_reaches_every_tenant() {
    let api = TestApi::start().await;
    let r = api
        .post(&format!("/tenants/{}/users", api.a.tenant), &api.a.token, &json!({
            "username": "evil", "display_name": "Evil", "role": "superadmin", "password": "evil-password-1"
        }))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    assert_eq!(r.json["error"]["field"], "role");
    // The superadmin creates a tenant and reads into both seeded ones.
    let r = api
        .post(
            "/tenants",
            &api.root,
            &json!({
                "name": "tenant-c", "max_inbound_calls": 5, "max_outbound_calls": 5,
                "max_extensions": 5, "max_dids": 5, "language": "fr-FR",
                "time_zone": "Europe/Paris", "fallback_destination": null
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text);
    for t in [&api.a.tenant, &api.b.tenant] {
        let r = api
            .get(&format!("/tenants/{t}/extensions"), &api.root)
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    }
    let r = api.get("/tenants", &api.root).await;
    assert_eq!(r.json["total"], 3, "{}", r.text);
}
