//! What a call leaves behind: its call record, gathered while it runs and
//! handed to the batching writer when it ends (never awaited on the call
//! path).

use chrono::{DateTime, Utc};
use pbx_flow::bindings::Error;
use pbx_media::engine::LegStats;
use pbx_store::{CallLeg, CallRecord, CallRecordId, Direction, Outcome, TenantId};

/// The most call-record fields a flow may set.
pub const MAX_FIELDS: usize = 32;

/// Facts gathered during a call.
#[derive(Debug, Default)]
pub struct CallLog {
    /// When the caller was answered.
    pub answered_at: Option<DateTime<Utc>>,
    /// Parties the call tried to reach.
    pub legs: Vec<CallLeg>,
    /// Fields the flow set.
    pub fields: Vec<(String, String)>,
    /// Why it ended ("caller: CallerHungUp", "flow: Normal", ...).
    pub cause: String,
    /// A voicemail message was left.
    pub voicemail_left: bool,
    /// A dialled party answered.
    pub bridged: bool,
    /// RTP packets received from the caller.
    pub rtp_received: u64,
    /// RTP packets from the caller that never arrived.
    pub rtp_lost: u64,
}

impl CallLog {
    /// The caller was answered now (first time only).
    pub fn answered(&mut self, now: DateTime<Utc>) {
        self.answered_at.get_or_insert(now);
    }

    /// Why the call ended (first reason wins).
    pub fn set_cause(&mut self, cause: &str) {
        if self.cause.is_empty() {
            self.cause = cause.to_string();
        }
    }

    /// The caller's media statistics at the end.
    pub fn media(&mut self, stats: LegStats) {
        self.rtp_received += stats.received.packets;
        self.rtp_lost += stats.received.lost.max(0) as u64;
    }

    /// A leg that failed at once (queue unavailable, unknown extension).
    pub fn leg_failed(&mut self, target: &str, outcome: Outcome) {
        let now = Utc::now();
        self.legs.push(CallLeg {
            target: target.to_string(),
            started_at: now,
            answered_at: None,
            ended_at: now,
            outcome,
        });
    }

    /// A leg.
    pub fn leg(&mut self, leg: CallLeg) {
        if leg.outcome == Outcome::Answered {
            self.bridged = true;
        }
        self.legs.push(leg);
    }

    /// Set field `name` (validated by the caller).
    pub fn set_field(&mut self, name: String, value: String) -> Result<(), Error> {
        if let Some(f) = self.fields.iter_mut().find(|(n, _)| *n == name) {
            f.1 = value;
            return Ok(());
        }
        if self.fields.len() >= MAX_FIELDS {
            return Err(Error::LimitExceeded(format!(
                "at most {MAX_FIELDS} call-record fields"
            )));
        }
        self.fields.push((name, value));
        Ok(())
    }

    /// How the call as a whole ended up.
    pub fn outcome(&self, flow_failed: bool) -> Outcome {
        if self.voicemail_left {
            Outcome::Voicemail
        } else if self.bridged {
            Outcome::Answered
        } else if flow_failed {
            Outcome::Failed
        } else if self.answered_at.is_some() {
            // Served by the flow itself (menu, announcement).
            Outcome::Answered
        } else if self.cause.starts_with("caller") {
            Outcome::Abandoned
        } else {
            Outcome::Rejected
        }
    }
}

/// Everything a finished call's record is made of.
pub struct Finished<'a> {
    /// The tenant.
    pub tenant: TenantId,
    /// The caller's SIP Call-ID.
    pub call_id: &'a str,
    /// Which way the call went.
    pub direction: Direction,
    /// Caller number and name.
    pub caller: &'a str,
    /// Caller's display name.
    pub caller_name: Option<&'a str>,
    /// The dialled number.
    pub dialled: &'a str,
    /// The DID of a trunk call.
    pub did: Option<&'a str>,
    /// When the call reached the PBX.
    pub started_at: DateTime<Utc>,
    /// Flow name and version number.
    pub flow: Option<(&'a str, i64)>,
    /// The flow's outcome name ("completed", "trapped", ...).
    pub flow_outcome: &'a str,
    /// Whether the flow failed.
    pub flow_failed: bool,
    /// The trace, as JSON.
    pub trace: serde_json::Value,
}

/// The record of a finished call.
pub fn build(f: Finished<'_>, log: &CallLog) -> CallRecord {
    let mut fields = serde_json::Map::new();
    for (n, v) in &log.fields {
        fields.insert(n.clone(), v.clone().into());
    }
    CallRecord {
        id: CallRecordId::new(),
        tenant_id: f.tenant,
        call_id: f.call_id.to_string(),
        direction: f.direction,
        caller: f.caller.to_string(),
        caller_name: f.caller_name.map(str::to_string),
        dialled: f.dialled.to_string(),
        did: f.did.map(str::to_string),
        started_at: f.started_at,
        answered_at: log.answered_at,
        ended_at: Utc::now(),
        outcome: log.outcome(f.flow_failed),
        hangup_cause: if log.cause.is_empty() {
            "normal".to_string()
        } else {
            log.cause.clone()
        },
        flow_name: f.flow.map(|(n, _)| n.to_string()),
        flow_version: f.flow.map(|(_, v)| v),
        legs: log.legs.clone(),
        trace: serde_json::json!({
            "flow_outcome": f.flow_outcome,
            "fields": fields,
            "rtp": { "received": log.rtp_received, "lost": log.rtp_lost },
            "events": f.trace,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_follows_what_happened() {
        let mut log = CallLog::default();
        log.set_cause("caller: CallerHungUp");
        assert_eq!(log.outcome(false), Outcome::Abandoned);
        log.answered(Utc::now());
        assert_eq!(log.outcome(false), Outcome::Answered);
        assert_eq!(log.outcome(true), Outcome::Failed);
        log.voicemail_left = true;
        assert_eq!(log.outcome(true), Outcome::Voicemail);
    }

    #[test]
    fn at_most_32_fields_and_updates_replace() {
        let mut log = CallLog::default();
        for i in 0..MAX_FIELDS {
            log.set_field(format!("f{i}"), "x".into()).unwrap();
        }
        log.set_field("f0".into(), "y".into()).unwrap();
        assert_eq!(log.fields[0].1, "y");
        assert!(log.set_field("extra".into(), "z".into()).is_err());
    }
}
