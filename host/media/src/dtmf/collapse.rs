//! One key press, one digit. A phone may send the same press as RFC 4733
//! events and as tones (and a proxy may add a SIP INFO); a press reported
//! by one source suppresses the same digit from a *different* source for a
//! short window. Repeats from the same source are always real presses:
//! each source already debounces its own reports.

use std::time::{Duration, Instant};

use super::{Digit, DtmfSource};

/// How long a report suppresses the same digit from other sources. Long
/// enough to cover tone detection lag and INFO signalling delay, shorter
/// than two deliberate presses of one key by a human.
pub const WINDOW: Duration = Duration::from_millis(600);

/// Per-leg duplicate filter.
#[derive(Debug, Default)]
pub struct Collapser {
    last: Option<(Digit, DtmfSource, Instant)>,
}

impl Collapser {
    /// Whether a report is a new digit (true) or a duplicate (false).
    pub fn accept(&mut self, digit: Digit, source: DtmfSource, now: Instant) -> bool {
        if let Some((d, s, at)) = self.last
            && d == digit
            && s != source
            && now.saturating_duration_since(at) < WINDOW
        {
            return false;
        }
        self.last = Some((digit, source, now));
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collapses_across_sources_only() {
        let mut c = Collapser::default();
        let t = Instant::now();
        let five = Digit::from_char('5').unwrap();
        assert!(c.accept(five, DtmfSource::Rfc4733, t));
        assert!(!c.accept(five, DtmfSource::InBand, t + Duration::from_millis(60)));
        // The in-band duplicate did not extend the window of the original.
        assert!(!c.accept(five, DtmfSource::SipInfo, t + Duration::from_millis(300)));
        assert!(c.accept(five, DtmfSource::Rfc4733, t + Duration::from_millis(200)));
        assert!(c.accept(five, DtmfSource::InBand, t + Duration::from_millis(900)));
        let six = Digit::from_char('6').unwrap();
        assert!(c.accept(six, DtmfSource::SipInfo, t + Duration::from_millis(950)));
    }
}
