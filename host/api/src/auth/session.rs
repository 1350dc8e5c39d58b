//! Browser sessions: a random id in an HttpOnly cookie, kept in memory.
//!
//! Only the SHA-256 of a session id is kept, so a memory dump does not
//! hand out live sessions. Each session carries its own CSRF token, which
//! a cookie-authenticated state-changing request must echo in the
//! `X-CSRF-Token` header: a cross-site form can send the cookie but cannot
//! read the token. Sessions live in this process; with several API nodes,
//! put a sticky load balancer in front or use bearer tokens.

use crate::roles::Role;
use rand::RngCore;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The cookie that carries the session id.
pub const SESSION_COOKIE: &str = "pbx_session";
/// The header that must carry the session's CSRF token on changes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// How long a session lives without use.
pub const SESSION_IDLE: Duration = Duration::from_secs(8 * 3600);

/// Who a session belongs to.
#[derive(Debug, Clone)]
pub struct Session {
    /// The signed-in user.
    pub user_id: pbx_store::UserId,
    /// Their tenant (`None` for a superadmin).
    pub tenant_id: Option<pbx_store::TenantId>,
    /// Their role when they signed in.
    pub role: Role,
    /// The token cookie requests must echo in [`CSRF_HEADER`].
    pub csrf_token: String,
    last_used: Instant,
}

/// The live sessions of this process. Cheap to clone.
#[derive(Clone, Default)]
pub struct Sessions {
    /// Keyed by the hex SHA-256 of the session id. A std mutex: held for a
    /// map operation only, never across an await.
    inner: Arc<Mutex<HashMap<String, Session>>>,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

fn key(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl Sessions {
    /// Open a session; returns its id (for the cookie) and the session.
    pub fn create(
        &self,
        user_id: pbx_store::UserId,
        tenant_id: Option<pbx_store::TenantId>,
        role: Role,
    ) -> (String, Session) {
        let id = random_token();
        let session = Session {
            user_id,
            tenant_id,
            role,
            csrf_token: random_token(),
            last_used: Instant::now(),
        };
        let mut map = self.inner.lock().expect("sessions lock");
        let now = Instant::now();
        map.retain(|_, s| now.duration_since(s.last_used) < SESSION_IDLE);
        map.insert(key(&id), session.clone());
        (id, session)
    }

    /// The live session with this id, refreshed.
    pub fn get(&self, id: &str) -> Option<Session> {
        let mut map = self.inner.lock().expect("sessions lock");
        let k = key(id);
        let s = map.get_mut(&k)?;
        if s.last_used.elapsed() >= SESSION_IDLE {
            map.remove(&k);
            return None;
        }
        s.last_used = Instant::now();
        Some(s.clone())
    }

    /// End a session; false if it was not live.
    pub fn remove(&self, id: &str) -> bool {
        self.inner
            .lock()
            .expect("sessions lock")
            .remove(&key(id))
            .is_some()
    }

    /// End every session of a user (after a password change or deletion).
    pub fn remove_user(&self, user_id: pbx_store::UserId) {
        self.inner
            .lock()
            .expect("sessions lock")
            .retain(|_, s| s.user_id != user_id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_found_by_id_and_end_on_logout() {
        let s = Sessions::default();
        let user = pbx_store::UserId::new();
        let (id, sess) = s.create(user, Some(pbx_store::TenantId::new()), Role::TenantAdmin);
        assert_eq!(s.get(&id).unwrap().user_id, user);
        assert_ne!(id, sess.csrf_token);
        assert!(s.get("not-a-session").is_none());
        assert!(s.remove(&id));
        assert!(s.get(&id).is_none());
    }

    #[test]
    fn user_sessions_are_revoked_together() {
        let s = Sessions::default();
        let (u1, u2) = (pbx_store::UserId::new(), pbx_store::UserId::new());
        let t = Some(pbx_store::TenantId::new());
        let (a, _) = s.create(u1, t, Role::User);
        let (b, _) = s.create(u2, t, Role::User);
        s.remove_user(u1);
        assert!(s.get(&a).is_none());
        assert!(s.get(&b).is_some());
    }
}
