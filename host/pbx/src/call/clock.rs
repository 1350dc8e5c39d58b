//! The PBX's clock: real time, or shifted by configuration so that tests
//! and demos can run "on Christmas Day" or "Monday at 12:30".

use chrono::{DateTime, Utc};

/// Wall-clock time as the call model sees it.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    /// Added to the system clock, in milliseconds.
    offset_ms: i64,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock::default()
    }

    /// A clock that reads `start` now and runs on from there.
    pub fn starting_at(start: DateTime<Utc>) -> Clock {
        Clock {
            offset_ms: (start - Utc::now()).num_milliseconds(),
        }
    }

    /// Now.
    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + chrono::Duration::milliseconds(self.offset_ms)
    }

    /// Whether the clock is shifted.
    pub fn is_shifted(&self) -> bool {
        self.offset_ms != 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_shifted_clock_starts_at_the_given_instant_and_runs() {
        let start: DateTime<Utc> = "2026-12-25T10:00:00Z".parse().unwrap();
        let clock = Clock::starting_at(start);
        let now = clock.now();
        assert!((now - start).num_seconds().abs() < 5, "{now}");
        assert!(clock.is_shifted());
        assert!(!Clock::system().is_shifted());
    }
}
