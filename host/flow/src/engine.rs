//! The wasmtime engine flows run in: configuration (pooling allocator,
//! copy-on-write memory images, epoch interruption), the linker with every
//! host interface, the epoch ticker, and preparing uploads.

use crate::bindings::{Flow, FlowPre};
use crate::cache::{CodeCache, content_hash};
use crate::error::UploadError;
use crate::limits::{EPOCH_TICK, FlowLimits};
use crate::params::Params;
use crate::state::{FlowPermissions, FlowState, Stop};
use crate::validate;
use crate::version::PreparedFlow;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use wasmtime::component::{HasSelf, Linker};
use wasmtime::{
    Config, Enabled, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store,
    UpdateDeadline,
};

/// The flow runtime: one per process, cheap to clone.
#[derive(Clone)]
pub struct FlowEngine {
    pub(crate) inner: Arc<EngineInner>,
}

pub(crate) struct EngineInner {
    pub(crate) engine: Engine,
    pub(crate) linker: Linker<FlowState>,
    pub(crate) limits: FlowLimits,
    cache: Option<CodeCache>,
    /// Live instances per tenant. A std mutex: held for a map look-up only.
    live: Mutex<HashMap<String, Arc<AtomicU32>>>,
    ticker_stop: Arc<AtomicBool>,
}

impl Drop for EngineInner {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// A live-instance slot of a tenant, released on drop.
pub(crate) struct InstanceSlot(Arc<AtomicU32>);

impl Drop for InstanceSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Where compiled code is cached; `None` compiles every upload afresh.
pub type CacheDir = Option<PathBuf>;

impl FlowEngine {
    /// A runtime with these limits, caching compiled code in `cache_dir`.
    pub fn new(limits: FlowLimits, cache_dir: CacheDir) -> wasmtime::Result<Self> {
        let engine = Engine::new(&engine_config(&limits))?;
        let mut linker = Linker::<FlowState>::new(&engine);
        wasmtime_wasi::p2::add_to_linker_async(&mut linker)?;
        Flow::add_to_linker::<_, HasSelf<FlowState>>(&mut linker, |s| s)?;
        let cache = match cache_dir {
            Some(dir) => Some(CodeCache::new(dir, &engine)?),
            None => None,
        };
        let ticker_stop = Arc::new(AtomicBool::new(false));
        spawn_epoch_ticker(engine.clone(), ticker_stop.clone());
        Ok(FlowEngine {
            inner: Arc::new(EngineInner {
                engine,
                linker,
                limits,
                cache,
                live: Mutex::new(HashMap::new()),
                ticker_stop,
            }),
        })
    }

    /// The limits in force.
    pub fn limits(&self) -> &FlowLimits {
        &self.inner.limits
    }

    /// The underlying wasmtime engine.
    pub fn wasmtime(&self) -> &Engine {
        &self.inner.engine
    }

    /// Validate, compile (or load from the cache), pre-link and describe an
    /// uploaded component. Nothing of it runs but `describe`.
    pub async fn prepare(&self, bytes: &[u8]) -> Result<PreparedFlow, UploadError> {
        let limits = &self.inner.limits;
        if bytes.len() > limits.upload_bytes {
            return Err(UploadError::TooLarge {
                size: bytes.len(),
                limit: limits.upload_bytes,
            });
        }
        validate::check_header(bytes)?;
        let hash = content_hash(bytes);
        let engine = &self.inner.engine;
        // Compiling a large component takes seconds of CPU: do it off the
        // async workers so calls in progress are not held up.
        let compile = {
            let engine = engine.clone();
            let cache = self.inner.cache.clone();
            let hash = hash.clone();
            let bytes = bytes.to_vec();
            tokio::task::spawn_blocking(move || match &cache {
                Some(cache) => cache.load_or_compile(&engine, &hash, &bytes),
                None => wasmtime::component::Component::new(&engine, &bytes).map(|c| (c, false)),
            })
        };
        let (component, from_cache) = compile
            .await
            .map_err(|e| UploadError::Compile(format!("compiler task failed: {e}")))?
            .map_err(|e| UploadError::Compile(format!("{e:#}")))?;
        validate::check_world(engine, &component)?;
        let pre = self
            .inner
            .linker
            .instantiate_pre(&component)
            .map_err(|e| UploadError::WrongWorld(format!("{e:#}")))?;
        let pre = FlowPre::new(pre).map_err(|e| UploadError::WrongWorld(format!("{e:#}")))?;
        let description = self.describe(&pre).await?;
        validate::check_description(&description)?;
        Ok(PreparedFlow {
            hash,
            size: bytes.len(),
            description,
            from_cache,
            pre,
            breaker: Default::default(),
        })
    }

    async fn describe(
        &self,
        pre: &FlowPre<FlowState>,
    ) -> Result<crate::bindings::FlowDescription, UploadError> {
        let state = FlowState::new(
            None,
            None,
            Arc::new(Params::default()),
            FlowPermissions::default(),
            self.inner.limits.memory_bytes,
        );
        let mut store = self.new_store(state);
        let run = async {
            let flow = pre.instantiate_async(&mut store).await?;
            flow.pbx_flow_handler().call_describe(&mut store).await
        };
        match tokio::time::timeout(self.inner.limits.describe_timeout, run).await {
            Ok(Ok(d)) => Ok(d),
            Ok(Err(e)) => {
                let stop = store.data().stop;
                let trace = store.data_mut().take_trace();
                let said: Vec<&str> = trace.output_lines().collect();
                let mut why = match stop {
                    Some(Stop::CpuDeadline) => "it ran past the CPU deadline".to_string(),
                    Some(Stop::MemoryLimit) => "it hit the memory limit".to_string(),
                    None => format!("{e:#}"),
                };
                if !said.is_empty() {
                    why.push_str(&format!("; it printed: {}", said.join(" | ")));
                }
                Err(UploadError::Describe(why))
            }
            Err(_) => Err(UploadError::Describe(format!(
                "it did not return within {:?}",
                self.inner.limits.describe_timeout
            ))),
        }
    }

    /// A store for one instance, with the memory limiter and CPU deadline
    /// armed.
    pub(crate) fn new_store(&self, state: FlowState) -> Store<FlowState> {
        let mut store = Store::new(&self.inner.engine, state);
        store.limiter(|s| s);
        let cpu = self.inner.limits.cpu_per_step;
        let cpu_call = self.inner.limits.cpu_per_call;
        store.set_epoch_deadline(1);
        store.epoch_deadline_callback(move |mut ctx| {
            let state = ctx.data_mut();
            let (step, total) = state.step.tick(EPOCH_TICK);
            if step > cpu || total > cpu_call {
                state.stop = Some(Stop::CpuDeadline);
                return Ok(UpdateDeadline::Interrupt);
            }
            // Yield so other calls on this worker thread run while a flow
            // computes; the step clock does not count the time away.
            Ok(UpdateDeadline::Yield(1))
        });
        store
    }

    /// Take a live-instance slot for `tenant`, or `None` at its limit.
    pub(crate) fn admit(&self, tenant: &str) -> Option<InstanceSlot> {
        let counter = {
            let mut live = self.inner.live.lock().expect("live lock");
            live.entry(tenant.to_string()).or_default().clone()
        };
        let limit = self.inner.limits.instances_per_tenant;
        let mut current = counter.load(Ordering::Acquire);
        loop {
            if current >= limit {
                return None;
            }
            match counter.compare_exchange_weak(
                current,
                current + 1,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => return Some(InstanceSlot(counter)),
                Err(now) => current = now,
            }
        }
    }

    /// Live instances of `tenant` right now.
    pub fn live_instances(&self, tenant: &str) -> u32 {
        self.inner
            .live
            .lock()
            .expect("live lock")
            .get(tenant)
            .map(|c| c.load(Ordering::Acquire))
            .unwrap_or(0)
    }
}

fn engine_config(limits: &FlowLimits) -> Config {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    config.max_wasm_stack(512 << 10);
    let _ = config.async_stack_size(1 << 20);
    // Linear memories cannot grow past the cap, so reserve exactly that
    // much address space per slot; bounds checks are explicit then, which
    // costs little for flows and lets thousands of slots fit.
    let memory = limits.memory_bytes as u64;
    config.memory_reservation(memory);
    config.memory_guard_size(64 << 10);
    config.memory_reservation_for_growth(0);
    config.memory_init_cow(true);
    let n = limits.instances_total;
    let mut pool = PoolingAllocationConfig::default();
    pool.total_component_instances(n)
        // A Rust wasip2 component is a few core instances (the program and
        // WASI adapter shims) sharing one or two memories.
        .total_core_instances(n * 8)
        .max_core_instances_per_component(16)
        .total_memories(n * 2)
        .max_memories_per_component(4)
        .total_tables(n * 4)
        .max_tables_per_component(8)
        // With wasmtime 48 a live store keeps its fiber stack after its
        // first async call, so every live call needs its own stack slot.
        .total_stacks(n + 8)
        .max_memory_size(limits.memory_bytes)
        .table_elements(100_000)
        // On slot reuse, reset only the pages the last call dirtied (Linux
        // 6.7+ PAGEMAP_SCAN; older kernels fall back to madvise), keeping up
        // to 64 KiB of them resident. Without the scan the pool keeps the
        // *lowest* 64 KiB of a slot, which a Rust flow never touches (its
        // stack starts at 1 MiB), and every call faults its pages back in.
        .pagemap_scan(Enabled::Auto)
        .linear_memory_keep_resident(64 << 10)
        .table_keep_resident(16 << 10)
        .max_unused_warm_slots(n.min(256));
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
    config
}

/// Advance the engine's epoch every tick until `stop`. One thread per
/// engine; it only increments an atomic.
fn spawn_epoch_ticker(engine: Engine, stop: Arc<AtomicBool>) {
    std::thread::Builder::new()
        .name("flow-epoch".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(EPOCH_TICK);
                engine.increment_epoch();
            }
        })
        .expect("spawn epoch ticker thread");
}
