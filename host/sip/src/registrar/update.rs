//! The pure part of processing a REGISTER (RFC 3261 10.3 steps 5-7):
//! reading what it asks for, and computing the AOR's new binding list.
//! No I/O and no clock, so every rule is testable in isolation; the
//! [`Registrar`](super::Registrar) commits the result to its store.

use super::binding::{Binding, parse_q};
use super::contact::{ContactEntry, parse_entry, split_list, uri_eq};
use super::registrar::RegistrarConfig;
use crate::message::Request;
use std::net::SocketAddr;
use std::time::{Duration, SystemTime};

/// One contact the REGISTER asks to add, refresh or remove.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Requested {
    pub uri: String,
    /// Granted interval in seconds, already capped at the maximum; 0 asks
    /// for removal.
    pub expires: u32,
    pub q: Option<u16>,
    pub instance: Option<String>,
    pub reg_id: Option<u32>,
}

/// What a REGISTER asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Plan {
    /// No Contact: list the current bindings.
    Query,
    /// `Contact: *` with `Expires: 0`: remove them all.
    RemoveAll,
    /// Add, refresh or remove these contacts.
    Update(Vec<Requested>),
}

/// Why a REGISTER is refused, each mapping to one response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Refusal {
    /// 400 with the reason in a Warning.
    BadRequest(&'static str),
    /// 423 with Min-Expires.
    IntervalTooBrief,
    /// 500: a binding was set by a later request of the same Call-ID
    /// (RFC 3261 10.3 steps 6 and 7).
    OutOfOrder,
    /// 403: more contacts than the AOR may have.
    TooManyContacts,
}

/// Where the REGISTER came from, copied into the bindings it writes.
#[derive(Debug, Clone)]
pub(super) struct Origin<'a> {
    pub aor: &'a str,
    pub call_id: &'a str,
    pub cseq: u32,
    pub source: SocketAddr,
    pub transport: &'a str,
    pub user_agent: Option<&'a str>,
    pub now: SystemTime,
}

/// A delta-seconds value; malformed means "use the default", as RFC 3261
/// 20.19 asks, and anything beyond u32 saturates.
fn parse_expires(v: &str) -> Option<u32> {
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(
        v.parse::<u64>()
            .map_or(u32::MAX, |n| n.min(u64::from(u32::MAX)) as u32),
    )
}

/// Read the Contact and Expires headers of `req`.
pub(super) fn plan(req: &Request, config: &RegistrarConfig) -> Result<Plan, Refusal> {
    let mut entries = Vec::new();
    for value in req.headers.get_all("Contact") {
        for item in split_list(value) {
            entries.push(parse_entry(item).ok_or(Refusal::BadRequest("malformed Contact"))?);
        }
    }
    if entries.is_empty() {
        return Ok(Plan::Query);
    }
    if entries.contains(&ContactEntry::Star) {
        if entries.len() != 1 {
            return Err(Refusal::BadRequest("'*' must be the only Contact"));
        }
        if req.headers.get("Expires").and_then(parse_expires) != Some(0) {
            return Err(Refusal::BadRequest("'*' requires Expires: 0"));
        }
        return Ok(Plan::RemoveAll);
    }
    let header_expires = req
        .headers
        .get("Expires")
        .map(|v| parse_expires(v).unwrap_or(config.default_expires));
    let mut requested = Vec::with_capacity(entries.len());
    for entry in entries {
        let ContactEntry::Address(addr) = entry else {
            unreachable!("'*' handled above")
        };
        let expires = match addr.param("expires") {
            Some(v) => v.and_then(parse_expires).unwrap_or(config.default_expires),
            None => header_expires.unwrap_or(config.default_expires),
        }
        .min(config.max_expires);
        if expires != 0 && expires < config.min_expires {
            return Err(Refusal::IntervalTooBrief);
        }
        let q = match addr.param("q") {
            None => None,
            Some(v) => Some(
                v.and_then(parse_q)
                    .ok_or(Refusal::BadRequest("invalid q value"))?,
            ),
        };
        let instance = addr
            .param("+sip.instance")
            .flatten()
            .filter(|i| !i.is_empty())
            .map(str::to_string);
        // RFC 5626 5.2: reg-id without an instance is ignored.
        let reg_id = match (instance.is_some(), addr.param("reg-id")) {
            (true, Some(v)) => Some(
                v.and_then(|v| v.trim().parse().ok())
                    .ok_or(Refusal::BadRequest("invalid reg-id"))?,
            ),
            _ => None,
        };
        requested.push(Requested {
            uri: addr.uri,
            expires,
            q,
            instance,
            reg_id,
        });
    }
    Ok(Plan::Update(requested))
}

/// Whether `r` refers to the existing binding `b`: the same URI (RFC 3261
/// 19.1.4), or the same device: matching `+sip.instance` and `reg-id`
/// (RFC 5626 6). An instance without reg-id also matches by instance
/// alone, so a phone that comes back on a new port after a reboot
/// replaces its old binding instead of leaving a dead one to ring.
fn same_binding(b: &Binding, r: &Requested) -> bool {
    if uri_eq(&b.contact, &r.uri) {
        return true;
    }
    match (&b.instance_id, &r.instance) {
        (Some(x), Some(y)) => x.eq_ignore_ascii_case(y) && b.reg_id == r.reg_id,
        _ => false,
    }
}

/// RFC 3261 10.3 step 6 for `Contact: *`: every binding must be older
/// than this request within its Call-ID.
pub(super) fn check_remove_all(
    current: &[Binding],
    call_id: &str,
    cseq: u32,
) -> Result<(), Refusal> {
    if current
        .iter()
        .any(|b| b.call_id == call_id && cseq <= b.cseq)
    {
        return Err(Refusal::OutOfOrder);
    }
    Ok(())
}

/// The AOR's binding list after applying `requested` to `current` (live
/// bindings only), or why the whole request fails; nothing is partially
/// applied (RFC 3261 10.3 step 7).
pub(super) fn apply(
    current: &[Binding],
    requested: &[Requested],
    origin: &Origin<'_>,
    config: &RegistrarConfig,
) -> Result<Vec<Binding>, Refusal> {
    // (binding, written by this request)
    let mut list: Vec<(Binding, bool)> = current.iter().cloned().map(|b| (b, false)).collect();
    for r in requested {
        match list.iter().position(|(b, _)| same_binding(b, r)) {
            Some(i) => {
                let (existing, touched) = &list[i];
                // A contact repeated within this request is not a replay.
                if !touched && existing.call_id == origin.call_id && origin.cseq <= existing.cseq {
                    return Err(Refusal::OutOfOrder);
                }
                if r.expires == 0 {
                    list.remove(i);
                } else {
                    list[i] = (new_binding(r, origin), true);
                }
            }
            None if r.expires == 0 => {}
            None => list.push((new_binding(r, origin), true)),
        }
    }
    let max = config.max_contacts.max(1);
    if list.len() > max {
        if !config.replace_oldest {
            return Err(Refusal::TooManyContacts);
        }
        // Make room by dropping the untouched bindings closest to lapsing.
        let mut untouched: Vec<(SystemTime, String)> = list
            .iter()
            .filter(|(_, t)| !t)
            .map(|(b, _)| (b.expires_at, b.contact.clone()))
            .collect();
        untouched.sort();
        let excess = list.len() - max;
        if untouched.len() < excess {
            return Err(Refusal::TooManyContacts);
        }
        let evicted: Vec<String> = untouched.into_iter().take(excess).map(|(_, c)| c).collect();
        list.retain(|(b, t)| *t || !evicted.contains(&b.contact));
    }
    Ok(list.into_iter().map(|(b, _)| b).collect())
}

fn new_binding(r: &Requested, o: &Origin<'_>) -> Binding {
    Binding {
        aor: o.aor.to_string(),
        contact: r.uri.clone(),
        expires_at: o.now + Duration::from_secs(u64::from(r.expires)),
        q: r.q,
        call_id: o.call_id.to_string(),
        cseq: o.cseq,
        instance_id: r.instance.clone(),
        reg_id: r.reg_id,
        source: o.source,
        transport: o.transport.to_string(),
        user_agent: o.user_agent.map(str::to_string),
        updated_at: o.now,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expires_values() {
        assert_eq!(parse_expires(" 3600 "), Some(3600));
        assert_eq!(parse_expires("0"), Some(0));
        assert_eq!(parse_expires("99999999999999999999"), Some(u32::MAX));
        assert_eq!(parse_expires("-1"), None);
        assert_eq!(parse_expires("1h"), None);
        assert_eq!(parse_expires(""), None);
    }
}
