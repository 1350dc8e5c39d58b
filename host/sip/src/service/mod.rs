//! The running SIP service: transports, transaction layer, digest
//! authentication and registrar wired together in one tokio task.
//!
//! [`start`] binds the transports of a [`ServiceConfig`] and spawns the
//! *driver* (see [`driver`]): a task that owns the
//! [`TransactionLayer`](crate::transaction::TransactionLayer), feeds it
//! every [`Incoming`](crate::transport::Incoming) message, carries out its
//! [`LayerAction`](crate::transaction::LayerAction)s, sleeps until the
//! layer's next timer deadline and answers the requests it hands up.
//!
//! What the service answers, for now:
//! - `REGISTER`: digest authentication against the configured
//!   [`CredentialStore`]; a 401 challenge when there are no (usable)
//!   credentials, 403 for wrong ones (or a user registering an address of
//!   record that is not its own), else [`Registrar::handle`] with the
//!   address of record `sip:user@host` taken from To. See [`register`].
//! - `OPTIONS`: [`answer_options`](crate::registrar::answer_options).
//! - `INVITE`: internal calls between registered extensions through a
//!   back-to-back user agent, see [`b2bua`]; in-dialog `BYE` and
//!   re-`INVITE` of those calls are relayed to the other leg.
//! - `CANCEL` of a live INVITE: 200, and 487 for the INVITE if it has no
//!   final response yet (and a CANCEL on the B leg of a call); a `CANCEL`
//!   matching nothing: 481.
//! - Any other method: `501 Not Implemented`.
//! - Requests from a banned source are dropped before they create a
//!   transaction (no feedback, no amplification); see [`BanList`].
//! - Requests from a source over its token bucket
//!   ([`ServiceConfig::rate_limit`]) are dropped the same way.
//! - A REGISTER or INVITE authenticated as a user whose ACL
//!   ([`ServiceConfig::acls`]) does not allow the source address gets the
//!   same 403 as a wrong password.
//! - Every [`ServiceConfig::purge_interval`] the driver purges lapsed
//!   bindings ([`Registrar::purge`]) from memory and the store.
//!
//! Time: the authenticator and the registrar use `SystemTime::now()`; the
//! transaction layer counts from a tokio `Instant` taken at start.

pub mod app;
pub mod b2bua;
pub mod driver;
#[cfg(test)]
mod extension_tests;
pub mod register;
#[cfg(test)]
mod relay_tests;
#[cfg(test)]
mod test_phones;
#[cfg(test)]
mod tests;
pub mod trunks;

use crate::auth::{AuthConfig, Authenticated, Authenticator, BanList, CredentialStore};
use crate::dialog::session_timer::UasPolicy;
use crate::message::Request;
use crate::protection::{Acl, RateLimitConfig, RateLimiter};
use crate::registrar::{Binding, InMemoryStore, Registrar, RegistrarConfig, RegistrationStore};
use crate::transaction::TimerConfig;
use crate::transport::{
    TransportConfig, TransportError, TransportHandle, TransportKind, Transports,
};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

pub use app::{AppCall, AppConfig, AppEvent, CallRouter, DialRequest, NewCall, RouteDecision};
pub use b2bua::{CallOutcome, CallRecord};
use tokio::sync::watch;
use tokio::task::JoinHandle;
pub use trunks::{TrunkConfig, TrunkStatus, TrunksConfig};

/// Everything [`start`] needs.
pub struct ServiceConfig {
    /// Addresses to bind (port 0 picks one; see [`ServiceHandle::local_addrs`]).
    pub transport: TransportConfig,
    /// Realm, algorithms, nonce and ban policy of the digest authenticator.
    ///
    /// The default offers SHA-256 and MD5. Some phones fail on any
    /// challenge naming an algorithm they lack: baresip 1.0.0 (libre)
    /// aborts the REGISTER with ENOSYS when a SHA-256 challenge is present,
    /// whatever the order; offer `vec![Algorithm::Md5]` to serve those.
    pub auth: AuthConfig,
    /// Secret keying the nonces; `None` for a random per-process one.
    pub nonce_secret: Option<Vec<u8>>,
    /// Where passwords (HA1s) come from.
    pub credentials: Arc<dyn CredentialStore + Send + Sync>,
    /// Registration policy.
    pub registrar: RegistrarConfig,
    /// Where bindings are written through.
    pub store: Arc<dyn RegistrationStore>,
    /// Transaction timers (T1, T2, ...).
    pub timers: TimerConfig,
    /// How long a call may ring before the B leg is CANCELled and the
    /// caller gets 480 (default 30 s).
    pub ring_timeout: Duration,
    /// Per-source request-rate limit applied before a transaction is
    /// created (responses are never limited); `None` for no limit. The
    /// default is `Some(RateLimitConfig::default())`. An invalid
    /// configuration makes [`start`] fail with an `InvalidInput` error.
    pub rate_limit: Option<RateLimitConfig>,
    /// Source-address ACLs per digest user (extension). A REGISTER or
    /// INVITE authenticated as a user listed here from an address the ACL
    /// does not allow gets 403. Users absent from the map, and empty ACLs,
    /// are unrestricted; the default map is empty.
    pub acls: HashMap<String, Acl>,
    /// How often the driver purges lapsed bindings from memory and the
    /// store ([`Registrar::purge`]); `None` never purges (bindings then
    /// leave only when looked up or refreshed); a zero interval counts as
    /// `None`. Default 60 s.
    pub purge_interval: Option<Duration>,
    /// Trunks to carriers, outbound routes and inbound DIDs (none by
    /// default).
    pub trunks: TrunksConfig,
    /// Session timers (RFC 4028) on callers' legs: `None` (the default)
    /// runs none; `Some(policy)` negotiates Session-Expires with every
    /// caller and hangs up sessions that are not refreshed.
    pub session_timer: Option<UasPolicy>,
    /// The application (call model) that routes new calls and takes the
    /// ones it wants; `None` (the default) for the built-in routing only.
    pub app: Option<AppConfig>,
    /// The host (IP address or name) our Contact and Via headers name
    /// instead of the bound address, for a PBX behind NAT or a load
    /// balancer; the port stays the listener's. `None` (the default)
    /// advertises the bound address.
    pub advertised_host: Option<String>,
}

impl ServiceConfig {
    /// A configuration for `realm` with `credentials`, listening on
    /// UDP and TCP `bind` (port 0 for an ephemeral one), an in-memory
    /// registration store and default policies.
    pub fn new(
        realm: impl Into<String>,
        credentials: Arc<dyn CredentialStore + Send + Sync>,
        bind: SocketAddr,
    ) -> Self {
        ServiceConfig {
            transport: TransportConfig {
                udp: vec![bind],
                tcp: vec![bind],
                ..TransportConfig::default()
            },
            auth: AuthConfig::new(realm),
            nonce_secret: None,
            credentials,
            registrar: RegistrarConfig::default(),
            store: Arc::new(InMemoryStore::new()),
            timers: TimerConfig::default(),
            ring_timeout: Duration::from_secs(30),
            rate_limit: Some(RateLimitConfig::default()),
            acls: HashMap::new(),
            purge_interval: Some(Duration::from_secs(60)),
            trunks: TrunksConfig::default(),
            session_timer: None,
            app: None,
            advertised_host: None,
        }
    }
}

impl std::fmt::Debug for ServiceConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceConfig")
            .field("transport", &self.transport)
            .field("auth", &self.auth)
            .field("registrar", &self.registrar)
            .field("timers", &self.timers)
            .field("ring_timeout", &self.ring_timeout)
            .field("rate_limit", &self.rate_limit)
            .field("acls", &self.acls)
            .field("purge_interval", &self.purge_interval)
            .finish_non_exhaustive()
    }
}

/// Counters of what the service did, for monitoring and tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServiceStats {
    /// New requests handed up by the transaction layer (retransmissions
    /// absorbed by it are not counted).
    pub requests: u64,
    /// REGISTERs answered with a 401 challenge.
    pub challenged: u64,
    /// Requests answered 403 for wrong credentials or a foreign AOR.
    pub forbidden: u64,
    /// REGISTERs that authenticated and reached the registrar.
    pub authenticated: u64,
    /// REGISTERs the registrar answered with a 2xx.
    pub registered: u64,
    /// Requests dropped because their source is banned.
    pub banned_dropped: u64,
    /// Requests dropped because their source exceeded its rate limit.
    pub rate_limited: u64,
    /// REGISTERs and INVITEs refused with 403 because the authenticated
    /// user's ACL does not allow the source (also counted in `forbidden`).
    pub acl_denied: u64,
    /// Lapsed bindings removed from the store by periodic purges.
    pub purged: u64,
    /// Responses the transport failed to send.
    pub send_errors: u64,
}

/// Shared atomic counters behind [`ServiceStats`].
#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) requests: AtomicU64,
    pub(crate) challenged: AtomicU64,
    pub(crate) forbidden: AtomicU64,
    pub(crate) authenticated: AtomicU64,
    pub(crate) registered: AtomicU64,
    pub(crate) banned_dropped: AtomicU64,
    pub(crate) rate_limited: AtomicU64,
    pub(crate) acl_denied: AtomicU64,
    pub(crate) purged: AtomicU64,
    pub(crate) send_errors: AtomicU64,
}

impl Counters {
    pub(crate) fn bump(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn snapshot(&self) -> ServiceStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        ServiceStats {
            requests: get(&self.requests),
            challenged: get(&self.challenged),
            forbidden: get(&self.forbidden),
            authenticated: get(&self.authenticated),
            registered: get(&self.registered),
            banned_dropped: get(&self.banned_dropped),
            rate_limited: get(&self.rate_limited),
            acl_denied: get(&self.acl_denied),
            purged: get(&self.purged),
            send_errors: get(&self.send_errors),
        }
    }
}

/// State shared by the driver, the REGISTER tasks and the handle.
pub(crate) struct Shared {
    pub(crate) authenticator: Authenticator,
    pub(crate) credentials: Arc<dyn CredentialStore + Send + Sync>,
    pub(crate) registrar: Registrar,
    pub(crate) counters: Counters,
    /// Ended calls, oldest first.
    pub(crate) calls: Mutex<Vec<CallRecord>>,
    /// Calls started and not yet ended.
    pub(crate) live_calls: AtomicU64,
    /// Calls the B2BUA holds: live ones, and ended ones lingering to
    /// absorb late messages.
    pub(crate) held_calls: AtomicU64,
    /// Source-address ACLs per digest user.
    pub(crate) acls: HashMap<String, Acl>,
    /// Trunk status by name, as the B2BUA last saw it.
    pub(crate) trunks: Mutex<HashMap<String, TrunkStatus>>,
}

impl Shared {
    /// Whether `user`'s ACL allows requests from `source` (true when the
    /// user has no ACL or an empty one).
    pub(crate) fn acl_allows(&self, user: &str, source: IpAddr) -> bool {
        self.acls.get(user).is_none_or(|acl| acl.allows(source))
    }

    /// Enforce the ACL of an authenticated user: `None` when `source` is
    /// allowed, else the 403 to send (identical to a wrong password's, so
    /// an attacker learns nothing about the password), counted in
    /// `forbidden` and `acl_denied`.
    pub(crate) fn acl_refusal(
        &self,
        req: &Request,
        authenticated: &Authenticated,
        source: IpAddr,
    ) -> Option<crate::message::Response> {
        if self.acl_allows(&authenticated.user, source) {
            return None;
        }
        tracing::info!(%source, user = %authenticated.user, method = ?req.method, "source not allowed by the user's ACL");
        Counters::bump(&self.counters.forbidden);
        Counters::bump(&self.counters.acl_denied);
        Some(self.authenticator.forbidden(req))
    }
}

/// A running service: addresses, look-ups for tests and shutdown.
pub struct ServiceHandle {
    shared: Arc<Shared>,
    transports: TransportHandle,
    stop: watch::Sender<bool>,
    driver: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ServiceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServiceHandle")
            .field("transports", &self.transports)
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

/// Bind the transports of `config` and start the driver task. Must be
/// called within a tokio runtime.
pub async fn start(config: ServiceConfig) -> Result<ServiceHandle, TransportError> {
    let authenticator = match &config.nonce_secret {
        Some(secret) => Authenticator::new(config.auth.clone(), secret),
        None => Authenticator::with_random_secret(config.auth.clone()),
    };
    let shared = Arc::new(Shared {
        authenticator,
        credentials: config.credentials.clone(),
        registrar: Registrar::new(config.registrar.clone(), config.store.clone()),
        counters: Counters::default(),
        calls: Mutex::new(Vec::new()),
        live_calls: AtomicU64::new(0),
        held_calls: AtomicU64::new(0),
        acls: config.acls.clone(),
        trunks: Mutex::new(HashMap::new()),
    });
    if let Err(e) = shared.registrar.load(SystemTime::now()).await {
        tracing::warn!(error = %e, "could not load stored registrations");
    }
    let rate_limiter = config
        .rate_limit
        .map(RateLimiter::new)
        .transpose()
        .map_err(|e| {
            TransportError::from(std::io::Error::new(std::io::ErrorKind::InvalidInput, e))
        })?;
    let (transports, incoming) = Transports::start(config.transport).await?;
    let (stop, stopped) = watch::channel(false);
    let driver = tokio::spawn(driver::run(
        shared.clone(),
        transports.clone(),
        incoming,
        stopped,
        driver::Options {
            timers: config.timers,
            ring_timeout: config.ring_timeout,
            rate_limiter,
            purge_interval: config.purge_interval,
            trunks: config.trunks,
            session_timer: config.session_timer,
            app: config.app,
            advertised: config.advertised_host,
        },
    ));
    Ok(ServiceHandle {
        shared,
        transports,
        stop,
        driver: Some(driver),
    })
}

impl ServiceHandle {
    /// The bound addresses of `transport` (actual ports when 0 was asked).
    pub fn local_addrs(&self, transport: TransportKind) -> Vec<SocketAddr> {
        self.transports.local_addrs(transport)
    }

    /// The first bound UDP address, if any.
    pub fn udp_addr(&self) -> Option<SocketAddr> {
        self.local_addrs(TransportKind::Udp).first().copied()
    }

    /// The live bindings of `aor` (e.g. `sip:1001@pbx.test`) now.
    pub fn lookup(&self, aor: &str) -> Vec<Binding> {
        self.shared.registrar.lookup(aor, SystemTime::now())
    }

    /// The registrar (bindings for call routing).
    pub fn registrar(&self) -> &Registrar {
        &self.shared.registrar
    }

    /// The authenticator's ban list (failure counts, operator unban).
    pub fn bans(&self) -> &BanList {
        self.shared.authenticator.bans()
    }

    /// The most recent calls that have ended (or were refused), oldest
    /// first: at least the last 10,000.
    pub fn calls(&self) -> Vec<CallRecord> {
        self.shared
            .calls
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Trunk `name`'s status as of its last REGISTER or keep-alive answer;
    /// `None` before any.
    pub fn trunk_status(&self, name: &str) -> Option<TrunkStatus> {
        let trunks = self.shared.trunks.lock().unwrap_or_else(|e| e.into_inner());
        trunks.get(name).copied()
    }

    /// How many calls are in progress (ringing or connected).
    pub fn live_calls(&self) -> u64 {
        self.shared.live_calls.load(Ordering::Relaxed)
    }

    /// How many calls the B2BUA holds in memory: those in progress, and
    /// ended ones kept a while to absorb late messages (2 s for a call
    /// that can see none, 32 s for the others).
    pub fn held_calls(&self) -> u64 {
        self.shared.held_calls.load(Ordering::Relaxed)
    }

    /// A snapshot of the service's counters.
    pub fn stats(&self) -> ServiceStats {
        self.shared.counters.snapshot()
    }

    /// The transports (counters, sending).
    pub fn transports(&self) -> &TransportHandle {
        &self.transports
    }

    /// Stop the driver and close every socket; waits for the driver to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        self.transports.shutdown();
        if let Some(driver) = self.driver.take() {
            let _ = driver.await;
        }
    }
}

impl Drop for ServiceHandle {
    fn drop(&mut self) {
        if self.driver.is_some() {
            let _ = self.stop.send(true);
            self.transports.shutdown();
        }
    }
}
