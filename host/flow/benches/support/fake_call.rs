//! A trivial in-memory call.

use super::TENANT;
use async_trait::async_trait;
use pbx_flow::CallControl;
use pbx_flow::bindings::Error;
use pbx_flow::bindings::call::{
    CallInfo, CallState, CollectEnd, CollectOptions, Collected, DialOptions, DialOutcome,
    EnqueueOptions, HangupCause, Origin, QueueExit, RecordEnd, RecordOptions, Recording,
    TransferTarget, VoicemailGreeting, VoicemailOutcome,
};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::sync::watch;

/// Holds a call inside `answer()` until released (memory measurement).
#[derive(Clone)]
pub struct Gate {
    /// Calls that reached `answer()`.
    pub arrived: Arc<AtomicUsize>,
    /// Becomes `true` to let them all go on.
    pub release: watch::Receiver<bool>,
}

/// A call that does whatever it is asked at once, and succeeds.
pub struct FakeCall {
    state: CallState,
    gate: Option<Gate>,
}

impl FakeCall {
    pub fn new(gate: Option<Gate>) -> Self {
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
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send> {
        self
    }

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
