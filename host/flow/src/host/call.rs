//! `pbx:flow/call`: call information and control, delegated to the
//! [`CallControl`](crate::backend::CallControl) of this call.

use crate::bindings::Error;
use crate::bindings::call::{
    CallInfo, CallState, CollectOptions, Collected, DialOptions, DialOutcome, EnqueueOptions,
    HangupCause, Host, QueueExit, RecordOptions, Recording, TransferTarget, VoicemailGreeting,
    VoicemailOutcome,
};
use crate::state::FlowState;

/// Run a call-control method, then trace it with its arguments and result.
macro_rules! control {
    ($self:ident, $name:literal, $args:expr, |$c:ident| $body:expr) => {{
        let args = $args;
        let result = match $self.control() {
            Ok($c) => $body.await,
            Err(e) => Err(e),
        };
        $self.observe(&result);
        $self.traced("call", $name, args, format!("{result:?}"));
        result
    }};
}

impl Host for FlowState {
    async fn info(&mut self) -> CallInfo {
        let info = match self.control.as_ref() {
            Some(c) => c.info(),
            None => CallInfo {
                call_id: String::new(),
                tenant: String::new(),
                caller_number: String::new(),
                caller_name: None,
                dialled_number: String::new(),
                did: None,
                origin: crate::bindings::call::Origin::Extension(String::new()),
                language: String::new(),
                started_at: crate::tenant_time::epoch_datetime(),
            },
        };
        self.traced("call", "info", String::new(), format!("{info:?}"));
        info
    }

    async fn state(&mut self) -> CallState {
        let state = self
            .control
            .as_ref()
            .map(|c| c.state())
            .unwrap_or(CallState::Ended);
        self.traced("call", "state", String::new(), format!("{state:?}"));
        state
    }

    async fn answer(&mut self) -> Result<(), Error> {
        control!(self, "answer", String::new(), |c| c.answer())
    }

    async fn pre_answer(&mut self) -> Result<(), Error> {
        control!(self, "pre-answer", String::new(), |c| c.pre_answer())
    }

    async fn play(&mut self, prompts: Vec<String>, barge_in: bool) -> Result<Option<char>, Error> {
        control!(
            self,
            "play",
            format!("{prompts:?}, barge_in={barge_in}"),
            |c| c.play(prompts, barge_in)
        )
    }

    async fn say_digits(&mut self, digits: String, barge_in: bool) -> Result<Option<char>, Error> {
        control!(
            self,
            "say-digits",
            format!("{digits:?}, barge_in={barge_in}"),
            |c| c.say_digits(digits, barge_in)
        )
    }

    async fn say_number(&mut self, number: i64, barge_in: bool) -> Result<Option<char>, Error> {
        control!(
            self,
            "say-number",
            format!("{number}, barge_in={barge_in}"),
            |c| c.say_number(number, barge_in)
        )
    }

    async fn collect(&mut self, options: CollectOptions) -> Result<Collected, Error> {
        if options.max_digits == 0 || options.max_digits > 32 {
            let result = Err(Error::InvalidArgument(format!(
                "max-digits must be 1-32, got {}",
                options.max_digits
            )));
            self.traced(
                "call",
                "collect",
                format!("{options:?}"),
                format!("{result:?}"),
            );
            return result;
        }
        control!(self, "collect", format!("{options:?}"), |c| c
            .collect(options))
    }

    async fn dial(&mut self, options: DialOptions) -> Result<DialOutcome, Error> {
        if options.targets.is_empty() {
            let result = Err(Error::InvalidArgument(
                "dial needs at least one target".into(),
            ));
            self.traced(
                "call",
                "dial",
                format!("{options:?}"),
                format!("{result:?}"),
            );
            return result;
        }
        control!(self, "dial", format!("{options:?}"), |c| c.dial(options))
    }

    async fn transfer(&mut self, target: TransferTarget) -> Result<(), Error> {
        let result = control!(self, "transfer", format!("{target:?}"), |c| c
            .transfer(target));
        if result.is_ok() {
            self.ended = true;
        }
        result
    }

    async fn enqueue(&mut self, options: EnqueueOptions) -> Result<QueueExit, Error> {
        control!(self, "enqueue", format!("{options:?}"), |c| c
            .enqueue(options))
    }

    async fn voicemail(
        &mut self,
        mailbox: String,
        greeting: VoicemailGreeting,
    ) -> Result<VoicemailOutcome, Error> {
        control!(
            self,
            "voicemail",
            format!("{mailbox:?}, {greeting:?}"),
            |c| c.voicemail(mailbox, greeting)
        )
    }

    async fn record_message(&mut self, options: RecordOptions) -> Result<Recording, Error> {
        control!(self, "record-message", format!("{options:?}"), |c| c
            .record_message(options))
    }

    async fn music_on_hold(
        &mut self,
        class: Option<String>,
        duration_ms: u32,
    ) -> Result<Option<char>, Error> {
        control!(
            self,
            "music-on-hold",
            format!("{class:?}, {duration_ms} ms"),
            |c| c.music_on_hold(class, duration_ms)
        )
    }

    async fn hangup(&mut self, cause: HangupCause) -> Result<(), Error> {
        let result = control!(self, "hangup", format!("{cause:?}"), |c| c.hangup(cause));
        self.ended = true;
        result
    }

    async fn set_record_field(&mut self, name: String, value: String) -> Result<(), Error> {
        let valid_name = !name.is_empty()
            && name.len() <= 64
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
        if !valid_name || value.len() > 1024 {
            let result = Err(Error::InvalidArgument(
                "record field names are 1-64 of a-z 0-9 - _, values at most 1024 bytes".into(),
            ));
            self.traced(
                "call",
                "set-record-field",
                format!("{name:?}"),
                format!("{result:?}"),
            );
            return result;
        }
        control!(
            self,
            "set-record-field",
            format!("{name:?}, {value:?}"),
            |c| c.set_record_field(name, value)
        )
    }

    async fn pause(&mut self, duration_ms: u32) -> Result<Option<char>, Error> {
        control!(self, "pause", format!("{duration_ms} ms"), |c| c
            .pause(duration_ms))
    }
}
