//! What a run did: its counts, failures and derived ratios.

use crate::media::MediaStats;
use std::collections::HashMap;
use std::time::Duration;

/// Why a call (or a callee registration) failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Failure {
    /// No final response to this request within 4 s.
    Timeout(Stage),
    /// This request got an unexpected final status.
    Status(Stage, u16),
    /// The 407 offered nothing usable.
    BadChallenge,
    /// The socket failed to send.
    SendError,
    /// No RTP socket could be bound for the call.
    Media,
    /// The 200 carried no usable SDP answer.
    NoAnswerSdp,
    /// The far end hung up before it should have (e.g. before the flow
    /// could have heard the digits).
    EarlyRemoteBye,
    /// The far end did not hang up when it should have (e.g. the flow did
    /// not recognise the digits); the caller hung up instead.
    NoRemoteBye,
}

/// Which request of a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Stage {
    /// The INVITE without credentials (expects 407).
    Invite1,
    /// The INVITE with credentials (expects 200).
    Invite2,
    /// The BYE (expects 200).
    Bye,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Failure::Timeout(s) => write!(f, "timeout on {s:?}"),
            Failure::Status(s, c) => write!(f, "status {c} to {s:?}"),
            Failure::BadChallenge => write!(f, "unusable 407 challenge"),
            Failure::SendError => write!(f, "send error"),
            Failure::Media => write!(f, "no RTP socket"),
            Failure::NoAnswerSdp => write!(f, "200 without a usable SDP answer"),
            Failure::EarlyRemoteBye => write!(f, "the far end hung up too early"),
            Failure::NoRemoteBye => write!(f, "the far end did not hang up in time"),
        }
    }
}

/// What a run did.
#[derive(Debug, Clone, Default)]
pub struct CallsResult {
    /// Callees registered before the calls started.
    pub callees_registered: u64,
    /// Calls started (first INVITE sent).
    pub attempted: u64,
    /// Calls whose authenticated INVITE got a 200.
    pub answered: u64,
    /// Calls answered, ACKed and ended by a BYE answered 200.
    pub completed: u64,
    /// Failures by cause (a call fails at most once).
    pub failures: HashMap<Failure, u64>,
    /// Retransmitted INVITEs and BYEs.
    pub retransmissions: u64,
    /// ACKs sent again for retransmitted 200s.
    pub reacks: u64,
    /// Responses that matched no request in flight.
    pub stray_responses: u64,
    /// INVITEs the UAS answered (retransmissions included).
    pub uas_invites: u64,
    /// BYEs the UAS answered.
    pub uas_byes: u64,
    /// BYEs of the far end for calls the callers placed.
    pub remote_byes: u64,
    /// RTP of the callers' legs, summed over calls (when calls carry media).
    pub caller_media: Option<MediaStats>,
    /// RTP of the callees' legs, summed over calls (when callees answer
    /// with media).
    pub callee_media: Option<MediaStats>,
    /// Offers the callees refused (488: no address or not their codec).
    pub callee_refused: u64,
    /// Session request delays (INVITE with credentials to 200) of the
    /// answered calls, microseconds, sorted.
    pub srd_us: Vec<u64>,
    /// Time spent starting calls.
    pub send_window: Duration,
    /// Time from the first call to the last completion.
    pub elapsed: Duration,
}

impl CallsResult {
    /// Calls that did not complete.
    pub fn failed(&self) -> u64 {
        self.attempted - self.completed
    }

    /// Session establishment ratio (RFC 6076): answered / attempted (1
    /// when nothing was attempted).
    pub fn ser(&self) -> f64 {
        if self.attempted == 0 {
            1.0
        } else {
            self.answered as f64 / self.attempted as f64
        }
    }

    /// Failed / attempted (0 when nothing was attempted).
    pub fn failure_ratio(&self) -> f64 {
        if self.attempted == 0 {
            0.0
        } else {
            self.failed() as f64 / self.attempted as f64
        }
    }
}
