//! Strict tenant isolation: for every resource, what tenant A owns is a
//! 404 for tenant B's admin on read, replace and delete, and never appears
//! in B's lists; A still sees it afterwards (so the 404s are isolation,
//! not a broken endpoint). The CRUD resources come from the API's own
//! table, so a new one cannot be left out.

mod common;

use common::{TestApi, assert_json_error, create_example};
use pbx_api::resources::crud_resources;
use reqwest::StatusCode;
use serde_json::json;

fn ids_in(page: &serde_json::Value) -> Vec<String> {
    page["items"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|i| i["id"].as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn every_crud_resource_is_invisible_to_another_tenant() {
    for backend in common::backends() {
        every_crud_resource_on(common::TestApi::start_on(backend).await).await;
    }
}

async fn every_crud_resource_on(api: TestApi) {
    let resources = crud_resources();
    assert!(resources.len() >= 11, "the table lost resources");
    for (n, info) in resources.iter().enumerate() {
        let id = create_example(&api, &api.a, info, &format!("a{n}")).await;
        let a_item = format!("/tenants/{}/{}/{id}", api.a.tenant, info.segment);
        // B's admin, addressing the row through A's tenant path.
        for r in [
            api.get(&a_item, &api.b.token).await,
            api.put(&a_item, &api.b.token, &info.example).await,
            api.delete(&a_item, &api.b.token).await,
        ] {
            assert_eq!(
                r.status,
                StatusCode::NOT_FOUND,
                "{}: {}",
                info.segment,
                r.text
            );
            assert_json_error(&r);
        }
        // B's admin, addressing A's id through B's own tenant path.
        let b_item = format!("/tenants/{}/{}/{id}", api.b.tenant, info.segment);
        for r in [
            api.get(&b_item, &api.b.token).await,
            api.put(&b_item, &api.b.token, &info.example).await,
            api.delete(&b_item, &api.b.token).await,
        ] {
            // PUT may fail validation first (e.g. a dependency id of A's
            // tenant); anything but success or a server error is fine as
            // long as it is not a leak.
            assert!(
                r.status == StatusCode::NOT_FOUND
                    || r.status == StatusCode::BAD_REQUEST
                    || r.status == StatusCode::CONFLICT,
                "{}: B reached A's row via its own tenant: {} {}",
                info.segment,
                r.status,
                r.text
            );
            assert_json_error(&r);
        }
        let b_list = api
            .get(
                &format!("/tenants/{}/{}?limit=500", api.b.tenant, info.segment),
                &api.b.token,
            )
            .await;
        assert_eq!(b_list.status, StatusCode::OK, "{}", b_list.text);
        assert!(
            !ids_in(&b_list.json).contains(&id),
            "{} leaked into B's list",
            info.segment
        );
        let a_list = api
            .get(
                &format!("/tenants/{}/{}", api.b.tenant, info.segment),
                &api.a.token,
            )
            .await;
        assert_eq!(
            a_list.status,
            StatusCode::NOT_FOUND,
            "A listing B's {}",
            info.segment
        );
        // The row survived B's attempts and A still reaches it.
        let r = api.get(&a_item, &api.a.token).await;
        assert_eq!(r.status, StatusCode::OK, "{}: {}", info.segment, r.text);
        let a_list = api
            .get(
                &format!("/tenants/{}/{}?limit=500", api.a.tenant, info.segment),
                &api.a.token,
            )
            .await;
        assert!(
            ids_in(&a_list.json).contains(&id),
            "{} missing from A's list",
            info.segment
        );
    }
}

#[tokio::test]
async fn tenants_users_and_tokens_are_isolated() {
    let api = TestApi::start().await;
    // The tenant itself.
    let r = api
        .get(&format!("/tenants/{}", api.a.tenant), &api.b.token)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = api.get("/tenants", &api.b.token).await;
    assert_eq!(ids_in(&r.json), vec![api.b.tenant.clone()]);
    // Users.
    let users = format!("/tenants/{}/users", api.a.tenant);
    let created = api
        .post(&users, &api.a.token, &json!({
            "username": "alice", "display_name": "Alice", "role": "agent", "password": "alice-password-1"
        }))
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
    let uid = created.json["id"].as_str().unwrap().to_string();
    for path in [
        format!("{users}/{uid}"),
        format!("/tenants/{}/users/{uid}", api.b.tenant),
    ] {
        assert_eq!(
            api.get(&path, &api.b.token).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        assert_eq!(
            api.delete(&path, &api.b.token).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
        let r = api
            .put(
                &format!("{path}/password"),
                &api.b.token,
                &json!({"password": "hijacked-password"}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}: {}", r.text);
    }
    let r = api
        .get(&format!("/tenants/{}/users", api.b.tenant), &api.b.token)
        .await;
    assert!(!ids_in(&r.json).contains(&uid));
    // Tokens: B cannot revoke A's.
    let t = api
        .post("/me/tokens", &api.a.token, &json!({"name": "ci"}))
        .await;
    assert_eq!(t.status, StatusCode::CREATED, "{}", t.text);
    let tid = t.json["token"]["id"].as_str().unwrap();
    assert_eq!(
        api.delete(&format!("/me/tokens/{tid}"), &api.b.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let secret = t.json["secret"].as_str().unwrap();
    assert_eq!(api.get("/me", secret).await.status, StatusCode::OK);
}

#[tokio::test]
async fn records_messages_and_audit_are_isolated() {
    for backend in common::backends() {
        records_messages_and_audit_on(common::TestApi::start_on(backend).await).await;
    }
}

async fn records_messages_and_audit_on(api: TestApi) {
    let now = chrono::Utc::now();
    let record = pbx_store::CallRecord {
        id: pbx_store::CallRecordId::new(),
        tenant_id: api.a.tenant_id,
        call_id: "call-1".into(),
        direction: pbx_store::Direction::Inbound,
        caller: "+33612345678".into(),
        caller_name: None,
        dialled: "+33123456789".into(),
        did: Some("+33123456789".into()),
        started_at: now,
        answered_at: Some(now),
        ended_at: now,
        outcome: pbx_store::Outcome::Answered,
        hangup_cause: "normal".into(),
        flow_name: Some("main".into()),
        flow_version: Some(1),
        legs: vec![],
        trace: json!([]),
    };
    api.store
        .insert_call_records(std::slice::from_ref(&record))
        .await
        .unwrap();
    let rid = record.id.to_string();
    let a = &api.a.tenant;
    let b = &api.b.tenant;
    assert_eq!(
        api.get(&format!("/tenants/{a}/call-records/{rid}"), &api.a.token)
            .await
            .status,
        StatusCode::OK
    );
    for path in [
        format!("/tenants/{a}/call-records/{rid}"),
        format!("/tenants/{b}/call-records/{rid}"),
    ] {
        assert_eq!(
            api.get(&path, &api.b.token).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let r = api
        .get(&format!("/tenants/{b}/call-records"), &api.b.token)
        .await;
    assert_eq!(r.json["total"], 0, "{}", r.text);
    let r = api
        .get(
            &format!("/tenants/{b}/call-records/export.csv"),
            &api.b.token,
        )
        .await;
    assert!(
        !r.text.contains("+33612345678"),
        "B's CSV holds A's call: {}",
        r.text
    );
    assert_eq!(
        api.get(
            &format!("/tenants/{a}/call-records/export.csv"),
            &api.b.token
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );

    // Voicemail and recordings.
    let ext = create_example(&api, &api.a, &crud_resources()[0], "vm").await;
    let ext_id: pbx_store::ExtensionId = ext.parse().unwrap();
    let vm = pbx_store::VoicemailMessage {
        id: pbx_store::VoicemailId::new(),
        tenant_id: api.a.tenant_id,
        extension_id: ext_id,
        call_id: Some("call-1".into()),
        caller: "+33612345678".into(),
        caller_name: None,
        received_at: now,
        duration_ms: 4000,
        sha256: "0".repeat(64),
        size: 100,
        heard: false,
    };
    api.store.insert_voicemail(&vm).await.unwrap();
    let rec = pbx_store::Recording {
        id: pbx_store::RecordingId::new(),
        tenant_id: api.a.tenant_id,
        call_id: "call-1".into(),
        started_at: now,
        duration_ms: 1000,
        sha256: "1".repeat(64),
        size: 10,
        label: None,
    };
    api.store.insert_recording(&rec).await.unwrap();
    let vm_list = format!("/tenants/{a}/extensions/{ext}/voicemail");
    assert_eq!(api.get(&vm_list, &api.a.token).await.json["total"], 1);
    assert_eq!(
        api.get(&vm_list, &api.b.token).await.status,
        StatusCode::NOT_FOUND
    );
    let r = api
        .get(
            &format!("/tenants/{b}/extensions/{ext}/voicemail"),
            &api.b.token,
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    for base in [a, b] {
        let r = api
            .put(
                &format!("/tenants/{base}/voicemail/{}/heard", vm.id),
                &api.b.token,
                &json!({"heard": true}),
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let r = api
            .delete(
                &format!("/tenants/{base}/voicemail/{}", vm.id),
                &api.b.token,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let r = api
            .get(
                &format!("/tenants/{base}/recordings/{}", rec.id),
                &api.b.token,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
        let r = api
            .delete(
                &format!("/tenants/{base}/recordings/{}", rec.id),
                &api.b.token,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text);
    }
    let r = api
        .get(&format!("/tenants/{b}/recordings"), &api.b.token)
        .await;
    assert_eq!(r.json["total"], 0);
    assert_eq!(
        api.get(&format!("/tenants/{a}/recordings/{}", rec.id), &api.a.token)
            .await
            .status,
        StatusCode::OK
    );

    // Audit log: A's changes are in A's log only.
    let r = api
        .get(&format!("/tenants/{a}/audit-log?limit=500"), &api.a.token)
        .await;
    assert!(
        r.text.contains(&ext),
        "A's audit log lacks its extension: {}",
        r.text
    );
    let r = api
        .get(&format!("/tenants/{b}/audit-log?limit=500"), &api.b.token)
        .await;
    assert!(!r.text.contains(&ext), "B's audit log shows A's change");
    assert_eq!(
        api.get(&format!("/tenants/{a}/audit-log"), &api.b.token)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
