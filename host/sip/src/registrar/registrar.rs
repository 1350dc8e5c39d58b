//! The registrar: applies authenticated REGISTERs to the binding table,
//! persists them, and answers location lookups for routing.

use super::binding::Binding;
use super::date::http_date;
use super::store::{RegistrationStore, StoreError};
use super::update::{self, Origin, Plan, Refusal};
use crate::message::{Request, Response, reason_phrase};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Registration policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrarConfig {
    /// Interval granted when the REGISTER states none (RFC 3261 suggests
    /// 3600 s).
    pub default_expires: u32,
    /// Shortest non-zero interval accepted; shorter ones get 423 with
    /// Min-Expires, so phones cannot make the PBX churn on refreshes.
    pub min_expires: u32,
    /// Longest interval granted; longer requests are shortened, so a dead
    /// phone does not linger for days.
    pub max_expires: u32,
    /// Most contacts per AOR.
    pub max_contacts: usize,
    /// When a REGISTER would exceed `max_contacts`: drop the existing
    /// bindings closest to lapsing (true), or refuse with 403 (false).
    /// Dropping suits phones that re-register from a new port after a
    /// reboot without an instance id.
    pub replace_oldest: bool,
}

impl Default for RegistrarConfig {
    fn default() -> Self {
        RegistrarConfig {
            default_expires: 3600,
            min_expires: 60,
            max_expires: 7200,
            max_contacts: 10,
            replace_oldest: true,
        }
    }
}

/// The binding table with write-through persistence.
///
/// Reads ([`Self::lookup`]) are synchronous and served from memory: the
/// call path must not wait on the database. Writes are serialised by one
/// async lock held across the store calls, so each REGISTER is applied
/// all-or-nothing (RFC 3261 10.3 step 7); registrations are rare enough
/// that a single writer is no bottleneck.
pub struct Registrar {
    config: RegistrarConfig,
    store: Arc<dyn RegistrationStore>,
    bindings: Mutex<HashMap<String, Vec<Binding>>>,
    writer: tokio::sync::Mutex<()>,
    /// (aor, contact) pruned from memory by `lookup` but still stored;
    /// removed from the store by the next `purge`.
    pending_removals: Mutex<Vec<(String, String)>>,
}

impl std::fmt::Debug for Registrar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registrar")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Registrar {
    /// An empty registrar writing to `store`; call [`Self::load`] before
    /// serving to recover bindings from before a restart.
    pub fn new(config: RegistrarConfig, store: Arc<dyn RegistrationStore>) -> Self {
        Registrar {
            config,
            store,
            bindings: Mutex::new(HashMap::new()),
            writer: tokio::sync::Mutex::new(()),
            pending_removals: Mutex::new(Vec::new()),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &RegistrarConfig {
        &self.config
    }

    fn table(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Binding>>> {
        self.bindings.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, Vec<(String, String)>> {
        self.pending_removals
            .lock()
            .unwrap_or_else(|e| e.into_inner())
    }

    /// Load the stored bindings, dropping (and deleting) those that lapsed
    /// while the PBX was down. Returns how many live bindings were loaded.
    pub async fn load(&self, now: SystemTime) -> Result<usize, StoreError> {
        let writer = self.writer.lock().await;
        let all = self.store.load_all().await?;
        let mut live = 0;
        let mut table = HashMap::<String, Vec<Binding>>::new();
        for b in all {
            if b.is_expired(now) {
                self.pending().push((b.aor, b.contact));
            } else {
                live += 1;
                table.entry(b.aor.clone()).or_default().push(b);
            }
        }
        *self.table() = table;
        drop(writer);
        self.purge(now).await;
        Ok(live)
    }

    /// The live bindings of `aor` at `now`, for routing a call. Lapsed
    /// bindings are pruned from memory on the way (and from the store by
    /// the next [`Self::purge`]).
    pub fn lookup(&self, aor: &str, now: SystemTime) -> Vec<Binding> {
        let mut table = self.table();
        let Some(list) = table.get_mut(aor) else {
            return Vec::new();
        };
        if list.iter().any(|b| b.is_expired(now)) {
            let mut pending = self.pending();
            list.retain(|b| {
                let keep = !b.is_expired(now);
                if !keep {
                    pending.push((b.aor.clone(), b.contact.clone()));
                }
                keep
            });
        }
        let live = list.clone();
        if list.is_empty() {
            table.remove(aor);
        }
        live
    }

    /// Remove every lapsed binding from memory and the store; run it
    /// periodically. Returns how many were removed from the store.
    /// Store failures are logged and retried on the next purge.
    pub async fn purge(&self, now: SystemTime) -> usize {
        let _writer = self.writer.lock().await;
        let mut doomed = std::mem::take(&mut *self.pending());
        {
            let mut table = self.table();
            for list in table.values_mut() {
                list.retain(|b| {
                    let keep = !b.is_expired(now);
                    if !keep {
                        doomed.push((b.aor.clone(), b.contact.clone()));
                    }
                    keep
                });
            }
            table.retain(|_, list| !list.is_empty());
            // A contact refreshed since it was pruned must stay stored.
            doomed.retain(|(aor, contact)| {
                !table
                    .get(aor)
                    .is_some_and(|l| l.iter().any(|b| &b.contact == contact))
            });
        }
        doomed.sort();
        doomed.dedup();
        let mut removed = 0;
        for (aor, contact) in doomed {
            match self.store.remove(&aor, &contact).await {
                Ok(()) => removed += 1,
                Err(e) => {
                    tracing::warn!(%aor, %contact, error = %e, "could not purge binding");
                    self.pending().push((aor, contact));
                }
            }
        }
        removed
    }

    /// Process a REGISTER for `aor` that the caller has already
    /// authenticated and authorised (RFC 3261 10.3 steps 1-4: domain,
    /// Require, credentials, To/AOR mapping) and received from `source`.
    pub async fn handle(
        &self,
        req: &Request,
        aor: &str,
        source: SocketAddr,
        now: SystemTime,
    ) -> Response {
        let (Some(call_id), Some((cseq, _))) = (req.headers.call_id(), req.headers.cseq()) else {
            return self.refuse(req, Refusal::BadRequest("missing Call-ID or CSeq"));
        };
        let plan = match update::plan(req, &self.config) {
            Ok(plan) => plan,
            Err(refusal) => return self.refuse(req, refusal),
        };
        let _writer = self.writer.lock().await;
        let before = self.table().get(aor).cloned().unwrap_or_default();
        let live: Vec<Binding> = before
            .iter()
            .filter(|b| !b.is_expired(now))
            .cloned()
            .collect();
        let after = match plan {
            Plan::Query => {
                // Lapsed ones leave memory now, the store at the next purge.
                let mut pending = self.pending();
                for b in before.iter().filter(|b| b.is_expired(now)) {
                    pending.push((b.aor.clone(), b.contact.clone()));
                }
                live
            }
            Plan::RemoveAll => {
                if let Err(refusal) = update::check_remove_all(&live, call_id, cseq) {
                    return self.refuse(req, refusal);
                }
                if let Err(e) = self.store.remove_all(aor).await {
                    tracing::error!(%aor, error = %e, "could not remove bindings");
                    return self.store_failure(req);
                }
                Vec::new()
            }
            Plan::Update(requested) => {
                let transport = req.headers.top_via().map(|v| v.transport);
                let origin = Origin {
                    aor,
                    call_id,
                    cseq,
                    source,
                    transport: transport.as_deref().unwrap_or("UDP"),
                    user_agent: req.headers.get("User-Agent"),
                    now,
                };
                let after = match update::apply(&live, &requested, &origin, &self.config) {
                    Ok(after) => after,
                    Err(refusal) => return self.refuse(req, refusal),
                };
                if let Err(e) = self.commit(aor, &before, &after).await {
                    tracing::error!(%aor, error = %e, "could not store bindings");
                    return self.store_failure(req);
                }
                after
            }
        };
        {
            let mut table = self.table();
            if after.is_empty() {
                table.remove(aor);
            } else {
                table.insert(aor.to_string(), after.clone());
            }
        }
        let mut resp = self.reply(req, 200);
        for b in &after {
            resp.headers.push("Contact", &b.contact_header(now));
        }
        resp.headers.push("Date", &http_date(now));
        resp
    }

    /// Write the difference between `before` and `after` to the store; on
    /// failure, undo what was written (best effort) so the store matches
    /// the unchanged memory table.
    async fn commit(
        &self,
        aor: &str,
        before: &[Binding],
        after: &[Binding],
    ) -> Result<(), StoreError> {
        enum Op<'a> {
            Upsert(&'a Binding),
            Remove(&'a Binding),
        }
        let previous = |contact: &str| before.iter().find(|b| b.contact == contact);
        let mut ops: Vec<Op<'_>> = after
            .iter()
            .filter(|b| previous(&b.contact) != Some(*b))
            .map(Op::Upsert)
            .collect();
        ops.extend(
            before
                .iter()
                .filter(|b| !after.iter().any(|a| a.contact == b.contact))
                .map(Op::Remove),
        );
        for (done, op) in ops.iter().enumerate() {
            let result = match op {
                Op::Upsert(b) => self.store.upsert(b).await,
                Op::Remove(b) => self.store.remove(aor, &b.contact).await,
            };
            if let Err(e) = result {
                for undo in ops[..done].iter().rev() {
                    let undone = match undo {
                        Op::Upsert(b) => match previous(&b.contact) {
                            Some(old) => self.store.upsert(old).await,
                            None => self.store.remove(aor, &b.contact).await,
                        },
                        Op::Remove(b) => self.store.upsert(b).await,
                    };
                    if let Err(e) = undone {
                        tracing::error!(%aor, error = %e, "could not roll back binding update");
                    }
                }
                return Err(e);
            }
        }
        Ok(())
    }

    /// Make every binding change so far durable ([`RegistrationStore::flush`]).
    pub async fn flush(&self) -> Result<(), StoreError> {
        self.store.flush().await
    }

    /// A response with a fresh To tag (RFC 3261 8.2.6.2).
    fn reply(&self, req: &Request, status: u16) -> Response {
        let tag = hex::encode(rand::random::<[u8; 8]>());
        req.response(status, reason_phrase(status), Some(&tag))
    }

    fn warn(&self, req: &Request, status: u16, text: &str) -> Response {
        let mut resp = self.reply(req, status);
        resp.headers
            .push("Warning", &format!("399 registrar \"{text}\""));
        resp
    }

    fn store_failure(&self, req: &Request) -> Response {
        self.warn(req, 500, "registration could not be stored")
    }

    fn refuse(&self, req: &Request, refusal: Refusal) -> Response {
        match refusal {
            Refusal::BadRequest(why) => self.warn(req, 400, why),
            Refusal::IntervalTooBrief => {
                let mut resp = self.reply(req, 423);
                resp.headers
                    .push("Min-Expires", &self.config.min_expires.to_string());
                resp
            }
            Refusal::OutOfOrder => self.warn(req, 500, "CSeq not higher than the binding's"),
            Refusal::TooManyContacts => self.warn(req, 403, "too many contacts"),
        }
    }
}
