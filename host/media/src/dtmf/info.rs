//! DTMF in SIP INFO bodies. The call model receives the INFO request and
//! hands its body here; the digit is then injected into the leg.
//!
//! `application/dtmf-relay`:
//! ```text
//! Signal=5
//! Duration=160
//! ```
//! `application/dtmf`: the digit alone, e.g. `5`.

use super::Digit;
use crate::error::{MediaError, Result};

/// A digit read from an INFO body, with the duration when given (ms).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InfoDigit {
    /// The digit.
    pub digit: Digit,
    /// Duration in milliseconds, if the body gave one.
    pub duration_ms: Option<u32>,
}

fn signal_digit(value: &str) -> Result<Digit> {
    let v = value.trim();
    // Some phones send the event code (10 for *, 11 for #) instead of the character.
    match v.parse::<u8>() {
        Ok(code) if code >= 10 => Digit::from_event(code)
            .ok_or_else(|| MediaError::Dtmf(format!("Signal={v} is not a DTMF event code (0-15)"))),
        _ => Digit::parse(v),
    }
}

/// Parses an `application/dtmf-relay` body.
pub fn parse_dtmf_relay(body: &str) -> Result<InfoDigit> {
    let mut digit = None;
    let mut duration_ms = None;
    for line in body.lines() {
        let Some((k, v)) = line.split_once('=') else {
            continue;
        };
        match k.trim().to_ascii_lowercase().as_str() {
            "signal" => digit = Some(signal_digit(v)?),
            "duration" => duration_ms = v.trim().parse().ok(),
            _ => {}
        }
    }
    let digit = digit.ok_or_else(|| {
        MediaError::Dtmf("application/dtmf-relay body has no Signal= line; send e.g. \"Signal=5\\r\\nDuration=160\"".into())
    })?;
    Ok(InfoDigit { digit, duration_ms })
}

/// Parses an `application/dtmf` body.
pub fn parse_dtmf(body: &str) -> Result<InfoDigit> {
    Ok(InfoDigit {
        digit: signal_digit(body)?,
        duration_ms: None,
    })
}

/// Parses a body by its content type (either of the two above).
pub fn parse_info_body(content_type: &str, body: &str) -> Result<InfoDigit> {
    let ct = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    match ct.as_str() {
        "application/dtmf-relay" => parse_dtmf_relay(body),
        "application/dtmf" => parse_dtmf(body),
        other => Err(MediaError::Dtmf(format!(
            "content type {other:?} carries no DTMF; expected application/dtmf-relay or application/dtmf"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_body_types() {
        let d = parse_dtmf_relay("Signal=5\r\nDuration=160\r\n").unwrap();
        assert_eq!(d.digit.as_char(), '5');
        assert_eq!(d.duration_ms, Some(160));
        assert_eq!(
            parse_dtmf_relay("signal= #\n").unwrap().digit.as_char(),
            '#'
        );
        assert_eq!(
            parse_dtmf_relay("Signal=11\n").unwrap().digit.as_char(),
            '#'
        );
        assert_eq!(parse_dtmf("*\r\n").unwrap().digit.as_char(), '*');
        assert_eq!(
            parse_info_body("Application/DTMF-Relay; x=y", "Signal=A")
                .unwrap()
                .digit
                .as_char(),
            'A'
        );
        assert!(
            parse_dtmf_relay("Duration=100")
                .unwrap_err()
                .to_string()
                .contains("Signal")
        );
        assert!(parse_dtmf("55").is_err());
        assert!(parse_info_body("text/plain", "5").is_err());
        assert!(parse_dtmf_relay("Signal=99").is_err());
    }
}
