//! Reliable provisional responses (RFC 3262, "100rel").
//!
//! A 1xx normally travels unreliably and unacknowledged; with 100rel the
//! UAS numbers it (RSeq), retransmits it until a PRACK quotes it (RAck),
//! and the UAC processes each provisional once, in order. Early media
//! with SDP in a 183 needs this to be sure the answer arrived.

use super::session_timer::has_option_tag;
use crate::message::{Headers, Method, Request, Response, SipMessage, reason_phrase};
use crate::transaction::TimerConfig;
use std::fmt;
use std::time::Duration;

/// The option tag.
pub const TAG_100REL: &str = "100rel";

/// The peer insists on reliable provisionals (`Require: 100rel`): we must
/// send them reliably (or reject with 420 if we cannot).
pub fn requires_100rel(headers: &Headers) -> bool {
    has_option_tag(headers, "Require", TAG_100REL)
}

/// The peer can do reliable provisionals (Supported or Require).
pub fn supports_100rel(headers: &Headers) -> bool {
    has_option_tag(headers, "Supported", TAG_100REL) || requires_100rel(headers)
}

/// Numbers our reliable provisionals within one INVITE transaction: a
/// random start below 2^31 (section 3), then one more each time.
#[derive(Debug, Clone)]
pub struct RSeqGenerator {
    next: u32,
}

impl RSeqGenerator {
    /// A random starting point, as section 3 asks (1 to 2^31 - 1).
    pub fn new() -> Self {
        RSeqGenerator::starting_at(rand::random_range(1..1u32 << 31))
    }

    /// A fixed starting point (tests, or persisted state).
    pub fn starting_at(first: u32) -> Self {
        RSeqGenerator { next: first }
    }

    /// The RSeq for the next reliable provisional.
    pub fn next_rseq(&mut self) -> u32 {
        let n = self.next;
        self.next = self.next.wrapping_add(1);
        n
    }
}

impl Default for RSeqGenerator {
    fn default() -> Self {
        RSeqGenerator::new()
    }
}

/// A RAck value: which provisional a PRACK acknowledges (RSeq, then the
/// CSeq number and method of the request the provisional answered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RAck {
    /// RSeq of the provisional.
    pub rseq: u32,
    /// CSeq number of the INVITE.
    pub cseq: u32,
    /// Its method (INVITE).
    pub method: Method,
}

impl RAck {
    /// Parse `RSeq CSeq-number method`.
    pub fn parse(value: &str) -> Option<RAck> {
        let mut p = value.split_whitespace();
        let rack = RAck {
            rseq: p.next()?.parse().ok()?,
            cseq: p.next()?.parse().ok()?,
            method: Method::from_token(p.next()?),
        };
        p.next().is_none().then_some(rack)
    }

    /// The RAck acknowledging `provisional` (which has RSeq and CSeq).
    pub fn for_provisional(provisional: &Response) -> Option<RAck> {
        let rseq = provisional.headers.get("RSeq")?.trim().parse().ok()?;
        let (cseq, method) = provisional.headers.cseq()?;
        Some(RAck { rseq, cseq, method })
    }
}

impl fmt::Display for RAck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {} {}", self.rseq, self.cseq, self.method)
    }
}

/// Turn a 101-199 into a reliable one: adds `Require: 100rel` and RSeq.
pub fn make_reliable(provisional: &mut Response, rseq: u32) {
    provisional.headers.push("Require", TAG_100REL);
    provisional.headers.set("RSeq", &rseq.to_string());
}

/// What the UAS must do after [`ReliableProvisional::poll`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProvisionalEvent {
    /// Send the provisional again.
    Retransmit(SipMessage),
    /// No PRACK within 64*T1: the UAS should reject the INVITE with a 5xx
    /// (section 3). The helper is finished.
    GaveUp,
}

/// Retransmits one reliable provisional until its PRACK arrives: first
/// after T1, doubling each time (no T2 cap in RFC 3262), giving up at
/// 64*T1. Sans-IO, like
/// [`TwoXxRetransmitter`](crate::transaction::TwoXxRetransmitter).
#[derive(Debug, Clone)]
pub struct ReliableProvisional {
    response: Response,
    rack: RAck,
    interval: Duration,
    next_at: Duration,
    give_up_at: Duration,
    finished: bool,
}

impl ReliableProvisional {
    /// Track `response` (already made reliable, so it has RSeq and CSeq),
    /// first sent at `now`. `None` if it lacks RSeq or CSeq.
    pub fn new(response: Response, config: &TimerConfig, now: Duration) -> Option<Self> {
        let rack = RAck::for_provisional(&response)?;
        Some(ReliableProvisional {
            response,
            rack,
            interval: config.t1,
            next_at: now + config.t1,
            give_up_at: now + config.timeout(),
            finished: false,
        })
    }

    /// The provisional.
    pub fn response(&self) -> &Response {
        &self.response
    }

    /// Its RSeq.
    pub fn rseq(&self) -> u32 {
        self.rack.rseq
    }

    /// Whether `prack` acknowledges this provisional (its RAck names our
    /// RSeq, CSeq number and method). A match stops retransmission.
    pub fn prack_received(&mut self, prack: &Request) -> bool {
        let matches = prack.method == Method::Prack
            && prack.headers.get("RAck").and_then(RAck::parse).as_ref() == Some(&self.rack);
        if matches {
            self.finished = true;
        }
        matches
    }

    /// A final response went out for the INVITE: stop retransmitting.
    pub fn stop(&mut self) {
        self.finished = true;
    }

    /// PRACKed, stopped or given up.
    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// When [`poll`](Self::poll) next has something to do.
    pub fn next_deadline(&self) -> Option<Duration> {
        (!self.finished).then(|| self.next_at.min(self.give_up_at))
    }

    /// Advance to `now`: at most one retransmission per call.
    pub fn poll(&mut self, now: Duration) -> Option<ProvisionalEvent> {
        if self.finished {
            return None;
        }
        if now >= self.give_up_at {
            self.finished = true;
            return Some(ProvisionalEvent::GaveUp);
        }
        if now < self.next_at {
            return None;
        }
        self.interval *= 2;
        self.next_at = now + self.interval;
        Some(ProvisionalEvent::Retransmit(SipMessage::Response(
            self.response.clone(),
        )))
    }
}

/// Answer to a PRACK, given the reliable provisionals still unacknowledged
/// (section 3): 200 when one matches (it is marked finished), else 481.
pub fn answer_prack(prack: &Request, pending: &mut [ReliableProvisional]) -> Response {
    let matched = pending
        .iter_mut()
        .filter(|p| !p.is_finished())
        .any(|p| p.prack_received(prack));
    if matched {
        prack.response(200, reason_phrase(200), None)
    } else {
        prack.response(481, reason_phrase(481), None)
    }
}

/// The UAC side: which reliable provisionals to process. Section 4: the
/// first sets the expected sequence; later ones are processed only when
/// their RSeq is exactly one higher (a retransmission, lower or equal, is
/// PRACKed again but not processed; a gap waits for the missing one).
#[derive(Debug, Clone, Default)]
pub struct RSeqTracker {
    last: Option<u32>,
}

/// What to do with a received reliable provisional.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RSeqVerdict {
    /// New and in order: process it and send a PRACK.
    New,
    /// Already seen: PRACK it again (ours may have been lost), no more.
    Retransmission,
    /// Out of order: drop it; the UAS will retransmit.
    OutOfOrder,
}

impl RSeqTracker {
    /// Classify a provisional by its RSeq.
    pub fn check(&mut self, rseq: u32) -> RSeqVerdict {
        match self.last {
            None => {
                self.last = Some(rseq);
                RSeqVerdict::New
            }
            Some(last) if rseq == last.wrapping_add(1) => {
                self.last = Some(rseq);
                RSeqVerdict::New
            }
            Some(last) if rseq <= last => RSeqVerdict::Retransmission,
            Some(_) => RSeqVerdict::OutOfOrder,
        }
    }
}

/// The PRACK for a reliable provisional received in `dialog` (an early
/// UAC dialog): an in-dialog request with RAck naming it. `None` if the
/// provisional lacks RSeq or CSeq.
pub fn prack_for(
    dialog: &mut super::Dialog,
    provisional: &Response,
    now: Duration,
) -> Option<Request> {
    let rack = RAck::for_provisional(provisional)?;
    let mut r = dialog.request(Method::Prack, now);
    r.headers.push("RAck", &rack.to_string());
    Some(r)
}
