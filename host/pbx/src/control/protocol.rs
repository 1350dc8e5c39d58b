//! The control socket's messages: one JSON object per line, one response
//! line per request line, any number of requests per connection.
//!
//! ```text
//! > {"request":"status"}
//! < {"status":{"registrations":[...],"calls":[...],"uptime_s":42,"version":"0.1.0"}}
//! > {"request":"reboot"}
//! < {"error":{"message":"unknown request ..."}}
//! ```

use super::RegistrationRow;
use crate::live::CallSnapshot;
use serde::{Deserialize, Serialize};

/// The longest request line the server reads; a longer one is answered
/// with an error and the connection closed.
pub const MAX_REQUEST_BYTES: usize = 4096;

/// A request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "request", rename_all = "kebab-case")]
pub enum Request {
    /// Registrations, calls and uptime.
    Status,
}

/// What a `status` request returns.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// Live SIP registrations.
    pub registrations: Vec<RegistrationRow>,
    /// Calls in progress, oldest first.
    pub calls: Vec<CallSnapshot>,
    /// Seconds since the control socket (so the PBX) started.
    pub uptime_s: u64,
    /// The PBX's version.
    pub version: String,
}

/// A response line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Response {
    /// The answer to [`Request::Status`].
    Status(StatusReport),
    /// The request could not be served.
    Error {
        /// What went wrong and what to do.
        message: String,
    },
}
