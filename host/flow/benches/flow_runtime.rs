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
//! `call.answer`) and the latency of the first call after swapping to a
//! freshly uploaded version (cold code and pool slots). See
//! `docs/benchmarks.md` for results.

use async_trait::async_trait;
use criterion::{BatchSize, Criterion};
use pbx_flow::bindings::call::{
    CallInfo, CallState, CollectEnd, CollectOptions, Collected, DialOptions, DialOutcome,
    EnqueueOptions, HangupCause, Origin, QueueExit, RecordEnd, RecordOptions, Recording,
    TransferTarget, VoicemailGreeting, VoicemailOutcome,
};
use pbx_flow::bindings::directory::{Contact, Extension};
use pbx_flow::bindings::holidays::Holiday;
use pbx_flow::bindings::incidents::Flag;
use pbx_flow::bindings::schedule::{ClosedReason, ScheduleStatus};
use pbx_flow::bindings::{Date, Datetime, Error};
use pbx_flow::{
    CallControl, CallSetup, Fallback, FlowEngine, FlowLimits, FlowOutcome, FlowPermissions,
    FlowRegistry, Params, PreparedFlow, TenantData,
};
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;
use tokio::sync::watch;

const TENANT: &str = "bench-tenant";
const FLOW_NAME: &str = "main";

// ---------------------------------------------------------------------------
// Guest components
// ---------------------------------------------------------------------------

/// Bytes of a guest component built with the `flow` profile, looked up in
/// `$CARGO_TARGET_DIR`, the target directory this bench binary was built
/// in, then `<workspace>/target`.
fn guest_wasm(file: &str) -> Vec<u8> {
    let mut dirs: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        dirs.push(dir.into());
    }
    // <target>/release/deps/flow_runtime-<hash>
    if let Ok(exe) = std::env::current_exe()
        && let Some(dir) = exe.ancestors().nth(3)
    {
        dirs.push(dir.to_path_buf());
    }
    dirs.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    let candidates: Vec<PathBuf> = dirs
        .iter()
        .map(|d| d.join("wasm32-wasip2/flow").join(file))
        .collect();
    candidates
        .iter()
        .find_map(|p| std::fs::read(p).ok())
        .unwrap_or_else(|| {
            panic!(
                "guest component {file} not found (looked at {candidates:?}); \
                 run scripts/build-flows.sh first \
                 (cargo build --profile flow --target wasm32-wasip2 -p hostile-flow -p auto-attendant)"
            )
        })
}

fn hostile_wasm() -> Vec<u8> {
    guest_wasm("hostile_flow.wasm")
}

fn auto_attendant_wasm() -> Vec<u8> {
    guest_wasm("auto_attendant.wasm")
}

// ---------------------------------------------------------------------------
// A trivial in-memory backend
// ---------------------------------------------------------------------------

/// Holds a call inside `answer()` until released (memory measurement).
#[derive(Clone)]
struct Gate {
    /// Calls that reached `answer()`.
    arrived: Arc<AtomicUsize>,
    /// Becomes `true` to let them all go on.
    release: watch::Receiver<bool>,
}

/// A call that does whatever it is asked at once, and succeeds.
struct FakeCall {
    state: CallState,
    gate: Option<Gate>,
}

impl FakeCall {
    fn new(gate: Option<Gate>) -> Self {
        FakeCall {
            state: CallState::Ringing,
            gate,
        }
    }

    fn up(&self) -> Result<(), Error> {
        if self.state == CallState::Ended {
            Err(Error::Hangup)
        } else {
            Ok(())
        }
    }
}

#[async_trait]
impl CallControl for FakeCall {
    fn info(&self) -> CallInfo {
        CallInfo {
            call_id: "bench-call".into(),
            tenant: TENANT.into(),
            caller_number: "+33100000000".into(),
            caller_name: None,
            dialled_number: "+33199999999".into(),
            did: Some("+33199999999".into()),
            origin: Origin::Trunk("bench-trunk".into()),
            language: "en".into(),
            started_at: pbx_flow::tenant_time::epoch_datetime(),
        }
    }

    fn state(&self) -> CallState {
        self.state
    }

    fn elapsed_ms(&self) -> u64 {
        0
    }

    async fn answer(&mut self) -> Result<(), Error> {
        self.up()?;
        if let Some(gate) = &mut self.gate {
            gate.arrived.fetch_add(1, Ordering::AcqRel);
            let _ = gate.release.wait_for(|go| *go).await;
        }
        self.state = CallState::Answered;
        Ok(())
    }

    async fn pre_answer(&mut self) -> Result<(), Error> {
        self.up()?;
        self.state = CallState::EarlyMedia;
        Ok(())
    }

    async fn play(
        &mut self,
        _prompts: Vec<String>,
        _barge_in: bool,
    ) -> Result<Option<char>, Error> {
        self.up().map(|_| None)
    }

    async fn say_digits(
        &mut self,
        _digits: String,
        _barge_in: bool,
    ) -> Result<Option<char>, Error> {
        self.up().map(|_| None)
    }

    async fn say_number(&mut self, _number: i64, _barge_in: bool) -> Result<Option<char>, Error> {
        self.up().map(|_| None)
    }

    async fn collect(&mut self, _options: CollectOptions) -> Result<Collected, Error> {
        self.up().map(|_| Collected {
            digits: String::new(),
            ended_by: CollectEnd::Timeout,
        })
    }

    async fn dial(&mut self, _options: DialOptions) -> Result<DialOutcome, Error> {
        self.up().map(|_| DialOutcome::NoAnswer)
    }

    async fn transfer(&mut self, _target: TransferTarget) -> Result<(), Error> {
        self.up()?;
        self.state = CallState::Ended;
        Ok(())
    }

    async fn enqueue(&mut self, _options: EnqueueOptions) -> Result<QueueExit, Error> {
        self.up().map(|_| QueueExit::NoAgents)
    }

    async fn voicemail(
        &mut self,
        _mailbox: String,
        _greeting: VoicemailGreeting,
    ) -> Result<VoicemailOutcome, Error> {
        self.up().map(|_| VoicemailOutcome::NothingLeft)
    }

    async fn record_message(&mut self, _options: RecordOptions) -> Result<Recording, Error> {
        self.up().map(|_| Recording {
            id: "rec-1".into(),
            duration_ms: 0,
            ended_by: RecordEnd::Silence,
        })
    }

    async fn music_on_hold(
        &mut self,
        _class: Option<String>,
        _duration_ms: u32,
    ) -> Result<Option<char>, Error> {
        self.up().map(|_| None)
    }

    async fn hangup(&mut self, _cause: HangupCause) -> Result<(), Error> {
        self.up()?;
        self.state = CallState::Ended;
        Ok(())
    }

    async fn set_record_field(&mut self, _name: String, _value: String) -> Result<(), Error> {
        self.up()
    }

    async fn pause(&mut self, _duration_ms: u32) -> Result<Option<char>, Error> {
        self.up().map(|_| None)
    }
}

/// A tenant with no data: every schedule is closed (outside hours), nothing
/// else exists.
struct FakeTenant;

#[async_trait]
impl TenantData for FakeTenant {
    fn now(&self) -> Datetime {
        pbx_flow::tenant_time::epoch_datetime()
    }

    async fn schedule_status(&self, _name: &str) -> Result<ScheduleStatus, Error> {
        Ok(ScheduleStatus {
            open: false,
            reason: Some(ClosedReason::OutsideHours),
            next_change: None,
        })
    }

    async fn holiday_on(&self, _calendar: &str, _date: Date) -> Result<Option<Holiday>, Error> {
        Ok(None)
    }

    async fn flag(&self, name: &str) -> Result<Flag, Error> {
        Err(Error::NotFound(name.to_string()))
    }

    async fn active_flags(&self) -> Vec<Flag> {
        Vec::new()
    }

    async fn set_flag(&self, _name: &str, _active: bool, _call_id: &str) -> Result<(), Error> {
        Ok(())
    }

    async fn kv_get(&self, _key: &str) -> Result<Option<String>, Error> {
        Ok(None)
    }

    async fn kv_set(&self, _key: &str, _value: &str, _ttl: Option<u32>) -> Result<(), Error> {
        Ok(())
    }

    async fn kv_delete(&self, _key: &str) -> Result<bool, Error> {
        Ok(false)
    }

    async fn kv_increment(&self, _key: &str, delta: i64, _ttl: Option<u32>) -> Result<i64, Error> {
        Ok(delta)
    }

    async fn extension(&self, _number: &str) -> Result<Option<Extension>, Error> {
        Ok(None)
    }

    async fn extensions_by_name(&self, _query: &str, _limit: u32) -> Result<Vec<Extension>, Error> {
        Ok(Vec::new())
    }

    async fn is_blocked(&self, _number: &str) -> Result<bool, Error> {
        Ok(false)
    }

    async fn contact(&self, _number: &str) -> Result<Option<Contact>, Error> {
        Ok(None)
    }
}

/// What one call brings: a fresh fake call, the shared tenant and the
/// route's parameters (the flow's defaults).
fn setup(tenant: &Arc<dyn TenantData>, params: &Arc<Params>, gate: Option<Gate>) -> CallSetup {
    CallSetup {
        control: Box::new(FakeCall::new(gate)),
        tenant: tenant.clone(),
        tenant_id: TENANT.to_string(),
        params: params.clone(),
        permissions: FlowPermissions::default(),
        fallback: Fallback::default(),
        flow_label: "bench v1".to_string(),
    }
}

fn default_params(flow: &PreparedFlow) -> Arc<Params> {
    Arc::new(Params::resolve(&flow.description, Vec::new()).expect("flow defaults resolve"))
}

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// An engine with these limits. Every engine of the run shares one on-disk
/// code cache, so each component is compiled once per configuration.
fn engine(limits: FlowLimits, cache: &Path) -> FlowEngine {
    FlowEngine::new(limits, Some(cache.to_path_buf())).expect("flow engine")
}

fn prepare(rt: &Runtime, engine: &FlowEngine, bytes: &[u8]) -> Arc<PreparedFlow> {
    Arc::new(rt.block_on(engine.prepare(bytes)).expect("prepare flow"))
}

fn assert_completed(outcome: &FlowOutcome) {
    assert_eq!(
        outcome,
        &FlowOutcome::Completed,
        "bench call did not complete"
    );
}

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

/// Memory figures of this process, in KiB.
#[derive(Debug, Clone, Copy, Default)]
struct Mem {
    rss: i64,
    anon: i64,
    file: i64,
    shmem: i64,
    /// Proportional set size: a page mapped N times counts 1/N each time,
    /// so copy-on-write image pages shared by many slots count once.
    pss: i64,
}

impl Mem {
    fn read() -> Mem {
        fn field(text: &str, name: &str) -> i64 {
            text.lines()
                .find_map(|l| l.strip_prefix(name))
                .and_then(|rest| rest.split_whitespace().next())
                .and_then(|v| v.parse().ok())
                .unwrap_or(-1)
        }
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let rollup = std::fs::read_to_string("/proc/self/smaps_rollup").unwrap_or_default();
        Mem {
            rss: field(&status, "VmRSS:"),
            anon: field(&status, "RssAnon:"),
            file: field(&status, "RssFile:"),
            shmem: field(&status, "RssShmem:"),
            pss: field(&rollup, "Pss:"),
        }
    }

    fn minus(self, o: Mem) -> Mem {
        Mem {
            rss: self.rss - o.rss,
            anon: self.anon - o.anon,
            file: self.file - o.file,
            shmem: self.shmem - o.shmem,
            pss: self.pss - o.pss,
        }
    }

    fn per(self, n: usize) -> String {
        let n = n as f64;
        format!(
            "VmRSS {:.1} KiB (anon {:.1}, file {:.1}, shmem {:.1}), PSS {:.1} KiB",
            self.rss as f64 / n,
            self.anon as f64 / n,
            self.file as f64 / n,
            self.shmem as f64 / n,
            self.pss as f64 / n
        )
    }
}

/// Hold `n` calls alive inside `call.answer` and report the resident memory
/// they add, per call; then release them and check they all complete. Two
/// rounds: the first takes fresh pool slots, the second reuses warm ones.
fn memory_per_live_instance(rt: &Runtime, cache: &Path, n: usize) {
    println!("\nmemory_per_live_instance: {n} concurrent calls held in call.answer");
    let limits = FlowLimits {
        instances_total: (n as u32) + 100,
        instances_per_tenant: (n as u32) + 100,
        ..FlowLimits::default()
    };
    let engine = engine(limits, cache);
    let tenant: Arc<dyn TenantData> = Arc::new(FakeTenant);
    let flow = prepare(rt, &engine, &hostile_wasm());
    let params = default_params(&flow);
    // One call first, so that one-off costs (lazy code paging, first-use
    // allocations) are in the baseline.
    let report = rt.block_on(engine.run_call(&flow, setup(&tenant, &params, None)));
    assert_completed(&report.outcome);

    let start = Mem::read();
    println!("  baseline: VmRSS {} KiB, PSS {} KiB", start.rss, start.pss);
    for round in 1..=2 {
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
    }
}

// ---------------------------------------------------------------------------
// 3. swap_to_first_call
// ---------------------------------------------------------------------------

struct SwapFixture {
    registry: FlowRegistry,
    tenant: Arc<dyn TenantData>,
    v1_params: Arc<Params>,
    v2_params: Arc<Params>,
}

/// A registry with v1 = hostile_flow and v2 = auto_attendant uploaded under
/// one name, v1 active and one v1 call served.
fn swap_fixture(rt: &Runtime, engine: &FlowEngine, v1: &[u8], v2: &[u8]) -> SwapFixture {
    let registry = FlowRegistry::new(engine.clone());
    let tenant: Arc<dyn TenantData> = Arc::new(FakeTenant);
    let up1 = rt
        .block_on(registry.upload(TENANT, FLOW_NAME, v1, "bench"))
        .expect("upload v1");
    let up2 = rt
        .block_on(registry.upload(TENANT, FLOW_NAME, v2, "bench"))
        .expect("upload v2");
    assert_eq!((up1.number, up2.number), (1, 2), "two distinct versions");
    let fixture = SwapFixture {
        v1_params: default_params(&up1.flow),
        v2_params: default_params(&up2.flow),
        registry,
        tenant,
    };
    fixture
        .registry
        .activate(TENANT, FLOW_NAME, 1)
        .expect("activate v1");
    rt.block_on(fixture.v1_call());
    fixture
}

impl SwapFixture {
    /// A call on the active version, which must be v1.
    async fn v1_call(&self) {
        let v = self.registry.active(TENANT, FLOW_NAME).expect("active");
        assert_eq!(v.number, 1);
        let report = self
            .registry
            .engine()
            .run_call(&v.flow, setup(&self.tenant, &self.v1_params, None))
            .await;
        assert_completed(&report.outcome);
    }

    /// Activate v2 and look it up as a new call does; returns when the call
    /// holds v2.
    fn swap_and_observe(&self) -> Arc<pbx_flow::FlowVersion> {
        self.registry
            .activate(TENANT, FLOW_NAME, 2)
            .expect("activate v2");
        let v = self.registry.active(TENANT, FLOW_NAME).expect("active");
        assert_eq!(v.number, 2, "first call after the swap sees v2");
        v
    }

    /// Swap to v2 and run the first call on it; returns (time until the
    /// call held v2, time until it completed).
    async fn swap_and_first_call(&self) -> (Duration, Duration) {
        let t0 = Instant::now();
        let v = self.swap_and_observe();
        let observed = t0.elapsed();
        let report = self
            .registry
            .engine()
            .run_call(&v.flow, setup(&self.tenant, &self.v2_params, None))
            .await;
        let completed = t0.elapsed();
        assert_completed(&report.outcome);
        (observed, completed)
    }
}

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

/// Options of criterion's command line that take a value, to find the
/// positional filter among the arguments.
const VALUE_OPTIONS: &[&str] = &[
    "-c",
    "--color",
    "-s",
    "--save-baseline",
    "-b",
    "--baseline",
    "--baseline-lenient",
    "--load-baseline",
    "--sample-size",
    "--warm-up-time",
    "--measurement-time",
    "--nresamples",
    "--noise-threshold",
    "--confidence-level",
    "--significance-level",
    "--profile-time",
    "--plotting-backend",
    "--output-format",
    "--format",
];

/// How the binary was invoked: benchmark mode (`cargo bench`) or test mode
/// (`cargo test --benches`), listing, and criterion's name filter.
struct Invocation {
    bench: bool,
    list: bool,
    filter: Option<String>,
}

impl Invocation {
    fn from_args() -> Self {
        let args: Vec<String> = std::env::args().skip(1).collect();
        let has = |f: &str| args.iter().any(|a| a == f);
        let mut filter = None;
        let mut skip = false;
        for a in &args {
            if skip {
                skip = false;
            } else if VALUE_OPTIONS.contains(&a.as_str()) {
                skip = true;
            } else if !a.starts_with('-') {
                filter = Some(a.clone());
            }
        }
        Invocation {
            bench: has("--bench") && !has("--test"),
            list: has("--list"),
            filter,
        }
    }

    /// Whether a measurement printed outside criterion should run.
    fn wants(&self, name: &str) -> bool {
        !self.list && self.filter.as_deref().is_none_or(|f| name.contains(f))
    }
}

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

    bench_run_call(&mut criterion, &rt, cache);
    bench_swap(&mut criterion, &rt, cache);

    if invocation.wants("swap_to_first_call") {
        swap_cold(&rt, cache, if invocation.bench { 10 } else { 2 });
    }

    criterion.final_summary();
}
