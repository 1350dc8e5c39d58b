//! A registration binding: one reachable contact for an address of record.

use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

/// One contact bound to an address of record (RFC 3261 section 10).
///
/// Besides what the REGISTER said, it keeps where the REGISTER actually
/// came from: a phone behind NAT advertises a private Contact, and calls
/// must be sent to the public source address and transport instead.
/// A binding is identified by `(aor, contact)` in a
/// [`RegistrationStore`](super::store::RegistrationStore).
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    /// The address of record, as given by the caller (normally the
    /// canonical `sip:user@domain` of the authenticated account).
    pub aor: String,
    /// The contact URI, without angle brackets or header parameters.
    pub contact: String,
    /// When the binding lapses unless refreshed. Absolute wall-clock time
    /// so it survives a restart via the store.
    pub expires_at: SystemTime,
    /// Preference among contacts, in thousandths (`q=0.5` is 500);
    /// `None` when the client gave none.
    pub q: Option<u16>,
    /// Call-ID of the REGISTER that last set the binding (RFC 3261 10.3
    /// step 7: orders updates from the same client).
    pub call_id: String,
    /// CSeq of that REGISTER.
    pub cseq: u32,
    /// `+sip.instance` (RFC 5626/5627), the device's stable identity.
    pub instance_id: Option<String>,
    /// `reg-id` (RFC 5626), which flow of that device.
    pub reg_id: Option<u32>,
    /// Where the REGISTER came from (for NAT traversal).
    pub source: SocketAddr,
    /// The transport it came over, upper case (`UDP`, `TCP`, `TLS`, `WS`,
    /// `WSS`), from the top Via.
    pub transport: String,
    /// User-Agent of the registering device, for diagnostics.
    pub user_agent: Option<String>,
    /// When the binding was last written.
    pub updated_at: SystemTime,
}

impl Binding {
    /// Whether the binding has lapsed at `now`.
    pub fn is_expired(&self, now: SystemTime) -> bool {
        now >= self.expires_at
    }

    /// Whole seconds left at `now` (0 once lapsed), rounded up so a live
    /// binding never reports 0 (which would mean "removed" on the wire).
    pub fn remaining(&self, now: SystemTime) -> u32 {
        match self.expires_at.duration_since(now) {
            Ok(d) if d > Duration::ZERO => {
                let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
                u32::try_from(secs).unwrap_or(u32::MAX)
            }
            _ => 0,
        }
    }

    /// The Contact header value listing this binding in a 200 to REGISTER
    /// (RFC 3261 10.3 step 8: each binding with its remaining time).
    pub fn contact_header(&self, now: SystemTime) -> String {
        let mut v = format!("<{}>;expires={}", self.contact, self.remaining(now));
        if let Some(q) = self.q {
            v.push_str(&format!(";q={}", format_q(q)));
        }
        if let Some(instance) = &self.instance_id {
            v.push_str(&format!(";+sip.instance=\"{instance}\""));
        }
        if let Some(reg_id) = self.reg_id {
            v.push_str(&format!(";reg-id={reg_id}"));
        }
        v
    }
}

/// A q-value in thousandths as text: 1000 -> "1", 500 -> "0.5".
pub fn format_q(q: u16) -> String {
    if q >= 1000 {
        return "1".to_string();
    }
    let s = format!("0.{q:03}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// Parse a q-value (RFC 3261 section 25.1: `0[.ddd]` or `1[.000]`) into
/// thousandths.
pub fn parse_q(s: &str) -> Option<u16> {
    let (int, frac) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if frac.len() > 3 || !frac.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac_value = format!("{frac:0<3}").parse::<u16>().ok()?;
    match int {
        "0" => Some(frac_value),
        "1" if frac_value == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    #[test]
    fn q_values_round_trip() {
        assert_eq!(parse_q("1"), Some(1000));
        assert_eq!(parse_q("1.000"), Some(1000));
        assert_eq!(parse_q("0.5"), Some(500));
        assert_eq!(parse_q("0.05"), Some(50));
        assert_eq!(parse_q("0"), Some(0));
        assert_eq!(parse_q("0."), Some(0));
        for bad in ["1.5", "2", "0.1234", "-0.1", "", "a", "0.x"] {
            assert_eq!(parse_q(bad), None, "{bad}");
        }
        assert_eq!(format_q(1000), "1");
        assert_eq!(format_q(500), "0.5");
        assert_eq!(format_q(50), "0.05");
        assert_eq!(format_q(0), "0");
    }

    #[test]
    fn remaining_rounds_up_and_stops_at_zero() {
        let b = Binding {
            aor: "sip:100@pbx".into(),
            contact: "sip:100@192.0.2.1".into(),
            expires_at: UNIX_EPOCH + Duration::from_secs(100),
            q: Some(500),
            call_id: "c".into(),
            cseq: 1,
            instance_id: Some("<urn:uuid:1>".into()),
            reg_id: Some(1),
            source: "192.0.2.1:5060".parse().unwrap(),
            transport: "UDP".into(),
            user_agent: None,
            updated_at: UNIX_EPOCH,
        };
        assert_eq!(b.remaining(UNIX_EPOCH + Duration::from_millis(40_500)), 60);
        assert_eq!(b.remaining(UNIX_EPOCH + Duration::from_secs(100)), 0);
        assert!(b.is_expired(UNIX_EPOCH + Duration::from_secs(100)));
        assert_eq!(
            b.contact_header(UNIX_EPOCH + Duration::from_secs(40)),
            "<sip:100@192.0.2.1>;expires=60;q=0.5;+sip.instance=\"<urn:uuid:1>\";reg-id=1"
        );
    }
}
