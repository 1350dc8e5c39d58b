//! Session timers (RFC 4028): periodic refreshes so that a dialog whose
//! peer vanished (no BYE) is noticed and torn down.
//!
//! Everything here is a pure function of header values and [`Duration`]s;
//! the call model schedules the refresh and the BYE.

use crate::message::{Headers, Request, Response};
use std::fmt;
use std::time::Duration;

/// The smallest Session-Expires RFC 4028 allows (section 4), the default
/// Min-SE.
pub const MIN_SE_FLOOR: Duration = Duration::from_secs(90);

/// Who sends the refreshes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    /// The UAC of the refreshing (or initial) transaction.
    Uac,
    /// The UAS.
    Uas,
}

impl Refresher {
    fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

/// A Session-Expires value: `1800;refresher=uac`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionExpires {
    /// The session interval.
    pub interval: Duration,
    /// Who refreshes; absent in a request lets the UAS choose.
    pub refresher: Option<Refresher>,
}

impl SessionExpires {
    /// Parse a Session-Expires value (delta-seconds, then parameters; an
    /// unknown refresher value is ignored).
    pub fn parse(value: &str) -> Option<SessionExpires> {
        let mut parts = value.split(';');
        let secs: u64 = parts.next()?.trim().parse().ok()?;
        let mut refresher = None;
        for p in parts {
            if let Some((k, v)) = p.split_once('=')
                && k.trim().eq_ignore_ascii_case("refresher")
            {
                refresher = match v.trim().to_ascii_lowercase().as_str() {
                    "uac" => Some(Refresher::Uac),
                    "uas" => Some(Refresher::Uas),
                    _ => None,
                };
            }
        }
        Some(SessionExpires {
            interval: Duration::from_secs(secs),
            refresher,
        })
    }

    /// Session-Expires of a message, if present and valid.
    pub fn from_headers(headers: &Headers) -> Option<SessionExpires> {
        SessionExpires::parse(headers.get("Session-Expires")?)
    }
}

impl fmt::Display for SessionExpires {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.interval.as_secs())?;
        if let Some(r) = self.refresher {
            write!(f, ";refresher={}", r.as_str())?;
        }
        Ok(())
    }
}

/// Parse a Min-SE value (delta-seconds, parameters ignored).
pub fn parse_min_se(value: &str) -> Option<Duration> {
    let secs: u64 = value.split(';').next()?.trim().parse().ok()?;
    Some(Duration::from_secs(secs))
}

/// Format a Min-SE value.
pub fn format_min_se(min_se: Duration) -> String {
    min_se.as_secs().to_string()
}

/// Whether an option tag appears in a list header (Supported, Require).
pub(crate) fn has_option_tag(headers: &Headers, header: &str, tag: &str) -> bool {
    headers
        .get_all(header)
        .flat_map(|v| v.split(','))
        .any(|t| t.trim().eq_ignore_ascii_case(tag))
}

/// Our session-timer policy as a UAS.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UasPolicy {
    /// The smallest interval we accept (answered with 422 below it).
    pub min_se: Duration,
    /// The interval we want: larger requested intervals are lowered to
    /// it (never below the request's Min-SE), and it is used when the
    /// request has no Session-Expires.
    pub preferred: Duration,
}

impl Default for UasPolicy {
    fn default() -> Self {
        UasPolicy {
            min_se: MIN_SE_FLOOR,
            preferred: Duration::from_secs(1800),
        }
    }
}

/// The UAS's decision on a session-timer request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UasDecision {
    /// Interval too small: answer this 422 (it carries our Min-SE).
    Reject(Response),
    /// Run the timer: put `session_expires` in the 2xx, plus
    /// `Require: timer` when `require_timer` (the UAC supports the
    /// extension and must learn it is, or is not, the refresher).
    Accept {
        /// Value for the 2xx (refresher always set).
        session_expires: SessionExpires,
        /// Whether to add `Require: timer` to the 2xx.
        require_timer: bool,
    },
}

/// Negotiate as UAS (RFC 4028 section 9): a Session-Expires below our
/// Min-SE is rejected with 422 carrying our Min-SE; a larger one than we
/// prefer is lowered (not below the request's Min-SE); the refresher is
/// the one the UAC asked for, else the UAC when it supports `timer` (it
/// pays for the refreshes), else us, since a UAC that does not know the
/// extension never refreshes on purpose.
pub fn negotiate_uas(request: &Request, policy: &UasPolicy) -> UasDecision {
    let h = &request.headers;
    let uac_supports = has_option_tag(h, "Supported", "timer");
    let requested = SessionExpires::from_headers(h);
    let request_min = h
        .get("Min-SE")
        .and_then(parse_min_se)
        .unwrap_or(MIN_SE_FLOOR);
    let floor = policy.min_se.max(MIN_SE_FLOOR);
    let interval = match requested {
        Some(se) if se.interval < floor => {
            let mut r = request.response(422, "Session Interval Too Small", None);
            r.headers.push("Min-SE", &format_min_se(floor));
            return UasDecision::Reject(r);
        }
        Some(se) => se
            .interval
            .min(policy.preferred.max(request_min).max(floor)),
        None => policy.preferred.max(request_min).max(floor),
    };
    let refresher = match requested.and_then(|se| se.refresher) {
        Some(r) if uac_supports || r == Refresher::Uas => r,
        _ if uac_supports => Refresher::Uac,
        _ => Refresher::Uas,
    };
    UasDecision::Accept {
        session_expires: SessionExpires {
            interval,
            refresher: Some(refresher),
        },
        require_timer: uac_supports,
    }
}

/// For a UAC that got a 422: the Min-SE to retry with (RFC 4028 7.4: the
/// new Session-Expires must be at least this).
pub fn min_se_from_422(response: &Response) -> Option<Duration> {
    (response.status == 422)
        .then(|| response.headers.get("Min-SE").and_then(parse_min_se))
        .flatten()
}

/// When the refresher should refresh, after the last refresh or session
/// start: half the interval (RFC 4028 section 10).
pub fn refresh_after(interval: Duration) -> Duration {
    interval / 2
}

/// When the other side gives up and sends BYE if no refresh arrived:
/// interval minus the lesser of 32 s and a third of it (RFC 4028 10).
pub fn expire_after(interval: Duration) -> Duration {
    interval - (interval / 3).min(Duration::from_secs(32))
}
