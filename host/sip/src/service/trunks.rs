//! Trunks in the running service: their configuration, their outbound
//! registrations and OPTIONS keep-alives, and the look-ups the B2BUA
//! makes for outbound and inbound calls.
//!
//! The state machines live in [`crate::trunk`] (pure logic); this module
//! holds one of each per configured trunk and says when they need the
//! driver. The B2BUA sends their requests and hands back the answers.

use crate::message::{Method, Request};
use crate::transaction::key::new_branch;
use crate::transport::TransportKind;
use crate::trunk::registration::{Registration, RegistrationConfig};
use crate::trunk::{
    DownTrunks, HealthConfig, OutboundRoute, RoutedCall, TrunkHealth, normalize_did, pick_trunks,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

/// One carrier connection.
#[derive(Debug, Clone)]
pub struct TrunkConfig {
    /// Name used by [`OutboundRoute::trunks`].
    pub name: String,
    /// The carrier's SIP address (its proxy or session border controller).
    /// Calls from exactly this address and port are inbound trunk calls:
    /// they are not challenged, and their Request-URI user is a DID.
    pub address: SocketAddr,
    /// Transport to reach it (UDP or TCP).
    pub transport: TransportKind,
    /// Host part of the Request-URI, From and To of requests to the
    /// carrier, e.g. `sip.carrier.example`; the address when empty.
    pub domain: String,
    /// Digest username and password the carrier challenges for, if any.
    pub credentials: Option<(String, String)>,
    /// Register to the carrier (with the credentials' username) so that it
    /// knows where to send inbound calls; `None` for no registration, else
    /// the interval to ask for, in seconds.
    pub register_expires: Option<u32>,
    /// OPTIONS keep-alive policy; `None` to leave the trunk unmonitored
    /// (always considered up).
    pub keepalive: Option<HealthConfig>,
}

impl TrunkConfig {
    /// A trunk to `address` over UDP with no credentials, registration or
    /// keep-alive.
    pub fn new(name: impl Into<String>, address: SocketAddr) -> Self {
        TrunkConfig {
            name: name.into(),
            address,
            transport: TransportKind::Udp,
            domain: String::new(),
            credentials: None,
            register_expires: None,
            keepalive: None,
        }
    }

    /// The host part of URIs sent to the carrier.
    pub fn domain(&self) -> String {
        if self.domain.is_empty() {
            self.address.to_string()
        } else {
            self.domain.clone()
        }
    }
}

/// Trunks, outbound routes and inbound DIDs of a [`ServiceConfig`](super::ServiceConfig).
#[derive(Debug, Clone, Default)]
pub struct TrunksConfig {
    /// Carrier connections.
    pub trunks: Vec<TrunkConfig>,
    /// Which dialled numbers leave through which trunks (dial patterns such
    /// as `_0X.` with strip/prefix and caller-id rules). A number that is
    /// not an extension is tried against these.
    pub routes: Vec<OutboundRoute>,
    /// Inbound DIDs (as the carrier sends them in the Request-URI, `+`
    /// and formatting ignored) to the extension that rings.
    pub dids: HashMap<String, String>,
    /// Whether trunks marked down by their keep-alive are still tried after
    /// the others (default) or never.
    pub down_trunks: DownTrunks,
}

/// A trunk's state as last seen, see
/// [`ServiceHandle::trunk_status`](super::ServiceHandle::trunk_status).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrunkStatus {
    /// Up by its keep-alives (unmonitored trunks are always up).
    pub up: bool,
    /// Whether the carrier holds our registration (false when the trunk
    /// does not register).
    pub registered: bool,
    /// Keep-alives answered so far.
    pub keepalives_answered: u64,
}

/// The trunks' live state, owned by the B2BUA.
pub(crate) struct TrunkSet {
    config: TrunksConfig,
    /// Outbound registration per trunk (same index), when configured.
    registrations: Vec<Option<Registration>>,
    /// Keep-alive health by trunk name, for monitored trunks.
    health: HashMap<String, TrunkHealth>,
    /// DIDs normalised once.
    dids: HashMap<String, String>,
    /// The clock origin of the health state machines, which count in
    /// `Instant`s while the B2BUA counts `Duration`s from start.
    base: Instant,
    /// Whether the registrations were started.
    started: bool,
    /// Our UDP address (Via sent-by of keep-alives).
    local: SocketAddr,
}

impl TrunkSet {
    /// The live state for `config`; `local` is the UDP address carriers
    /// reach us at (our Contact in REGISTERs).
    pub(crate) fn new(config: TrunksConfig, local: Option<SocketAddr>) -> Self {
        let base = Instant::now();
        let local = local.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 5060)));
        let registrations = config
            .trunks
            .iter()
            .map(|t| {
                let (user, password) = t.credentials.clone()?;
                let expires = t.register_expires?;
                let domain = t.domain();
                let mut reg = RegistrationConfig::new(
                    format!("sip:{domain}"),
                    format!("sip:{user}@{domain}"),
                    user.clone(),
                    password,
                    format!("sip:{user}@{local}"),
                    local.to_string(),
                );
                reg.expires = expires;
                reg.transport = t.transport.as_str().to_string();
                Some(Registration::new(reg))
            })
            .collect();
        let health = config
            .trunks
            .iter()
            .filter_map(|t| Some((t.name.clone(), TrunkHealth::new(t.keepalive?, base))))
            .collect();
        let dids = config
            .dids
            .iter()
            .map(|(did, ext)| (normalize_did(did).to_string(), ext.clone()))
            .collect();
        TrunkSet {
            config,
            registrations,
            health,
            dids,
            base,
            started: false,
            local,
        }
    }

    /// Trunk number `i`.
    pub(crate) fn trunk(&self, i: usize) -> Option<&TrunkConfig> {
        self.config.trunks.get(i)
    }

    /// The trunk a request from `source` comes from, if any.
    pub(crate) fn inbound(&self, source: SocketAddr) -> Option<usize> {
        self.config.trunks.iter().position(|t| t.address == source)
    }

    /// The extension an inbound `did` rings.
    pub(crate) fn did_extension(&self, did: &str) -> Option<&str> {
        self.dids.get(normalize_did(did)).map(String::as_str)
    }

    /// The route for dialled `number` and the trunks to try, in order
    /// (healthy first), as indexes; `None` when no route matches or it has
    /// no usable trunk.
    pub(crate) fn route(&self, number: &str) -> Option<(RoutedCall, Vec<usize>)> {
        let routed = crate::trunk::route(&self.config.routes, number)?;
        let order: Vec<usize> = pick_trunks(&routed.trunks, &self.health, self.config.down_trunks)
            .into_iter()
            .filter_map(|name| self.config.trunks.iter().position(|t| t.name == name))
            .collect();
        (!order.is_empty()).then_some((routed, order))
    }

    /// Record a keep-alive or call outcome of trunk `i`.
    pub(crate) fn record(&mut self, i: usize, alive: bool, now: Duration) {
        let Some(name) = self.config.trunks.get(i).map(|t| t.name.clone()) else {
            return;
        };
        let at = self.base + now;
        if let Some(h) = self.health.get_mut(&name) {
            if alive {
                h.record_success(at);
            } else {
                h.record_failure(at);
            }
        }
    }

    /// Trunk `i`'s name and status now (`answered` keep-alives so far is
    /// the caller's count).
    pub(crate) fn status(
        &self,
        i: usize,
        keepalives_answered: u64,
    ) -> Option<(String, TrunkStatus)> {
        let trunk = self.config.trunks.get(i)?;
        let status = TrunkStatus {
            up: self.health.get(&trunk.name).is_none_or(TrunkHealth::is_up),
            registered: self
                .registrations
                .get(i)
                .and_then(Option::as_ref)
                .is_some_and(Registration::is_registered),
            keepalives_answered,
        };
        Some((trunk.name.clone(), status))
    }

    /// The registration of trunk `i`, if it registers.
    pub(crate) fn registration(&mut self, i: usize) -> Option<&mut Registration> {
        self.registrations.get_mut(i)?.as_mut()
    }

    /// The earliest time something is due: a registration to start or
    /// refresh, or a keep-alive probe.
    pub(crate) fn next_deadline(&self) -> Option<Duration> {
        if !self.started && self.registrations.iter().any(Option::is_some) {
            return Some(Duration::ZERO);
        }
        let regs = self
            .registrations
            .iter()
            .flatten()
            .filter_map(Registration::next_deadline);
        let probes = self
            .health
            .values()
            .map(|h| h.next_probe_at().saturating_duration_since(self.base));
        regs.chain(probes).min()
    }

    /// The requests due at `now`, with the trunk they go to and whether
    /// each is a REGISTER (else an OPTIONS probe).
    pub(crate) fn due(&mut self, now: Duration) -> Vec<(usize, Request, bool)> {
        let mut due = Vec::new();
        let first = !self.started;
        self.started = true;
        for (i, reg) in self.registrations.iter_mut().enumerate() {
            let Some(reg) = reg else { continue };
            let request = if first {
                Some(reg.start(now))
            } else {
                reg.poll(now)
            };
            if let Some(request) = request {
                due.push((i, request, true));
            }
        }
        let at = self.base + now;
        let local = self.local.to_string();
        for (i, trunk) in self.config.trunks.iter().enumerate() {
            let Some(h) = self.health.get_mut(&trunk.name) else {
                continue;
            };
            if h.probe_due(at) {
                // Until the answer (or timeout) is recorded, the next probe
                // is not due again: push it one interval out.
                h.defer_probe(at);
                due.push((i, options_probe(trunk, &local), false));
            }
        }
        due
    }
}

/// An OPTIONS keep-alive to `trunk`.
fn options_probe(trunk: &TrunkConfig, sent_by: &str) -> Request {
    let domain = trunk.domain();
    let mut r = Request::new(Method::Options, format!("sip:{domain}"));
    let h = &mut r.headers;
    h.push(
        "Via",
        &format!(
            "SIP/2.0/{} {sent_by};branch={};rport",
            trunk.transport.as_str(),
            new_branch()
        ),
    );
    h.push("Max-Forwards", "70");
    h.push(
        "From",
        &format!("<sip:keepalive@{sent_by}>;tag={}", crate::dialog::new_tag()),
    );
    h.push("To", &format!("<sip:{domain}>"));
    h.push("Call-ID", &format!("{}@pbx", crate::dialog::new_tag()));
    h.push("CSeq", "1 OPTIONS");
    r
}
