//! REGISTER handling: digest authentication, authorisation of the address
//! of record, then the registrar.
//!
//! The address of record is the To URI reduced to `scheme:user@host`
//! (scheme and host lower-cased; port, parameters and headers dropped:
//! RFC 3261 10.3 step 5 canonical form, with the port left out so that a
//! phone registering to `sip:1001@pbx.test:5070` is found under
//! `sip:1001@pbx.test`). The authenticated digest user must equal the To
//! user (step 4): nobody registers contacts for somebody else's account.
//! Then the user's source-address ACL, if any, must allow the source.

use super::{Counters, Shared};
use crate::auth::Rejection;
use crate::message::{Request, Response, reason_phrase};
use crate::registrar::contact::{ContactEntry, parse_entry};
use std::net::SocketAddr;
use std::time::SystemTime;

/// The user part and the address of record (`scheme:user@host`) of a To
/// (or From) header value; `None` when it has no usable SIP URI with a user.
pub fn address_of_record(to: &str) -> Option<(String, String)> {
    let ContactEntry::Address(addr) = parse_entry(to)? else {
        return None;
    };
    let (scheme, rest) = addr.uri.split_once(':')?;
    let scheme = scheme.to_ascii_lowercase();
    if scheme != "sip" && scheme != "sips" {
        return None;
    }
    let rest = rest.split([';', '?']).next().unwrap_or_default();
    let (user, hostport) = rest.rsplit_once('@')?;
    // The user part may carry a password (`user:pw@host`): never keep it.
    let user = user.split(':').next().unwrap_or_default();
    let host = if let Some(v6) = hostport.strip_prefix('[') {
        format!("[{}]", v6.split(']').next()?)
    } else {
        hostport.split(':').next().unwrap_or_default().to_string()
    };
    if user.is_empty() || host.is_empty() || host == "[]" {
        return None;
    }
    let host = host.to_ascii_lowercase();
    Some((user.to_string(), format!("{scheme}:{user}@{host}")))
}

/// Answer a REGISTER received from `source`: a challenge, a refusal, or
/// the registrar's response.
pub(crate) async fn handle(shared: &Shared, req: &Request, source: SocketAddr) -> Response {
    let now = SystemTime::now();
    let counters = &shared.counters;
    let authenticated =
        match shared
            .authenticator
            .authenticate(req, source.ip(), now, shared.credentials.as_ref())
        {
            Ok(a) => a,
            Err(rejection) => {
                match &rejection {
                    Rejection::Challenge(_) => Counters::bump(&counters.challenged),
                    Rejection::Forbidden(_) => Counters::bump(&counters.forbidden),
                    // The driver drops requests from banned sources before they
                    // reach here; a ban that began meanwhile gets the 403 (a
                    // server transaction must be answered to end).
                    Rejection::Banned { .. } => Counters::bump(&counters.forbidden),
                }
                tracing::debug!(%source, status = rejection.response().status, "REGISTER rejected");
                return rejection.response().clone();
            }
        };
    let Some(to) = req.headers.get("To") else {
        return req.response(400, reason_phrase(400), None);
    };
    let Some((user, aor)) = address_of_record(to) else {
        return req.response(400, "Bad To URI", None);
    };
    if user != authenticated.user {
        tracing::info!(%source, %aor, user = %authenticated.user, "REGISTER for a foreign AOR");
        Counters::bump(&counters.forbidden);
        return shared.authenticator.forbidden(req);
    }
    if let Some(refusal) = shared.acl_refusal(req, &authenticated, source.ip()) {
        return refusal;
    }
    Counters::bump(&counters.authenticated);
    let response = shared.registrar.handle(req, &aor, source, now).await;
    if (200..300).contains(&response.status) {
        Counters::bump(&counters.registered);
        tracing::info!(%source, %aor, "REGISTER accepted");
    }
    response
}

#[cfg(test)]
mod tests {
    use super::address_of_record;

    #[test]
    fn aor_from_to() {
        let aor = |s| address_of_record(s).map(|(_, a)| a);
        assert_eq!(
            aor("<sip:1001@127.0.0.1:5070>").as_deref(),
            Some("sip:1001@127.0.0.1")
        );
        assert_eq!(
            aor("\"Bob\" <SIP:1001@PBX.test;transport=udp>;tag=x").as_deref(),
            Some("sip:1001@pbx.test")
        );
        assert_eq!(
            aor("sip:1001@[::1]:5060").as_deref(),
            Some("sip:1001@[::1]")
        );
        assert_eq!(
            address_of_record("<sip:1001:pw@pbx.test>"),
            Some(("1001".into(), "sip:1001@pbx.test".into()))
        );
        assert_eq!(aor("<sip:pbx.test>"), None);
        assert_eq!(aor("<tel:+331234>"), None);
        assert_eq!(aor("garbage"), None);
    }
}
