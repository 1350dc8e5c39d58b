//! Dialogs (RFC 3261 section 12), with the helpers a UA core needs around
//! them: reliable provisional responses (RFC 3262, [`prack`]) and session
//! timers (RFC 4028, [`session_timer`]).
//!
//! A dialog is the peer-to-peer relationship an INVITE sets up: the state
//! needed to build the next request (CSeq, route set, remote target, tags)
//! and to check the peer's requests (remote CSeq). Like the transaction
//! layer this module is sans-IO: it builds and inspects
//! [`Request`](crate::message::Request)s and
//! [`Response`](crate::message::Response)s and never touches a socket;
//! time is a `Duration` since the driver's epoch.
//!
//! * [`DialogId`], [`new_tag`]: identification (12.1, 19.3);
//! * [`Dialog`]: one dialog, UAS or UAC, early or confirmed, and the
//!   requests it builds ([`Dialog::request`], [`Dialog::ack_for_2xx`]);
//! * [`Dialogs`]: the map a UA core keeps, which matches incoming requests
//!   and responses and handles forking (several early dialogs for one
//!   INVITE, 13.2.2.4);
//! * [`route`]: the route set and the Request-URI/Route computation for
//!   loose and strict routing (12.2.1.1, 16.12).

#[allow(clippy::module_inception)]
mod dialog;
mod id;
pub mod prack;
pub mod route;
pub mod session_timer;
mod set;

pub use dialog::{Dialog, DialogError, DialogRole, DialogState, LocalEndpoint, cancel_for};
pub use id::{DialogId, new_tag};
pub use route::RouteSet;
pub use set::{Dialogs, IncomingRequest, UacOutcome, no_dialog};

/// The URI inside a name-addr (`"Bob" <sip:b@h>;p=1` gives `sip:b@h`) or
/// an addr-spec without brackets (its header parameters dropped).
pub(crate) fn uri_of(value: &str) -> &str {
    let value = value.trim();
    if let Some(open) = value.find('<')
        && let Some(len) = value[open..].find('>')
    {
        return value[open + 1..open + len].trim();
    }
    value.split(';').next().unwrap_or(value).trim()
}
