//! The registry of calls in progress: what `pbx status` lists and what the
//! `pbx_calls_in_progress` gauge counts.
//!
//! The call model inserts a [`CallSnapshot`] when a call arrives and keeps
//! the returned [`LiveCallGuard`] for the call's lifetime; the guard
//! updates the entry as the call moves on and removes it when dropped, so
//! a call that ends by any path (hang-up, error, panic unwinding the task)
//! leaves the registry without anyone having to remember to.

use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

/// Where a live call is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "phase", rename_all = "kebab-case")]
pub enum CallPhase {
    /// The call arrived and is being routed or is ringing a destination.
    Ringing,
    /// The PBX answered the caller (e.g. to run a flow or play a prompt).
    Answered,
    /// A flow is handling the call; `label` says at which step (free text
    /// from the call model, e.g. "menu" or "playing greeting").
    Flow {
        /// The step the flow is at.
        label: String,
    },
    /// The caller is connected to another party.
    Bridged {
        /// Who the caller talks to (an extension, a number, a trunk).
        peer: String,
    },
}

impl fmt::Display for CallPhase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallPhase::Ringing => f.write_str("ringing"),
            CallPhase::Answered => f.write_str("answered"),
            CallPhase::Flow { label } => write!(f, "in flow: {label}"),
            CallPhase::Bridged { peer } => write!(f, "bridged to {peer}"),
        }
    }
}

/// One call in progress, as `pbx status` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallSnapshot {
    /// The call's id (the one its tracing span and call record carry).
    pub id: String,
    /// The tenant the call belongs to (its name).
    pub tenant: String,
    /// Who called (a number or extension).
    pub caller: String,
    /// Who was called.
    pub callee: String,
    /// Where the call is now.
    pub state: CallPhase,
    /// The flow handling the call ("name v3"), if any.
    pub flow: Option<String>,
    /// When the call arrived; on the wire as milliseconds since the Unix
    /// epoch, so other tools read it without knowing Rust's encoding.
    #[serde(with = "unix_millis")]
    pub started: SystemTime,
}

/// `SystemTime` as integer milliseconds since the Unix epoch.
mod unix_millis {
    use serde::{Deserialize, Deserializer, Serializer};
    use std::time::{Duration, SystemTime, UNIX_EPOCH};

    pub fn serialize<S: Serializer>(t: &SystemTime, s: S) -> Result<S::Ok, S::Error> {
        let ms = t
            .duration_since(UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        s.serialize_u64(ms)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SystemTime, D::Error> {
        let ms = u64::deserialize(d)?;
        Ok(UNIX_EPOCH + Duration::from_millis(ms))
    }
}

/// The shared table. Keys are internal sequence numbers, not call ids, so
/// two entries that happen to share an id (a retried INVITE, a bug) never
/// remove each other.
#[derive(Debug, Default)]
struct Table {
    /// A std mutex, not a tokio one: no await happens while it is held and
    /// each critical section is a map operation.
    calls: Mutex<HashMap<u64, CallSnapshot>>,
    next_key: AtomicU64,
}

impl Table {
    fn lock(&self) -> MutexGuard<'_, HashMap<u64, CallSnapshot>> {
        // A panic elsewhere while holding the lock leaves the map itself
        // consistent (every operation is a single insert/remove/update).
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The calls in progress. Cheap to clone: every clone sees the same table.
#[derive(Debug, Clone, Default)]
pub struct LiveCalls {
    table: Arc<Table>,
}

impl LiveCalls {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Register a call; it stays listed until the returned guard is
    /// dropped.
    #[must_use = "the call is removed as soon as the guard is dropped"]
    pub fn insert(&self, snapshot: CallSnapshot) -> LiveCallGuard {
        let key = self.table.next_key.fetch_add(1, Ordering::Relaxed);
        self.table.lock().insert(key, snapshot);
        LiveCallGuard {
            table: self.table.clone(),
            key,
        }
    }

    /// Every live call, oldest first.
    pub fn snapshot(&self) -> Vec<CallSnapshot> {
        let mut calls: Vec<(u64, CallSnapshot)> = self
            .table
            .lock()
            .iter()
            .map(|(k, c)| (*k, c.clone()))
            .collect();
        calls.sort_by(|a, b| a.1.started.cmp(&b.1.started).then(a.0.cmp(&b.0)));
        calls.into_iter().map(|(_, c)| c).collect()
    }

    /// How many calls are in progress.
    pub fn len(&self) -> usize {
        self.table.lock().len()
    }

    /// Whether no call is in progress.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// How many calls of `tenant` are in progress (for per-tenant call
    /// limits).
    pub fn count_for_tenant(&self, tenant: &str) -> usize {
        self.table
            .lock()
            .values()
            .filter(|c| c.tenant == tenant)
            .count()
    }
}

/// A call's entry in [`LiveCalls`]; removes it when dropped.
#[derive(Debug)]
pub struct LiveCallGuard {
    table: Arc<Table>,
    key: u64,
}

impl LiveCallGuard {
    /// Record where the call is now.
    pub fn set_state(&self, state: CallPhase) {
        if let Some(call) = self.table.lock().get_mut(&self.key) {
            call.state = state;
        }
    }

    /// Record the flow handling the call ("name v3").
    pub fn set_flow(&self, label: String) {
        if let Some(call) = self.table.lock().get_mut(&self.key) {
            call.flow = Some(label);
        }
    }

    /// The call's entry as it is now.
    pub fn get(&self) -> Option<CallSnapshot> {
        self.table.lock().get(&self.key).cloned()
    }
}

impl Drop for LiveCallGuard {
    fn drop(&mut self) {
        self.table.lock().remove(&self.key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn call(id: &str, tenant: &str, started: SystemTime) -> CallSnapshot {
        CallSnapshot {
            id: id.into(),
            tenant: tenant.into(),
            caller: "1001".into(),
            callee: "1002".into(),
            state: CallPhase::Ringing,
            flow: None,
            started,
        }
    }

    #[test]
    fn a_call_is_listed_until_its_guard_drops() {
        let live = LiveCalls::new();
        let now = SystemTime::now();
        let a = live.insert(call("a", "acme", now));
        let b = live.clone().insert(call("b", "globex", now));
        assert_eq!(live.len(), 2);
        assert_eq!(live.count_for_tenant("acme"), 1);
        drop(a);
        assert_eq!(live.len(), 1);
        assert_eq!(live.count_for_tenant("acme"), 0);
        assert_eq!(live.snapshot()[0].id, "b");
        drop(b);
        assert!(live.is_empty());
    }

    #[test]
    fn the_guard_updates_state_and_flow() {
        let live = LiveCalls::new();
        let g = live.insert(call("a", "acme", SystemTime::now()));
        g.set_flow("office-hours v2".into());
        g.set_state(CallPhase::Bridged {
            peer: "1003".into(),
        });
        let s = &live.snapshot()[0];
        assert_eq!(s.flow.as_deref(), Some("office-hours v2"));
        assert_eq!(s.state.to_string(), "bridged to 1003");
        assert_eq!(g.get().as_ref(), Some(s));
    }

    #[test]
    fn same_ids_do_not_remove_each_other() {
        let live = LiveCalls::new();
        let first = live.insert(call("dup", "acme", SystemTime::now()));
        let second = live.insert(call("dup", "acme", SystemTime::now()));
        drop(first);
        assert_eq!(live.len(), 1);
        second.set_state(CallPhase::Answered);
        assert_eq!(live.snapshot()[0].state, CallPhase::Answered);
    }

    #[test]
    fn snapshot_is_oldest_first() {
        let live = LiveCalls::new();
        let now = SystemTime::now();
        let _new = live.insert(call("new", "t", now));
        let _old = live.insert(call("old", "t", now - Duration::from_secs(60)));
        let ids: Vec<_> = live.snapshot().into_iter().map(|c| c.id).collect();
        assert_eq!(ids, ["old", "new"]);
    }

    #[test]
    fn a_snapshot_round_trips_through_json() {
        let mut c = call(
            "x",
            "acme",
            SystemTime::UNIX_EPOCH + Duration::from_millis(1234),
        );
        c.state = CallPhase::Flow {
            label: "menu".into(),
        };
        let json = serde_json::to_value(&c).unwrap();
        assert_eq!(json["started"], 1234);
        assert_eq!(json["state"]["phase"], "flow");
        let back: CallSnapshot = serde_json::from_value(json).unwrap();
        assert_eq!(back, c);
    }
}
