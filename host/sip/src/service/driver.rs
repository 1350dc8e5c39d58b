//! The driver task: the only owner of the transaction layer.
//!
//! One loop selects over four inputs: incoming messages from the
//! transports, answers computed by REGISTER tasks, the layer's next timer
//! deadline, and the stop signal. REGISTERs are answered in tasks of
//! their own (hashing and the registration store may take a while) whose
//! responses come back over a channel, so the loop never waits on them.
//! Responses are sent over the transport and connection the request came
//! on, routed by Via ([`TransportHandle::send_response`]).

use super::{Counters, Shared, register};
use crate::message::{Method, Request, Response, SipMessage, reason_phrase};
use crate::registrar::answer_options;
use crate::transaction::{
    LayerAction, Role, TimerConfig, TransactionKey, TransactionLayer, TuEvent,
};
use crate::transport::{ConnectionId, Incoming, TransportHandle, TransportKind};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

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
}

/// Run the driver until `stop` turns true or the transports close.
pub(crate) async fn run(
    shared: Arc<Shared>,
    transports: TransportHandle,
    mut incoming: mpsc::Receiver<Incoming>,
    mut stop: watch::Receiver<bool>,
    timers: TimerConfig,
) {
    let (answers, mut answered) = mpsc::unbounded_channel();
    let mut driver = Driver {
        shared,
        transports,
        layer: TransactionLayer::new(timers),
        base: Instant::now(),
        routes: HashMap::new(),
        answers,
    };
    loop {
        let deadline = driver.layer.next_deadline().map(|d| driver.base + d);
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
            _ = sleep_until(deadline) => {
                let now = driver.now();
                let actions = driver.layer.poll_timers(now);
                driver.execute(actions, None).await;
            }
        }
    }
    tracing::debug!("SIP service driver stopped");
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
        let route = Route {
            transport: incoming.transport,
            connection: incoming.connection,
        };
        let now = self.now();
        let actions = self.layer.handle_incoming(incoming.message, now);
        self.execute(actions, Some((route, incoming.source))).await;
    }

    /// Carry out `actions` in order. `origin` is the route and source of
    /// the message being handled, when the actions stem from one.
    async fn execute(&mut self, actions: Vec<LayerAction>, origin: Option<(Route, SocketAddr)>) {
        let mut queue = std::collections::VecDeque::from(actions);
        while let Some(action) = queue.pop_front() {
            match action {
                LayerAction::Send { key, message } => {
                    self.send(&key, message, origin.map(|(r, _)| r)).await;
                }
                LayerAction::ToTu { key, event } => {
                    if let Some((route, _)) = origin {
                        self.routes.entry(key.clone()).or_insert(route);
                    }
                    let source = origin.map(|(_, s)| s);
                    queue.extend(self.on_event(key, event, source));
                }
                LayerAction::Terminated(key) => {
                    self.routes.remove(&key);
                }
                LayerAction::StrayResponse(response) => {
                    tracing::debug!(status = response.status, "stray response discarded");
                }
                LayerAction::StrayAck(_) => {
                    tracing::debug!("stray ACK discarded");
                }
            }
        }
    }

    async fn send(&mut self, key: &TransactionKey, message: SipMessage, origin: Option<Route>) {
        let SipMessage::Response(response) = message else {
            // The service starts no client transactions yet.
            tracing::warn!(?key, "request to send from a client transaction ignored");
            return;
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
                    }
                }
            }
        }
    }

    /// React to a transaction event; returns the actions of any immediate
    /// answer.
    fn on_event(
        &mut self,
        key: TransactionKey,
        event: TuEvent,
        source: Option<SocketAddr>,
    ) -> Vec<LayerAction> {
        let now = self.now();
        match event {
            TuEvent::Request(req) => {
                Counters::bump(&self.shared.counters.requests);
                match self.answer(&key, req, source) {
                    Some(response) => self.respond(&key, response, now),
                    None => Vec::new(),
                }
            }
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
                actions
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

/// A fresh To tag for responses outside a dialog.
fn local_tag() -> String {
    hex::encode(rand::random::<[u8; 6]>())
}
