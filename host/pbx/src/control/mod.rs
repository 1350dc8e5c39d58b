//! The control socket: how `pbx status` asks a running `pbx serve` what it
//! is doing.
//!
//! `pbx serve` listens on a Unix socket `<data_dir>/pbx.sock` (mode 0600,
//! so only the user running the PBX can talk to it). The protocol is one
//! JSON object per line each way ([`protocol`]): the request
//! `{"request":"status"}` is answered with the registrations, the calls in
//! progress and the uptime. The server ([`serve`]) reads from a
//! [`StatusSource`] the call model implements; the client
//! ([`query_status`]) is what the `pbx status` command uses.
//!
//! A Unix socket rather than an HTTP endpoint: it needs no port, no
//! credentials (file permissions are the access control), and its path
//! follows the data directory, so `pbx status --data-dir DIR` finds the
//! PBX serving DIR.

mod client;
pub mod protocol;
mod registrations;
mod server;

pub use client::{ClientError, query_status};
pub use protocol::{Request, Response, StatusReport};
pub use registrations::RegistrationMirror;
pub use server::{ControlError, ControlSocket, serve};

use crate::live::{CallSnapshot, LiveCalls};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The control socket's file name in the data directory.
pub const SOCKET_NAME: &str = "pbx.sock";

/// The control socket of the PBX serving `data_dir`.
pub fn socket_path(data_dir: &Path) -> PathBuf {
    data_dir.join(SOCKET_NAME)
}

/// One SIP registration (binding) as `pbx status` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationRow {
    /// The address of record, e.g. `sip:1001@pbx`.
    pub aor: String,
    /// Where the phone said to reach it (its Contact URI).
    pub contact: String,
    /// `udp`, `tcp`, `tls`, `ws`, `wss`.
    pub transport: String,
    /// The address the REGISTER came from (what the PBX sends to).
    pub source: String,
    /// Seconds until the binding lapses unless refreshed.
    pub expires_in_s: u64,
    /// The phone's User-Agent header, when it sent one.
    pub user_agent: Option<String>,
}

/// What the running PBX reports on the control socket. The call model
/// implements it over its registrar and [`crate::live::LiveCalls`]; both
/// methods are called from the socket's task and must not block for long
/// (no I/O: read in-memory state).
pub trait StatusSource: Send + Sync {
    /// Every live registration.
    fn registrations(&self) -> Vec<RegistrationRow>;
    /// Every call in progress.
    fn calls(&self) -> Vec<CallSnapshot>;
}

/// The status of a running `pbx serve`: the registrar's bindings (through
/// the [`RegistrationMirror`] given to the SIP service as its store) and
/// the live-call registry.
#[derive(Debug, Clone)]
pub struct LiveStatus {
    /// Every binding the registrar wrote.
    pub registrations: RegistrationMirror,
    /// The calls in progress.
    pub calls: LiveCalls,
}

impl StatusSource for LiveStatus {
    fn registrations(&self) -> Vec<RegistrationRow> {
        self.registrations.rows(SystemTime::now())
    }

    fn calls(&self) -> Vec<CallSnapshot> {
        self.calls.snapshot()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::CallPhase;
    use pbx_sip::registrar::{Binding, InMemoryStore, RegistrationStore};
    use std::sync::Arc;
    use std::time::Duration;

    #[tokio::test]
    async fn live_status_reads_the_mirror_and_the_registry() {
        let mirror = RegistrationMirror::new(Arc::new(InMemoryStore::new()));
        let now = SystemTime::now();
        mirror
            .upsert(&Binding {
                aor: "sip:1001@pbx".into(),
                contact: "sip:1001@127.0.0.1:5062".into(),
                expires_at: now + Duration::from_secs(120),
                q: None,
                call_id: "c".into(),
                cseq: 1,
                instance_id: None,
                reg_id: None,
                source: "127.0.0.1:5062".parse().unwrap(),
                transport: "TCP".into(),
                user_agent: None,
                updated_at: now,
            })
            .await
            .unwrap();
        let calls = LiveCalls::new();
        let status = LiveStatus {
            registrations: mirror,
            calls: calls.clone(),
        };
        assert!(status.calls().is_empty());
        let _call = calls.insert(CallSnapshot {
            id: "c1".into(),
            tenant: "demo".into(),
            caller: "1001".into(),
            callee: "1002".into(),
            state: CallPhase::Answered,
            flow: None,
            started: now,
        });
        let regs = StatusSource::registrations(&status);
        assert_eq!(regs.len(), 1);
        assert_eq!(regs[0].transport, "tcp");
        assert!(regs[0].expires_in_s > 110 && regs[0].expires_in_s <= 120);
        assert_eq!(status.calls()[0].id, "c1");
    }
}
