//! The transaction manager: one map of live transactions, one timer queue.
//!
//! The driver (a tokio task, later) feeds it received messages, TU
//! requests and responses, and the current time; it returns
//! [`LayerAction`]s (send this, tell the TU that). Timers are data: the
//! layer turns each machine's relative [`Action::StartTimer`] into an
//! absolute deadline, so the driver only sleeps until
//! [`TransactionLayer::next_deadline`] and calls
//! [`TransactionLayer::poll_timers`].
//!
//! Reliability of each transaction is read from the transport token of the
//! top Via (only UDP is unreliable): for a client transaction that Via is
//! the one the TU put on the request for the chosen transport, for a server
//! transaction it names the transport the request came over, which is the
//! one responses go back on (RFC 3261 section 18.2.2).

use super::key::{legacy_to_tag_matches, new_branch, transport_is_reliable};
use super::{Action, InviteClient, InviteServer, NonInviteClient, NonInviteServer};
use super::{Timer, TimerConfig, TransactionError, TransactionKey, TuEvent};
use crate::message::{Headers, Method, Request, Response, SipMessage};
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// What the driver must do, in order, after an input to the layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LayerAction {
    /// Hand `message` to the transport for transaction `key` (client: the
    /// destination the TU chose; server: where the request came from).
    Send {
        /// The transaction sending.
        key: TransactionKey,
        /// The request, ACK or response.
        message: SipMessage,
    },
    /// Tell the transaction user.
    ToTu {
        /// The transaction concerned (for [`TuEvent::CancelFor`], the
        /// CANCEL's own server transaction).
        key: TransactionKey,
        /// What happened.
        event: TuEvent,
    },
    /// The transaction is gone (RFC 3261: "the TU is informed"); any
    /// per-transaction state in the driver (destination) can be dropped.
    Terminated(TransactionKey),
    /// A response that matches no transaction. Reported rather than
    /// dropped: RFC 3261 section 18.1.2 has a UAC discard it, but a 2xx to
    /// INVITE lands here when retransmitted (the INVITE client transaction
    /// ended with the first 2xx) or from another fork, and the dialog layer
    /// must ACK it (13.2.2.4). Anything else the TU should log and discard.
    StrayResponse(Response),
    /// An ACK that matches no INVITE server transaction: the ACK for a 2xx
    /// (a transaction of its own, 17.2.3) or a late one. For the dialog
    /// layer, which stops its [`TwoXxRetransmitter`](super::TwoXxRetransmitter).
    StrayAck(Request),
}

#[derive(Debug)]
enum Machine {
    InviteClient(InviteClient),
    NonInviteClient(NonInviteClient),
    InviteServer(InviteServer),
    NonInviteServer(NonInviteServer),
}

impl Machine {
    fn request(&self) -> &Request {
        match self {
            Machine::InviteClient(t) => t.request(),
            Machine::NonInviteClient(t) => t.request(),
            Machine::InviteServer(t) => t.request(),
            Machine::NonInviteServer(t) => t.request(),
        }
    }

    fn on_timer(&mut self, timer: Timer) -> Vec<Action> {
        match self {
            Machine::InviteClient(t) => t.on_timer(timer),
            Machine::NonInviteClient(t) => t.on_timer(timer),
            Machine::InviteServer(t) => t.on_timer(timer),
            Machine::NonInviteServer(t) => t.on_timer(timer),
        }
    }

    fn on_transport_error(&mut self) -> Vec<Action> {
        match self {
            Machine::InviteClient(t) => t.on_transport_error(),
            Machine::NonInviteClient(t) => t.on_transport_error(),
            Machine::InviteServer(t) => t.on_transport_error(),
            Machine::NonInviteServer(t) => t.on_transport_error(),
        }
    }

    /// Whether a request found under this transaction's RFC 2543 key really
    /// belongs to it (the To tag rule the key leaves out).
    fn legacy_to_tag_ok(&self, request: &Request) -> bool {
        let expected = match (self, &request.method) {
            (Machine::InviteServer(t), Method::Ack) => t
                .last_response()
                .filter(|r| r.status >= 200)
                .and_then(|r| r.headers.to_tag()),
            _ => self.request().headers.to_tag(),
        };
        legacy_to_tag_matches(request, expected)
    }
}

#[derive(Debug)]
struct Entry {
    machine: Machine,
    /// Armed timers: deadline and the sequence number in the queue.
    timers: HashMap<Timer, (Duration, u64)>,
}

/// The transaction manager; see the module documentation.
#[derive(Debug, Default)]
pub struct TransactionLayer {
    config: TimerConfig,
    transactions: HashMap<TransactionKey, Entry>,
    /// (deadline, arming sequence) -> timer; the sequence breaks ties in
    /// arming order and tells timers armed during a poll from older ones.
    queue: BTreeMap<(Duration, u64), (TransactionKey, Timer)>,
    seq: u64,
}

impl TransactionLayer {
    /// An empty layer using `config` for every transaction.
    pub fn new(config: TimerConfig) -> Self {
        TransactionLayer {
            config,
            ..TransactionLayer::default()
        }
    }

    /// The timer configuration (the dialog layer sizes its
    /// [`TwoXxRetransmitter`](super::TwoXxRetransmitter)s from it).
    pub fn config(&self) -> &TimerConfig {
        &self.config
    }

    /// Number of live transactions.
    pub fn len(&self) -> usize {
        self.transactions.len()
    }

    /// No live transaction.
    pub fn is_empty(&self) -> bool {
        self.transactions.is_empty()
    }

    /// Whether `key` is a live transaction.
    pub fn contains(&self, key: &TransactionKey) -> bool {
        self.transactions.contains_key(key)
    }

    /// The request that created transaction `key` (for a client one, with
    /// the branch the layer may have added).
    pub fn request(&self, key: &TransactionKey) -> Option<&Request> {
        self.transactions.get(key).map(|e| e.machine.request())
    }

    /// A message arrived from the transport. Requests are matched to server
    /// transactions (retransmissions and non-2xx ACKs are absorbed) or
    /// create one; responses are matched to client transactions. A request
    /// without a usable Via or CSeq is dropped with a warning: it cannot be
    /// answered (section 18.2.1 leaves such requests to the parser).
    pub fn handle_incoming(&mut self, message: SipMessage, now: Duration) -> Vec<LayerAction> {
        let mut out = Vec::new();
        match message {
            SipMessage::Request(r) => self.incoming_request(r, now, &mut out),
            SipMessage::Response(r) => self.incoming_response(r, now, &mut out),
        }
        out
    }

    /// Start a client transaction for `request` and send it. The top Via
    /// must be present (the TU picks transport and sent-by); if it has no
    /// branch a fresh magic-cookie one is added. Returns the key under
    /// which responses and timers will be reported.
    pub fn start_client(
        &mut self,
        mut request: Request,
        now: Duration,
    ) -> Result<(TransactionKey, Vec<LayerAction>), TransactionError> {
        if request.method == Method::Ack {
            return Err(TransactionError::InvalidRequest("ACK is not a transaction"));
        }
        let mut via = request
            .headers
            .top_via()
            .ok_or(TransactionError::InvalidRequest("no Via"))?;
        if via.branch.is_none() {
            via.branch = Some(new_branch());
            replace_top_via(&mut request.headers, &via.to_string());
        }
        let key = TransactionKey::for_client_request(&request).ok_or(
            TransactionError::InvalidRequest("branch without magic cookie or no CSeq"),
        )?;
        if self.transactions.contains_key(&key) {
            return Err(TransactionError::Exists);
        }
        let reliable = transport_is_reliable(&via.transport);
        let (machine, actions) = if request.method == Method::Invite {
            let (t, a) = InviteClient::new(request, self.config, reliable);
            (Machine::InviteClient(t), a)
        } else {
            let (t, a) = NonInviteClient::new(request, self.config, reliable);
            (Machine::NonInviteClient(t), a)
        };
        self.insert(key.clone(), machine);
        let mut out = Vec::new();
        self.apply(&key, actions, now, &mut out);
        Ok((key, out))
    }

    /// The TU answers the request of server transaction `key`. Errors
    /// leave the transaction untouched and send nothing.
    pub fn respond(
        &mut self,
        key: &TransactionKey,
        response: Response,
        now: Duration,
    ) -> Result<Vec<LayerAction>, TransactionError> {
        let entry = self
            .transactions
            .get_mut(key)
            .ok_or(TransactionError::NotFound)?;
        let actions = match &mut entry.machine {
            Machine::InviteServer(t) => t.on_send(response)?,
            Machine::NonInviteServer(t) => t.on_send(response)?,
            _ => return Err(TransactionError::NotServer),
        };
        let mut out = Vec::new();
        self.apply(key, actions, now, &mut out);
        Ok(out)
    }

    /// Timer `timer` of `key` expired. Ignored unless that timer is armed,
    /// so a driver keeping its own timers may deliver a cancelled one
    /// safely. [`poll_timers`](Self::poll_timers) is the usual entry.
    pub fn timer_fired(
        &mut self,
        key: &TransactionKey,
        timer: Timer,
        now: Duration,
    ) -> Vec<LayerAction> {
        let mut out = Vec::new();
        let Some(entry) = self.transactions.get_mut(key) else {
            return out;
        };
        let Some((at, seq)) = entry.timers.remove(&timer) else {
            return out;
        };
        self.queue.remove(&(at, seq));
        let actions = entry.machine.on_timer(timer);
        self.apply(key, actions, now, &mut out);
        out
    }

    /// The transport failed to send for `key` (ICMP error, TCP reset):
    /// the TU is told and the transaction ends (17.1.4, 17.2.4).
    pub fn transport_error(&mut self, key: &TransactionKey, now: Duration) -> Vec<LayerAction> {
        let mut out = Vec::new();
        if let Some(entry) = self.transactions.get_mut(key) {
            let actions = entry.machine.on_transport_error();
            self.apply(key, actions, now, &mut out);
        }
        out
    }

    /// The earliest armed timer deadline: the driver sleeps until then.
    pub fn next_deadline(&self) -> Option<Duration> {
        self.queue.first_key_value().map(|(&(at, _), _)| at)
    }

    /// Fire every timer due at `now`, earliest first. Timers that firing
    /// re-arms are scheduled from `now`, so a driver that wakes late sends
    /// one retransmission rather than a burst; a timer armed during this
    /// call is never fired by it, so a zero timer cannot loop.
    pub fn poll_timers(&mut self, now: Duration) -> Vec<LayerAction> {
        let mut out = Vec::new();
        let armed_before = self.seq;
        while let Some((&(at, seq), _)) = self.queue.first_key_value() {
            if at > now || seq >= armed_before {
                break;
            }
            let Some((key, timer)) = self.queue.remove(&(at, seq)) else {
                break;
            };
            let Some(entry) = self.transactions.get_mut(&key) else {
                continue;
            };
            entry.timers.remove(&timer);
            let actions = entry.machine.on_timer(timer);
            self.apply(&key, actions, now, &mut out);
        }
        out
    }

    fn incoming_request(&mut self, request: Request, now: Duration, out: &mut Vec<LayerAction>) {
        let (Some(key), Some(via)) = (
            TransactionKey::for_server_request(&request),
            request.headers.top_via(),
        ) else {
            tracing::warn!(method = %request.method, "request without Via/CSeq/Call-ID dropped");
            return;
        };
        if let Some(entry) = self.transactions.get_mut(&key) {
            if !key.is_legacy() || entry.machine.legacy_to_tag_ok(&request) {
                let actions = match &mut entry.machine {
                    Machine::InviteServer(t) => t.on_request(request),
                    Machine::NonInviteServer(t) => t.on_request(request),
                    _ => Vec::new(), // server keys only hold server machines
                };
                self.apply(&key, actions, now, out);
                return;
            }
            if request.method != Method::Ack {
                tracing::warn!("RFC 2543 request colliding with a live transaction dropped");
                return;
            }
        }
        if request.method == Method::Ack {
            out.push(LayerAction::StrayAck(request));
            return;
        }
        let reliable = transport_is_reliable(&via.transport);
        let cancelled = key
            .cancel_target()
            .filter(|target| self.cancel_matches(target, &request));
        let (machine, mut actions) = if request.method == Method::Invite {
            let (t, a) = InviteServer::new(request, self.config, reliable);
            (Machine::InviteServer(t), a)
        } else {
            let (t, a) = NonInviteServer::new(request, self.config, reliable);
            (Machine::NonInviteServer(t), a)
        };
        if let Some(invite) = cancelled {
            for action in &mut actions {
                if let Action::ToTu(TuEvent::Request(cancel)) = action {
                    let cancel = cancel.clone();
                    *action = Action::ToTu(TuEvent::CancelFor {
                        invite: invite.clone(),
                        cancel,
                    });
                }
            }
        }
        self.insert(key.clone(), machine);
        self.apply(&key, actions, now, out);
    }

    /// Whether the CANCEL `cancel` targets the live INVITE server
    /// transaction `target` (for RFC 2543 keys, To tags must agree too).
    fn cancel_matches(&self, target: &TransactionKey, cancel: &Request) -> bool {
        self.transactions
            .get(target)
            .is_some_and(|e| !target.is_legacy() || e.machine.legacy_to_tag_ok(cancel))
    }

    fn incoming_response(&mut self, response: Response, now: Duration, out: &mut Vec<LayerAction>) {
        let Some(key) = TransactionKey::for_response(&response) else {
            out.push(LayerAction::StrayResponse(response));
            return;
        };
        let actions = match self.transactions.get_mut(&key).map(|e| &mut e.machine) {
            Some(Machine::InviteClient(t)) => t.on_response(response),
            Some(Machine::NonInviteClient(t)) => t.on_response(response),
            _ => {
                tracing::debug!(status = response.status, "stray response");
                out.push(LayerAction::StrayResponse(response));
                return;
            }
        };
        self.apply(&key, actions, now, out);
    }

    fn insert(&mut self, key: TransactionKey, machine: Machine) {
        let entry = Entry {
            machine,
            timers: HashMap::new(),
        };
        self.transactions.insert(key, entry);
    }

    /// Carry out a machine's actions for `key`.
    fn apply(
        &mut self,
        key: &TransactionKey,
        actions: Vec<Action>,
        now: Duration,
        out: &mut Vec<LayerAction>,
    ) {
        for action in actions {
            match action {
                Action::Send(message) => out.push(LayerAction::Send {
                    key: key.clone(),
                    message,
                }),
                Action::ToTu(event) => out.push(LayerAction::ToTu {
                    key: key.clone(),
                    event,
                }),
                Action::StartTimer { timer, after } => {
                    self.cancel_timer(key, timer);
                    if let Some(entry) = self.transactions.get_mut(key) {
                        let slot = (now + after, self.seq);
                        self.seq += 1;
                        entry.timers.insert(timer, slot);
                        self.queue.insert(slot, (key.clone(), timer));
                    }
                }
                Action::CancelTimer(timer) => self.cancel_timer(key, timer),
                Action::Terminated => {
                    if let Some(entry) = self.transactions.remove(key) {
                        for slot in entry.timers.values() {
                            self.queue.remove(slot);
                        }
                    }
                    out.push(LayerAction::Terminated(key.clone()));
                }
            }
        }
    }

    fn cancel_timer(&mut self, key: &TransactionKey, timer: Timer) {
        if let Some(slot) = self
            .transactions
            .get_mut(key)
            .and_then(|e| e.timers.remove(&timer))
        {
            self.queue.remove(&slot);
        }
    }
}

/// Replace the first Via value (keeping any further values folded into the
/// same header line, and every other header in place).
fn replace_top_via(headers: &mut Headers, top: &str) {
    let mut rebuilt = Headers::default();
    let mut done = false;
    for (name, value) in headers.iter() {
        if name == "Via" && !done {
            done = true;
            match value.split_once(',') {
                Some((_, rest)) => rebuilt.push(name, &format!("{top},{rest}")),
                None => rebuilt.push(name, top),
            }
        } else {
            rebuilt.push(name, value);
        }
    }
    *headers = rebuilt;
}
