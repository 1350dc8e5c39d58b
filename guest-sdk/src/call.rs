//! The call a flow handles, and builders for its longer actions.

use crate::bindings::pbx::flow::call as wit;
use crate::bindings::pbx::flow::call::{
    CallInfo, CallState, CollectOptions, Collected, DialOptions, DialOutcome, DialTarget,
    EnqueueOptions, HangupCause, QueueExit, RecordOptions, Recording, RingStrategy, TransferTarget,
    VoicemailGreeting, VoicemailOutcome,
};
use crate::{Error, ms};
use std::time::Duration;

/// The call this flow instance handles. There is exactly one per instance;
/// the handle is free to copy.
#[derive(Debug, Clone, Copy)]
pub struct Call {
    _private: (),
}

impl Call {
    /// The call of this instance.
    pub fn current() -> Call {
        Call { _private: () }
    }

    /// Who calls, what they dialled, when. See [`CallInfo`].
    pub fn info(&self) -> CallInfo {
        wit::info()
    }

    /// Ringing, early media, answered or ended.
    pub fn state(&self) -> CallState {
        wit::state()
    }

    /// Answer (SIP 200 OK).
    pub fn answer(&self) -> Result<(), Error> {
        wit::answer()
    }

    /// Early media without answering (SIP 183).
    pub fn pre_answer(&self) -> Result<(), Error> {
        wit::pre_answer()
    }

    /// Play prompts; finish with [`Play::run`], [`Play::interruptible`] or
    /// [`Play::collect`].
    pub fn play<I, S>(&self, prompts: I) -> Play
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        Play {
            prompts: prompts.into_iter().map(Into::into).collect(),
        }
    }

    /// Speak digits one by one; a key press does not interrupt.
    pub fn say_digits(&self, digits: &str) -> Result<(), Error> {
        wit::say_digits(digits, false).map(drop)
    }

    /// Speak a number; a key press does not interrupt.
    pub fn say_number(&self, number: i64) -> Result<(), Error> {
        wit::say_number(number, false).map(drop)
    }

    /// Collect up to `max_digits` digits; see [`Collect`] for options.
    pub fn collect(&self, max_digits: u8) -> Collect {
        Collect::new(max_digits)
    }

    /// Ring `target` (add more with [`Dial::or`]); see [`Dial`].
    pub fn dial(&self, target: DialTarget) -> Dial {
        Dial {
            options: DialOptions {
                targets: vec![target],
                strategy: RingStrategy::Simultaneous,
                ring_timeout_ms: 30_000,
                caller_id: None,
            },
        }
    }

    /// Blind transfer; the flow's part ends when it succeeds.
    pub fn transfer(&self, target: TransferTarget) -> Result<(), Error> {
        wit::transfer(&target)
    }

    /// Wait in `queue`; see [`Enqueue`].
    pub fn enqueue(&self, queue: &str) -> Enqueue {
        Enqueue {
            options: EnqueueOptions {
                queue: queue.to_string(),
                max_wait_ms: None,
                position_announce_interval_ms: None,
                exit_keys: String::new(),
                priority: 0,
                music_class: None,
            },
        }
    }

    /// Let the caller leave a message in `mailbox`.
    pub fn voicemail(
        &self,
        mailbox: &str,
        greeting: VoicemailGreeting,
    ) -> Result<VoicemailOutcome, Error> {
        wit::voicemail(mailbox, greeting)
    }

    /// Record the caller, at most `max`; see [`Record`].
    pub fn record(&self, max: Duration) -> Record {
        Record {
            options: RecordOptions {
                max_duration_ms: ms(max),
                silence_timeout_ms: None,
                stop_keys: "#".to_string(),
                beep: true,
            },
        }
    }

    /// Music on hold for `duration`; returns a key if the caller pressed one.
    pub fn music_on_hold(&self, duration: Duration) -> Result<Option<char>, Error> {
        wit::music_on_hold(None, ms(duration))
    }

    /// End the call.
    pub fn hangup(&self, cause: HangupCause) -> Result<(), Error> {
        wit::hangup(cause)
    }

    /// Set a field on the call record (e.g. `"menu-choice"`).
    pub fn set_field(&self, name: &str, value: &str) -> Result<(), Error> {
        wit::set_record_field(name, value)
    }

    /// Silence for `duration`; returns a key if the caller pressed one.
    pub fn pause(&self, duration: Duration) -> Result<Option<char>, Error> {
        wit::pause(ms(duration))
    }
}

/// Prompts about to be played.
#[must_use = "a Play does nothing until run, interruptible or collect is called"]
#[derive(Debug, Clone)]
pub struct Play {
    prompts: Vec<String>,
}

impl Play {
    /// Play to the end; key presses are discarded.
    pub fn run(self) -> Result<(), Error> {
        wit::play(&self.prompts, false).map(drop)
    }

    /// Play until the caller presses a key; returns it.
    pub fn interruptible(self) -> Result<Option<char>, Error> {
        wit::play(&self.prompts, true)
    }

    /// Play as a menu prompt, then collect up to `max_digits` digits with
    /// the default timeouts (5 s first digit, 3 s between digits, `#` ends
    /// input). Returns the digits, empty on timeout.
    pub fn collect(self, max_digits: u8) -> Result<String, Error> {
        Ok(Collect::new(max_digits).prompt(self.prompts).run()?.digits)
    }
}

/// Options of digit collection.
///
/// ```
/// use pbx_flow_sdk::Collect;
/// use std::time::Duration;
///
/// let c = Collect::new(4).terminator('#').first_digit_timeout(Duration::from_secs(8));
/// assert_eq!(c.options().max_digits, 4);
/// assert_eq!(c.options().first_digit_timeout_ms, 8_000);
/// assert_eq!(c.options().inter_digit_timeout_ms, 3_000);
/// ```
#[must_use = "a Collect does nothing until run is called"]
#[derive(Debug, Clone)]
pub struct Collect {
    options: CollectOptions,
}

impl Collect {
    /// Up to `max_digits` digits, `#` ends input, 5 s for the first digit,
    /// 3 s between digits.
    pub fn new(max_digits: u8) -> Self {
        Collect {
            options: CollectOptions {
                max_digits,
                terminator: Some('#'),
                first_digit_timeout_ms: 5_000,
                inter_digit_timeout_ms: 3_000,
                prompt: Vec::new(),
            },
        }
    }

    /// The key that ends input, or none.
    pub fn terminator(mut self, key: impl Into<Option<char>>) -> Self {
        self.options.terminator = key.into();
        self
    }

    /// Wait for the first digit this long.
    pub fn first_digit_timeout(mut self, d: Duration) -> Self {
        self.options.first_digit_timeout_ms = ms(d);
        self
    }

    /// Wait between digits this long.
    pub fn inter_digit_timeout(mut self, d: Duration) -> Self {
        self.options.inter_digit_timeout_ms = ms(d);
        self
    }

    /// Play these prompts first, interruptible by the first digit.
    pub fn prompt<I, S>(mut self, prompts: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.options.prompt = prompts.into_iter().map(Into::into).collect();
        self
    }

    /// The options as they will be sent.
    pub fn options(&self) -> &CollectOptions {
        &self.options
    }

    /// Collect.
    pub fn run(self) -> Result<Collected, Error> {
        wit::collect(&self.options)
    }
}

/// A dial about to happen.
#[must_use = "a Dial does nothing until run is called"]
#[derive(Debug, Clone)]
pub struct Dial {
    options: DialOptions,
}

impl Dial {
    /// Ring this target too.
    pub fn or(mut self, target: DialTarget) -> Self {
        self.options.targets.push(target);
        self
    }

    /// Ring targets one after the other instead of all at once.
    pub fn sequential(mut self) -> Self {
        self.options.strategy = RingStrategy::Sequential;
        self
    }

    /// Ring time (per target when sequential). Default 30 s.
    pub fn ring_for(mut self, d: Duration) -> Self {
        self.options.ring_timeout_ms = ms(d);
        self
    }

    /// Present this caller id.
    pub fn caller_id(mut self, number: &str, name: Option<&str>) -> Self {
        self.options.caller_id = Some(wit::CallerId {
            number: number.to_string(),
            name: name.map(str::to_string),
        });
        self
    }

    /// Dial and, if answered, stay bridged until the conversation ends.
    pub fn run(self) -> Result<DialOutcome, Error> {
        wit::dial(&self.options)
    }
}

/// A queue wait about to start.
#[must_use = "an Enqueue does nothing until run is called"]
#[derive(Debug, Clone)]
pub struct Enqueue {
    options: EnqueueOptions,
}

impl Enqueue {
    /// Leave after this long.
    pub fn max_wait(mut self, d: Duration) -> Self {
        self.options.max_wait_ms = Some(ms(d));
        self
    }

    /// Announce the position at this interval.
    pub fn announce_position_every(mut self, d: Duration) -> Self {
        self.options.position_announce_interval_ms = Some(ms(d));
        self
    }

    /// Keys that let the caller leave.
    pub fn exit_keys(mut self, keys: &str) -> Self {
        self.options.exit_keys = keys.to_string();
        self
    }

    /// Priority, higher first.
    pub fn priority(mut self, p: u8) -> Self {
        self.options.priority = p;
        self
    }

    /// Wait.
    pub fn run(self) -> Result<QueueExit, Error> {
        wit::enqueue(&self.options)
    }
}

/// A recording about to start.
#[must_use = "a Record does nothing until run is called"]
#[derive(Debug, Clone)]
pub struct Record {
    options: RecordOptions,
}

impl Record {
    /// Stop after this much silence.
    pub fn stop_on_silence(mut self, d: Duration) -> Self {
        self.options.silence_timeout_ms = Some(ms(d));
        self
    }

    /// Keys that stop the recording (default `#`).
    pub fn stop_keys(mut self, keys: &str) -> Self {
        self.options.stop_keys = keys.to_string();
        self
    }

    /// No beep before recording.
    pub fn no_beep(mut self) -> Self {
        self.options.beep = false;
        self
    }

    /// Record.
    pub fn run(self) -> Result<Recording, Error> {
        wit::record_message(&self.options)
    }
}
