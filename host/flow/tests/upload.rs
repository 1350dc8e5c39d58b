//! Upload validation: `FlowEngine::prepare` refuses what is not a flow of
//! this contract with the right `UploadError`, and describes what is.

mod common;

use common::*;
use pbx_flow::bindings::{ParamKind, Value};
use pbx_flow::{FlowEngine, UploadError};
use std::time::{Duration, Instant};

/// The header of an empty core module: magic, version 1, layer 0.
const EMPTY_CORE_MODULE: &[u8] = b"\0asm\x01\0\0\0";
/// The header of an empty component: magic, version 0x0d, layer 1.
const EMPTY_COMPONENT: &[u8] = b"\0asm\x0d\0\x01\0";

fn wat_binary(name: &str) -> Vec<u8> {
    wat::parse_str(wat_fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

async fn refused(engine: &FlowEngine, bytes: &[u8]) -> UploadError {
    match engine.prepare(bytes).await {
        Ok(flow) => panic!("upload accepted: {flow:?}"),
        Err(e) => e,
    }
}

#[tokio::test]
async fn bytes_that_are_not_wasm_are_refused() {
    let engine = engine(test_limits());
    for bytes in [
        &b"this is a text file, not a flow"[..],
        b"",
        b"\0as",
        b"\0asm\x01",
        b"\x7fELF\x02\x01\x01\0\0\0\0\0",
    ] {
        let e = refused(&engine, bytes).await;
        assert!(matches!(e, UploadError::NotWasm), "{bytes:?}: {e:?}");
    }
    assert!(
        UploadError::NotWasm.to_string().contains(".wasm"),
        "the message should say what to upload"
    );
}

#[tokio::test]
async fn wat_text_is_refused_even_though_wasmtime_would_parse_it() {
    let engine = engine(test_limits());
    let text = wat_fixture("empty_component.wat");
    // The engine was built with wasmtime's `wat` feature...
    assert!(wasmtime::component::Component::new(engine.wasmtime(), text.as_bytes()).is_ok());
    // ...but uploads must be binary components.
    let e = refused(&engine, text.as_bytes()).await;
    assert!(matches!(e, UploadError::NotWasm), "{e:?}");
}

#[tokio::test]
async fn a_core_module_is_refused() {
    let engine = engine(test_limits());
    assert_eq!(wat_binary("core_module.wat"), EMPTY_CORE_MODULE);
    let e = refused(&engine, EMPTY_CORE_MODULE).await;
    assert!(matches!(e, UploadError::CoreModule), "{e:?}");
    assert!(e.to_string().contains("wasm32-wasip2"), "{e}");
}

#[tokio::test]
async fn a_component_of_another_world_is_refused() {
    let engine = engine(test_limits());
    assert_eq!(wat_binary("empty_component.wat"), EMPTY_COMPONENT);
    match refused(&engine, EMPTY_COMPONENT).await {
        UploadError::WrongWorld(msg) => {
            assert!(msg.contains("pbx:flow/handler@0.1.0"), "{msg}")
        }
        e => panic!("expected WrongWorld, got {e:?}"),
    }
}

#[tokio::test]
async fn a_component_importing_a_foreign_interface_is_refused() {
    let engine = engine(test_limits());
    match refused(&engine, &wat_binary("imports_foreign_interface.wat")).await {
        UploadError::WrongWorld(msg) => {
            assert!(msg.contains("acme:billing/charge@1.0.0"), "{msg}")
        }
        e => panic!("expected WrongWorld, got {e:?}"),
    }
}

#[tokio::test]
async fn a_component_importing_another_contract_version_is_refused() {
    let engine = engine(test_limits());
    match refused(&engine, &wat_binary("imports_log_0_2_0.wat")).await {
        UploadError::IncompatibleContract { import, supported } => {
            assert_eq!(import, "pbx:flow/log@0.2.0");
            assert_eq!(supported, "0.1.0");
        }
        e => panic!("expected IncompatibleContract, got {e:?}"),
    }
    match refused(&engine, &wat_binary("imports_log_unversioned.wat")).await {
        UploadError::IncompatibleContract { import, .. } => assert_eq!(import, "pbx:flow/log"),
        e => panic!("expected IncompatibleContract, got {e:?}"),
    }
}

#[tokio::test]
async fn a_component_exporting_another_handler_version_is_refused() {
    let engine = engine(test_limits());
    match refused(&engine, &wat_binary("exports_handler_0_2_0.wat")).await {
        UploadError::IncompatibleContract { import, supported } => {
            assert_eq!(import, "pbx:flow/handler@0.2.0");
            assert_eq!(supported, "0.1.0");
        }
        e => panic!("expected IncompatibleContract, got {e:?}"),
    }
}

#[tokio::test]
async fn a_damaged_component_does_not_compile() {
    let engine = engine(test_limits());
    let mut bytes = EMPTY_COMPONENT.to_vec();
    bytes.extend_from_slice(b"\xff\xff\xff\xffgarbage");
    let e = refused(&engine, &bytes).await;
    assert!(matches!(e, UploadError::Compile(_)), "{e:?}");

    // A real flow cut in half, too.
    let hostile = hostile_wasm();
    let e = refused(&engine, &hostile[..hostile.len() / 2]).await;
    assert!(matches!(e, UploadError::Compile(_)), "{e:?}");
}

#[tokio::test]
async fn an_upload_over_the_size_limit_is_refused_before_anything_else() {
    let bytes = hostile_wasm();
    let mut limits = test_limits();
    limits.upload_bytes = bytes.len() - 1;
    let engine = engine(limits.clone());
    match refused(&engine, &bytes).await {
        UploadError::TooLarge { size, limit } => {
            assert_eq!(size, bytes.len());
            assert_eq!(limit, bytes.len() - 1);
        }
        e => panic!("expected TooLarge, got {e:?}"),
    }
    // Size comes first: even garbage is TooLarge, not NotWasm.
    let e = refused(&engine, &vec![b'x'; bytes.len()]).await;
    assert!(matches!(e, UploadError::TooLarge { .. }), "{e:?}");

    // Exactly at the limit is fine.
    limits.upload_bytes = bytes.len();
    let engine = self::engine(limits);
    let flow = prepare(&engine, &bytes).await;
    assert_eq!(flow.size, bytes.len());
}

#[tokio::test]
async fn a_trapping_describe_is_refused() {
    let engine = engine(test_limits());
    match refused(&engine, &fixture_wasm("hostile_describe_traps")).await {
        UploadError::Describe(msg) => {
            assert!(msg.contains("unreachable"), "{msg}");
            assert!(!msg.contains("CPU deadline"), "{msg}");
        }
        e => panic!("expected Describe, got {e:?}"),
    }
    // The engine is fine afterwards.
    prepare(&engine, &hostile_wasm()).await;
}

#[tokio::test]
async fn a_looping_describe_is_stopped_by_the_cpu_deadline() {
    let mut limits = test_limits();
    limits.cpu_per_step = Duration::from_millis(50);
    limits.describe_timeout = Duration::from_secs(10);
    let engine = engine(limits);
    let bytes = fixture_wasm("hostile_describe_loops");
    let started = Instant::now();
    let e = refused(&engine, &bytes).await;
    let took = started.elapsed();
    match e {
        UploadError::Describe(msg) => assert!(msg.contains("CPU deadline"), "{msg}"),
        e => panic!("expected Describe, got {e:?}"),
    }
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test]
async fn a_looping_describe_is_stopped_by_the_describe_timeout() {
    let mut limits = test_limits();
    limits.cpu_per_step = Duration::from_secs(30);
    limits.describe_timeout = Duration::from_millis(300);
    let engine = engine(limits);
    let started = Instant::now();
    let e = refused(&engine, &fixture_wasm("hostile_describe_loops")).await;
    let took = started.elapsed();
    match e {
        UploadError::Describe(msg) => assert!(msg.contains("did not return within"), "{msg}"),
        e => panic!("expected Describe, got {e:?}"),
    }
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test]
async fn a_valid_flow_is_described() {
    let engine = engine(test_limits());
    let bytes = auto_attendant_wasm();
    let flow = prepare(&engine, &bytes).await;

    let d = &flow.description;
    assert_eq!(d.name, "auto-attendant");
    assert_eq!(d.version, "1.0.0");
    assert!(!d.description.is_empty());
    let schedule = d
        .params
        .iter()
        .find(|p| p.name == "schedule")
        .expect("a schedule parameter");
    assert_eq!(schedule.kind, ParamKind::Schedule);
    assert_eq!(schedule.default, Some(Value::Text("office".into())));
    let names: Vec<&str> = d.params.iter().map(|p| p.name.as_str()).collect();
    for wanted in ["holidays", "greeting", "menu", "retries", "voicemail-box"] {
        assert!(names.contains(&wanted), "{wanted} missing from {names:?}");
    }
    let menu = d.params.iter().find(|p| p.name == "menu").unwrap();
    assert_eq!(menu.kind, ParamKind::TextList);

    assert_eq!(flow.size, bytes.len());
    assert_eq!(flow.hash, pbx_flow::cache::content_hash(&bytes));
    assert_eq!(flow.hash.len(), 64);
    assert!(!flow.from_cache);

    // The other fixture describes itself differently.
    let hostile = prepare(&engine, &hostile_wasm()).await;
    assert_eq!(hostile.description.name, "hostile");
    assert_eq!(hostile.description.params.len(), 1);
    assert_eq!(hostile.description.params[0].name, "mode");
    assert_eq!(
        hostile.description.params[0].default,
        Some(Value::Text("ok".into()))
    );
    assert_ne!(hostile.hash, flow.hash);
}
