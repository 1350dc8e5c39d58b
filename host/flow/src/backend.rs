//! What a flow asks of the rest of the PBX, as traits.
//!
//! The flow crate knows the WIT contract but nothing of SIP, media or the
//! database. Everything a host function needs beyond the sandbox comes
//! through these traits: the call model implements them against real
//! dialogs, media sessions and the store; the flow simulator implements
//! them against a scenario file. Both see the same generated WIT types, so
//! no translation layer sits between a flow and its backend.

use crate::bindings::{
    Date, Datetime, Error,
    call::{
        CallInfo, CallState, CollectOptions, Collected, DialOptions, DialOutcome, EnqueueOptions,
        HangupCause, QueueExit, RecordOptions, Recording, TransferTarget, VoicemailGreeting,
        VoicemailOutcome,
    },
    directory::{Contact, Extension},
    holidays::Holiday,
    incidents::Flag,
    schedule::ScheduleStatus,
};
use async_trait::async_trait;

/// Control of one call: the `call` interface, implemented per call.
///
/// Methods are async: a flow blocks on them while the host awaits SIP and
/// media events; the tokio task is parked, no thread is held.
#[async_trait]
pub trait CallControl: Send {
    /// Facts about the call.
    fn info(&self) -> CallInfo;
    /// Current state.
    fn state(&self) -> CallState;
    /// Milliseconds since the call reached the PBX (virtual time in the
    /// simulator); used to timestamp the trace.
    fn elapsed_ms(&self) -> u64;
    /// Answer (200 OK).
    async fn answer(&mut self) -> Result<(), Error>;
    /// Early media (183).
    async fn pre_answer(&mut self) -> Result<(), Error>;
    /// Play prompts, optionally interruptible by a key.
    async fn play(&mut self, prompts: Vec<String>, barge_in: bool) -> Result<Option<char>, Error>;
    /// Speak digits.
    async fn say_digits(&mut self, digits: String, barge_in: bool) -> Result<Option<char>, Error>;
    /// Speak a number.
    async fn say_number(&mut self, number: i64, barge_in: bool) -> Result<Option<char>, Error>;
    /// Collect DTMF digits.
    async fn collect(&mut self, options: CollectOptions) -> Result<Collected, Error>;
    /// Ring targets and bridge.
    async fn dial(&mut self, options: DialOptions) -> Result<DialOutcome, Error>;
    /// Blind transfer.
    async fn transfer(&mut self, target: TransferTarget) -> Result<(), Error>;
    /// Wait in a queue.
    async fn enqueue(&mut self, options: EnqueueOptions) -> Result<QueueExit, Error>;
    /// Voicemail deposit.
    async fn voicemail(
        &mut self,
        mailbox: String,
        greeting: VoicemailGreeting,
    ) -> Result<VoicemailOutcome, Error>;
    /// Record the caller.
    async fn record_message(&mut self, options: RecordOptions) -> Result<Recording, Error>;
    /// Music on hold.
    async fn music_on_hold(
        &mut self,
        class: Option<String>,
        duration_ms: u32,
    ) -> Result<Option<char>, Error>;
    /// End the call.
    async fn hangup(&mut self, cause: HangupCause) -> Result<(), Error>;
    /// Set a call-record field.
    async fn set_record_field(&mut self, name: String, value: String) -> Result<(), Error>;
    /// Silence.
    async fn pause(&mut self, duration_ms: u32) -> Result<Option<char>, Error>;
    /// The control itself, so that whoever created it gets its own type
    /// back from [`CallReport`](crate::CallReport) when the flow is done
    /// (the call model finishes the call with it). Implement as `self`.
    fn into_any(self: Box<Self>) -> Box<dyn std::any::Any + Send>;
}

/// A tenant's data as flows see it: schedules, holidays, flags, key-value
/// store and directory. One value per tenant, shared by its calls, hence
/// `&self` and `Sync`.
#[async_trait]
pub trait TenantData: Send + Sync {
    /// Current time in the tenant's time zone.
    fn now(&self) -> Datetime;
    /// Office-hours schedule state now.
    async fn schedule_status(&self, name: &str) -> Result<ScheduleStatus, Error>;
    /// Holiday on a date in a calendar.
    async fn holiday_on(&self, calendar: &str, date: Date) -> Result<Option<Holiday>, Error>;
    /// One incident flag.
    async fn flag(&self, name: &str) -> Result<Flag, Error>;
    /// All active flags.
    async fn active_flags(&self) -> Vec<Flag>;
    /// Set a flag; `call_id` goes to the audit log.
    async fn set_flag(&self, name: &str, active: bool, call_id: &str) -> Result<(), Error>;
    /// Key-value get.
    async fn kv_get(&self, key: &str) -> Result<Option<String>, Error>;
    /// Key-value set.
    async fn kv_set(&self, key: &str, value: &str, ttl_seconds: Option<u32>) -> Result<(), Error>;
    /// Key-value delete.
    async fn kv_delete(&self, key: &str) -> Result<bool, Error>;
    /// Atomic increment.
    async fn kv_increment(
        &self,
        key: &str,
        delta: i64,
        ttl_seconds: Option<u32>,
    ) -> Result<i64, Error>;
    /// Extension by number.
    async fn extension(&self, number: &str) -> Result<Option<Extension>, Error>;
    /// Extensions by name.
    async fn extensions_by_name(&self, query: &str, limit: u32) -> Result<Vec<Extension>, Error>;
    /// Blocked-number check.
    async fn is_blocked(&self, number: &str) -> Result<bool, Error>;
    /// Contact by number.
    async fn contact(&self, number: &str) -> Result<Option<Contact>, Error>;
}
