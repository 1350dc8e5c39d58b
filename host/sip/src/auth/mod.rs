//! Digest authentication of incoming requests (RFC 3261 section 22.4,
//! RFC 2617, RFC 7616, RFC 8760).
//!
//! [`Authenticator::authenticate`] takes a request, its source address,
//! the current time and a [`CredentialStore`], and decides: the user is
//! authenticated, or the request gets a challenge (401/407), a 403, or the
//! source is banned. The pieces are separate so each can be tested alone:
//! [`digest`] (wire format and hashing), [`nonce`] (stateless nonces and
//! replay protection), [`ban`] (failure counting) and [`credentials`].
//!
//! Two properties the PBX relies on:
//! - No extension enumeration: an unknown user and a wrong password get
//!   identical responses and the same hashing work (a dummy HA1 stands in
//!   for the missing user).
//! - Only real password guesses (a digest checked against a valid nonce)
//!   count towards a ban, so phones answering with a nonce from before a
//!   restart cannot get a whole office banned.

pub mod ban;
pub mod client;
pub mod credentials;
pub mod digest;
pub mod nonce;

#[cfg(test)]
mod authenticator_tests;
#[cfg(test)]
mod digest_tests;

pub use ban::{BanConfig, BanList};
pub use credentials::{CredentialStore, InMemoryCredentials};
pub use digest::{Algorithm, Credentials, ha1};
pub use nonce::{NonceConfig, NonceManager};

use crate::message::{Method, Request, Response, reason_phrase};
use digest::challenge_headers;
use nonce::{NonceCount, NonceStatus};
use sha2::{Digest as _, Sha256};
use std::net::IpAddr;
use std::time::SystemTime;

/// Which header pair a challenge uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChallengeKind {
    /// 401 with `WWW-Authenticate`; the client answers with
    /// `Authorization`. What a registrar or UAS sends.
    Www,
    /// 407 with `Proxy-Authenticate`; the client answers with
    /// `Proxy-Authorization`. What a proxy sends.
    Proxy,
}

/// Authentication policy.
#[derive(Debug, Clone)]
pub struct AuthConfig {
    /// The protection space (usually the PBX's domain). Credentials for
    /// another realm are ignored.
    pub realm: String,
    /// Algorithms offered, one challenge header each, in this order.
    /// Default: SHA-256 then MD5 (RFC 8760).
    pub algorithms: Vec<Algorithm>,
    /// Accept RFC 2069 responses without `qop`. Off by default: without
    /// a nonce-count such a response can be replayed, so when on, each
    /// nonce is accepted only once.
    pub allow_no_qop: bool,
    /// Require the digest `uri` to equal the Request-URI (ignoring ASCII
    /// case), so a captured response cannot be reused for another target.
    pub check_uri: bool,
    /// Challenge kind for methods other than REGISTER (REGISTER always
    /// gets 401, RFC 3261 section 10.3).
    pub other_methods: ChallengeKind,
    /// Nonce lifetime and replay-tracking bound.
    pub nonce: NonceConfig,
    /// Failure threshold and ban duration.
    pub ban: BanConfig,
}

impl AuthConfig {
    /// Defaults for `realm`.
    pub fn new(realm: impl Into<String>) -> Self {
        AuthConfig {
            realm: realm.into(),
            algorithms: Algorithm::ALL.to_vec(),
            allow_no_qop: false,
            check_uri: true,
            other_methods: ChallengeKind::Proxy,
            nonce: NonceConfig::default(),
            ban: BanConfig::default(),
        }
    }
}

/// Who sent a request, once proven.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticated {
    /// The digest username (the extension or account name).
    pub user: String,
    /// The realm it was proven in.
    pub realm: String,
    /// The algorithm the client used.
    pub algorithm: Algorithm,
}

/// Why a request was not authenticated, with the response to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// 401/407 with fresh challenges: no (usable) credentials yet, or a
    /// stale/replayed nonce.
    Challenge(Response),
    /// 403: wrong credentials (unknown user and wrong password alike), or
    /// credentials this server will not accept.
    Forbidden(Response),
    /// The source is banned until `until`. `response` is a 403 for callers
    /// that answer; dropping the request silently is usually better
    /// (no feedback, no amplification).
    Banned {
        /// End of the ban.
        until: SystemTime,
        /// A 403 to send if the caller answers at all.
        response: Response,
    },
}

impl Rejection {
    /// The response carried by any variant.
    pub fn response(&self) -> &Response {
        match self {
            Rejection::Challenge(r) | Rejection::Forbidden(r) => r,
            Rejection::Banned { response, .. } => response,
        }
    }
}

/// Authenticates requests; one per realm, shared between tasks.
#[derive(Debug)]
pub struct Authenticator {
    config: AuthConfig,
    nonces: NonceManager,
    bans: BanList,
    /// Stand-in HA1 per algorithm for unknown users, so they cost the same
    /// hashing as known ones.
    dummy_ha1: Vec<(Algorithm, String)>,
    /// Salt for deterministic To tags (see [`Self::to_tag`]).
    tag_salt: [u8; 16],
}

impl Authenticator {
    /// An authenticator whose nonces are keyed by `secret` (share it
    /// across restarts and nodes to keep outstanding challenges valid).
    pub fn new(config: AuthConfig, secret: &[u8]) -> Self {
        let nonces = NonceManager::new(secret, config.nonce.clone());
        Self::with_nonces(config, nonces)
    }

    /// An authenticator with a random per-process nonce secret.
    pub fn with_random_secret(config: AuthConfig) -> Self {
        let nonces = NonceManager::with_random_secret(config.nonce.clone());
        Self::with_nonces(config, nonces)
    }

    fn with_nonces(config: AuthConfig, nonces: NonceManager) -> Self {
        let filler = hex::encode(rand::random::<[u8; 16]>());
        let dummy_ha1 = Algorithm::ALL
            .iter()
            .map(|&alg| (alg, ha1(alg, "\u{0}unknown", &config.realm, &filler)))
            .collect();
        Authenticator {
            bans: BanList::new(config.ban.clone()),
            config,
            nonces,
            dummy_ha1,
            tag_salt: rand::random(),
        }
    }

    /// The configuration in force.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The nonce manager (metrics, tests).
    pub fn nonces(&self) -> &NonceManager {
        &self.nonces
    }

    /// The ban list (operator unban, metrics).
    pub fn bans(&self) -> &BanList {
        &self.bans
    }

    /// The challenge kind used for `method`.
    pub fn kind_for(&self, method: &Method) -> ChallengeKind {
        match method {
            Method::Register => ChallengeKind::Www,
            _ => self.config.other_methods,
        }
    }

    /// Decide whether `req` from `source` is authenticated at `now`.
    pub fn authenticate(
        &self,
        req: &Request,
        source: IpAddr,
        now: SystemTime,
        store: &dyn CredentialStore,
    ) -> Result<Authenticated, Rejection> {
        if let Some(until) = self.bans.banned_until(source, now) {
            return Err(Rejection::Banned {
                until,
                response: self.forbidden(req),
            });
        }
        let kind = self.kind_for(&req.method);
        let header = match kind {
            ChallengeKind::Www => "Authorization",
            ChallengeKind::Proxy => "Proxy-Authorization",
        };
        let Some(creds) = req
            .headers
            .get_all(header)
            .filter_map(|v| digest::parse_credentials(v).ok())
            .find(|c| c.realm == self.config.realm)
        else {
            return Err(Rejection::Challenge(self.challenge(req, now, false)));
        };

        // Checks that do not depend on the user come first, and never count
        // as a failure: no password was tested.
        let alg = match creds.algorithm() {
            Some(alg) if self.config.algorithms.contains(&alg) && !creds.userhash => alg,
            _ => return Err(Rejection::Challenge(self.challenge(req, now, false))),
        };
        if creds
            .opaque
            .as_deref()
            .is_some_and(|o| o != self.nonces.opaque())
        {
            return Err(Rejection::Challenge(self.challenge(req, now, false)));
        }
        let qop_ok = match creds.qop.as_deref() {
            Some("auth") => creds.nonce_count().is_some() && creds.cnonce.is_some(),
            Some(_) => false,
            None => self.config.allow_no_qop,
        };
        if !qop_ok {
            tracing::debug!(%source, "digest without an acceptable qop");
            return Err(Rejection::Forbidden(self.forbidden(req)));
        }
        if self.config.check_uri && !creds.uri.eq_ignore_ascii_case(&req.uri) {
            tracing::debug!(%source, uri = %creds.uri, "digest uri differs from Request-URI");
            return Err(Rejection::Forbidden(self.forbidden(req)));
        }
        let nonce_id = match self.nonces.validate(&creds.nonce, now) {
            NonceStatus::Invalid => {
                return Err(Rejection::Challenge(self.challenge(req, now, false)));
            }
            NonceStatus::Stale => None,
            NonceStatus::Valid(id) => Some(id),
        };

        // The password check: identical work whether or not the user exists.
        let stored = store.ha1(&self.config.realm, &creds.username, alg);
        let known = stored.is_some();
        let ha1 = stored.unwrap_or_else(|| self.dummy_ha1(alg).to_string());
        let correct =
            digest::verify(&creds, req.method.as_str(), &ha1, self.config.allow_no_qop) && known;
        if !correct {
            tracing::info!(%source, user = %creds.username, "digest authentication failed");
            self.bans.record_failure(source, now);
            return Err(Rejection::Forbidden(self.forbidden(req)));
        }
        // Right password, but the nonce expired or was already used: let
        // the client retry with a new nonce without asking the user.
        let Some(nonce_id) = nonce_id else {
            return Err(Rejection::Challenge(self.challenge(req, now, true)));
        };
        // Without qop there is no nonce-count: each nonce is single-use.
        let nc = creds.nonce_count().unwrap_or(1);
        if self.nonces.record_nc(&nonce_id, nc, now) == NonceCount::Replayed {
            tracing::debug!(%source, user = %creds.username, "nonce-count replayed");
            return Err(Rejection::Challenge(self.challenge(req, now, true)));
        }
        Ok(Authenticated {
            user: creds.username,
            realm: creds.realm,
            algorithm: alg,
        })
    }

    fn dummy_ha1(&self, alg: Algorithm) -> &str {
        self.dummy_ha1
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, h)| h.as_str())
            .unwrap_or_default()
    }

    /// A 401/407 for `req` with one challenge per configured algorithm,
    /// sharing a fresh nonce. `stale` tells the client its password was
    /// right and only the nonce needs renewing.
    pub fn challenge(&self, req: &Request, now: SystemTime, stale: bool) -> Response {
        let (status, header) = match self.kind_for(&req.method) {
            ChallengeKind::Www => (401, "WWW-Authenticate"),
            ChallengeKind::Proxy => (407, "Proxy-Authenticate"),
        };
        let mut resp = self.respond(req, status);
        let nonce = self.nonces.issue(now);
        for value in challenge_headers(
            &self.config.realm,
            &nonce,
            self.nonces.opaque(),
            stale,
            true,
            &self.config.algorithms,
        ) {
            resp.headers.push(header, &value);
        }
        resp
    }

    /// The 403 sent for wrong credentials: it depends only on the request,
    /// never on whether the user exists.
    pub fn forbidden(&self, req: &Request) -> Response {
        self.respond(req, 403)
    }

    fn respond(&self, req: &Request, status: u16) -> Response {
        let tag = self.to_tag(req);
        req.response(status, reason_phrase(status), Some(&tag))
    }

    /// A To tag derived from the request (Call-ID, From tag, CSeq), so two
    /// attempts that differ only in the user get byte-identical responses
    /// while distinct requests still get distinct tags (RFC 3261 8.2.6.2).
    fn to_tag(&self, req: &Request) -> String {
        let mut h = Sha256::new();
        h.update(self.tag_salt);
        for part in [
            req.headers.call_id().unwrap_or_default(),
            req.headers.from_tag().unwrap_or_default(),
            req.headers.get("CSeq").unwrap_or_default(),
        ] {
            h.update(part.as_bytes());
            h.update([0]);
        }
        hex::encode(&h.finalize()[..8])
    }
}
