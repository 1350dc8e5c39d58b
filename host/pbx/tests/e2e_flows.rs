//! Flows uploaded through the admin API, end to end with real phones: a
//! flow that traps leaves its caller with the tenant's fallback while a
//! concurrent call to the IVR carries on; a new version activated during
//! a call leaves that call on its version and takes the next call.
//!
//! Needs the peers (`scripts/install-test-peers.sh`), the prompts
//! (`scripts/build-sounds.sh`) and the guest flows
//! (`scripts/build-flows.sh`); fails, never skips, without them.

mod common;

use common::PATIENCE;
use common::calls::*;
use common::pbx_proc::{OPEN, Pbx, PbxOptions};
use serde_json::{Value, json};
use std::time::Duration;

/// One test at a time: phones on ports picked just before, two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trapping_flow_gets_the_fallback_and_other_calls_carry_on() {
    let _serial = SERIAL.lock().await;
    let pbx = Pbx::start(&PbxOptions::at(OPEN));
    let api = pbx.api().await;
    let flow = api.create_flow("hostile").await;
    let version = api.upload_version(&flow, flow_wasm("hostile_flow")).await;
    api.activate(&flow, version["id"].as_str().unwrap()).await;
    api.route_to_flow("e2e-trap", "5001", &flow, json!({"mode": "trap"}))
        .await;

    let mut ivr_caller = pjsua2_phone(&pbx, "1001", |o| o.recording()).await;
    let mut victim = pjsua2_phone(&pbx, "1002", |o| o.recording()).await;
    let ivr_mark = dial_answered(&pbx, &mut ivr_caller, "5000").await;

    // The hostile flow answers, then traps: the caller hears the
    // fallback and the call ends by itself, soon.
    let mark = dial_answered(&pbx, &mut victim, "5001").await;
    let patience = PATIENCE + Duration::from_secs_f64(prompt_seconds("technical-difficulties"));
    let ended = victim
        .wait_since_within(mark, "DISCONNECTED", patience)
        .await;
    assert!(
        ended.is_some(),
        "the call to the trapping flow was not ended within {} s\n{}\n{}",
        patience.as_secs(),
        victim.log(),
        pbx.log()
    );
    let (_, heard) = recording_of(&pbx, &victim, mark).await;
    assert_heard(&pbx, &heard, "technical-difficulties");

    // The IVR call went on meanwhile: greeting and menu, still up.
    listen(prompt_seconds("office-welcome") + prompt_seconds("office-menu")).await;
    assert!(
        ivr_caller
            .events()
            .iter()
            .skip(ivr_mark)
            .all(|e| !e.starts_with("DISCONNECTED")),
        "the IVR call ended when the other flow trapped\n{}\n{}",
        ivr_caller.log(),
        pbx.log()
    );
    hang_up(&pbx, &mut ivr_caller, ivr_mark).await;
    let (_, heard) = recording_of(&pbx, &ivr_caller, ivr_mark).await;
    assert_heard(&pbx, &heard, "office-welcome");
    assert_heard(&pbx, &heard, "office-menu");

    let record = finished_record(&pbx, &api, "5001").await;
    assert_eq!(record["outcome"], "failed", "{record:#}");
    assert_eq!(record["flow_name"], "hostile", "{record:#}");
    let flow_outcome = record["trace"]["flow_outcome"].as_str().unwrap_or_default();
    assert!(flow_outcome.contains("trap"), "{record:#}");
}

/// The fields of a call record that tell its path (no trace), for
/// assertions and failure messages.
fn summary(record: &Value) -> Value {
    json!({
        "caller": record["caller"],
        "dialled": record["dialled"],
        "flow_name": record["flow_name"],
        "flow_version": record["flow_version"],
        "outcome": record["outcome"],
        "started_at": record["started_at"],
        "ended_at": record["ended_at"],
    })
}

/// The demo route of `number` and the flow it runs (following the
/// flow's active version).
async fn demo_flow(pbx: &Pbx, api: &common::api::Api, number: &str) -> (Value, String) {
    let routes = api.list("/inbound-routes").await;
    let route = routes
        .iter()
        .find(|r| r["pattern"] == number && r["target"]["kind"] == "flow")
        .unwrap_or_else(|| {
            panic!(
                "no inbound route of {number} to a flow: {routes:#?}\n{}",
                pbx.log()
            )
        })
        .clone();
    let flow = route["target"]["flow_id"].as_str().unwrap().to_string();
    (route, flow)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_in_progress_keeps_its_version_when_another_is_activated() {
    let _serial = SERIAL.lock().await;
    let pbx = Pbx::start(&PbxOptions::at(OPEN));
    let api = pbx.api().await;
    let (route, flow) = demo_flow(&pbx, &api, "5000").await;
    if !route["target"]["version"].is_null() {
        // Pinned: make it follow the flow's active version.
        let mut spec = route.clone();
        spec["target"]["version"] = Value::Null;
        let spec = json!({
            "name": spec["name"], "pattern": spec["pattern"], "priority": spec["priority"],
            "target": spec["target"], "params": spec["params"],
        });
        let id = route["id"].as_str().unwrap();
        api.put(&api.t(&format!("/inbound-routes/{id}")), spec)
            .await;
    }
    let versions = api.get(&api.t(&format!("/flows/{flow}/versions"))).await;
    let old = versions["items"]
        .as_array()
        .and_then(|v| v.iter().filter_map(|v| v["version"].as_i64()).max())
        .unwrap_or_else(|| panic!("no version of the demo flow: {versions:#}"));

    let mut first = pjsua2_phone(&pbx, "1001", |o| o.recording()).await;
    let mut second = pjsua2_phone(&pbx, "1002", |o| o.recording()).await;
    let first_mark = dial_answered(&pbx, &mut first, "5000").await;
    listen(1.0).await;

    // Same behaviour, other bytes: a new version of the office-hours flow.
    let bytes = with_custom_section(&flow_wasm("office_hours"), "e2e-hot-swap", b"v2");
    let uploaded = api.upload_version(&flow, bytes).await;
    let new = uploaded["version"].as_i64().unwrap();
    assert!(new > old, "the new version is {new}, the old {old}");
    api.activate(&flow, uploaded["id"].as_str().unwrap()).await;
    // The flow cache follows the store's change feed: a moment to apply.
    listen(1.0).await;

    let second_mark = dial_answered(&pbx, &mut second, "5000").await;
    // Both through the greeting and the menu.
    listen(prompt_seconds("office-welcome") + prompt_seconds("office-menu")).await;
    for (phone, mark) in [(&first, first_mark), (&second, second_mark)] {
        assert!(
            phone
                .events()
                .iter()
                .skip(mark)
                .all(|e| !e.starts_with("DISCONNECTED")),
            "{}'s call ended early\n{}\n{}",
            phone.user,
            phone.log(),
            pbx.log()
        );
    }
    hang_up(&pbx, &mut second, second_mark).await;
    hang_up(&pbx, &mut first, first_mark).await;
    let (_, heard) = recording_of(&pbx, &first, first_mark).await;
    assert_heard(&pbx, &heard, "office-welcome");
    assert_heard(&pbx, &heard, "office-menu");

    let records = records_at_least(&pbx, &api, "5000", 2).await;
    let records: Vec<Value> = records.iter().map(summary).collect();
    let version_of = |caller: &str| {
        records
            .iter()
            .find(|r| r["caller"] == caller)
            .unwrap_or_else(|| panic!("no record of {caller}'s call: {records:#?}"))["flow_version"]
            .as_i64()
    };
    assert_eq!(
        version_of("1001"),
        Some(old),
        "the call in progress did not finish on its version: {records:#?}"
    );
    assert_eq!(
        version_of("1002"),
        Some(new),
        "the new call did not get the activated version: {records:#?}"
    );
}
