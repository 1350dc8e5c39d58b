//! The simulator against real flow components: the auto-attendant's whole
//! scenario set passes, a wrong expectation is reported as a mismatch at
//! the right place, and a failing flow gets the tenant's fallback.

use pbx_flow::{FlowEngine, FlowLimits, PreparedFlow};
use pbx_simulator::Scenario;
use pbx_simulator::action::Action;
use std::path::{Path, PathBuf};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn wasm(name: &str) -> Vec<u8> {
    let target = std::env::var("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|_| workspace().join("target"));
    let path = target.join("wasm32-wasip2/flow").join(name);
    std::fs::read(&path)
        .unwrap_or_else(|e| panic!("{}: {e}: run scripts/build-flows.sh first", path.display()))
}

async fn prepare(name: &str) -> (FlowEngine, PreparedFlow) {
    let limits = FlowLimits {
        instances_total: 8,
        ..FlowLimits::default()
    };
    let engine = FlowEngine::new(limits, None).expect("engine");
    let flow = engine.prepare(&wasm(name)).await.expect("valid flow");
    (engine, flow)
}

fn scenario_dir() -> PathBuf {
    workspace().join("scripts/scenarios/auto-attendant")
}

#[tokio::test]
async fn every_auto_attendant_scenario_passes() {
    let (engine, flow) = prepare("auto_attendant.wasm").await;
    let mut count = 0;
    for entry in std::fs::read_dir(scenario_dir()).expect("scenario dir") {
        let path = entry.expect("entry").path();
        if path.file_name().is_some_and(|n| n == "base.toml") {
            continue;
        }
        let scenario = Scenario::load(&path).expect("scenario parses");
        let report = pbx_simulator::run(&engine, &flow, &scenario)
            .await
            .expect("runs");
        assert!(
            report.passed(),
            "{}: {:?}\nactions: {:#?}",
            path.display(),
            report.mismatch,
            report.actions
        );
        count += 1;
    }
    assert!(
        count >= 12,
        "expected the whole scenario set, found {count}"
    );
}

#[tokio::test]
async fn a_wrong_expectation_is_reported_where_it_differs() {
    let (engine, flow) = prepare("auto_attendant.wasm").await;
    // The busy scenario leaves a message in box 102; claim it is 101.
    let text = std::fs::read_to_string(scenario_dir().join("open-extension-busy.toml")).unwrap();
    let base = std::fs::read_to_string(scenario_dir().join("base.toml")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("base.toml"), base).unwrap();
    std::fs::write(
        dir.path().join("s.toml"),
        text.replace("box = \"102\"", "box = \"101\""),
    )
    .unwrap();
    let scenario = Scenario::load(&dir.path().join("s.toml")).unwrap();
    let report = pbx_simulator::run(&engine, &flow, &scenario).await.unwrap();
    let m = report.mismatch.expect("must fail");
    assert_eq!(m.index, 6, "{m}");
    assert!(m.message.contains("voicemail box \"102\""), "{m}");
}

#[tokio::test]
async fn the_menu_choice_lands_on_the_call_record() {
    let (engine, flow) = prepare("auto_attendant.wasm").await;
    let scenario = Scenario::load(&scenario_dir().join("open-voicemail-key.toml")).unwrap();
    let report = pbx_simulator::run(&engine, &flow, &scenario).await.unwrap();
    assert_eq!(
        report.fields.get("menu-choice").map(String::as_str),
        Some("9")
    );
}

#[tokio::test]
async fn a_trapping_flow_gets_the_fallback() {
    let (engine, flow) = prepare("hostile_flow.wasm").await;
    let scenario = Scenario::parse(
        r#"
        expect-outcome = "trapped"
        [call]
        caller = "100"
        dialled = "200"
        at = 2026-11-23T09:00:00
        [params]
        mode = "panic"
        [route]
        fallback-prompt = "sorry"
        fallback-destination = "ext:100"
        [[expect]]
        action = "answer"
        [[expect]]
        action = "play"
        prompts = ["sorry"]
        [[expect]]
        action = "transfer"
        target = "ext:100"
        "#,
    )
    .unwrap();
    let report = pbx_simulator::run(&engine, &flow, &scenario).await.unwrap();
    assert!(
        report.passed(),
        "{:?} {:?}",
        report.mismatch,
        report.actions
    );
    assert!(report.fallback_applied);
    assert!(
        report
            .trace
            .output_lines()
            .any(|l| l.contains("flow panicked on purpose")),
        "the panic message reaches the trace: {:#?}",
        report.trace.events
    );
}

#[tokio::test]
async fn presses_at_fixed_times_and_terminators() {
    let (engine, flow) = prepare("auto_attendant.wasm").await;
    // 3 s greeting, then the menu; a press at 3.2 s lands during the menu.
    let scenario = Scenario::parse(&format!(
        "{}\n[[press]]\nkeys = \"9\"\nat-ms = 3200\n",
        std::fs::read_to_string(scenario_dir().join("base.toml")).unwrap()
    ))
    .unwrap();
    let report = pbx_simulator::run(&engine, &flow, &scenario).await.unwrap();
    assert!(
        report.actions.contains(&Action::Voicemail("100".into())),
        "{:?}",
        report.actions
    );
    assert!(report.actions.contains(&Action::Collect("9".into())));
}

#[test]
fn bad_scenarios_are_refused_with_a_reason() {
    let err = Scenario::parse(
        "[call]\ncaller='1'\ndialled='2'\nat=2026-01-01T00:00:00\ntimezone='Mars/Olympus'",
    )
    .unwrap_err();
    assert!(err.to_string().contains("Mars/Olympus"), "{err}");
    let err = Scenario::parse(
        "[call]\ncaller='1'\ndialled='2'\nat=2026-01-01T00:00:00\n[[press]]\nkeys='x'\nat-ms=1",
    )
    .unwrap_err();
    assert!(err.to_string().contains("not a DTMF key"), "{err}");
    let err = Scenario::parse(
        "[call]\ncaller='1'\ndialled='2'\nat=2026-01-01T00:00:00\n[[expect]]\naction='dance'",
    )
    .unwrap_err();
    assert!(err.to_string().contains("unknown action `dance`"), "{err}");
}
