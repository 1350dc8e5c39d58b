//! Shared helpers of the integration tests: a scripted fake call, an
//! in-memory tenant, call set-up builders and the lookup of the guest
//! components built by `scripts/build-flows.sh`.

#![allow(dead_code)]

use async_trait::async_trait;
use chrono::TimeZone;
use pbx_flow::bindings::call::{
    AnsweredCall, CallInfo, CallState, CollectEnd, CollectOptions, Collected, DialOptions,
    DialOutcome, EnqueueOptions, HangupCause, Origin, QueueExit, RecordEnd, RecordOptions,
    Recording, TransferTarget, VoicemailGreeting, VoicemailOutcome,
};
use pbx_flow::bindings::directory::{Contact, Extension};
use pbx_flow::bindings::holidays::Holiday;
use pbx_flow::bindings::incidents::Flag;
use pbx_flow::bindings::schedule::{ClosedReason, ScheduleStatus};
use pbx_flow::bindings::{Date, Datetime, Error, Value};
use pbx_flow::{
    CallControl, CallSetup, Fallback, FlowEngine, FlowLimits, FlowPermissions, Params,
    PreparedFlow, TenantData,
};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

// ---------------------------------------------------------------------------
// Guest components on disk
// ---------------------------------------------------------------------------

/// The cargo target directory: `$CARGO_TARGET_DIR`, else `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../target"),
    }
}

fn read_built(path: PathBuf) -> Vec<u8> {
    match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(e) => panic!(
            "guest component {} is missing ({e}): run scripts/build-flows.sh first",
            path.display()
        ),
    }
}

/// `NAME.wasm` as built by `cargo build --profile flow --target wasm32-wasip2`,
/// e.g. `guest_wasm("hostile_flow")`.
pub fn guest_wasm(name: &str) -> Vec<u8> {
    read_built(
        target_dir()
            .join("wasm32-wasip2/flow")
            .join(format!("{name}.wasm")),
    )
}

/// A variant copied under `flow-fixtures/`, e.g.
/// `fixture_wasm("hostile_describe_traps")`.
pub fn fixture_wasm(name: &str) -> Vec<u8> {
    read_built(
        target_dir()
            .join("flow-fixtures")
            .join(format!("{name}.wasm")),
    )
}

/// The misbehaving test flow.
pub fn hostile_wasm() -> Vec<u8> {
    guest_wasm("hostile_flow")
}

/// The reference auto-attendant.
pub fn auto_attendant_wasm() -> Vec<u8> {
    guest_wasm("auto_attendant")
}

/// A WAT fixture of `tests/fixtures/`, as text.
pub fn wat_fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

// ---------------------------------------------------------------------------
// Engine and limits
// ---------------------------------------------------------------------------

/// Limits for tests: the production CPU allowances, a small pool, a wall
/// clock that ends a stuck test instead of hanging it.
pub fn test_limits() -> FlowLimits {
    FlowLimits {
        cpu_per_step: Duration::from_millis(50),
        wall_clock_per_call: Duration::from_secs(20),
        memory_bytes: 16 << 20,
        instances_per_tenant: 100,
        instances_total: 16,
        upload_bytes: 50 << 20,
        describe_timeout: Duration::from_secs(5),
        ..FlowLimits::default()
    }
}

/// An engine without code cache.
pub fn engine(limits: FlowLimits) -> FlowEngine {
    FlowEngine::new(limits, None).expect("flow engine")
}

/// Prepare `bytes`, panicking with the upload error if refused.
pub async fn prepare(engine: &FlowEngine, bytes: &[u8]) -> PreparedFlow {
    match engine.prepare(bytes).await {
        Ok(flow) => flow,
        Err(e) => panic!("prepare failed: {e}"),
    }
}

// ---------------------------------------------------------------------------
// The fake call
// ---------------------------------------------------------------------------

/// One thing the flow (or the fallback) did to the call.
#[derive(Debug, Clone, PartialEq)]
pub struct Action {
    /// WIT function name, e.g. "play".
    pub name: &'static str,
    /// Arguments, rendered.
    pub detail: String,
}

/// Lets a test hold a call inside a host function: the fake signals when
/// the function is entered and waits for the release.
#[derive(Clone, Default)]
pub struct Gate {
    entered: Arc<Notify>,
    release: Arc<Notify>,
}

impl Gate {
    pub fn new() -> Self {
        Gate::default()
    }

    /// Wait until the call is inside the gated function.
    pub async fn entered(&self) {
        self.entered.notified().await;
    }

    /// Let the gated function return.
    pub fn release(&self) {
        self.release.notify_one();
    }
}

/// What the fake does when a given function is first called.
#[derive(Clone)]
pub enum Hook {
    /// Take this long (real time) before returning.
    Sleep(Duration),
    /// Signal entry and wait for the test to release.
    Gate(Gate),
    /// Signal entry and go on.
    Signal(Arc<Notify>),
}

struct CallShared {
    actions: Mutex<Vec<Action>>,
    state: Mutex<CallState>,
    clock: AtomicU64,
    fields: Mutex<Vec<(String, String)>>,
}

/// The test's view of a fake call, valid after the control went into the
/// sandbox.
#[derive(Clone)]
pub struct CallLog(Arc<CallShared>);

impl CallLog {
    /// Everything done to the call, in order.
    pub fn actions(&self) -> Vec<Action> {
        self.0.actions.lock().unwrap().clone()
    }

    /// The function names only.
    pub fn names(&self) -> Vec<&'static str> {
        self.0
            .actions
            .lock()
            .unwrap()
            .iter()
            .map(|a| a.name)
            .collect()
    }

    /// How often `name` was called.
    pub fn count(&self, name: &str) -> usize {
        self.0
            .actions
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.name == name)
            .count()
    }

    /// The details of every call to `name`.
    pub fn details(&self, name: &str) -> Vec<String> {
        self.0
            .actions
            .lock()
            .unwrap()
            .iter()
            .filter(|a| a.name == name)
            .map(|a| a.detail.clone())
            .collect()
    }

    /// Every prompt played, in order.
    pub fn prompts(&self) -> Vec<String> {
        self.details("play")
    }

    /// The call's state now.
    pub fn state(&self) -> CallState {
        *self.0.state.lock().unwrap()
    }

    /// Record fields set on the call.
    pub fn fields(&self) -> Vec<(String, String)> {
        self.0.fields.lock().unwrap().clone()
    }
}

/// A scripted call: every action succeeds and is recorded; the state
/// follows answer / pre-answer / hang-up / transfer; after the end every
/// call-control function returns `error::hangup`. Each action advances a
/// virtual clock by 100 ms, which is what `elapsed_ms` reports.
pub struct FakeCall {
    info: CallInfo,
    shared: Arc<CallShared>,
    hooks: Vec<(&'static str, Hook)>,
    digits: Vec<String>,
}

/// Milliseconds the virtual clock advances per action.
pub const MS_PER_ACTION: u64 = 100;

impl FakeCall {
    /// A ringing trunk call to `tenant`.
    pub fn new(tenant: &str) -> Self {
        FakeCall {
            info: call_info(tenant, &format!("{tenant}-call")),
            shared: Arc::new(CallShared {
                actions: Mutex::new(Vec::new()),
                state: Mutex::new(CallState::Ringing),
                clock: AtomicU64::new(0),
                fields: Mutex::new(Vec::new()),
            }),
            hooks: Vec::new(),
            digits: Vec::new(),
        }
    }

    /// The call's id.
    pub fn call_id(mut self, id: &str) -> Self {
        self.info.call_id = id.to_string();
        self
    }

    /// Run `hook` the first time `function` (a WIT name, e.g. "answer") is
    /// called; several hooks on one function run on successive calls.
    pub fn hook(mut self, function: &'static str, hook: Hook) -> Self {
        self.hooks.push((function, hook));
        self
    }

    /// What successive `collect`s return (then timeouts with no digit).
    pub fn digits<I: IntoIterator<Item = &'static str>>(mut self, digits: I) -> Self {
        self.digits = digits.into_iter().map(String::from).collect();
        self.digits.reverse();
        self
    }

    /// The test's handle on this call.
    pub fn log(&self) -> CallLog {
        CallLog(self.shared.clone())
    }

    fn state_now(&self) -> CallState {
        *self.shared.state.lock().unwrap()
    }

    fn set_state(&self, state: CallState) {
        *self.shared.state.lock().unwrap() = state;
    }

    /// Record the action, run its hook, and refuse it once the call ended.
    async fn act(&mut self, name: &'static str, detail: String) -> Result<(), Error> {
        self.shared
            .clock
            .fetch_add(MS_PER_ACTION, Ordering::Relaxed);
        self.shared
            .actions
            .lock()
            .unwrap()
            .push(Action { name, detail });
        if let Some(i) = self.hooks.iter().position(|(n, _)| *n == name) {
            let (_, hook) = self.hooks.remove(i);
            match hook {
                Hook::Sleep(d) => tokio::time::sleep(d).await,
                Hook::Gate(g) => {
                    g.entered.notify_one();
                    g.release.notified().await;
                }
                Hook::Signal(n) => n.notify_one(),
            }
        }
        if self.state_now() == CallState::Ended {
            return Err(Error::Hangup);
        }
        Ok(())
    }

    /// Like `act`, for functions that need media to the caller.
    async fn media(&mut self, name: &'static str, detail: String) -> Result<(), Error> {
        self.act(name, detail).await?;
        match self.state_now() {
            CallState::Answered | CallState::EarlyMedia => Ok(()),
            other => Err(Error::InvalidState(format!("call is {other:?}"))),
        }
    }
}

#[async_trait]
impl CallControl for FakeCall {
    fn info(&self) -> CallInfo {
        self.info.clone()
    }

    fn state(&self) -> CallState {
        self.state_now()
    }

    fn elapsed_ms(&self) -> u64 {
        self.shared.clock.load(Ordering::Relaxed)
    }

    async fn answer(&mut self) -> Result<(), Error> {
        self.act("answer", String::new()).await?;
        self.set_state(CallState::Answered);
        Ok(())
    }

    async fn pre_answer(&mut self) -> Result<(), Error> {
        self.act("pre-answer", String::new()).await?;
        if self.state_now() == CallState::Ringing {
            self.set_state(CallState::EarlyMedia);
        }
        Ok(())
    }

    async fn play(&mut self, prompts: Vec<String>, _barge_in: bool) -> Result<Option<char>, Error> {
        self.media("play", prompts.join(",")).await?;
        Ok(None)
    }

    async fn say_digits(&mut self, digits: String, _barge_in: bool) -> Result<Option<char>, Error> {
        self.media("say-digits", digits).await?;
        Ok(None)
    }

    async fn say_number(&mut self, number: i64, _barge_in: bool) -> Result<Option<char>, Error> {
        self.media("say-number", number.to_string()).await?;
        Ok(None)
    }

    async fn collect(&mut self, options: CollectOptions) -> Result<Collected, Error> {
        self.media("collect", options.prompt.join(",")).await?;
        Ok(match self.digits.pop() {
            Some(digits) => Collected {
                digits,
                ended_by: CollectEnd::MaxDigits,
            },
            None => Collected {
                digits: String::new(),
                ended_by: CollectEnd::Timeout,
            },
        })
    }

    async fn dial(&mut self, options: DialOptions) -> Result<DialOutcome, Error> {
        self.act("dial", format!("{:?}", options.targets)).await?;
        self.set_state(CallState::Answered);
        Ok(match options.targets.into_iter().next() {
            Some(target) => DialOutcome::Answered(AnsweredCall {
                target,
                talk_ms: 1000,
                ended_by: pbx_flow::bindings::call::HangupSide::Callee,
            }),
            None => DialOutcome::Unavailable,
        })
    }

    async fn transfer(&mut self, target: TransferTarget) -> Result<(), Error> {
        self.act("transfer", format!("{target:?}")).await?;
        self.set_state(CallState::Ended);
        Ok(())
    }

    async fn enqueue(&mut self, options: EnqueueOptions) -> Result<QueueExit, Error> {
        self.media("enqueue", options.queue).await?;
        Ok(QueueExit::NoAgents)
    }

    async fn voicemail(
        &mut self,
        mailbox: String,
        greeting: VoicemailGreeting,
    ) -> Result<VoicemailOutcome, Error> {
        self.act("voicemail", format!("{mailbox} {greeting:?}"))
            .await?;
        Ok(VoicemailOutcome::Left(5_000))
    }

    async fn record_message(&mut self, options: RecordOptions) -> Result<Recording, Error> {
        self.media("record-message", format!("{}", options.max_duration_ms))
            .await?;
        Ok(Recording {
            id: "rec-1".into(),
            duration_ms: 1_000,
            ended_by: RecordEnd::MaxDuration,
        })
    }

    async fn music_on_hold(
        &mut self,
        class: Option<String>,
        duration_ms: u32,
    ) -> Result<Option<char>, Error> {
        self.media("music-on-hold", format!("{class:?} {duration_ms}"))
            .await?;
        Ok(None)
    }

    async fn hangup(&mut self, cause: HangupCause) -> Result<(), Error> {
        self.act("hangup", format!("{cause:?}")).await?;
        self.set_state(CallState::Ended);
        Ok(())
    }

    async fn set_record_field(&mut self, name: String, value: String) -> Result<(), Error> {
        self.act("set-record-field", format!("{name}={value}"))
            .await?;
        self.shared.fields.lock().unwrap().push((name, value));
        Ok(())
    }

    async fn pause(&mut self, duration_ms: u32) -> Result<Option<char>, Error> {
        self.act("pause", duration_ms.to_string()).await?;
        Ok(None)
    }
}

/// Facts about a test call: a trunk call to `tenant` on a Tuesday morning.
pub fn call_info(tenant: &str, call_id: &str) -> CallInfo {
    CallInfo {
        call_id: call_id.to_string(),
        tenant: tenant.to_string(),
        caller_number: "+33123456789".into(),
        caller_name: Some("Test Caller".into()),
        dialled_number: "+33100000000".into(),
        did: Some("+33100000000".into()),
        origin: Origin::Trunk("trunk-1".into()),
        language: "en".into(),
        started_at: test_now(),
    }
}

/// 2026-03-10 09:30 Europe/Paris, a Tuesday.
pub fn test_now() -> Datetime {
    let at = chrono_tz::Europe::Paris
        .with_ymd_and_hms(2026, 3, 10, 9, 30, 0)
        .single()
        .expect("valid time");
    pbx_flow::tenant_time::to_wit(&at)
}

// ---------------------------------------------------------------------------
// The fake tenant
// ---------------------------------------------------------------------------

/// A tenant in memory: schedules by name (open or closed), no holidays,
/// flags, a key-value map, a few extensions.
pub struct FakeTenant {
    schedules: Mutex<HashMap<String, bool>>,
    flags: Mutex<HashMap<String, bool>>,
    kv: Mutex<HashMap<String, String>>,
    extensions: Vec<Extension>,
    blocked: Vec<String>,
}

impl Default for FakeTenant {
    /// Schedule "office" open, extensions 101 and 102.
    fn default() -> Self {
        let ext = |number: &str, name: &str| Extension {
            number: number.into(),
            name: name.into(),
            registered: true,
            dnd: false,
            voicemail_box: Some(number.into()),
        };
        FakeTenant {
            schedules: Mutex::new(HashMap::from([("office".to_string(), true)])),
            flags: Mutex::new(HashMap::new()),
            kv: Mutex::new(HashMap::new()),
            extensions: vec![ext("101", "Alice Martin"), ext("102", "Bob Durand")],
            blocked: vec!["+33999".into()],
        }
    }
}

impl FakeTenant {
    /// Set schedule `name` open or closed.
    pub fn with_schedule(self, name: &str, open: bool) -> Self {
        self.schedules.lock().unwrap().insert(name.into(), open);
        self
    }
}

#[async_trait]
impl TenantData for FakeTenant {
    fn now(&self) -> Datetime {
        test_now()
    }

    async fn schedule_status(&self, name: &str) -> Result<ScheduleStatus, Error> {
        match self.schedules.lock().unwrap().get(name) {
            Some(&open) => Ok(ScheduleStatus {
                open,
                reason: (!open).then_some(ClosedReason::OutsideHours),
                next_change: None,
            }),
            None => Err(Error::NotFound(format!("schedule {name}"))),
        }
    }

    async fn holiday_on(&self, calendar: &str, _date: Date) -> Result<Option<Holiday>, Error> {
        match calendar {
            "holidays" => Ok(None),
            _ => Err(Error::NotFound(format!("calendar {calendar}"))),
        }
    }

    async fn flag(&self, name: &str) -> Result<Flag, Error> {
        match self.flags.lock().unwrap().get(name) {
            Some(&active) => Ok(Flag {
                name: name.into(),
                active,
                message: None,
                destination: None,
                changed_at: None,
            }),
            None => Err(Error::NotFound(format!("flag {name}"))),
        }
    }

    async fn active_flags(&self) -> Vec<Flag> {
        let flags = self.flags.lock().unwrap();
        let mut active: Vec<Flag> = flags
            .iter()
            .filter(|(_, a)| **a)
            .map(|(n, _)| Flag {
                name: n.clone(),
                active: true,
                message: None,
                destination: None,
                changed_at: None,
            })
            .collect();
        active.sort_by(|a, b| a.name.cmp(&b.name));
        active
    }

    async fn set_flag(&self, name: &str, active: bool, _call_id: &str) -> Result<(), Error> {
        self.flags.lock().unwrap().insert(name.into(), active);
        Ok(())
    }

    async fn kv_get(&self, key: &str) -> Result<Option<String>, Error> {
        Ok(self.kv.lock().unwrap().get(key).cloned())
    }

    async fn kv_set(&self, key: &str, value: &str, _ttl: Option<u32>) -> Result<(), Error> {
        self.kv.lock().unwrap().insert(key.into(), value.into());
        Ok(())
    }

    async fn kv_delete(&self, key: &str) -> Result<bool, Error> {
        Ok(self.kv.lock().unwrap().remove(key).is_some())
    }

    async fn kv_increment(&self, key: &str, delta: i64, _ttl: Option<u32>) -> Result<i64, Error> {
        let mut kv = self.kv.lock().unwrap();
        let current = match kv.get(key) {
            Some(v) => v
                .parse::<i64>()
                .map_err(|_| Error::InvalidArgument(format!("{key} is not an integer")))?,
            None => 0,
        };
        let new = current + delta;
        kv.insert(key.into(), new.to_string());
        Ok(new)
    }

    async fn extension(&self, number: &str) -> Result<Option<Extension>, Error> {
        Ok(self.extensions.iter().find(|e| e.number == number).cloned())
    }

    async fn extensions_by_name(&self, query: &str, limit: u32) -> Result<Vec<Extension>, Error> {
        let query = query.to_lowercase();
        Ok(self
            .extensions
            .iter()
            .filter(|e| {
                e.name
                    .to_lowercase()
                    .split_whitespace()
                    .any(|w| w.starts_with(&query))
            })
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn is_blocked(&self, number: &str) -> Result<bool, Error> {
        Ok(self.blocked.iter().any(|b| number.starts_with(b.as_str())))
    }

    async fn contact(&self, _number: &str) -> Result<Option<Contact>, Error> {
        Ok(None)
    }
}

// ---------------------------------------------------------------------------
// Call set-up
// ---------------------------------------------------------------------------

/// The apology prompt of [`apology_fallback`].
pub const APOLOGY: &str = "technical-difficulties";

/// A fallback that apologises and transfers to the operator, extension 0.
pub fn apology_fallback() -> Fallback {
    Fallback {
        apology_prompt: Some(APOLOGY.into()),
        destination: Some(TransferTarget::Extension("0".into())),
    }
}

/// Route parameters for the hostile flow.
pub fn hostile_params(mode: &str) -> Arc<Params> {
    Arc::new(Params::from_values(vec![(
        "mode".to_string(),
        Value::Text(mode.to_string()),
    )]))
}

/// The auto-attendant's parameters with every default (and `given` on top).
pub fn defaults_of(flow: &PreparedFlow, given: Vec<(String, Value)>) -> Arc<Params> {
    Arc::new(Params::resolve(&flow.description, given).expect("params fit the schema"))
}

/// A call of `tenant` on `call`, with a default [`FakeTenant`] and the
/// apology fallback. Returns the set-up and the test's view of the call.
pub fn call_setup(tenant: &str, call: FakeCall, params: Arc<Params>) -> (CallSetup, CallLog) {
    call_setup_with(tenant, call, params, Arc::new(FakeTenant::default()))
}

/// Like [`call_setup`], with a given tenant's data.
pub fn call_setup_with(
    tenant: &str,
    call: FakeCall,
    params: Arc<Params>,
    data: Arc<dyn TenantData>,
) -> (CallSetup, CallLog) {
    let log = call.log();
    let setup = CallSetup {
        control: Box::new(call),
        tenant: data,
        tenant_id: tenant.to_string(),
        params,
        permissions: FlowPermissions::default(),
        fallback: apology_fallback(),
        flow_label: "test-flow v1".into(),
    };
    (setup, log)
}

/// A plain ringing call of the hostile flow in `mode`.
pub fn hostile_call(tenant: &str, mode: &str) -> (CallSetup, CallLog) {
    call_setup(tenant, FakeCall::new(tenant), hostile_params(mode))
}

/// Assert that the fallback ran on `log`: the apology prompt, then the
/// transfer to the operator, as the last actions.
pub fn assert_fallback_ran(log: &CallLog) {
    let actions = log.actions();
    let n = actions.len();
    assert!(n >= 2, "too few actions for a fallback: {actions:?}");
    assert_eq!(
        actions[n - 2],
        Action {
            name: "play",
            detail: APOLOGY.into()
        },
        "apology prompt expected before the transfer: {actions:?}"
    );
    assert_eq!(
        actions[n - 1],
        Action {
            name: "transfer",
            detail: format!("{:?}", TransferTarget::Extension("0".into()))
        },
        "transfer to the operator expected last: {actions:?}"
    );
    assert_eq!(log.state(), CallState::Ended);
}

/// The fallback's steps as recorded in the trace.
pub fn fallback_steps(trace: &pbx_flow::Trace) -> Vec<&'static str> {
    trace
        .host_calls()
        .filter(|(i, _)| *i == "fallback")
        .map(|(_, f)| f)
        .collect()
}
