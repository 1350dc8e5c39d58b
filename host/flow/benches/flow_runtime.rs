//! Benchmarks of the flow runtime: what one call costs, what a live call
//! holds in memory, and how soon a hot swap reaches calls.
//!
//! Run with
//!
//! ```text
//! scripts/build-flows.sh   # or: cargo build --profile flow --target wasm32-wasip2 -p hostile-flow -p auto-attendant
//! cargo bench -p pbx-flow --bench flow_runtime -- --warm-up-time 1 --measurement-time 3
//! ```
//!
//! Criterion groups:
//!
//! * `instantiate_and_handle_call`: one `FlowEngine::run_call` end to end
//!   (admission, store, instantiation from the `InstancePre`, `handle-call`,
//!   drop) on a warm engine with a trivial in-memory backend;
//! * `instantiate_only`: store + instantiation + drop alone, through public
//!   wasmtime API on the engine's own `wasmtime::Engine` (see
//!   [`bench_instantiate_only`] for how it differs from `run_call`);
//! * `swap_to_first_call`: `FlowRegistry::activate(v2)` until a new call has
//!   observed v2, and until that call has completed.
//!
//! Besides criterion's timings, `main` prints measurements that are not
//! timings: resident memory per live instance (1,000 calls held inside
//! `call.answer`), the auto-attendant in every guest language built
//! (`polyglot`: size, compile, cached load, one call, memory per call) and the latency of the first call after swapping to a
//! freshly uploaded version (cold code and pool slots). See
//! `docs/benchmarks.md` for results.

mod support;

use criterion::{BatchSize, Criterion};
use pbx_flow::{FlowEngine, FlowLimits, FlowOutcome, TenantData};
use std::hint::black_box;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use support::{
    FLOW_NAME, FakeTenant, Gate, Invocation, Mem, TENANT, assert_completed, auto_attendant_wasm,
    default_params, engine, hostile_wasm, polyglot_components, prepare, runtime, setup,
    swap_fixture,
};
use tokio::runtime::Runtime;
use tokio::sync::watch;

// ---------------------------------------------------------------------------
// 1. instantiate_and_handle_call / instantiate_only
// ---------------------------------------------------------------------------

fn bench_run_call(c: &mut Criterion, rt: &Runtime, cache: &Path) {
    let engine = engine(FlowLimits::default(), cache);
    let tenant: Arc<dyn TenantData> = Arc::new(FakeTenant);
    let hostile = prepare(rt, &engine, &hostile_wasm());
    let hostile_params = default_params(&hostile);
    let attendant = prepare(rt, &engine, &auto_attendant_wasm());
    let attendant_params = default_params(&attendant);

    // Sanity: what each flow does with the fake backend.
    for (name, flow, params) in [
        ("hostile_flow", &hostile, &hostile_params),
        ("auto_attendant", &attendant, &attendant_params),
    ] {
        let report = rt.block_on(engine.run_call(flow, setup(&tenant, params, None)));
        assert_completed(&report.outcome);
        let calls: Vec<String> = report
            .trace
            .host_calls()
            .map(|(i, f)| format!("{i}.{f}"))
            .collect();
        println!(
            "{name}: {} host calls per call: {}",
            calls.len(),
            calls.join(", ")
        );
    }

    let mut group = c.benchmark_group("instantiate_and_handle_call");
    group.sample_size(20);
    for (name, flow, params) in [
        ("hostile_ok", &hostile, &hostile_params),
        ("auto_attendant_closed", &attendant, &attendant_params),
    ] {
        group.bench_function(name, |b| {
            b.to_async(rt).iter_batched(
                || setup(&tenant, params, None),
                |call| {
                    let engine = &engine;
                    async move {
                        let report = engine.run_call(flow, call).await;
                        debug_assert_eq!(report.outcome, FlowOutcome::Completed);
                        black_box(report)
                    }
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();

    bench_instantiate_only(c, rt, &engine);
}

/// Store data for the instantiate-only probe: what `FlowState` holds for
/// WASI, nothing of the call.
struct ProbeState {
    wasi: wasmtime_wasi::WasiCtx,
    table: wasmtime::component::ResourceTable,
}

impl wasmtime_wasi::WasiView for ProbeState {
    fn ctx(&mut self) -> wasmtime_wasi::WasiCtxView<'_> {
        wasmtime_wasi::WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

/// Instantiation alone. `PreparedFlow`'s `InstancePre` and the engine's
/// linker are crate-private, so this links the same component on the same
/// `wasmtime::Engine` (same pooling allocator and configuration, taken from
/// `FlowEngine::wasmtime()`) with a linker of its own: real WASI p2 host
/// functions, and trapping stubs for the `pbx:flow` imports. Import
/// resolution happens once in `instantiate_pre` either way, so the
/// per-instance work (pool slots, copy-on-write memory image, vmctx and
/// table initialisation, core instance start-up) is the same as in
/// `run_call`; what differs is the store data (no trace, no captured
/// output, no call) and the absence of the memory limiter.
fn bench_instantiate_only(c: &mut Criterion, rt: &Runtime, engine: &FlowEngine) {
    use wasmtime::component::{Component, Linker, ResourceTable};
    use wasmtime::{Store, UpdateDeadline};

    let wt = engine.wasmtime();
    let component = Component::new(wt, hostile_wasm()).expect("compile hostile_flow");
    let mut linker = Linker::<ProbeState>::new(wt);
    wasmtime_wasi::p2::add_to_linker_async(&mut linker).expect("link WASI");
    linker
        .define_unknown_imports_as_traps(&component)
        .expect("stub pbx:flow imports");
    let pre = linker.instantiate_pre(&component).expect("instantiate_pre");

    let new_store = || {
        let state = ProbeState {
            wasi: wasmtime_wasi::WasiCtx::builder()
                .allow_tcp(false)
                .allow_udp(false)
                .allow_ip_name_lookup(false)
                .build(),
            table: ResourceTable::new(),
        };
        let mut store = Store::new(wt, state);
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(|_| Ok(UpdateDeadline::Yield(1)));
        store
    };

    let mut group = c.benchmark_group("instantiate_only");
    group.sample_size(20);
    group.bench_function("hostile_flow", |b| {
        b.to_async(rt).iter(|| async {
            let mut store = new_store();
            let instance = pre
                .instantiate_async(&mut store)
                .await
                .expect("instantiate");
            black_box(instance);
            drop(store);
        })
    });
    // The same without the store's construction and drop (WASI context,
    // resource table), to see what instantiation itself costs.
    group.bench_function("hostile_flow_instantiate_call_only", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let pre = &pre;
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let mut store = new_store();
                    let t0 = Instant::now();
                    let instance = pre
                        .instantiate_async(&mut store)
                        .await
                        .expect("instantiate");
                    total += t0.elapsed();
                    black_box(instance);
                    drop(store);
                }
                total
            }
        })
    });
    group.finish();
}

// ---------------------------------------------------------------------------
// 2. memory_per_live_instance (a measurement, not a criterion timing)
// ---------------------------------------------------------------------------

/// Hold `n` calls alive inside `call.answer` and report the resident memory
/// they add, per call; then release them and check they all complete. Two
/// rounds: the first takes fresh pool slots, the second reuses warm ones.
fn memory_per_live_instance(rt: &Runtime, cache: &Path, n: usize) {
    println!("\nmemory_per_live_instance: {n} concurrent calls held in call.answer");
    let engine = engine(held_limits(n), cache);
    let flow = prepare(rt, &engine, &hostile_wasm());
    hold_calls(rt, &engine, &flow, n, 2);
}

/// Limits that admit `n` concurrent calls.
fn held_limits(n: usize) -> FlowLimits {
    FlowLimits {
        instances_total: (n as u32) + 100,
        instances_per_tenant: (n as u32) + 100,
        ..FlowLimits::default()
    }
}

/// Hold `n` calls of `flow` inside `call.answer`, `rounds` times, printing
/// what they add to resident memory; the VmRSS per call of the last round.
fn hold_calls(
    rt: &Runtime,
    engine: &FlowEngine,
    flow: &Arc<pbx_flow::PreparedFlow>,
    n: usize,
    rounds: usize,
) -> f64 {
    let tenant: Arc<dyn TenantData> = Arc::new(FakeTenant);
    let params = default_params(flow);
    // One call first, so that one-off costs (lazy code paging, first-use
    // allocations) are in the baseline.
    let report = rt.block_on(engine.run_call(flow, setup(&tenant, &params, None)));
    assert_completed(&report.outcome);

    let start = Mem::read();
    println!("  baseline: VmRSS {} KiB, PSS {} KiB", start.rss, start.pss);
    let mut per_call = 0.0;
    for round in 1..=rounds {
        let before = Mem::read();
        let arrived = Arc::new(AtomicUsize::new(0));
        let (release, release_rx) = watch::channel(false);
        let gate = Gate {
            arrived: arrived.clone(),
            release: release_rx,
        };
        let t0 = Instant::now();
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let engine = engine.clone();
                let flow = flow.clone();
                let call = setup(&tenant, &params, Some(gate.clone()));
                rt.spawn(async move { engine.run_call(&flow, call).await.outcome })
            })
            .collect();
        drop(gate);
        let deadline = Instant::now() + Duration::from_secs(60);
        while arrived.load(Ordering::Acquire) < n {
            if Instant::now() > deadline || handles.iter().any(|h| h.is_finished()) {
                // A call that finished before arriving failed (instance
                // limit, pool exhausted...): show why.
                let done: Vec<_> = handles.into_iter().filter(|h| h.is_finished()).collect();
                let outcomes: Vec<_> = done
                    .into_iter()
                    .take(3)
                    .map(|h| rt.block_on(h).expect("call task"))
                    .collect();
                panic!(
                    "only {} of {n} calls reached call.answer; finished early: {outcomes:?}",
                    arrived.load(Ordering::Acquire)
                );
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        let ramp = t0.elapsed();
        let live = engine.live_instances(TENANT);
        let held = Mem::read();
        let added = held.minus(before);

        release.send(true).expect("release calls");
        let outcomes: Vec<FlowOutcome> = handles
            .into_iter()
            .map(|h| rt.block_on(h).expect("call task"))
            .collect();
        let total = t0.elapsed();
        let completed = outcomes
            .iter()
            .filter(|o| **o == FlowOutcome::Completed)
            .count();
        let after = Mem::read();
        println!(
            "  round {round} ({}): {n} calls live in {:.1} ms ({:.1} us per call); live_instances = {live}",
            if round == 1 {
                "fresh pool slots"
            } else {
                "reused slots"
            },
            ramp.as_secs_f64() * 1e3,
            ramp.as_secs_f64() * 1e6 / n as f64,
        );
        println!(
            "    while held: VmRSS {} KiB (+{} KiB), PSS {} KiB (+{} KiB)",
            held.rss, added.rss, held.pss, added.pss
        );
        println!("    per live instance: {}", added.per(n));
        println!(
            "    released: {completed}/{n} completed, all done {:.1} ms after start; \
             live_instances = {}; VmRSS after {} KiB (+{} KiB kept over the round's start)",
            total.as_secs_f64() * 1e3,
            engine.live_instances(TENANT),
            after.rss,
            after.rss - before.rss
        );
        assert_eq!(live as usize, n, "live instance count while held");
        assert_eq!(completed, n, "every released call completes: {outcomes:?}");
        assert_eq!(engine.live_instances(TENANT), 0, "slots released");
        per_call = added.rss as f64 / n as f64;
    }
    per_call
}

// ---------------------------------------------------------------------------
// 2b. polyglot: the auto-attendant in every guest language
// ---------------------------------------------------------------------------

/// For the Rust auto-attendant and each polyglot build present: size,
/// compile time (empty code cache), load time from the code cache, one
/// call end to end (median) and resident memory per live call.
fn polyglot(rt: &Runtime, n: usize, calls: usize) {
    let mut flows = vec![("Rust", auto_attendant_wasm())];
    flows.extend(polyglot_components());
    println!("\npolyglot: the auto-attendant per language ({n} calls held for memory)");
    let mut rows = Vec::new();
    for (lang, bytes) in flows {
        let cache = tempfile::tempdir().expect("code cache dir");
        let cold = engine(held_limits(n), cache.path());
        let t0 = Instant::now();
        let _ = prepare(rt, &cold, &bytes);
        let compile = t0.elapsed();
        // A second engine on the same cache: what a restart costs.
        let warm = engine(held_limits(n), cache.path());
        let t0 = Instant::now();
        let flow = prepare(rt, &warm, &bytes);
        let cached = t0.elapsed();
        let tenant: Arc<dyn TenantData> = Arc::new(FakeTenant);
        let params = default_params(&flow);
        let mut times: Vec<Duration> = (0..calls)
            .map(|_| {
                let t0 = Instant::now();
                let report = rt.block_on(warm.run_call(&flow, setup(&tenant, &params, None)));
                assert_completed(&report.outcome);
                t0.elapsed()
            })
            .collect();
        times.sort();
        let call = times[times.len() / 2];
        println!("  {lang}:");
        let per_call = hold_calls(rt, &warm, &flow, n, 1);
        rows.push((lang, bytes.len(), compile, cached, call, per_call));
    }
    println!(
        "\n| language | component | compile | load from cache | one call (median) | memory per live call |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for (lang, size, compile, cached, call, per_call) in rows {
        println!(
            "| {lang} | {:.2} MB | {:.0} ms | {:.1} ms | {:.0} us | {:.0} KiB |",
            size as f64 / 1e6,
            compile.as_secs_f64() * 1e3,
            cached.as_secs_f64() * 1e3,
            call.as_secs_f64() * 1e6,
            per_call
        );
    }
}

// ---------------------------------------------------------------------------
// 3. swap_to_first_call
// ---------------------------------------------------------------------------

fn bench_swap(c: &mut Criterion, rt: &Runtime, cache: &Path) {
    let engine = engine(FlowLimits::default(), cache);
    let fixture = swap_fixture(rt, &engine, &hostile_wasm(), &auto_attendant_wasm());

    let mut group = c.benchmark_group("swap_to_first_call");
    group.sample_size(20);
    // activate(v2) + the registry look-up a new call does.
    group.bench_function("observe_v2", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                fixture
                    .registry
                    .activate(TENANT, FLOW_NAME, 1)
                    .expect("activate v1");
                let t0 = Instant::now();
                black_box(fixture.swap_and_observe());
                total += t0.elapsed();
            }
            total
        })
    });
    // activate(v2) until the first v2 call completed, with a v1 call served
    // before each swap (untimed).
    group.bench_function("first_call_completed", |b| {
        b.to_async(rt).iter_custom(|iters| {
            let fixture = &fixture;
            async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    fixture
                        .registry
                        .activate(TENANT, FLOW_NAME, 1)
                        .expect("activate v1");
                    fixture.v1_call().await;
                    total += fixture.swap_and_first_call().await.1;
                }
                total
            }
        })
    });
    group.finish();
}

/// The first call after swapping to a version that was just uploaded (its
/// code freshly loaded, no pool slot ever used by it beyond `describe`):
/// a fresh registry each time, compiled code from the on-disk cache so
/// uploads are quick.
fn swap_cold(rt: &Runtime, cache: &Path, reps: usize) {
    println!(
        "\nswap_to_first_call (cold): {reps} fresh registries, v2 never called before the swap"
    );
    let engine = engine(FlowLimits::default(), cache);
    let (v1, v2) = (hostile_wasm(), auto_attendant_wasm());
    let mut observed = Vec::with_capacity(reps);
    let mut completed = Vec::with_capacity(reps);
    let mut warm = Vec::with_capacity(reps);
    for _ in 0..reps {
        let fixture = swap_fixture(rt, &engine, &v1, &v2);
        let (o, c) = rt.block_on(fixture.swap_and_first_call());
        observed.push(o);
        completed.push(c);
        // The next call on v2, for comparison.
        let t0 = Instant::now();
        let v = fixture.registry.active(TENANT, FLOW_NAME).expect("active");
        let report = rt.block_on(
            fixture
                .registry
                .engine()
                .run_call(&v.flow, setup(&fixture.tenant, &fixture.v2_params, None)),
        );
        assert_completed(&report.outcome);
        warm.push(t0.elapsed());
    }
    let show = |name: &str, v: &mut Vec<Duration>| {
        v.sort();
        println!(
            "  {name}: min {:.1} us, median {:.1} us, max {:.1} us",
            v[0].as_secs_f64() * 1e6,
            v[v.len() / 2].as_secs_f64() * 1e6,
            v[v.len() - 1].as_secs_f64() * 1e6
        );
    };
    show("activate -> call holds v2      ", &mut observed);
    show("activate -> first v2 call done ", &mut completed);
    show("second v2 call (warm), end-end ", &mut warm);
}

// ---------------------------------------------------------------------------
// main
// ---------------------------------------------------------------------------

fn main() {
    let invocation = Invocation::from_args();
    let mut criterion = Criterion::default()
        .sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .configure_from_args();
    let rt = runtime();
    let cache_dir = tempfile::tempdir().expect("code cache dir");
    let cache = cache_dir.path();

    // Before the criterion groups, while the process is small and quiet.
    if invocation.wants("memory_per_live_instance") {
        memory_per_live_instance(&rt, cache, if invocation.bench { 1_000 } else { 50 });
    }

    if invocation.wants("polyglot") {
        if invocation.bench {
            polyglot(&rt, 100, 31);
        } else {
            polyglot(&rt, 4, 3);
        }
    }

    bench_run_call(&mut criterion, &rt, cache);
    bench_swap(&mut criterion, &rt, cache);

    if invocation.wants("swap_to_first_call") {
        swap_cold(&rt, cache, if invocation.bench { 10 } else { 2 });
    }

    criterion.final_summary();
}
