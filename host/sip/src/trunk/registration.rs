//! Outbound trunk registration: the PBX registering to a carrier
//! (RFC 3261 section 10.2, as a UAC).
//!
//! [`Registration`] is a sans-IO state machine. It builds the REGISTER
//! requests; the owner sends them (normally through a non-INVITE client
//! transaction of the [`TransactionLayer`](crate::transaction::TransactionLayer),
//! which handles retransmission), feeds back the final responses with
//! [`Registration::on_response`], reports a transaction timeout or
//! transport error with [`Registration::on_timeout`], and calls
//! [`Registration::poll`] at [`Registration::next_deadline`] so refreshes
//! and retries go out. Time is a [`Duration`] since an epoch of the
//! owner's choosing, passed into every call.
//!
//! Behaviour:
//! - One Call-ID and From tag for the life of the registration; the CSeq
//!   grows by one with every REGISTER (RFC 3261 section 10.2.4).
//! - 401/407: the first supported challenge (MD5 or SHA-256; `qop=auth`
//!   with a fresh cnonce and a nonce count, or the RFC 2069 form) is
//!   answered once. If the answer is challenged again the password is
//!   wrong and the registration [`Failed`](RegistrationState::Failed),
//!   unless the new challenge says `stale=true` (then it is answered
//!   again, up to [`MAX_STALE_RETRIES`] times in a row). The last
//!   challenge is reused for refreshes with an incremented nonce count;
//!   a challenge to such a reused answer counts as a fresh one.
//! - 2xx: the granted interval is the `expires` parameter of our Contact
//!   in the response, else the `Expires` header, else what was asked. The
//!   refresh is scheduled with [`refresh_delay`].
//! - 423: the REGISTER is resent at once asking for the response's
//!   `Min-Expires` (failure if it has none or it is not larger).
//! - No answer (timeout, transport error), 408, 480 and 5xx: retry after
//!   a back-off of 30 s doubling up to 5 min ([`backoff_delay`]); a
//!   `Retry-After` on the response is honoured within the same cap.
//! - Any other final response (403, 404, 3xx, 6xx...): `Failed`.
//! - [`Registration::unregister`] sends `Expires: 0` (a challenge to it is
//!   answered as usual); its answer, or its failure, ends in
//!   [`Unregistered`](RegistrationState::Unregistered), so a shutdown
//!   never hangs on an unreachable carrier.

use crate::auth::client::{ClientAnswer, DigestChallenge, authorization, select_challenge};
use crate::message::{Method, Request, Response};
use crate::registrar::contact::{ContactEntry, parse_entry, split_list, uri_eq};
use std::time::Duration;

/// How many `stale=true` challenges in a row are answered before giving up.
pub const MAX_STALE_RETRIES: u32 = 3;

/// First retry delay after a failure to reach the registrar.
pub const BACKOFF_START: Duration = Duration::from_secs(30);

/// Longest retry delay.
pub const BACKOFF_MAX: Duration = Duration::from_secs(300);

/// What a trunk registration needs to know.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationConfig {
    /// Request-URI of the REGISTER, the registrar's domain, e.g.
    /// `sip:carrier.example`. Also the digest-uri.
    pub registrar_uri: String,
    /// The trunk's address of record, used in From and To, e.g.
    /// `sip:4420123@carrier.example`.
    pub aor: String,
    /// Digest username (often the AOR's user part).
    pub username: String,
    /// Digest password.
    pub password: String,
    /// Our contact URI, where the carrier sends calls, e.g.
    /// `sip:4420123@203.0.113.5:5060`.
    pub contact: String,
    /// Interval asked for, in seconds (default 3600).
    pub expires: u32,
    /// Via transport token, e.g. `UDP` or `TCP`.
    pub transport: String,
    /// Via sent-by, `host:port` of our socket.
    pub sent_by: String,
    /// `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

impl RegistrationConfig {
    /// A configuration with the default interval (3600 s), UDP and no
    /// User-Agent.
    pub fn new(
        registrar_uri: impl Into<String>,
        aor: impl Into<String>,
        username: impl Into<String>,
        password: impl Into<String>,
        contact: impl Into<String>,
        sent_by: impl Into<String>,
    ) -> Self {
        RegistrationConfig {
            registrar_uri: registrar_uri.into(),
            aor: aor.into(),
            username: username.into(),
            password: password.into(),
            contact: contact.into(),
            expires: 3600,
            transport: "UDP".into(),
            sent_by: sent_by.into(),
            user_agent: None,
        }
    }
}

/// Where the registration stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegistrationState {
    /// Not started.
    Idle,
    /// A REGISTER is outstanding (first one, refresh, or auth retry).
    Registering,
    /// Bound at the carrier.
    Registered {
        /// Interval granted, in seconds.
        expires: u32,
        /// When the binding lapses at the carrier.
        expires_at: Duration,
        /// When the refresh goes out.
        refresh_at: Duration,
    },
    /// The last attempt failed to reach the registrar (or it was busy);
    /// the next one goes out at `retry_at`.
    Backoff {
        /// When the next REGISTER goes out.
        retry_at: Duration,
        /// What went wrong.
        reason: String,
    },
    /// Given up: the carrier refused the registration (wrong password,
    /// forbidden, ...). [`Registration::start`] tries again.
    Failed {
        /// Why, for the operator.
        reason: String,
    },
    /// An un-REGISTER (`Expires: 0`) is outstanding.
    Unregistering,
    /// Un-registered (or gave up trying to); nothing more goes out.
    Unregistered,
}

/// How the credentials on the outstanding request came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum AuthSent {
    /// No credentials.
    None,
    /// Reused from an earlier challenge (refresh): a challenge to it is
    /// treated as a first one.
    Reused,
    /// Computed from a challenge to the previous request of this attempt.
    Fresh,
}

/// The last challenge, reused for refreshes.
#[derive(Debug, Clone)]
struct CachedChallenge {
    challenge: DigestChallenge,
    /// 407 (`Proxy-Authorization`) rather than 401 (`Authorization`).
    proxy: bool,
    /// Nonce count of the last request that used it.
    nc: u32,
}

/// A client registration to one carrier; see the module documentation.
#[derive(Debug, Clone)]
pub struct Registration {
    config: RegistrationConfig,
    state: RegistrationState,
    call_id: String,
    from_tag: String,
    cseq: u32,
    /// Interval to ask for (raised by 423).
    expires: u32,
    /// The last request sent (matched against responses).
    last: Option<Request>,
    auth: Option<CachedChallenge>,
    auth_sent: AuthSent,
    stale_retries: u32,
    /// Consecutive failures to reach the registrar.
    failures: u32,
}

impl Registration {
    /// A registration with a random Call-ID and From tag.
    pub fn new(config: RegistrationConfig) -> Self {
        let call_id = format!("{:032x}", rand::random::<u128>());
        let from_tag = format!("{:016x}", rand::random::<u64>());
        Self::with_ids(config, call_id, from_tag)
    }

    /// A registration with the given Call-ID and From tag (tests, or to
    /// keep them across a restart).
    pub fn with_ids(
        config: RegistrationConfig,
        call_id: impl Into<String>,
        from_tag: impl Into<String>,
    ) -> Self {
        Registration {
            expires: config.expires,
            config,
            state: RegistrationState::Idle,
            call_id: call_id.into(),
            from_tag: from_tag.into(),
            cseq: 0,
            last: None,
            auth: None,
            auth_sent: AuthSent::None,
            stale_retries: 0,
            failures: 0,
        }
    }

    /// The current state.
    pub fn state(&self) -> &RegistrationState {
        &self.state
    }

    /// The configuration.
    pub fn config(&self) -> &RegistrationConfig {
        &self.config
    }

    /// The Call-ID used by every REGISTER.
    pub fn call_id(&self) -> &str {
        &self.call_id
    }

    /// The interval currently asked for (the configured one, or the
    /// registrar's Min-Expires after a 423).
    pub fn requested_expires(&self) -> u32 {
        self.expires
    }

    /// The last request built, if any.
    pub fn last_request(&self) -> Option<&Request> {
        self.last.as_ref()
    }

    /// Whether the carrier currently holds our binding.
    pub fn is_registered(&self) -> bool {
        matches!(self.state, RegistrationState::Registered { .. })
    }

    /// (Re)start registering: returns the REGISTER to send now. Works from
    /// any state, including `Failed` and `Unregistered`.
    pub fn start(&mut self, _now: Duration) -> Request {
        self.failures = 0;
        self.stale_retries = 0;
        self.state = RegistrationState::Registering;
        self.build(self.expires)
    }

    /// When [`poll`](Self::poll) should next be called: the refresh or
    /// retry time, `None` when nothing is scheduled.
    pub fn next_deadline(&self) -> Option<Duration> {
        match &self.state {
            RegistrationState::Registered { refresh_at, .. } => Some(*refresh_at),
            RegistrationState::Backoff { retry_at, .. } => Some(*retry_at),
            _ => None,
        }
    }

    /// The REGISTER due at `now` (refresh or retry), if any.
    pub fn poll(&mut self, now: Duration) -> Option<Request> {
        let due = self.next_deadline().is_some_and(|at| at <= now);
        if !due {
            return None;
        }
        self.stale_retries = 0;
        self.state = RegistrationState::Registering;
        Some(self.build(self.expires))
    }

    /// Un-register: the `Expires: 0` REGISTER to send, or `None` when
    /// nothing is bound or being bound (the state becomes `Unregistered`).
    /// Sent from `Backoff` too: a refresh that failed to get through may
    /// have left the earlier binding in place at the carrier.
    pub fn unregister(&mut self, _now: Duration) -> Option<Request> {
        match self.state {
            RegistrationState::Registered { .. }
            | RegistrationState::Registering
            | RegistrationState::Backoff { .. } => {
                self.stale_retries = 0;
                self.state = RegistrationState::Unregistering;
                Some(self.build(0))
            }
            RegistrationState::Unregistering => self.last.clone(),
            _ => {
                self.state = RegistrationState::Unregistered;
                None
            }
        }
    }

    /// The outstanding REGISTER got no final response (transaction
    /// timeout) or could not be sent. Schedules a retry, or ends an
    /// un-registration.
    pub fn on_timeout(&mut self, now: Duration) {
        match self.state {
            RegistrationState::Registering => self.back_off(now, None, "no response".into()),
            RegistrationState::Unregistering => self.state = RegistrationState::Unregistered,
            _ => {}
        }
    }

    /// A response arrived. Responses that do not answer the outstanding
    /// request (other Call-ID or CSeq) and provisional ones are ignored.
    /// Returns the request to send at once, if any (an authenticated
    /// retry or a 423 retry).
    pub fn on_response(&mut self, resp: &Response, now: Duration) -> Option<Request> {
        let unregistering = match self.state {
            RegistrationState::Registering => false,
            RegistrationState::Unregistering => true,
            _ => return None,
        };
        if resp.status < 200 || !self.answers_last(resp) {
            return None;
        }
        let asked = if unregistering { 0 } else { self.expires };
        match resp.status {
            200..=299 => {
                self.failures = 0;
                if unregistering {
                    self.state = RegistrationState::Unregistered;
                } else {
                    self.registered(resp, now);
                }
                None
            }
            401 | 407 => self.on_challenge(resp, asked),
            423 if !unregistering => {
                let min = resp
                    .headers
                    .get("Min-Expires")
                    .and_then(|v| v.trim().parse::<u32>().ok());
                match min {
                    Some(min) if min > self.expires => {
                        self.expires = min;
                        Some(self.build(min))
                    }
                    _ => {
                        self.fail(format!("423 without a usable Min-Expires ({min:?})"));
                        None
                    }
                }
            }
            _ if unregistering => {
                self.state = RegistrationState::Unregistered;
                None
            }
            408 | 480 | 500..=599 => {
                let retry_after = resp
                    .headers
                    .get("Retry-After")
                    .and_then(|v| v.split(';').next()?.trim().parse::<u64>().ok())
                    .map(Duration::from_secs);
                self.back_off(now, retry_after, status_text(resp));
                None
            }
            _ => {
                self.fail(status_text(resp));
                None
            }
        }
    }

    fn on_challenge(&mut self, resp: &Response, asked: u32) -> Option<Request> {
        let proxy = resp.status == 407;
        let header = if proxy {
            "Proxy-Authenticate"
        } else {
            "WWW-Authenticate"
        };
        let Some(challenge) = select_challenge(resp.headers.get_all(header)) else {
            self.end_or_fail(format!("{}: no supported digest challenge", resp.status));
            return None;
        };
        if self.auth_sent == AuthSent::Fresh {
            if !challenge.stale || self.stale_retries >= MAX_STALE_RETRIES {
                self.end_or_fail(format!(
                    "{}: credentials rejected (wrong username or password)",
                    status_text(resp)
                ));
                return None;
            }
            self.stale_retries += 1;
        }
        self.auth = Some(CachedChallenge {
            challenge,
            proxy,
            nc: 0,
        });
        let req = self.build(asked);
        if self.auth_sent == AuthSent::None {
            // Building failed to produce credentials (unsupported qop).
            self.end_or_fail("challenge cannot be answered".into());
            return None;
        }
        self.auth_sent = AuthSent::Fresh;
        Some(req)
    }

    fn answers_last(&self, resp: &Response) -> bool {
        let Some(last) = &self.last else {
            return false;
        };
        resp.headers.call_id() == Some(self.call_id.as_str())
            && resp.headers.cseq() == last.headers.cseq()
    }

    fn registered(&mut self, resp: &Response, now: Duration) {
        let from_contact = resp
            .headers
            .get_all("Contact")
            .flat_map(split_list)
            .filter_map(parse_entry)
            .find_map(|e| match e {
                ContactEntry::Address(a) if uri_eq(&a.uri, &self.config.contact) => {
                    a.param("expires").flatten().and_then(|v| v.parse().ok())
                }
                _ => None,
            });
        let granted = from_contact
            .or_else(|| resp.headers.expires())
            .unwrap_or(self.expires);
        if granted == 0 {
            self.fail("registrar granted no binding (expires=0)".into());
            return;
        }
        self.state = RegistrationState::Registered {
            expires: granted,
            expires_at: now + Duration::from_secs(granted.into()),
            refresh_at: now + refresh_delay(granted),
        };
    }

    fn back_off(&mut self, now: Duration, hint: Option<Duration>, reason: String) {
        let delay = hint
            .map(|h| h.min(BACKOFF_MAX))
            .unwrap_or_else(|| backoff_delay(self.failures));
        self.failures = self.failures.saturating_add(1);
        tracing::info!(aor = %self.config.aor, %reason, ?delay, "trunk registration will retry");
        self.state = RegistrationState::Backoff {
            retry_at: now + delay,
            reason,
        };
    }

    fn fail(&mut self, reason: String) {
        tracing::warn!(aor = %self.config.aor, %reason, "trunk registration failed");
        self.state = RegistrationState::Failed { reason };
    }

    /// `Failed` while registering, `Unregistered` while un-registering.
    fn end_or_fail(&mut self, reason: String) {
        if self.state == RegistrationState::Unregistering {
            self.state = RegistrationState::Unregistered;
        } else {
            self.fail(reason);
        }
    }

    /// Build the next REGISTER asking for `expires`, with credentials from
    /// the cached challenge if there is one.
    fn build(&mut self, expires: u32) -> Request {
        self.cseq += 1;
        let c = &self.config;
        let mut req = Request::new(Method::Register, c.registrar_uri.clone());
        let h = &mut req.headers;
        h.push(
            "Via",
            &format!(
                "SIP/2.0/{} {};branch=z9hG4bK{:016x}{:016x};rport",
                c.transport,
                c.sent_by,
                rand::random::<u64>(),
                rand::random::<u64>()
            ),
        );
        h.push("Max-Forwards", "70");
        h.push("From", &format!("<{}>;tag={}", c.aor, self.from_tag));
        h.push("To", &format!("<{}>", c.aor));
        h.push("Call-ID", &self.call_id);
        h.push("CSeq", &format!("{} REGISTER", self.cseq));
        h.push("Contact", &format!("<{}>", c.contact));
        h.push("Expires", &expires.to_string());
        if let Some(ua) = &c.user_agent {
            h.push("User-Agent", ua);
        }
        self.auth_sent = AuthSent::None;
        if let Some(cached) = &mut self.auth {
            cached.nc += 1;
            let cnonce = format!("{:016x}", rand::random::<u64>());
            let answer = ClientAnswer {
                username: &c.username,
                password: &c.password,
                method: "REGISTER",
                uri: &c.registrar_uri,
                nc: cached.nc,
                cnonce: &cnonce,
            };
            match authorization(&cached.challenge, &answer) {
                Ok(value) => {
                    let name = if cached.proxy {
                        "Proxy-Authorization"
                    } else {
                        "Authorization"
                    };
                    h.push(name, &value);
                    self.auth_sent = AuthSent::Reused;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "cannot answer the trunk's challenge");
                    self.auth = None;
                }
            }
        }
        h.push("Content-Length", "0");
        self.last = Some(req.clone());
        req
    }
}

/// When to refresh a binding granted for `granted` seconds:
/// `min(granted / 2, granted - 30)` for grants of 60 s or more (which is
/// half the interval, leaving at least 30 s for the refresh to get
/// through, retransmissions and a challenge included); half the interval
/// (at least 1 s) for shorter grants.
pub fn refresh_delay(granted: u32) -> Duration {
    let secs = if granted >= 60 {
        (granted / 2).min(granted - 30)
    } else {
        (granted / 2).max(1)
    };
    Duration::from_secs(secs.into())
}

/// The retry delay after `failures` earlier consecutive failures:
/// 30 s, 60 s, 120 s, 240 s, then 300 s.
pub fn backoff_delay(failures: u32) -> Duration {
    let factor = 1u64 << failures.min(16);
    BACKOFF_START
        .saturating_mul(factor.try_into().unwrap_or(u32::MAX))
        .min(BACKOFF_MAX)
}

fn status_text(resp: &Response) -> String {
    format!("{} {}", resp.status, resp.reason)
}
