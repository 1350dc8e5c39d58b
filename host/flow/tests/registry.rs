//! The flow registry (versions, activation, hot swap, rollback) and the
//! on-disk cache of compiled code.

mod common;

use common::*;
use pbx_flow::{
    FlowEngine, FlowOutcome, FlowRegistry, FlowVersion, PreparedFlow, RegistryError, UploadError,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

fn registry() -> FlowRegistry {
    FlowRegistry::new(engine(test_limits()))
}

fn numbers(versions: &[Arc<FlowVersion>]) -> Vec<u32> {
    versions.iter().map(|v| v.number).collect()
}

/// Route parameters for whichever fixture `flow` is.
fn params_for(flow: &PreparedFlow) -> Arc<pbx_flow::Params> {
    match flow.description.name.as_str() {
        "hostile" => hostile_params("ok"),
        _ => defaults_of(flow, vec![]),
    }
}

/// What the hostile flow does in "ok" mode, as trace host calls.
const HOSTILE_OK: [(&str, &str); 3] = [("config", "get"), ("call", "answer"), ("call", "hangup")];

#[tokio::test]
async fn upload_activate_and_list_versions() {
    let registry = registry();
    assert_eq!(registry.versions("acme", "main").0.len(), 0);
    assert_eq!(registry.versions("acme", "main").1, None);
    assert!(registry.active("acme", "main").is_none());

    let v1 = registry
        .upload("acme", "main", &hostile_wasm(), "alice")
        .await
        .expect("upload v1");
    assert_eq!(v1.number, 1);
    assert_eq!(v1.tenant, "acme");
    assert_eq!(v1.name, "main");
    assert_eq!(v1.uploaded_by, "alice");
    assert_eq!(v1.label(), "main v1");
    assert_eq!(v1.flow.description.name, "hostile");
    // Uploaded is not active.
    assert!(registry.active("acme", "main").is_none());
    let (versions, active) = registry.versions("acme", "main");
    assert_eq!((numbers(&versions), active), (vec![1], None));

    let v2 = registry
        .upload("acme", "main", &auto_attendant_wasm(), "bob")
        .await
        .expect("upload v2");
    assert_eq!(v2.number, 2);
    assert_eq!(v2.label(), "main v2");
    assert!(v2.uploaded_at >= v1.uploaded_at);

    registry.activate("acme", "main", 2).expect("activate v2");
    let active = registry.active("acme", "main").expect("an active version");
    assert!(Arc::ptr_eq(&active, &v2));
    let (versions, active) = registry.versions("acme", "main");
    assert_eq!((numbers(&versions), active), (vec![1, 2], Some(2)));

    registry.activate("acme", "main", 1).expect("activate v1");
    assert_eq!(registry.active("acme", "main").unwrap().number, 1);

    assert_eq!(registry.names("acme"), vec!["main".to_string()]);
    // Tenants do not see each other's flows.
    assert!(registry.active("globex", "main").is_none());
    assert!(registry.names("globex").is_empty());
    assert!(matches!(
        registry.activate("globex", "main", 1),
        Err(RegistryError::UnknownFlow { .. })
    ));
}

#[tokio::test]
async fn identical_bytes_return_the_same_version() {
    let registry = registry();
    let hostile = hostile_wasm();
    let v1 = registry
        .upload("acme", "main", &hostile, "alice")
        .await
        .unwrap();
    let v2 = registry
        .upload("acme", "main", &auto_attendant_wasm(), "alice")
        .await
        .unwrap();
    assert_eq!(v2.number, 2);

    let again = registry
        .upload("acme", "main", &hostile, "bob")
        .await
        .unwrap();
    assert!(Arc::ptr_eq(&again, &v1));
    assert_eq!(again.number, 1);
    assert_eq!(again.uploaded_by, "alice");
    assert_eq!(numbers(&registry.versions("acme", "main").0), vec![1, 2]);

    // Another flow name or another tenant gets a version of its own.
    let other_name = registry
        .upload("acme", "night", &hostile, "bob")
        .await
        .unwrap();
    assert_eq!(other_name.number, 1);
    assert!(!Arc::ptr_eq(&other_name, &v1));
    let other_tenant = registry
        .upload("globex", "main", &hostile, "carol")
        .await
        .unwrap();
    assert_eq!(other_tenant.tenant, "globex");
    assert!(!Arc::ptr_eq(&other_tenant, &v1));
    assert_eq!(
        registry.names("acme"),
        vec!["main".to_string(), "night".to_string()]
    );
}

#[tokio::test]
async fn unknown_flows_and_versions_are_errors() {
    let registry = registry();
    match registry.activate("acme", "main", 1) {
        Err(RegistryError::UnknownFlow { tenant, name }) => {
            assert_eq!((tenant.as_str(), name.as_str()), ("acme", "main"))
        }
        other => panic!("expected UnknownFlow, got {other:?}"),
    }

    registry
        .upload("acme", "main", &hostile_wasm(), "alice")
        .await
        .unwrap();
    registry.activate("acme", "main", 1).unwrap();
    match registry.activate("acme", "main", 7) {
        Err(RegistryError::UnknownVersion {
            name,
            version,
            known,
        }) => {
            assert_eq!(name, "main");
            assert_eq!(version, 7);
            assert_eq!(known, vec![1]);
        }
        other => panic!("expected UnknownVersion, got {other:?}"),
    }
    assert!(matches!(
        registry.activate("acme", "main", 0),
        Err(RegistryError::UnknownVersion { .. })
    ));
    // A failed activation leaves the active version alone.
    assert_eq!(registry.active("acme", "main").unwrap().number, 1);
}

#[tokio::test]
async fn bad_flow_names_are_refused_before_the_upload_is_looked_at() {
    let registry = registry();
    let too_long = "a".repeat(65);
    for name in [
        "",
        "Main",
        "has space",
        "a/b",
        "../etc",
        "café",
        too_long.as_str(),
    ] {
        // Not wasm either: the name is checked first.
        match registry.upload("acme", name, b"not wasm", "alice").await {
            Err(RegistryError::BadName(n)) => assert_eq!(n, name),
            other => panic!("{name:?}: expected BadName, got {other:?}"),
        }
    }
    assert!(registry.names("acme").is_empty());

    let longest = "z".repeat(64);
    for name in ["a", "night-mode_2", longest.as_str()] {
        let v = registry
            .upload("acme", name, &hostile_wasm(), "alice")
            .await
            .unwrap_or_else(|e| panic!("{name:?}: {e}"));
        assert_eq!(v.name, name);
    }
    assert_eq!(registry.names("acme").len(), 3);
}

#[tokio::test]
async fn a_refused_upload_adds_no_version() {
    let registry = registry();
    match registry.upload("acme", "main", b"not wasm", "alice").await {
        Err(RegistryError::Upload(UploadError::NotWasm)) => {}
        other => panic!("expected Upload(NotWasm), got {other:?}"),
    }
    let describe_traps = fixture_wasm("hostile_describe_traps");
    match registry
        .upload("acme", "main", &describe_traps, "alice")
        .await
    {
        Err(RegistryError::Upload(UploadError::Describe(_))) => {}
        other => panic!("expected Upload(Describe), got {other:?}"),
    }
    assert_eq!(registry.versions("acme", "main").0.len(), 0);
    assert!(matches!(
        registry.activate("acme", "main", 1),
        Err(RegistryError::UnknownFlow { .. })
    ));
    // The first good upload is still version 1.
    let v = registry
        .upload("acme", "main", &hostile_wasm(), "alice")
        .await
        .unwrap();
    assert_eq!(v.number, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_identical_uploads_make_one_version() {
    let registry = Arc::new(registry());
    let bytes = Arc::new(hostile_wasm());
    let upload = |who: &'static str| {
        let (registry, bytes) = (registry.clone(), bytes.clone());
        tokio::spawn(async move { registry.upload("acme", "main", &bytes, who).await })
    };
    let (a, b) = (upload("alice"), upload("bob"));
    let a = a.await.unwrap().unwrap();
    let b = b.await.unwrap().unwrap();
    assert!(
        Arc::ptr_eq(&a, &b),
        "versions {} and {}",
        a.number,
        b.number
    );
    assert_eq!(numbers(&registry.versions("acme", "main").0), vec![1]);
}

#[tokio::test]
async fn hot_swap_keeps_calls_in_progress_on_their_version_and_rollback_works() {
    let registry = registry();
    let engine = registry.engine().clone();
    let v1 = registry
        .upload("acme", "main", &hostile_wasm(), "alice")
        .await
        .unwrap();
    let v2 = registry
        .upload("acme", "main", &auto_attendant_wasm(), "alice")
        .await
        .unwrap();
    registry.activate("acme", "main", 1).unwrap();

    // A call starts on v1 and blocks in `answer`.
    let gate = Gate::new();
    let held_version = registry.active("acme", "main").unwrap();
    assert_eq!(held_version.number, 1);
    let call = FakeCall::new("acme").hook("answer", Hook::Gate(gate.clone()));
    let (setup, held_log) = call_setup("acme", call, params_for(&held_version.flow));
    let held = engine.run_call(&held_version.flow, setup);

    let swap = async {
        gate.entered().await;
        // v2 goes live while the first call is inside its flow.
        registry.activate("acme", "main", 2).unwrap();
        let version = registry.active("acme", "main").unwrap();
        assert!(Arc::ptr_eq(&version, &v2));
        let (setup, log) = call_setup("acme", FakeCall::new("acme"), params_for(&version.flow));
        let report = engine.run_call(&version.flow, setup).await;
        gate.release();
        (report, log)
    };
    let (held_report, (new_report, new_log)) = tokio::join!(held, swap);

    // The held call finished on v1's code...
    assert_eq!(held_report.outcome, FlowOutcome::Completed);
    assert_eq!(
        held_report.trace.host_calls().collect::<Vec<_>>(),
        HOSTILE_OK
    );
    assert_eq!(held_log.names(), vec!["answer", "hangup"]);
    // ...while the call started after the swap ran v2's.
    assert_eq!(new_report.outcome, FlowOutcome::Completed);
    let calls: Vec<_> = new_report.trace.host_calls().collect();
    assert_eq!(calls.first(), Some(&("call", "info")));
    assert!(calls.contains(&("schedule", "status")), "{calls:?}");
    assert_eq!(
        new_log.prompts().first().map(String::as_str),
        Some("welcome")
    );

    // Rollback: v1 again for new calls, instantly (no upload, no compile).
    registry.activate("acme", "main", 1).unwrap();
    let version = registry.active("acme", "main").unwrap();
    assert!(Arc::ptr_eq(&version, &v1));
    let (setup, log) = call_setup("acme", FakeCall::new("acme"), params_for(&version.flow));
    let report = engine.run_call(&version.flow, setup).await;
    assert_eq!(report.outcome, FlowOutcome::Completed);
    assert_eq!(report.trace.host_calls().collect::<Vec<_>>(), HOSTILE_OK);
    assert!(log.prompts().is_empty());
    assert_eq!(registry.versions("acme", "main").1, Some(1));
}

fn cached_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "cwasm"))
        .collect();
    files.sort();
    files
}

fn cached_engine(dir: &Path) -> FlowEngine {
    FlowEngine::new(test_limits(), Some(dir.to_path_buf())).expect("engine with cache")
}

#[tokio::test]
async fn compiled_code_is_cached_on_disk_and_reused_by_a_new_engine() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = hostile_wasm();

    let first = prepare(&cached_engine(dir.path()), &bytes).await;
    assert!(
        !first.from_cache,
        "an empty cache cannot serve the first compile"
    );
    let files = cached_files(dir.path());
    assert_eq!(files.len(), 1, "{files:?}");
    let file_name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(file_name.starts_with(&first.hash), "{file_name}");

    // A new engine (a restarted PBX) with the same directory loads it.
    let engine = cached_engine(dir.path());
    let second = prepare(&engine, &bytes).await;
    assert!(second.from_cache);
    assert_eq!(second.hash, first.hash);
    assert_eq!(second.description, first.description);
    // And the code loaded from the cache runs calls.
    let (setup, log) = hostile_call("acme", "ok");
    let report = engine.run_call(&second, setup).await;
    assert_eq!(report.outcome, FlowOutcome::Completed);
    assert_eq!(log.names(), vec!["answer", "hangup"]);
    // Misbehaviour is still caught in cached code.
    let (setup, _) = hostile_call("acme", "loop");
    assert_eq!(
        engine.run_call(&second, setup).await.outcome,
        FlowOutcome::CpuDeadline
    );

    // Other bytes are another entry.
    let other = prepare(&engine, &auto_attendant_wasm()).await;
    assert!(!other.from_cache);
    assert_eq!(cached_files(dir.path()).len(), 2);

    // The registry reports it too.
    let registry = FlowRegistry::new(cached_engine(dir.path()));
    let v = registry
        .upload("acme", "main", &bytes, "alice")
        .await
        .unwrap();
    assert!(v.flow.from_cache);
}

#[tokio::test]
async fn an_engine_with_other_settings_does_not_load_the_cached_code() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = hostile_wasm();
    assert!(!prepare(&cached_engine(dir.path()), &bytes).await.from_cache);

    let mut limits = test_limits();
    limits.memory_bytes = 8 << 20;
    let other = FlowEngine::new(limits, Some(dir.path().to_path_buf())).unwrap();
    assert!(!prepare(&other, &bytes).await.from_cache);
    assert_eq!(cached_files(dir.path()).len(), 2);
}

#[tokio::test]
async fn a_damaged_cache_file_is_recompiled() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = hostile_wasm();
    assert!(!prepare(&cached_engine(dir.path()), &bytes).await.from_cache);
    let file = cached_files(dir.path()).pop().unwrap();
    let good = std::fs::read(&file).unwrap();

    // Garbage in place of the compiled code.
    std::fs::write(&file, b"definitely not an ELF file").unwrap();
    let engine = cached_engine(dir.path());
    let flow = prepare(&engine, &bytes).await;
    assert!(!flow.from_cache, "garbage must not count as a cache hit");
    assert_eq!(flow.description.name, "hostile");
    let (setup, _) = hostile_call("acme", "ok");
    assert_eq!(
        engine.run_call(&flow, setup).await.outcome,
        FlowOutcome::Completed
    );
    // The entry was rewritten and serves the next engine.
    assert_ne!(
        std::fs::read(&file).unwrap(),
        b"definitely not an ELF file".to_vec()
    );
    assert!(prepare(&cached_engine(dir.path()), &bytes).await.from_cache);

    // A file cut short (a crash while writing) is recompiled too.
    std::fs::write(&file, &good[..good.len() / 2]).unwrap();
    let flow = prepare(&cached_engine(dir.path()), &bytes).await;
    assert!(!flow.from_cache);
    assert_eq!(std::fs::read(&file).unwrap().len(), good.len());
    assert!(prepare(&cached_engine(dir.path()), &bytes).await.from_cache);
}
