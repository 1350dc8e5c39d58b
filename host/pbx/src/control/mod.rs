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

use crate::live::CallSnapshot;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

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
