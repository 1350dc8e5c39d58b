//! Misbehaving flows are stopped, reported and isolated: each mode of the
//! hostile fixture ends with the right outcome, the caller gets the
//! tenant's fallback when the call is still up, other calls and tenants go
//! on, and the process survives all of it.

mod common;

use common::*;
use pbx_flow::bindings::Error;
use pbx_flow::bindings::call::{CallState, HangupCause};
use pbx_flow::trace::{MAX_EVENTS, MAX_OUTPUT_BYTES};
use pbx_flow::{
    CallReport, FlowEngine, FlowLimits, FlowOutcome, PreparedFlow, QuarantinePolicy, TraceEvent,
};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// An engine with `limits` and the hostile flow prepared on it.
async fn hostile_on(limits: FlowLimits) -> (FlowEngine, Arc<PreparedFlow>) {
    let engine = engine(limits);
    let flow = prepare(&engine, &hostile_wasm()).await;
    (engine, Arc::new(flow))
}

/// Run the hostile flow in `mode` for a fresh call of tenant "acme".
async fn run_mode(
    engine: &FlowEngine,
    flow: &PreparedFlow,
    mode: &str,
) -> (CallReport, CallLog, Duration) {
    let (setup, log) = hostile_call("acme", mode);
    let started = Instant::now();
    let report = engine.run_call(flow, setup).await;
    (report, log, started.elapsed())
}

fn stderr_lines(report: &CallReport) -> Vec<String> {
    output_of(report, "stderr")
}

fn output_of(report: &CallReport, stream: &str) -> Vec<String> {
    report
        .trace
        .events
        .iter()
        .filter_map(|e| match e {
            TraceEvent::Output {
                stream: s, line, ..
            } if *s == stream => Some(line.clone()),
            _ => None,
        })
        .collect()
}

fn log_events_named(report: &CallReport, wanted: &str) -> usize {
    report
        .trace
        .events
        .iter()
        .filter(|e| matches!(e, TraceEvent::Log { name, .. } if name == wanted))
        .count()
}

#[tokio::test]
async fn ok_mode_completes_without_fallback() {
    let (engine, flow) = hostile_on(test_limits()).await;
    let (report, log, _) = run_mode(&engine, &flow, "ok").await;

    assert_eq!(report.outcome, FlowOutcome::Completed);
    assert!(!report.outcome.is_failure());
    assert!(!report.fallback_applied);
    assert_eq!(log.names(), vec!["answer", "hangup"]);
    assert_eq!(
        log.details("hangup"),
        vec![format!("{:?}", HangupCause::Normal)]
    );
    assert_eq!(report.control.state(), CallState::Ended);
    let calls: Vec<_> = report.trace.host_calls().collect();
    assert_eq!(
        calls,
        vec![("config", "get"), ("call", "answer"), ("call", "hangup")]
    );
    assert!(fallback_steps(&report.trace).is_empty());
    assert_eq!(engine.live_instances("acme"), 0);
}

#[tokio::test]
async fn loop_is_stopped_by_the_cpu_deadline_and_the_caller_gets_the_fallback() {
    let mut limits = test_limits();
    limits.cpu_per_step = Duration::from_millis(50);
    let (engine, flow) = hostile_on(limits).await;
    let (report, log, took) = run_mode(&engine, &flow, "loop").await;

    assert_eq!(report.outcome, FlowOutcome::CpuDeadline);
    assert_eq!(report.outcome.name(), "cpu-deadline");
    assert!(report.outcome.is_failure());
    assert!(
        took < Duration::from_secs(3),
        "a 50 ms deadline took {took:?}"
    );
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
    assert_eq!(log.names().first(), Some(&"answer"));
    assert_eq!(fallback_steps(&report.trace), vec!["play", "transfer"]);
    assert_eq!(engine.live_instances("acme"), 0);
}

#[tokio::test]
async fn the_per_call_cpu_allowance_stops_a_flow_the_step_allowance_would_not() {
    let mut limits = test_limits();
    limits.cpu_per_step = Duration::from_secs(30);
    limits.cpu_per_call = Duration::from_millis(100);
    let (engine, flow) = hostile_on(limits).await;
    let (report, log, took) = run_mode(&engine, &flow, "loop").await;

    assert_eq!(report.outcome, FlowOutcome::CpuDeadline);
    assert!(
        took < Duration::from_secs(3),
        "a 100 ms allowance took {took:?}"
    );
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
}

#[tokio::test]
async fn a_flow_looping_on_a_cheap_host_call_is_stopped_by_the_per_call_allowance() {
    // Every host call resets the step allowance; only the per-call one can
    // stop this flow before the wall clock.
    let mut limits = test_limits();
    limits.cpu_per_call = Duration::from_millis(300);
    limits.wall_clock_per_call = Duration::from_secs(10);
    let (engine, flow) = hostile_on(limits).await;
    let (report, log, took) = run_mode(&engine, &flow, "state-loop").await;

    assert_eq!(report.outcome, FlowOutcome::CpuDeadline);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert_fallback_ran(&log);
}

#[tokio::test]
async fn alloc_is_stopped_by_the_memory_limit() {
    let mut limits = test_limits();
    limits.memory_bytes = 8 << 20;
    let (engine, flow) = hostile_on(limits).await;
    let (report, log, took) = run_mode(&engine, &flow, "alloc").await;

    assert_eq!(report.outcome, FlowOutcome::MemoryLimit);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // Each "grew" event is one more MiB hoarded: fewer than 8 fit in 8 MiB.
    let grew = log_events_named(&report, "grew");
    assert!(
        (1..8).contains(&grew),
        "expected 1-7 MiB hoarded before the cap, got {grew}"
    );
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
}

#[tokio::test]
async fn trap_is_reported_as_trapped() {
    let (engine, flow) = hostile_on(test_limits()).await;
    let (report, log, _) = run_mode(&engine, &flow, "trap").await;

    match &report.outcome {
        FlowOutcome::Trapped(msg) => assert!(msg.contains("unreachable"), "trap message: {msg}"),
        other => panic!("expected Trapped, got {other:?}"),
    }
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
}

#[tokio::test]
async fn panic_is_trapped_and_its_message_lands_in_the_trace() {
    let (engine, flow) = hostile_on(test_limits()).await;
    let (report, log, _) = run_mode(&engine, &flow, "panic").await;

    assert!(
        matches!(report.outcome, FlowOutcome::Trapped(_)),
        "expected Trapped, got {:?}",
        report.outcome
    );
    let stderr = stderr_lines(&report);
    assert!(
        stderr
            .iter()
            .any(|l| l.contains("flow panicked on purpose")),
        "panic message missing from stderr: {stderr:?}"
    );
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
}

#[tokio::test]
async fn output_flood_is_capped_and_stopped() {
    let (engine, flow) = hostile_on(test_limits()).await;
    let (report, log, took) = run_mode(&engine, &flow, "flood").await;

    assert_eq!(report.outcome, FlowOutcome::CpuDeadline);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(report.trace.dropped_output_bytes > 0, "nothing was dropped");
    let lines = output_of(&report, "stdout");
    assert!(!lines.is_empty());
    assert!(
        lines[0].starts_with("flooding the output"),
        "first line: {:?}",
        lines[0]
    );
    // Every kept byte, newlines included, fits in the cap.
    let kept: usize = lines.iter().map(|l| l.len() + 1).sum::<usize>() - 1;
    assert!(
        kept <= MAX_OUTPUT_BYTES,
        "{kept} bytes of output kept, cap {MAX_OUTPUT_BYTES}"
    );
    assert!(report.trace.events.len() <= MAX_EVENTS);
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
}

#[tokio::test]
async fn log_flood_is_bounded_and_stopped() {
    let (engine, flow) = hostile_on(test_limits()).await;
    let (report, log, took) = run_mode(&engine, &flow, "log-flood").await;

    assert_eq!(report.outcome, FlowOutcome::CpuDeadline);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    assert!(report.trace.events.len() <= MAX_EVENTS);
    assert!(report.trace.dropped > 0, "no event was counted as dropped");
    // The trace is full of the flood, not of something else.
    assert!(log_events_named(&report, "spam") >= MAX_EVENTS - 50);
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
}

#[tokio::test]
async fn host_calls_after_hang_up_do_not_reset_the_cpu_deadline() {
    let (engine, flow) = hostile_on(test_limits()).await;
    let (report, log, took) = run_mode(&engine, &flow, "host-loop").await;

    assert_eq!(report.outcome, FlowOutcome::CpuDeadline);
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // The flow hung up itself, then hammered `answer`.
    assert_eq!(
        log.details("hangup"),
        vec![format!("{:?}", HangupCause::Normal)]
    );
    assert!(log.count("answer") > 10, "answers: {}", log.count("answer"));
    // The call is gone: no fallback for it.
    assert!(!report.fallback_applied);
    assert_eq!(log.count("play"), 0);
    assert_eq!(log.count("transfer"), 0);
    assert!(fallback_steps(&report.trace).is_empty());
}

#[tokio::test]
async fn print_output_is_captured_line_by_line() {
    let (engine, flow) = hostile_on(test_limits()).await;
    let (report, log, _) = run_mode(&engine, &flow, "print").await;

    assert_eq!(report.outcome, FlowOutcome::Completed);
    assert!(!report.fallback_applied);
    assert_eq!(output_of(&report, "stdout"), vec!["hello from stdout"]);
    assert_eq!(output_of(&report, "stderr"), vec!["hello from stderr"]);
    assert_eq!(
        report.trace.output_lines().collect::<Vec<_>>(),
        vec!["hello from stdout", "hello from stderr"]
    );
    assert_eq!(report.trace.dropped_output_bytes, 0);
    assert_eq!(log.names(), vec!["answer", "hangup"]);
}

#[tokio::test]
async fn flow_error_is_reported_and_the_fallback_runs() {
    let (engine, flow) = hostile_on(test_limits()).await;
    let (report, log, _) = run_mode(&engine, &flow, "error").await;

    assert_eq!(
        report.outcome,
        FlowOutcome::FlowError(Error::NotFound("what the flow wanted".into()))
    );
    assert!(report.outcome.is_failure());
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
    assert_eq!(fallback_steps(&report.trace), vec!["play", "transfer"]);
}

#[tokio::test]
async fn wall_clock_limit_stops_a_call_stuck_in_a_slow_host_call() {
    let mut limits = test_limits();
    limits.wall_clock_per_call = Duration::from_millis(300);
    let engine = engine(limits);
    let flow = prepare(&engine, &auto_attendant_wasm()).await;
    // The greeting takes 30 s to play.
    let call = FakeCall::new("acme").hook("play", Hook::Sleep(Duration::from_secs(30)));
    let (setup, log) = call_setup("acme", call, defaults_of(&flow, vec![]));

    let started = Instant::now();
    let report = engine.run_call(&flow, setup).await;
    let took = started.elapsed();

    assert_eq!(report.outcome, FlowOutcome::WallClock);
    assert!(took >= Duration::from_millis(300), "took {took:?}");
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert_eq!(log.prompts().first().map(String::as_str), Some("welcome"));
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
    assert_eq!(engine.live_instances("acme"), 0);
}

#[tokio::test]
async fn wall_clock_limit_also_stops_a_computing_flow() {
    // A CPU allowance longer than the wall clock: only the wall clock can
    // stop the loop, which it can because the flow yields every tick.
    let mut limits = test_limits();
    limits.cpu_per_step = Duration::from_secs(30);
    limits.wall_clock_per_call = Duration::from_millis(300);
    let (engine, flow) = hostile_on(limits).await;
    let (report, log, took) = run_mode(&engine, &flow, "loop").await;

    assert_eq!(report.outcome, FlowOutcome::WallClock);
    assert!(took < Duration::from_secs(5), "took {took:?}");
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
}

#[tokio::test]
async fn a_version_that_keeps_looping_is_quarantined_then_tried_again() {
    let mut limits = test_limits();
    limits.cpu_per_step = Duration::from_millis(20);
    limits.quarantine = QuarantinePolicy {
        stops: 3,
        window: Duration::from_secs(10),
        cooldown: Duration::from_millis(600),
        ..QuarantinePolicy::default()
    };
    let (engine, flow) = hostile_on(limits.clone()).await;
    // A good run, then three stopped ones: three of four were stopped.
    let (report, _, _) = run_mode(&engine, &flow, "ok").await;
    assert_eq!(report.outcome, FlowOutcome::Completed);
    for i in 0..3 {
        assert_eq!(flow.quarantine().quarantined_for, None, "after {i} stops");
        let (report, _, _) = run_mode(&engine, &flow, "loop").await;
        assert_eq!(report.outcome, FlowOutcome::CpuDeadline);
    }
    let status = flow.quarantine();
    assert_eq!(status.trips, 1);
    assert!(
        status
            .quarantined_for
            .is_some_and(|d| d <= Duration::from_millis(600))
    );

    // Quarantined: the flow does not run at all (no answer), the caller
    // gets the fallback, whatever the call's parameters.
    for mode in ["loop", "ok"] {
        let (report, log, took) = run_mode(&engine, &flow, mode).await;
        assert_eq!(report.outcome, FlowOutcome::Quarantined, "{mode}");
        assert_eq!(report.outcome.name(), "quarantined");
        assert!(report.outcome.is_failure() && report.fallback_applied);
        assert!(
            !log.names().contains(&"answer"),
            "{mode}: {:?}",
            log.names()
        );
        assert_fallback_ran(&log);
        assert!(took < Duration::from_millis(20), "{mode}: took {took:?}");
    }
    assert_eq!(engine.live_instances("acme"), 0);

    // Another version of the same component (a fix, a rollback) and
    // other tenants' versions have their own breaker.
    let other = prepare(&engine, &hostile_wasm()).await;
    let (report, _, _) = run_mode(&engine, &other, "ok").await;
    assert_eq!(report.outcome, FlowOutcome::Completed);

    // After the cooldown the version runs again; stopped again at once,
    // it goes back for twice as long.
    tokio::time::sleep(Duration::from_millis(650)).await;
    let (report, _, _) = run_mode(&engine, &flow, "ok").await;
    assert_eq!(report.outcome, FlowOutcome::Completed);
    for _ in 0..3 {
        run_mode(&engine, &flow, "loop").await;
    }
    let status = flow.quarantine();
    assert_eq!(status.trips, 2);
    assert!(
        status
            .quarantined_for
            .is_some_and(|d| d > Duration::from_millis(600) && d <= Duration::from_millis(1200)),
        "{status:?}"
    );
}

#[tokio::test]
async fn a_version_stopped_now_and_then_among_good_calls_keeps_running() {
    let mut limits = test_limits();
    limits.cpu_per_step = Duration::from_millis(20);
    limits.quarantine = QuarantinePolicy::default();
    let (engine, flow) = hostile_on(limits).await;
    for round in 0..4 {
        for _ in 0..2 {
            let (report, _, _) = run_mode(&engine, &flow, "ok").await;
            assert_eq!(report.outcome, FlowOutcome::Completed, "round {round}");
        }
        let (report, _, _) = run_mode(&engine, &flow, "alloc").await;
        assert_eq!(report.outcome, FlowOutcome::MemoryLimit, "round {round}");
    }
    assert_eq!(flow.quarantine().trips, 0);
}

#[tokio::test]
async fn tenant_instance_limit_refuses_the_second_call_of_the_same_tenant() {
    let mut limits = test_limits();
    limits.instances_per_tenant = 1;
    let (engine, flow) = hostile_on(limits).await;

    let gate = Gate::new();
    let held = FakeCall::new("acme")
        .call_id("held")
        .hook("answer", Hook::Gate(gate.clone()));
    let (held_setup, held_log) = call_setup("acme", held, hostile_params("ok"));
    let first = engine.run_call(&flow, held_setup);

    let others = async {
        gate.entered().await;
        assert_eq!(engine.live_instances("acme"), 1);

        let (setup, same_log) = hostile_call("acme", "ok");
        let same = engine.run_call(&flow, setup).await;

        let (setup, other_log) = hostile_call("globex", "ok");
        let other = engine.run_call(&flow, setup).await;

        // Still held while the others ran.
        assert_eq!(engine.live_instances("acme"), 1);
        gate.release();
        (same, same_log, other, other_log)
    };
    let (held_report, (same, same_log, other, other_log)) = tokio::join!(first, others);

    assert_eq!(same.outcome, FlowOutcome::TenantInstanceLimit);
    assert!(same.fallback_applied);
    // The refused call was ringing: early media, apology, transfer; the
    // flow never ran for it.
    assert_eq!(same_log.names(), vec!["pre-answer", "play", "transfer"]);
    assert_fallback_ran(&same_log);
    assert_eq!(
        fallback_steps(&same.trace),
        vec!["pre-answer", "play", "transfer"]
    );

    assert_eq!(other.outcome, FlowOutcome::Completed);
    assert!(!other.fallback_applied);
    assert_eq!(other_log.names(), vec!["answer", "hangup"]);

    assert_eq!(held_report.outcome, FlowOutcome::Completed);
    assert_eq!(held_log.names(), vec!["answer", "hangup"]);
    assert_eq!(engine.live_instances("acme"), 0);

    // The slot is free again: the tenant's next call runs.
    let (setup, _) = hostile_call("acme", "ok");
    assert_eq!(
        engine.run_call(&flow, setup).await.outcome,
        FlowOutcome::Completed
    );
}

#[tokio::test]
async fn an_exhausted_instance_pool_is_reported_and_the_caller_gets_the_fallback() {
    // Room for one live instance in the whole process.
    let mut limits = test_limits();
    limits.instances_total = 1;
    let (engine, flow) = hostile_on(limits).await;

    let gate = Gate::new();
    let held = FakeCall::new("acme").hook("answer", Hook::Gate(gate.clone()));
    let (setup, _) = call_setup("acme", held, hostile_params("ok"));
    let first = engine.run_call(&flow, setup);
    let second = async {
        gate.entered().await;
        // Another tenant, under its own limit, but the pool is full.
        let (setup, log) = hostile_call("globex", "ok");
        let report = engine.run_call(&flow, setup).await;
        gate.release();
        (report, log)
    };
    let (first, (second, log)) = tokio::join!(first, second);

    assert_eq!(first.outcome, FlowOutcome::Completed);
    assert!(
        matches!(second.outcome, FlowOutcome::InstantiateFailed(_)),
        "expected InstantiateFailed, got {:?}",
        second.outcome
    );
    assert!(second.fallback_applied);
    assert_eq!(log.names(), vec!["pre-answer", "play", "transfer"]);
    assert_fallback_ran(&log);
    assert_eq!(engine.live_instances("globex"), 0);

    // The slot came back.
    let (setup, _) = hostile_call("globex", "ok");
    assert_eq!(
        engine.run_call(&flow, setup).await.outcome,
        FlowOutcome::Completed
    );
}

#[tokio::test]
async fn fallback_steps_are_traced_even_when_the_flow_filled_the_trace() {
    let (engine, flow) = hostile_on(test_limits()).await;
    let (report, log, _) = run_mode(&engine, &flow, "log-flood").await;
    assert!(report.fallback_applied);
    assert_fallback_ran(&log);
    // The admin reading the trace must see what happened to the caller.
    assert_eq!(fallback_steps(&report.trace), vec!["play", "transfer"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_looping_tenant_does_not_hold_up_another_tenant() {
    let mut limits = test_limits();
    limits.cpu_per_step = Duration::from_millis(1500);
    let (engine, flow) = hostile_on(limits).await;

    let started = Arc::new(Notify::new());
    let looping = FakeCall::new("tenant-a").hook("answer", Hook::Signal(started.clone()));
    let (setup, loop_log) = call_setup("tenant-a", looping, hostile_params("loop"));
    let looper = {
        let (engine, flow) = (engine.clone(), flow.clone());
        tokio::spawn(async move {
            let report = engine.run_call(&flow, setup).await;
            (report, Instant::now())
        })
    };
    started.notified().await;
    // Let the loop get going.
    tokio::time::sleep(Duration::from_millis(50)).await;

    let t0 = Instant::now();
    let (setup, log_b) = hostile_call("tenant-b", "ok");
    let b = engine.run_call(&flow, setup).await;
    let b_done = Instant::now();

    assert_eq!(b.outcome, FlowOutcome::Completed);
    assert_eq!(log_b.names(), vec!["answer", "hangup"]);
    assert!(
        b_done - t0 < Duration::from_millis(1000),
        "tenant B waited {:?}",
        b_done - t0
    );
    assert!(
        !looper.is_finished(),
        "the loop should still be running when B completes"
    );
    assert_eq!(engine.live_instances("tenant-a"), 1);

    let (a, a_done) = looper.await.expect("loop task");
    assert_eq!(a.outcome, FlowOutcome::CpuDeadline);
    assert!(a_done > b_done);
    assert_fallback_ran(&loop_log);
    assert_eq!(engine.live_instances("tenant-a"), 0);
}

#[tokio::test(flavor = "current_thread")]
async fn a_looping_flow_yields_to_other_calls_on_the_same_thread() {
    // One thread only: the other call can progress only because the loop
    // yields at every epoch tick.
    let mut limits = test_limits();
    limits.cpu_per_step = Duration::from_millis(1000);
    let (engine, flow) = hostile_on(limits).await;

    let started = Arc::new(Notify::new());
    let looping = FakeCall::new("tenant-a").hook("answer", Hook::Signal(started.clone()));
    let (setup, _) = call_setup("tenant-a", looping, hostile_params("loop"));
    let looper = async {
        let report = engine.run_call(&flow, setup).await;
        (report, Instant::now())
    };
    let other = async {
        started.notified().await;
        let (setup, _) = hostile_call("tenant-b", "ok");
        let report = engine.run_call(&flow, setup).await;
        (report, Instant::now())
    };
    let ((a, a_done), (b, b_done)) = tokio::join!(looper, other);

    assert_eq!(b.outcome, FlowOutcome::Completed);
    assert_eq!(a.outcome, FlowOutcome::CpuDeadline);
    assert!(
        b_done < a_done,
        "the other call finished only after the loop was stopped"
    );
}

#[tokio::test]
async fn one_engine_survives_every_misbehaviour_in_turn() {
    let mut limits = test_limits();
    limits.memory_bytes = 8 << 20;
    let (engine, flow) = hostile_on(limits).await;
    let expected = [
        ("loop", "cpu-deadline"),
        ("alloc", "memory-limit"),
        ("trap", "trapped"),
        ("panic", "trapped"),
        ("flood", "cpu-deadline"),
        ("log-flood", "cpu-deadline"),
        ("host-loop", "cpu-deadline"),
        ("print", "completed"),
        ("error", "flow-error"),
        ("ok", "completed"),
    ];
    for round in 0..2 {
        for (mode, outcome) in expected {
            let (report, _, _) = run_mode(&engine, &flow, mode).await;
            assert_eq!(
                report.outcome.name(),
                outcome,
                "mode {mode} in round {round}: {:?}",
                report.outcome
            );
        }
    }
    assert_eq!(engine.live_instances("acme"), 0);
    // And it still serves a real flow afterwards.
    let aa = prepare(&engine, &auto_attendant_wasm()).await;
    let (setup, log) = call_setup("acme", FakeCall::new("acme"), defaults_of(&aa, vec![]));
    let report = engine.run_call(&aa, setup).await;
    assert_eq!(report.outcome, FlowOutcome::Completed);
    assert!(log.prompts().contains(&"welcome".to_string()));
}
