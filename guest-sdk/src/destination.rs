//! Destinations written as text, the way admins write them in parameters
//! and incident flags: `ext:101`, `queue:sales`, `vm:101`, `tel:+33123456789`.

use crate::bindings::pbx::flow::call::{DialTarget, TransferTarget};
use std::fmt;
use std::str::FromStr;

/// Where a call can be sent.
///
/// ```
/// use pbx_flow_sdk::Destination;
///
/// let d: Destination = "queue:support".parse().unwrap();
/// assert_eq!(d, Destination::Queue("support".into()));
/// // Plain digits are an extension.
/// assert_eq!("101".parse::<Destination>().unwrap(), Destination::Extension("101".into()));
/// assert!("fax:1".parse::<Destination>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Destination {
    /// `ext:101` or `101`.
    Extension(String),
    /// `queue:sales`.
    Queue(String),
    /// `vm:101`.
    Voicemail(String),
    /// `tel:+33123456789`.
    External(String),
    /// `hangup`.
    Hangup,
}

/// A destination text that could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationError(pub String);

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a destination: use ext:NUMBER, queue:NAME, vm:BOX, tel:NUMBER or hangup",
            self.0
        )
    }
}

impl std::error::Error for DestinationError {}

impl FromStr for Destination {
    type Err = DestinationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let bad = || DestinationError(s.to_string());
        if s == "hangup" {
            return Ok(Destination::Hangup);
        }
        if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) {
            return Ok(Destination::Extension(s.to_string()));
        }
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        if rest.is_empty() {
            return Err(bad());
        }
        let rest = rest.to_string();
        match kind {
            "ext" => Ok(Destination::Extension(rest)),
            "queue" => Ok(Destination::Queue(rest)),
            "vm" => Ok(Destination::Voicemail(rest)),
            "tel" => Ok(Destination::External(rest)),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Destination::Extension(n) => write!(f, "ext:{n}"),
            Destination::Queue(n) => write!(f, "queue:{n}"),
            Destination::Voicemail(n) => write!(f, "vm:{n}"),
            Destination::External(n) => write!(f, "tel:{n}"),
            Destination::Hangup => write!(f, "hangup"),
        }
    }
}

impl Destination {
    /// As a transfer target; `None` for [`Destination::Hangup`].
    pub fn transfer_target(&self) -> Option<TransferTarget> {
        Some(match self {
            Destination::Extension(n) => TransferTarget::Extension(n.clone()),
            Destination::Queue(n) => TransferTarget::Queue(n.clone()),
            Destination::Voicemail(n) => TransferTarget::Voicemail(n.clone()),
            Destination::External(n) => TransferTarget::External(n.clone()),
            Destination::Hangup => return None,
        })
    }

    /// As a dial target, for extensions and external numbers.
    pub fn dial_target(&self) -> Option<DialTarget> {
        match self {
            Destination::Extension(n) => Some(DialTarget::Extension(n.clone())),
            Destination::External(n) => Some(DialTarget::External(n.clone())),
            _ => None,
        }
    }
}
