//! DTMF: digits, the three ways they arrive (RFC 4733 events, SIP INFO
//! bodies handed in by the call model, in-band tones) and the rule that
//! collapses one key press seen by several of them into one digit.

pub mod collapse;
pub mod goertzel;
pub mod info;
pub mod rfc4733;
pub mod tones;

use crate::error::{MediaError, Result};

/// A DTMF key: 0-9, `*`, `#`, A-D. Stored as its RFC 4733 event code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Digit(u8);

const CHARS: &[u8; 16] = b"0123456789*#ABCD";

impl Digit {
    /// The digit of an RFC 4733 event code (0-15).
    pub fn from_event(code: u8) -> Option<Digit> {
        (code < 16).then_some(Digit(code))
    }

    /// The digit of a character (case-insensitive for A-D).
    pub fn from_char(c: char) -> Option<Digit> {
        let u = c.to_ascii_uppercase() as u8;
        CHARS.iter().position(|&x| x == u).map(|i| Digit(i as u8))
    }

    /// Parses a one-character string, with an error that says what is allowed.
    pub fn parse(s: &str) -> Result<Digit> {
        let mut chars = s.trim().chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Digit::from_char(c),
            _ => None,
        }
        .ok_or_else(|| MediaError::Dtmf(format!("{s:?} is not a DTMF digit; use 0-9, *, #, A-D")))
    }

    /// The RFC 4733 event code.
    pub fn event(self) -> u8 {
        self.0
    }

    /// The character.
    pub fn as_char(self) -> char {
        CHARS[self.0 as usize] as char
    }
}

impl std::fmt::Display for Digit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_char())
    }
}

/// How a digit reached the engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtmfSource {
    /// RFC 4733 telephone-event packets.
    Rfc4733,
    /// A SIP INFO body the call model handed in.
    SipInfo,
    /// Tones detected in the audio.
    InBand,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_map_to_event_codes() {
        assert_eq!(Digit::from_char('*').unwrap().event(), 10);
        assert_eq!(Digit::from_char('#').unwrap().event(), 11);
        assert_eq!(Digit::from_char('d').unwrap().as_char(), 'D');
        assert_eq!(Digit::from_event(5).unwrap().to_string(), "5");
        assert!(Digit::from_event(16).is_none());
        assert!(Digit::parse("12").is_err());
        assert!(Digit::parse("x").unwrap_err().to_string().contains("0-9"));
    }
}
