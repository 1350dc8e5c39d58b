//! The simulated call: [`CallControl`] on a virtual timeline.
//!
//! Time does not pass for real: a prompt "plays" by moving the virtual
//! clock forward by its length, a phone "rings" by moving it by the ring
//! time. Key presses come from the scenario; dial, queue and voicemail
//! results too. A scenario of a ten-minute call runs in milliseconds.

use crate::action::{Action, cause_text, dial_target_text, transfer_target_text};
use crate::keys::KeyTimeline;
use crate::scenario::{DialSpec, QueueSpec, Scenario, VoicemailSpec};
use async_trait::async_trait;
use pbx_flow::CallControl;
use pbx_flow::bindings::Error;
use pbx_flow::bindings::call::{
    AnsweredCall, CallInfo, CallState, CollectEnd, CollectOptions, Collected, DialOptions,
    DialOutcome, EnqueueOptions, HangupCause, HangupSide, QueueExit, RecordEnd, RecordOptions,
    Recording, RingStrategy, TransferTarget, VoicemailGreeting, VoicemailOutcome,
};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// Default prompt length when the scenario does not give one.
pub const DEFAULT_PROMPT_MS: u32 = 2_000;

/// What the simulation recorded, shared with the runner.
#[derive(Debug, Default)]
pub struct Journal {
    /// Actions in order.
    pub actions: Vec<Action>,
    /// Call-record fields set by the flow.
    pub fields: BTreeMap<String, String>,
}

/// A simulated call.
pub struct SimCall {
    info: CallInfo,
    state: CallState,
    /// Virtual milliseconds since the call started; shared with the tenant
    /// data so "now" moves with the call.
    now: Arc<AtomicU64>,
    hangup_at: u64,
    keys: KeyTimeline,
    prompt_ms: BTreeMap<String, u32>,
    dials: VecDeque<DialSpec>,
    queues: VecDeque<QueueSpec>,
    voicemails: VecDeque<VoicemailSpec>,
    recordings: u32,
    /// The call was handed over: the flow no longer controls it.
    transferred: bool,
    journal: Arc<Mutex<Journal>>,
}

impl SimCall {
    /// A call from `scenario`, with `info` already built, on clock `now`.
    pub fn new(
        scenario: &Scenario,
        info: CallInfo,
        now: Arc<AtomicU64>,
        journal: Arc<Mutex<Journal>>,
    ) -> Self {
        SimCall {
            info,
            state: CallState::Ringing,
            now,
            hangup_at: scenario.call.hangup_at_ms.unwrap_or(u64::MAX),
            keys: KeyTimeline::new(&scenario.press),
            prompt_ms: scenario.prompts.clone(),
            dials: scenario.dial.iter().cloned().collect(),
            queues: scenario.queue.iter().cloned().collect(),
            voicemails: scenario.voicemail.iter().cloned().collect(),
            recordings: 0,
            transferred: false,
            journal,
        }
    }

    fn t(&self) -> u64 {
        self.now.load(Ordering::Relaxed)
    }

    fn set_t(&self, t: u64) {
        self.now.store(t, Ordering::Relaxed);
    }

    fn log(&self, action: Action) {
        self.journal.lock().expect("journal").actions.push(action);
    }

    /// The caller is gone: mark it and say so.
    fn gone(&mut self) -> Error {
        self.state = CallState::Ended;
        Error::Hangup
    }

    /// Fail if the call is over.
    fn live(&mut self) -> Result<(), Error> {
        if self.transferred {
            return Err(Error::InvalidState(
                "the call was transferred; the flow no longer controls it".into(),
            ));
        }
        if self.state == CallState::Ended {
            return Err(Error::Hangup);
        }
        if self.t() >= self.hangup_at {
            return Err(self.gone());
        }
        Ok(())
    }

    /// Fail unless media reaches the caller.
    fn media(&mut self) -> Result<(), Error> {
        self.live()?;
        match self.state {
            CallState::Answered | CallState::EarlyMedia => Ok(()),
            _ => Err(Error::InvalidState(
                "the call is ringing: answer or pre-answer before playing or collecting".into(),
            )),
        }
    }

    /// Let `ms` pass, unless the caller hangs up first.
    fn advance(&mut self, ms: u64) -> Result<(), Error> {
        let to = self.t().saturating_add(ms);
        if to >= self.hangup_at {
            self.set_t(self.hangup_at);
            return Err(self.gone());
        }
        self.set_t(to);
        Ok(())
    }

    /// Listen for a key for `ms`; returns it (the clock stops at the press)
    /// or `None` after the whole wait.
    fn listen(&mut self, ms: u64) -> Result<Option<char>, Error> {
        let start = self.t();
        let until = start.saturating_add(ms).min(self.hangup_at);
        match self.keys.take_before(start, until) {
            Some((at, key)) => {
                self.set_t(at);
                Ok(Some(key))
            }
            None => self.advance(ms).map(|_| None),
        }
    }

    /// Play prompts; with barge-in return the first key pressed.
    fn play_inner(&mut self, prompts: &[String], barge_in: bool) -> Result<Option<char>, Error> {
        for p in prompts {
            let len = u64::from(*self.prompt_ms.get(p).unwrap_or(&DEFAULT_PROMPT_MS));
            self.keys.prompt_started(p, self.t());
            if barge_in {
                if let Some(k) = self.listen(len)? {
                    return Ok(Some(k));
                }
            } else {
                self.advance(len)?;
                self.keys.discard_before(self.t());
            }
        }
        Ok(None)
    }

    fn answer_if_ringing(&mut self) {
        if self.state == CallState::Ringing {
            self.state = CallState::Answered;
        }
    }
}

#[async_trait]
impl CallControl for SimCall {
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send> {
        self
    }

    fn info(&self) -> CallInfo {
        self.info.clone()
    }

    fn state(&self) -> CallState {
        self.state
    }

    fn elapsed_ms(&self) -> u64 {
        self.t()
    }

    async fn answer(&mut self) -> Result<(), Error> {
        self.log(Action::Answer);
        self.live()?;
        self.state = CallState::Answered;
        Ok(())
    }

    async fn pre_answer(&mut self) -> Result<(), Error> {
        self.log(Action::PreAnswer);
        self.live()?;
        match self.state {
            CallState::Answered => Err(Error::InvalidState("the call is already answered".into())),
            _ => {
                self.state = CallState::EarlyMedia;
                Ok(())
            }
        }
    }

    async fn play(&mut self, prompts: Vec<String>, barge_in: bool) -> Result<Option<char>, Error> {
        self.log(Action::Play(prompts.clone()));
        self.media()?;
        self.play_inner(&prompts, barge_in)
    }

    async fn say_digits(&mut self, digits: String, barge_in: bool) -> Result<Option<char>, Error> {
        self.log(Action::SayDigits(digits.clone()));
        self.media()?;
        let prompts: Vec<String> = digits.chars().map(|c| format!("digits/{c}")).collect();
        self.play_inner(&prompts, barge_in)
    }

    async fn say_number(&mut self, number: i64, barge_in: bool) -> Result<Option<char>, Error> {
        self.log(Action::SayNumber(number));
        self.media()?;
        let prompts = vec![format!("number/{number}")];
        self.play_inner(&prompts, barge_in)
    }

    async fn collect(&mut self, o: CollectOptions) -> Result<Collected, Error> {
        let result = self.collect_inner(&o);
        let digits = result
            .as_ref()
            .map(|c| c.digits.clone())
            .unwrap_or_default();
        self.log(Action::Collect(digits));
        result
    }

    async fn dial(&mut self, o: DialOptions) -> Result<DialOutcome, Error> {
        self.log(Action::Dial(
            o.targets.iter().map(dial_target_text).collect(),
        ));
        self.live()?;
        if self.state != CallState::EarlyMedia {
            self.answer_if_ringing();
        }
        let spec = self.dials.pop_front().unwrap_or(DialSpec {
            outcome: "no-answer".into(),
            talk_ms: None,
            ended_by: None,
            ring_ms: None,
        });
        let ring = u64::from(spec.ring_ms.unwrap_or(4_000));
        let timeout = match o.strategy {
            RingStrategy::Simultaneous => u64::from(o.ring_timeout_ms),
            RingStrategy::Sequential => u64::from(o.ring_timeout_ms) * o.targets.len() as u64,
        };
        Ok(match spec.outcome.as_str() {
            "answered" => {
                self.advance(ring.min(timeout))?;
                self.answer_if_ringing();
                let talk = spec.talk_ms.unwrap_or(30_000);
                let by_caller = spec.ended_by.as_deref() == Some("caller");
                self.advance(u64::from(talk))?;
                if by_caller {
                    self.state = CallState::Ended;
                }
                DialOutcome::Answered(AnsweredCall {
                    target: o.targets[0].clone(),
                    talk_ms: talk,
                    ended_by: if by_caller {
                        HangupSide::Caller
                    } else {
                        HangupSide::Callee
                    },
                })
            }
            "no-answer" => {
                self.advance(timeout)?;
                DialOutcome::NoAnswer
            }
            other => {
                self.advance(ring.min(1_000))?;
                match other {
                    "busy" => DialOutcome::Busy,
                    "unavailable" => DialOutcome::Unavailable,
                    "rejected" => DialOutcome::Rejected,
                    _ => DialOutcome::Failed(format!("simulated failure ({other})")),
                }
            }
        })
    }

    async fn transfer(&mut self, target: TransferTarget) -> Result<(), Error> {
        self.log(Action::Transfer(transfer_target_text(&target)));
        self.live()?;
        self.state = CallState::Ended;
        self.transferred = true;
        Ok(())
    }

    async fn enqueue(&mut self, o: EnqueueOptions) -> Result<QueueExit, Error> {
        self.log(Action::Enqueue(o.queue.clone()));
        self.live()?;
        self.answer_if_ringing();
        let spec = self.queues.pop_front().unwrap_or(QueueSpec {
            exit: "unavailable".into(),
            wait_ms: Some(0),
            key: None,
        });
        let wait = u64::from(spec.wait_ms.unwrap_or(10_000));
        self.advance(wait)?;
        Ok(match spec.exit.as_str() {
            "answered" => {
                self.advance(30_000)?;
                QueueExit::Answered(AnsweredCall {
                    target: pbx_flow::bindings::call::DialTarget::Extension("agent".into()),
                    talk_ms: 30_000,
                    ended_by: HangupSide::Callee,
                })
            }
            "timeout" => QueueExit::Timeout,
            "exit-key" => QueueExit::ExitKey(spec.key.unwrap_or('1')),
            "no-agents" => QueueExit::NoAgents,
            "full" => QueueExit::Full,
            _ => QueueExit::Unavailable,
        })
    }

    async fn voicemail(
        &mut self,
        mailbox: String,
        _greeting: VoicemailGreeting,
    ) -> Result<VoicemailOutcome, Error> {
        self.log(Action::Voicemail(mailbox));
        self.live()?;
        self.answer_if_ringing();
        let spec = self.voicemails.pop_front().unwrap_or(VoicemailSpec {
            outcome: "left".into(),
            length_ms: None,
        });
        Ok(match spec.outcome.as_str() {
            "nothing-left" => VoicemailOutcome::NothingLeft,
            "box-full" => VoicemailOutcome::BoxFull,
            _ => {
                let len = spec.length_ms.unwrap_or(10_000);
                self.advance(u64::from(len) + 3_000)?;
                VoicemailOutcome::Left(len)
            }
        })
    }

    async fn record_message(&mut self, o: RecordOptions) -> Result<Recording, Error> {
        self.log(Action::Record);
        self.media()?;
        self.recordings += 1;
        let id = format!("rec-{}", self.recordings);
        let start = self.t();
        let ended_by = loop {
            let left = (start + u64::from(o.max_duration_ms)).saturating_sub(self.t());
            match self.listen(left) {
                Ok(Some(k)) if o.stop_keys.contains(k) => break RecordEnd::Key(k),
                Ok(Some(_)) => continue,
                Ok(None) => break RecordEnd::MaxDuration,
                Err(_) => break RecordEnd::Hangup,
            }
        };
        Ok(Recording {
            id,
            duration_ms: (self.t() - start) as u32,
            ended_by,
        })
    }

    async fn music_on_hold(
        &mut self,
        _class: Option<String>,
        ms: u32,
    ) -> Result<Option<char>, Error> {
        self.log(Action::MusicOnHold);
        self.live()?;
        self.listen(u64::from(ms))
    }

    async fn hangup(&mut self, cause: HangupCause) -> Result<(), Error> {
        self.log(Action::Hangup(cause_text(cause).to_string()));
        self.live()?;
        self.state = CallState::Ended;
        Ok(())
    }

    async fn set_record_field(&mut self, name: String, value: String) -> Result<(), Error> {
        self.log(Action::SetField(name.clone(), value.clone()));
        let mut journal = self.journal.lock().expect("journal");
        if journal.fields.len() >= 32 && !journal.fields.contains_key(&name) {
            return Err(Error::LimitExceeded("at most 32 call-record fields".into()));
        }
        journal.fields.insert(name, value);
        Ok(())
    }

    async fn pause(&mut self, ms: u32) -> Result<Option<char>, Error> {
        self.log(Action::Pause);
        self.live()?;
        self.listen(u64::from(ms))
    }
}

impl SimCall {
    fn collect_inner(&mut self, o: &CollectOptions) -> Result<Collected, Error> {
        self.media()?;
        let mut digits = String::new();
        let mut pending = if o.prompt.is_empty() {
            None
        } else {
            self.play_inner(&o.prompt, true)?
        };
        loop {
            let key = match pending.take() {
                Some(k) => Some(k),
                None => {
                    let wait = if digits.is_empty() {
                        o.first_digit_timeout_ms
                    } else {
                        o.inter_digit_timeout_ms
                    };
                    self.listen(u64::from(wait))?
                }
            };
            let Some(key) = key else {
                return Ok(Collected {
                    digits,
                    ended_by: CollectEnd::Timeout,
                });
            };
            if Some(key) == o.terminator {
                return Ok(Collected {
                    digits,
                    ended_by: CollectEnd::Terminator,
                });
            }
            digits.push(key);
            if digits.len() >= usize::from(o.max_digits) {
                return Ok(Collected {
                    digits,
                    ended_by: CollectEnd::MaxDigits,
                });
            }
        }
    }
}
