//! The fake call.

use async_trait::async_trait;
use chrono::TimeZone;
use pbx_flow::CallControl;
use pbx_flow::bindings::call::{
    AnsweredCall, CallInfo, CallState, CollectEnd, CollectOptions, Collected, DialOptions,
    DialOutcome, EnqueueOptions, HangupCause, Origin, QueueExit, RecordEnd, RecordOptions,
    Recording, TransferTarget, VoicemailGreeting, VoicemailOutcome,
};
use pbx_flow::bindings::{Datetime, Error};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Notify;

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
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send> {
        self
    }

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
