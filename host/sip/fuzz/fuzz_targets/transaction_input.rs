//! Parsed messages driven through a `TransactionLayer` with simulated time.
//!
//! The input is a list of segments separated by `SEP` (two NUL bytes). A
//! segment is one of:
//! - `0xFF hi lo`: advance the clock by `(hi << 8 | lo) * 10 ms` (up to
//!   ~11 min) and `poll_timers`;
//! - `0xFE s`: the TU answers every pending server transaction with the
//!   status picked by `s` (1xx keep it pending, final ones complete it);
//! - `0xFD message`: parse and, if it is a request, `start_client` with it;
//! - anything else: a datagram, parsed and given to `handle_incoming`.
//!
//! A plain RFC 4475 message is therefore a valid single-segment input.
//! Checks: no panic; the layer never holds more transactions than messages
//! it was given; and once every server transaction has a final answer and
//! the clock has run past every armed timer, no transaction is left
//! (nothing leaks).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pbx_sip::message::{SipMessage, parse_datagram, reason_phrase};
use pbx_sip::transaction::{LayerAction, TimerConfig, TransactionKey, TransactionLayer, TuEvent};
use std::time::Duration;

const SEP: &[u8] = b"\0\0";
const STATUSES: [u16; 8] = [100, 180, 183, 200, 202, 404, 486, 500];

struct Harness {
    layer: TransactionLayer,
    now: Duration,
    /// Server transactions the TU has been given and not finally answered.
    pending: Vec<TransactionKey>,
    /// Messages given to the layer: each creates at most one transaction.
    inputs: usize,
}

impl Harness {
    fn absorb(&mut self, actions: Vec<LayerAction>) {
        for action in actions {
            match action {
                LayerAction::ToTu {
                    key,
                    event: TuEvent::Request(_) | TuEvent::CancelFor { .. },
                } => {
                    if !self.pending.contains(&key) {
                        self.pending.push(key);
                    }
                }
                LayerAction::Terminated(key) => self.pending.retain(|k| k != &key),
                _ => {}
            }
        }
        assert!(
            self.layer.len() <= self.inputs,
            "{} transactions from {} inputs",
            self.layer.len(),
            self.inputs
        );
    }

    fn respond_all(&mut self, status: u16) {
        for key in std::mem::take(&mut self.pending) {
            let Some(request) = self.layer.request(&key) else {
                continue;
            };
            let tag = (status > 100).then_some("fuzztag");
            let response = request.response(status, reason_phrase(status), tag);
            match self.layer.respond(&key, response, self.now) {
                Ok(actions) => {
                    if status < 200 {
                        self.pending.push(key);
                    }
                    self.absorb(actions);
                }
                Err(_) => {}
            }
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        let actions = self.layer.poll_timers(self.now);
        self.absorb(actions);
    }
}

fn segments(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let r = rest?;
        match r.windows(SEP.len()).position(|w| w == SEP) {
            Some(i) => {
                rest = Some(&r[i + SEP.len()..]);
                Some(&r[..i])
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let mut h = Harness {
        layer: TransactionLayer::new(TimerConfig::default()),
        now: Duration::from_secs(1),
        pending: Vec::new(),
        inputs: 0,
    };
    for (n, seg) in segments(data).enumerate() {
        if n >= 64 {
            break;
        }
        match seg {
            [0xFF, hi, lo, ..] => {
                let ticks = u64::from(*hi) << 8 | u64::from(*lo);
                h.advance(Duration::from_millis(ticks * 10));
            }
            [0xFE, s, ..] => h.respond_all(STATUSES[usize::from(*s) % STATUSES.len()]),
            [0xFD, msg @ ..] => {
                if let Ok(SipMessage::Request(request)) = parse_datagram(msg) {
                    h.inputs += 1;
                    if let Ok((_, actions)) = h.layer.start_client(request, h.now) {
                        h.absorb(actions);
                    }
                }
            }
            _ => {
                if let Ok(msg) = parse_datagram(seg) {
                    h.inputs += 1;
                    let actions = h.layer.handle_incoming(msg, h.now);
                    h.absorb(actions);
                }
            }
        }
    }
    // Wind down: the TU answers everything, and time runs until no timer is
    // armed. Every transaction must then be gone.
    h.respond_all(500);
    for _ in 0..10_000 {
        let Some(deadline) = h.layer.next_deadline() else {
            break;
        };
        let by = deadline.saturating_sub(h.now);
        h.advance(by);
    }
    assert!(h.layer.next_deadline().is_none(), "timers still armed");
    assert!(
        h.layer.is_empty(),
        "{} transactions left after all were answered and all timers ran",
        h.layer.len()
    );
});
