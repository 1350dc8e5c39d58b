//! The `call` interface of the contract for a real call: each function of
//! [`CallControl`] on [`SipCall`].

use super::session::{Happened, SipCall};
use async_trait::async_trait;
use pbx_flow::CallControl;
use pbx_flow::bindings::Error;
use pbx_flow::bindings::call::{
    CallInfo, CallState, CollectEnd, CollectOptions, Collected, DialOptions, DialOutcome,
    EnqueueOptions, HangupCause, QueueExit, RecordOptions, Recording, TransferTarget,
    VoicemailGreeting, VoicemailOutcome,
};
use pbx_sip::service::AppEvent;
use pbx_store::Outcome;

/// Names of call-record fields: 1-64 of a-z, 0-9, '-', '_'.
fn valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

impl SipCall {
    async fn collect_digits(&mut self, o: CollectOptions) -> Result<Collected, Error> {
        if !(1..=32).contains(&o.max_digits) {
            return Err(Error::InvalidArgument(format!(
                "max-digits is {}; use 1 to 32",
                o.max_digits
            )));
        }
        self.leg()?;
        let mut digits = String::new();
        if !o.prompt.is_empty()
            && let Some(first) = self.play_names(&o.prompt, true).await?
        {
            if Some(first) == o.terminator {
                return Ok(Collected {
                    digits,
                    ended_by: CollectEnd::Terminator,
                });
            }
            digits.push(first);
        }
        loop {
            if digits.len() >= usize::from(o.max_digits) {
                return Ok(Collected {
                    digits,
                    ended_by: CollectEnd::MaxDigits,
                });
            }
            let wait = if digits.is_empty() {
                o.first_digit_timeout_ms
            } else {
                o.inter_digit_timeout_ms
            };
            match self.wait_key(wait).await? {
                None => {
                    return Ok(Collected {
                        digits,
                        ended_by: CollectEnd::Timeout,
                    });
                }
                Some(key) if Some(key) == o.terminator => {
                    return Ok(Collected {
                        digits,
                        ended_by: CollectEnd::Terminator,
                    });
                }
                Some(key) => digits.push(key),
            }
        }
    }

    async fn hold_music(&mut self, class: Option<String>, ms: u32) -> Result<Option<char>, Error> {
        let leg = self.leg()?;
        let class = class.unwrap_or_else(|| "default".to_string());
        self.deps
            .media
            .hold(leg, &class)
            .map_err(|e| Error::NotFound(format!("music-on-hold class `{class}`: {e}")))?;
        let key = self.wait_key(ms).await;
        if let Some(leg) = self.leg {
            let _ = self.deps.media.unhold(leg);
        }
        key
    }
}

#[async_trait]
impl CallControl for SipCall {
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
        self.started.elapsed().as_millis() as u64
    }

    async fn answer(&mut self) -> Result<(), Error> {
        self.do_answer().await
    }

    async fn pre_answer(&mut self) -> Result<(), Error> {
        self.do_pre_answer().await
    }

    async fn play(&mut self, prompts: Vec<String>, barge_in: bool) -> Result<Option<char>, Error> {
        self.play_names(&prompts, barge_in).await
    }

    async fn say_digits(&mut self, digits: String, barge_in: bool) -> Result<Option<char>, Error> {
        if let Some(bad) = digits
            .chars()
            .find(|c| !(c.is_ascii_digit() || *c == '*' || *c == '#'))
        {
            return Err(Error::InvalidArgument(format!(
                "`{bad}` is not a digit, * or #"
            )));
        }
        let names = self.deps.prompts.digits(&self.info.language, &digits);
        self.play_names(&names, barge_in).await
    }

    async fn say_number(&mut self, number: i64, barge_in: bool) -> Result<Option<char>, Error> {
        let names = self.deps.prompts.number(&self.info.language, number);
        self.play_names(&names, barge_in).await
    }

    async fn collect(&mut self, options: CollectOptions) -> Result<Collected, Error> {
        self.collect_digits(options).await
    }

    async fn dial(&mut self, options: DialOptions) -> Result<DialOutcome, Error> {
        self.dial_targets(options).await
    }

    async fn transfer(&mut self, target: TransferTarget) -> Result<(), Error> {
        self.transfer_to(target).await
    }

    async fn enqueue(&mut self, options: EnqueueOptions) -> Result<QueueExit, Error> {
        self.ensure_up()?;
        // No queue engine on this PBX yet: an honest, typed answer the
        // flow can act on (e.g. fall back to voicemail).
        self.log
            .leg_failed(&format!("queue:{}", options.queue), Outcome::Unavailable);
        Ok(QueueExit::Unavailable)
    }

    async fn voicemail(
        &mut self,
        mailbox: String,
        greeting: VoicemailGreeting,
    ) -> Result<VoicemailOutcome, Error> {
        self.deposit_voicemail(mailbox, greeting).await
    }

    async fn record_message(&mut self, options: RecordOptions) -> Result<Recording, Error> {
        self.record_caller(options).await
    }

    async fn music_on_hold(
        &mut self,
        class: Option<String>,
        duration_ms: u32,
    ) -> Result<Option<char>, Error> {
        self.hold_music(class, duration_ms).await
    }

    async fn hangup(&mut self, cause: HangupCause) -> Result<(), Error> {
        self.do_hangup(cause).await
    }

    async fn set_record_field(&mut self, name: String, value: String) -> Result<(), Error> {
        if !valid_field_name(&name) {
            return Err(Error::InvalidArgument(format!(
                "field name `{name}`: use 1-64 characters of a-z, 0-9, '-', '_'"
            )));
        }
        if value.len() > 1024 {
            return Err(Error::InvalidArgument(format!(
                "value of `{name}` is {} bytes; at most 1024",
                value.len()
            )));
        }
        self.log.set_field(name, value)
    }

    async fn pause(&mut self, duration_ms: u32) -> Result<Option<char>, Error> {
        self.ensure_up()?;
        if self.leg.is_none() {
            // Ringing: just wait, watching for a hang-up.
            let deadline =
                tokio::time::Instant::now() + std::time::Duration::from_millis(duration_ms.into());
            loop {
                match self.next(Some(deadline)).await {
                    Happened::Sip(AppEvent::Ended(_)) => return Err(Error::Hangup),
                    Happened::Timeout => return Ok(None),
                    _ => {}
                }
            }
        }
        self.wait_key(duration_ms).await
    }
}

#[cfg(test)]
mod tests {
    use super::valid_field_name;

    #[test]
    fn record_field_names() {
        assert!(valid_field_name("menu-choice"));
        assert!(valid_field_name("a_1"));
        assert!(!valid_field_name(""));
        assert!(!valid_field_name("Menu"));
        assert!(!valid_field_name(&"a".repeat(65)));
    }
}
