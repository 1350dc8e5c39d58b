//! `pbx_load::pbx` against the real server: a release `pbx serve` started
//! on a fresh data directory, provisioned through its admin API with the
//! superadmin made beforehand (a second tenant, its limits, 200
//! extensions, a flow with an active version and a route to it), every
//! change read back over GET, and one new extension registered over SIP.
//!
//! Needs `cargo build --release -p pbx` (same `CARGO_TARGET_DIR`), the
//! flows (`scripts/build-flows.sh`) and the sounds
//! (`scripts/build-sounds.sh`, or `PBX_SOUNDS_DIR`); it fails saying so
//! when one is missing.

use pbx_load::pbx::{ApiError, PbxProcess, SpawnOptions, TenantLimits};
use pbx_load::register::{self, AlgorithmChoice, RegisterConfig};
use serde_json::json;
use std::collections::BTreeSet;
use std::time::{Duration, Instant};

const FIRST: u32 = 200_000;
const COUNT: usize = 200;
const PASSWORD: &str = "load-password-1";

fn register_config(pbx: &PbxProcess, user: u32, password: &str) -> RegisterConfig {
    RegisterConfig {
        target: pbx.sip,
        users: 1,
        first_user: user,
        password: password.to_string(),
        realm: pbx.realm.clone(),
        rate: Some(1.0),
        concurrency: 1,
        duration: Duration::from_millis(100),
        sources: 1,
        algorithm: AlgorithmChoice::Auto,
        expires: 300,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provisioned_tenant_flow_and_extensions_on_a_real_pbx() {
    let opts = SpawnOptions::locate().unwrap_or_else(|e| panic!("{e:#}"));
    let hostile = opts
        .templates
        .as_ref()
        .map(|t| t.join("hostile_flow.wasm"))
        .filter(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "hostile_flow.wasm not found (templates: {:?}): run scripts/build-flows.sh with the same CARGO_TARGET_DIR",
                opts.templates
            )
        });
    let pbx = PbxProcess::spawn(opts)
        .await
        .unwrap_or_else(|e| panic!("{e:#}"));
    assert!(pbx.data_dir().join("pbx.db").is_file());
    let pid = pbx.pid();

    // The superadmin made before start is one; serve still seeded the demo.
    let root = pbx.superadmin();
    let me = root.me().await.unwrap();
    assert_eq!(me["role"], "superadmin", "{me}");
    let demo = root.tenant_by_name("demo").await.unwrap();
    let demo_admin = pbx.admin();
    assert_eq!(demo_admin.me().await.unwrap()["tenant_id"], demo["id"]);
    // A tenant admin may not create tenants: the error says what happened.
    let refused = demo_admin.create_tenant("nope", "UTC").await.unwrap_err();
    let api = refused
        .downcast_ref::<ApiError>()
        .unwrap_or_else(|| panic!("not an ApiError: {refused:#}"));
    assert_eq!(
        (api.method.as_str(), api.path.as_str(), api.status),
        ("POST", "/tenants", Some(403)),
        "{api}"
    );
    assert!(api.body.contains("forbidden"), "{api}");

    // A second tenant with raised limits.
    let tenant = root.create_tenant("load", "Europe/Paris").await.unwrap();
    let limits = TenantLimits {
        max_inbound_calls: 5_000,
        max_outbound_calls: 2_000,
        max_extensions: 20_000,
        max_dids: 300,
    };
    root.set_limits(&tenant, limits).await.unwrap();
    let t = root.tenant(&tenant).await.unwrap();
    assert_eq!(t["max_inbound_calls"], 5_000, "{t}");
    assert_eq!(t["max_outbound_calls"], 2_000, "{t}");
    assert_eq!(t["max_extensions"], 20_000, "{t}");
    assert_eq!(t["max_dids"], 300, "{t}");
    assert_eq!(t["time_zone"], "Europe/Paris", "{t}");
    assert_eq!(root.tenant_by_name("load").await.unwrap()["id"], tenant);

    // 200 extensions, SIP user name = number.
    let started = Instant::now();
    root.create_extensions(&tenant, FIRST, COUNT, PASSWORD)
        .await
        .unwrap();
    let took = started.elapsed();
    eprintln!(
        "{COUNT} extensions in {took:?}: {:.0}/s",
        COUNT as f64 / took.as_secs_f64()
    );
    let extensions = root
        .list(&format!("/tenants/{tenant}/extensions"))
        .await
        .unwrap();
    let numbers: BTreeSet<String> = extensions
        .iter()
        .map(|e| {
            assert_eq!(e["sip_username"], e["number"], "{e}");
            e["number"].as_str().unwrap().to_string()
        })
        .collect();
    let expected: BTreeSet<String> = (0..COUNT).map(|i| pbx_load::user_name(FIRST, i)).collect();
    assert_eq!(numbers, expected);
    // A duplicate is refused with the API's conflict.
    let dup = root
        .create_extensions(&tenant, FIRST, 1, PASSWORD)
        .await
        .unwrap_err();
    assert!(format!("{dup:#}").contains("409"), "{dup:#}");

    // A flow, a version, activated, and a route following it.
    let flow = root.create_flow(&tenant, "hostile").await.unwrap();
    let wasm = std::fs::read(&hostile).unwrap();
    let version = root.upload_version(&tenant, &flow, wasm).await.unwrap();
    root.activate(&tenant, &flow, &version).await.unwrap();
    let f = root
        .get(&format!("/tenants/{tenant}/flows/{flow}"))
        .await
        .unwrap();
    assert_eq!(f["active_version_id"], version, "{f}");
    let route = root
        .route_to_flow(&tenant, "hostile", "9000", &flow, json!({}), 1)
        .await
        .unwrap();
    let r = root
        .get(&format!("/tenants/{tenant}/inbound-routes/{route}"))
        .await
        .unwrap();
    assert_eq!(r["pattern"], "9000", "{r}");
    assert_eq!(
        r["target"],
        json!({"kind": "flow", "flow_id": flow, "version": null}),
        "{r}"
    );
    assert!(root.call_records(&tenant, "9000").await.unwrap().is_empty());

    // A new extension registers at once; a wrong password does not.
    let user = FIRST + 123;
    let ok = register::run(register_config(&pbx, user, PASSWORD))
        .await
        .unwrap();
    assert!(
        ok.succeeded >= 1 && ok.failed() == 0,
        "REGISTER of {user}: {ok:?}\n{}",
        pbx.log_tail(20)
    );
    let bad = register::run(register_config(&pbx, user, "wrong-password"))
        .await
        .unwrap();
    assert!(bad.succeeded == 0 && bad.failed() >= 1, "{bad:?}");

    // Dropping it stops the process.
    let data_dir = pbx.data_dir().to_path_buf();
    drop(pbx);
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "pbx serve {pid} still running"
    );
    assert!(!data_dir.exists(), "temporary data directory removed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pbx_that_exits_early_is_reported_with_its_output() {
    let mut opts = SpawnOptions::locate().unwrap_or_else(|e| panic!("{e:#}"));
    // No office-hours template: the demo tenant cannot be seeded.
    let empty = tempfile::tempdir().unwrap();
    opts.templates = Some(empty.path().to_path_buf());
    let err = match PbxProcess::spawn(opts).await {
        Ok(pbx) => panic!("pbx serve started without its templates: pid {}", pbx.pid()),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("exited early"), "{err}");
    assert!(err.contains("office-hours template"), "{err}");
}
