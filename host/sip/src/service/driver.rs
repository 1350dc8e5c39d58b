//! The driver task: the only owner of the transaction layer.
//!
//! One loop selects over five inputs: incoming messages from the
//! transports, answers computed by REGISTER tasks, the next timer deadline
//! (the layer's or the [`B2bua`](super::b2bua)'s), the periodic purge of
//! lapsed registrations, and the stop signal. REGISTERs are answered in tasks of
//! their own (hashing and the registration store may take a while) whose
//! responses come back over a channel, so the loop never waits on them.
//! Responses are sent over the transport and connection the request came
//! on, routed by Via ([`TransportHandle::send_response`]).
//!
//! Before a request reaches the transaction layer it must pass two cheap
//! checks on its source address: not banned ([`BanList`](crate::auth::BanList))
//! and within its token bucket ([`RateLimiter`]). Failing requests are
//! dropped silently and counted; responses are never limited (they belong
//! to our own client transactions).

use super::b2bua::{B2bua, Effect};
use super::{Counters, Shared, register};
use crate::message::{Method, Request, Response, SipMessage, reason_phrase};
use crate::protection::RateLimiter;
use crate::registrar::answer_options;
use crate::transaction::{
    LayerAction, Role, TimerConfig, TransactionKey, TransactionLayer, TuEvent,
};
use crate::transport::{ConnectionId, Incoming, Target, TransportHandle, TransportKind};
use std::collections::HashMap;
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch};
use tokio::task::JoinHandle;
use tokio::time::{Instant, Interval, MissedTickBehavior};

/// How a server transaction's responses go back.
#[derive(Debug, Clone, Copy)]
struct Route {
    transport: TransportKind,
    connection: Option<ConnectionId>,
}

/// The driver's state.
struct Driver {
    shared: Arc<Shared>,
    transports: TransportHandle,
    layer: TransactionLayer,
    base: Instant,
    routes: HashMap<TransactionKey, Route>,
    answers: mpsc::UnboundedSender<(TransactionKey, Response)>,
    b2bua: B2bua,
    /// Per-source request-rate limit; `None` when disabled.
    rate_limiter: Option<RateLimiter>,
    /// The purge in progress, if any (a slow store never gets a second one
    /// stacked on top).
    purge: Option<JoinHandle<()>>,
}

/// The driver's settings, taken from the
/// [`ServiceConfig`](super::ServiceConfig).
pub(crate) struct Options {
    /// Transaction timers.
    pub(crate) timers: TimerConfig,
    /// How long a call may ring.
    pub(crate) ring_timeout: Duration,
    /// The (validated) per-source rate limiter, `None` for no limit.
    pub(crate) rate_limiter: Option<RateLimiter>,
    /// Period of [`Registrar::purge`](crate::registrar::Registrar::purge)
    /// calls; `None` or zero for none.
    pub(crate) purge_interval: Option<Duration>,
    /// Trunks, routes and DIDs.
    pub(crate) trunks: super::trunks::TrunksConfig,
    /// Session-timer policy for callers.
    pub(crate) session_timer: Option<crate::dialog::session_timer::UasPolicy>,
    /// The application that routes and takes calls.
    pub(crate) app: Option<super::app::AppConfig>,
    /// The host to advertise in Contact and Via.
    pub(crate) advertised: Option<String>,
}

/// Run the driver until `stop` turns true or the transports close.
pub(crate) async fn run(
    shared: Arc<Shared>,
    transports: TransportHandle,
    mut incoming: mpsc::Receiver<Incoming>,
    mut stop: watch::Receiver<bool>,
    options: Options,
) {
    let Options {
        timers,
        ring_timeout,
        rate_limiter,
        purge_interval,
        trunks,
        session_timer,
        app,
        advertised,
    } = options;
    let (commands, mut app_commands) = mpsc::unbounded_channel();
    let mut purge_timer = purge_interval.filter(|p| !p.is_zero()).map(|period| {
        let mut timer = tokio::time::interval_at(Instant::now() + period, period);
        timer.set_missed_tick_behavior(MissedTickBehavior::Delay);
        timer
    });
    let (answers, mut answered) = mpsc::unbounded_channel();
    let b2bua = B2bua::new(
        shared.clone(),
        TransportKind::ALL
            .into_iter()
            .filter_map(|k| Some((k, *transports.local_addrs(k).first()?)))
            .collect(),
        super::b2bua::Settings {
            ring_timeout,
            trunks,
            session_policy: session_timer,
            app,
            advertised,
        },
        commands,
    );
    let mut driver = Driver {
        shared,
        transports,
        layer: TransactionLayer::new(timers),
        base: Instant::now(),
        routes: HashMap::new(),
        answers,
        b2bua,
        rate_limiter,
        purge: None,
    };
    loop {
        let deadline = match (driver.layer.next_deadline(), driver.b2bua.next_deadline()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
        .map(|d| driver.base + d);
        tokio::select! {
            biased;
            changed = stop.changed() => {
                if changed.is_err() || *stop.borrow() {
                    break;
                }
            }
            message = incoming.recv() => match message {
                Some(message) => driver.on_incoming(message).await,
                None => break,
            },
            Some((key, response)) = answered.recv() => {
                let now = driver.now();
                match driver.layer.respond(&key, response, now) {
                    Ok(actions) => driver.execute(actions, None).await,
                    Err(e) => tracing::debug!(?key, error = %e, "response not sent"),
                }
            }
            Some(command) = app_commands.recv() => {
                let now = driver.now();
                let effects = driver.b2bua.on_app_command(&mut driver.layer, now, command);
                driver.run_effects(effects.into(), None).await;
            }
            _ = tick(purge_timer.as_mut()) => driver.start_purge(),
            _ = sleep_until(deadline) => {
                let now = driver.now();
                let actions = driver.layer.poll_timers(now);
                driver.execute(actions, None).await;
                let effects = driver.b2bua.poll(&mut driver.layer, now);
                driver.run_effects(effects.into(), None).await;
            }
        }
    }
    if let Some(purge) = driver.purge.take() {
        purge.abort();
    }
    if let Err(e) = driver.shared.registrar.flush().await {
        tracing::error!(error = %e, "registrations not saved at stop");
    }
    tracing::debug!("SIP service driver stopped");
}

/// The next tick of `timer`, or never without one.
async fn tick(timer: Option<&mut Interval>) {
    match timer {
        Some(t) => {
            t.tick().await;
        }
        None => std::future::pending().await,
    }
}

/// Sleep until `deadline`, or forever without one.
async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

impl Driver {
    /// Transaction-layer time.
    fn now(&self) -> Duration {
        self.base.elapsed()
    }

    async fn on_incoming(&mut self, incoming: Incoming) {
        if let SipMessage::Request(_) = &incoming.message
            && self
                .shared
                .authenticator
                .bans()
                .banned_until(incoming.source.ip(), SystemTime::now())
                .is_some()
        {
            Counters::bump(&self.shared.counters.banned_dropped);
            tracing::debug!(source = %incoming.source, "request from banned source dropped");
            return;
        }
        if let SipMessage::Request(_) = &incoming.message
            && let Some(limiter) = &mut self.rate_limiter
            && !limiter.check(incoming.source.ip(), std::time::Instant::now())
        {
            Counters::bump(&self.shared.counters.rate_limited);
            tracing::debug!(source = %incoming.source, "request over the source's rate limit dropped");
            return;
        }
        let route = Route {
            transport: incoming.transport,
            connection: incoming.connection,
        };
        let now = self.now();
        let actions = self.layer.handle_incoming(incoming.message, now);
        self.execute(actions, Some((route, incoming.source))).await;
    }

    /// Purge lapsed registrations in a task of its own (the store may be
    /// slow), unless the previous purge is still running.
    fn start_purge(&mut self) {
        if self.purge.as_ref().is_some_and(|p| !p.is_finished()) {
            tracing::debug!("previous registration purge still running");
            return;
        }
        let shared = self.shared.clone();
        self.purge = Some(tokio::spawn(async move {
            let removed = shared.registrar.purge(SystemTime::now()).await;
            if removed > 0 {
                shared
                    .counters
                    .purged
                    .fetch_add(removed as u64, std::sync::atomic::Ordering::Relaxed);
                tracing::debug!(removed, "lapsed registrations purged");
            }
        }));
    }

    /// Carry out `actions` in order. `origin` is the route and source of
    /// the message being handled, when the actions stem from one.
    async fn execute(&mut self, actions: Vec<LayerAction>, origin: Option<(Route, SocketAddr)>) {
        let queue = actions.into_iter().map(Effect::Layer).collect();
        self.run_effects(queue, origin).await;
    }

    /// Carry out layer actions and B2BUA effects in order, including
    /// those they lead to.
    async fn run_effects(
        &mut self,
        mut queue: VecDeque<Effect>,
        origin: Option<(Route, SocketAddr)>,
    ) {
        while let Some(effect) = queue.pop_front() {
            let action = match effect {
                Effect::Layer(action) => action,
                Effect::Send(message, target) => {
                    if let Err(e) = self.transports.send(&message, target).await {
                        Counters::bump(&self.shared.counters.send_errors);
                        tracing::info!(error = %e, "could not send");
                    }
                    continue;
                }
                Effect::Respond(response, transport, connection) => {
                    if let Err(e) = self
                        .transports
                        .send_response(&response, transport, connection)
                        .await
                    {
                        Counters::bump(&self.shared.counters.send_errors);
                        tracing::info!(error = %e, "could not resend a 2xx");
                    }
                    continue;
                }
            };
            match action {
                LayerAction::Send { key, message } => {
                    let more = self.send(&key, message, origin.map(|(r, _)| r)).await;
                    queue.extend(more.into_iter().map(Effect::Layer));
                }
                LayerAction::ToTu { key, event } => {
                    if let Some((route, _)) = origin
                        && key.role() == Role::Server
                    {
                        self.routes.entry(key.clone()).or_insert(route);
                    }
                    queue.extend(self.on_event(key, event, origin));
                }
                LayerAction::Terminated(key) => {
                    self.routes.remove(&key);
                    self.b2bua.forget(&key);
                }
                LayerAction::StrayResponse(response) => {
                    tracing::debug!(status = response.status, "stray response");
                    queue.extend(self.b2bua.on_stray_response(&response));
                }
                LayerAction::StrayAck(ack) => {
                    self.b2bua.on_stray_ack(&ack);
                }
            }
        }
    }

    /// Send a message of transaction `key`; returns the layer's actions
    /// after a transport error of a client transaction.
    async fn send(
        &mut self,
        key: &TransactionKey,
        message: SipMessage,
        origin: Option<Route>,
    ) -> Vec<LayerAction> {
        let response = match message {
            SipMessage::Response(response) => response,
            SipMessage::Request(request) => {
                let Some(target) = self.b2bua.target(key) else {
                    tracing::warn!(?key, "request without a destination dropped");
                    return Vec::new();
                };
                let (message, target) = match congestion_controlled(&request, target) {
                    Some((over_tcp, tcp)) => match self.transports.send(&over_tcp, tcp).await {
                        Ok(_) => return Vec::new(),
                        // No TCP at the peer: UDP it is, as the Via says.
                        Err(e) => {
                            tracing::debug!(?key, error = %e, "large request not sent over TCP");
                            (SipMessage::Request(request), target)
                        }
                    },
                    None => (SipMessage::Request(request), target),
                };
                if let Err(e) = self.transports.send(&message, target).await {
                    Counters::bump(&self.shared.counters.send_errors);
                    tracing::info!(?key, error = %e, "could not send request");
                    let now = self.now();
                    return self.layer.transport_error(key, now);
                }
                return Vec::new();
            }
        };
        let route = self.routes.get(key).copied().or(origin).unwrap_or(Route {
            transport: TransportKind::Udp,
            connection: None,
        });
        if let Err(e) = self
            .transports
            .send_response(&response, route.transport, route.connection)
            .await
        {
            Counters::bump(&self.shared.counters.send_errors);
            tracing::info!(?key, error = %e, "could not send response");
            if key.role() == Role::Server {
                let now = self.now();
                let actions = self.layer.transport_error(key, now);
                // Only ToTu/Terminated can follow a transport error.
                for action in actions {
                    if let LayerAction::Terminated(k) = action {
                        self.routes.remove(&k);
                        self.b2bua.forget(&k);
                    }
                }
            }
        }
        Vec::new()
    }

    /// React to a transaction event; returns the actions of any immediate
    /// answer.
    fn on_event(
        &mut self,
        key: TransactionKey,
        event: TuEvent,
        origin: Option<(Route, SocketAddr)>,
    ) -> Vec<Effect> {
        let now = self.now();
        let layer = |actions: Vec<LayerAction>| actions.into_iter().map(Effect::Layer).collect();
        if key.role() == Role::Client {
            return self
                .b2bua
                .on_client_event(&mut self.layer, now, &key, event);
        }
        match event {
            TuEvent::Request(req) => {
                Counters::bump(&self.shared.counters.requests);
                if let Some((route, source)) = origin
                    && is_for_b2bua(&req)
                {
                    let route = (route.transport, route.connection);
                    return self
                        .b2bua
                        .on_request(&mut self.layer, now, &key, req, source, route);
                }
                match self.answer(&key, req, origin.map(|(_, s)| s)) {
                    Some(response) => layer(self.respond(&key, response, now)),
                    None => Vec::new(),
                }
            }
            TuEvent::CancelFor { invite, cancel } if self.b2bua.owns_invite(&invite) => self
                .b2bua
                .on_cancel(&mut self.layer, now, &key, &invite, &cancel),
            TuEvent::CancelFor { invite, cancel } => {
                let ok = cancel.response(200, reason_phrase(200), Some(&local_tag()));
                let mut actions = self.respond(&key, ok, now);
                if let Some(invite_req) = self.layer.request(&invite).cloned() {
                    let terminated =
                        invite_req.response(487, reason_phrase(487), Some(&local_tag()));
                    // Fails harmlessly when the INVITE already has its final.
                    if let Ok(more) = self.layer.respond(&invite, terminated, now) {
                        actions.extend(more);
                    }
                }
                layer(actions)
            }
            TuEvent::Timeout | TuEvent::TransportError => {
                tracing::debug!(?key, ?event, "transaction ended without completion");
                Vec::new()
            }
            TuEvent::Provisional(_) | TuEvent::Final(_) => Vec::new(),
        }
    }

    fn respond(
        &mut self,
        key: &TransactionKey,
        response: Response,
        now: Duration,
    ) -> Vec<LayerAction> {
        match self.layer.respond(key, response, now) {
            Ok(actions) => actions,
            Err(e) => {
                tracing::debug!(?key, error = %e, "response refused by the transaction layer");
                Vec::new()
            }
        }
    }

    /// The immediate answer to a new request, or `None` when it is
    /// answered later (REGISTER, by a task of its own).
    fn answer(
        &mut self,
        key: &TransactionKey,
        req: Request,
        source: Option<SocketAddr>,
    ) -> Option<Response> {
        match req.method {
            Method::Register => {
                let Some(source) = source else {
                    return Some(req.response(500, reason_phrase(500), Some(&local_tag())));
                };
                let shared = self.shared.clone();
                let answers = self.answers.clone();
                let key = key.clone();
                tokio::spawn(async move {
                    let response = register::handle(&shared, &req, source).await;
                    let _ = answers.send((key, response));
                });
                None
            }
            Method::Options => Some(answer_options(&req)),
            Method::Invite => Some(req.response(480, reason_phrase(480), Some(&local_tag()))),
            Method::Cancel => Some(req.response(481, reason_phrase(481), Some(&local_tag()))),
            _ => {
                let mut response = req.response(501, reason_phrase(501), Some(&local_tag()));
                response
                    .headers
                    .push("Allow", "INVITE, ACK, CANCEL, OPTIONS, REGISTER");
                Some(response)
            }
        }
    }
}

/// Requests larger than this go over TCP instead of UDP (RFC 3261
/// section 18.1.1: within 200 bytes of an unknown path MTU, taken as
/// 1500).
const UDP_REQUEST_LIMIT: usize = 1300;

/// `request` to `target` again over TCP with its top Via saying so, when
/// it is a UDP request too large for UDP (RFC 3261 section 18.1.1).
/// `None` when UDP is fine (or the transport is not UDP).
fn congestion_controlled(request: &Request, target: Target) -> Option<(SipMessage, Target)> {
    if target.transport != TransportKind::Udp {
        return None;
    }
    // The serialised size, counted without serialising: start line,
    // "Name: value\r\n" per header, blank line, body.
    let size = request.method.as_str().len()
        + request.uri.len()
        + 12
        + request
            .headers
            .iter()
            .map(|(n, v)| n.len() + v.len() + 4)
            .sum::<usize>()
        + 2
        + request.body.len();
    if size <= UDP_REQUEST_LIMIT {
        return None;
    }
    let mut over_tcp = request.clone();
    let via = over_tcp.headers.get("Via")?;
    let rest = via.trim_start().strip_prefix("SIP/2.0/")?;
    let (_, after) = rest.split_once(|c: char| c.is_whitespace())?;
    let via = format!("SIP/2.0/TCP {}", after.trim_start());
    over_tcp.headers.set("Via", &via);
    let tcp = Target {
        transport: TransportKind::Tcp,
        ..target
    };
    Some((SipMessage::Request(over_tcp), tcp))
}

/// Whether the B2BUA answers `req`: INVITEs, and requests inside a dialog
/// (To tag) other than REGISTER, OPTIONS and CANCEL.
fn is_for_b2bua(req: &Request) -> bool {
    match req.method {
        Method::Invite => true,
        Method::Register | Method::Options | Method::Cancel | Method::Ack => false,
        _ => req.headers.to_tag().is_some(),
    }
}

/// A fresh To tag for responses outside a dialog.
fn local_tag() -> String {
    hex::encode(rand::random::<[u8; 6]>())
}
