//! The per-call data a flow's store carries, and the bookkeeping of its
//! limits (CPU per step, memory).

use crate::backend::{CallControl, TenantData};
use crate::bindings::Error;
use crate::output::CapturedOutput;
use crate::params::Params;
use crate::trace::{Trace, TraceEvent};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wasmtime::ResourceLimiter;
use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

/// What a flow is allowed to do on its route beyond the defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FlowPermissions {
    /// May turn incident flags on and off (`incidents.set`).
    pub set_flags: bool,
}

/// Why the store stopped the guest, when it did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Guest computed longer than the per-step CPU allowance.
    CpuDeadline,
    /// Guest tried to grow memory past its cap.
    MemoryLimit,
}

/// Guest CPU time spent since the last host call.
///
/// Wasmtime's epoch callback runs each tick while guest code runs. Each call
/// adds the time since the previous mark, clamped to two ticks: anything
/// longer was spent suspended (the fiber yielded to let other calls run),
/// not computing.
#[derive(Debug)]
pub struct StepClock {
    spent: Duration,
    total: Duration,
    mark: Instant,
}

impl StepClock {
    fn new() -> Self {
        StepClock {
            spent: Duration::ZERO,
            total: Duration::ZERO,
            mark: Instant::now(),
        }
    }

    /// A host call returned: a new step starts.
    ///
    /// The mark is left alone: the next tick's clamp already charges at most
    /// two ticks for the time spent in the host, and moving the mark here
    /// would let a flow that calls the host in a tight loop run uncharged.
    pub fn reset(&mut self) {
        self.spent = Duration::ZERO;
    }

    /// Account for a tick of guest execution; returns the step's and the
    /// call's totals.
    pub fn tick(&mut self, tick: Duration) -> (Duration, Duration) {
        let now = Instant::now();
        let ran = (now - self.mark).min(tick * 2);
        self.spent += ran;
        self.total += ran;
        self.mark = now;
        (self.spent, self.total)
    }
}

/// Store data of one flow instance.
pub struct FlowState {
    pub(crate) wasi: WasiCtx,
    pub(crate) table: ResourceTable,
    /// `None` while `describe` runs at upload: there is no call then.
    pub(crate) control: Option<Box<dyn CallControl>>,
    pub(crate) tenant: Option<Arc<dyn TenantData>>,
    pub(crate) params: Arc<Params>,
    pub(crate) permissions: FlowPermissions,
    /// Shared with the output capture, which appends lines to it.
    pub(crate) trace: Arc<Mutex<Trace>>,
    /// Elapsed call time at the last host call, for stamping output lines.
    pub(crate) clock: Arc<AtomicU64>,
    pub(crate) stdout: CapturedOutput,
    pub(crate) stderr: CapturedOutput,
    pub(crate) step: StepClock,
    /// Once the call ended (hang-up, transfer), host calls stop resetting the
    /// CPU allowance: a flow cannot keep itself alive by calling the host in
    /// a loop after its call is gone.
    pub(crate) ended: bool,
    pub(crate) memory_cap: usize,
    /// Bytes of linear memory across all the instance's memories: the
    /// limiter sees one memory at a time, the cap is for the instance.
    pub(crate) memory_used: usize,
    pub(crate) stop: Option<Stop>,
}

impl FlowState {
    /// Fresh state for one instance.
    pub(crate) fn new(
        control: Option<Box<dyn CallControl>>,
        tenant: Option<Arc<dyn TenantData>>,
        params: Arc<Params>,
        permissions: FlowPermissions,
        memory_cap: usize,
    ) -> Self {
        let trace = Arc::new(Mutex::new(Trace::default()));
        let clock = Arc::new(AtomicU64::new(0));
        let stdout = CapturedOutput::new("stdout", trace.clone(), clock.clone());
        let stderr = CapturedOutput::new("stderr", trace.clone(), clock.clone());
        // No preopened directories, no environment, no sockets: the only
        // ambient things left are clocks, random and the captured output.
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        FlowState {
            wasi,
            table: ResourceTable::new(),
            control,
            tenant,
            params,
            permissions,
            trace,
            clock,
            stdout,
            stderr,
            step: StepClock::new(),
            ended: false,
            memory_cap,
            memory_used: 0,
            stop: None,
        }
    }

    /// The call, or `invalid-state` while there is none (`describe`).
    pub(crate) fn control(&mut self) -> Result<&mut (dyn CallControl + 'static), Error> {
        match self.control.as_deref_mut() {
            Some(c) => Ok(c),
            None => Err(no_call()),
        }
    }

    /// The tenant's data, or `invalid-state` while there is no call.
    pub(crate) fn tenant(&self) -> Result<Arc<dyn TenantData>, Error> {
        self.tenant.clone().ok_or_else(no_call)
    }

    /// Record a finished host call in the trace and start a new CPU step.
    pub(crate) fn traced(
        &mut self,
        interface: &'static str,
        function: &'static str,
        args: String,
        result: String,
    ) {
        let at_ms = self.control.as_ref().map(|c| c.elapsed_ms()).unwrap_or(0);
        self.clock.store(at_ms, Ordering::Relaxed);
        self.trace
            .lock()
            .expect("trace lock")
            .push(TraceEvent::HostCall {
                at_ms,
                interface,
                function,
                args,
                result,
            });
        if !self.ended {
            self.step.reset();
        }
    }

    /// Note whether a call-control result means the call is over.
    pub(crate) fn observe<T>(&mut self, result: &Result<T, Error>) {
        if matches!(result, Err(Error::Hangup)) {
            self.ended = true;
        }
    }

    /// Take the trace out at the end of the call.
    pub(crate) fn take_trace(&mut self) -> Trace {
        self.stdout.finish();
        self.stderr.finish();
        std::mem::take(&mut *self.trace.lock().expect("trace lock"))
    }
}

fn no_call() -> Error {
    Error::InvalidState("there is no call while describe() runs".into())
}

impl WasiView for FlowState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl ResourceLimiter for FlowState {
    fn memory_growing(
        &mut self,
        current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        let total = self.memory_used + desired.saturating_sub(current);
        if total > self.memory_cap {
            self.stop = Some(Stop::MemoryLimit);
            return Err(wasmtime::format_err!(
                "flow memory limit of {} bytes reached",
                self.memory_cap
            ));
        }
        self.memory_used = total;
        Ok(true)
    }

    fn table_growing(
        &mut self,
        _current: usize,
        desired: usize,
        _maximum: Option<usize>,
    ) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}
