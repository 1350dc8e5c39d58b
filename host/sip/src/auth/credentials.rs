//! Where the authenticator gets HA1 values from.
//!
//! The PBX stores `HA1 = H(user:realm:password)` per algorithm rather
//! than passwords, so a leaked database does not directly reveal the
//! passwords people reuse elsewhere. The trait is synchronous because the
//! PBX keeps accounts in memory; a lookup happens on every authenticated
//! request.

use super::digest::{Algorithm, ha1};
use std::collections::HashMap;

/// A source of HA1 values.
pub trait CredentialStore {
    /// HA1 (hex) for `user` in `realm` under `alg`, or `None` when the
    /// user does not exist or has no HA1 for that algorithm.
    fn ha1(&self, realm: &str, user: &str, alg: Algorithm) -> Option<String>;
}

/// Credentials held in a map: for tests, the simulator and small setups.
#[derive(Debug, Clone, Default)]
pub struct InMemoryCredentials {
    entries: HashMap<(String, String, Algorithm), String>,
}

impl InMemoryCredentials {
    /// An empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Add (or replace) a user by password: stores the HA1 for every
    /// supported algorithm, then forgets the password.
    pub fn add_password(&mut self, realm: &str, user: &str, password: &str) {
        for alg in Algorithm::ALL {
            self.add_ha1(realm, user, alg, &ha1(alg, user, realm, password));
        }
    }

    /// Add (or replace) one precomputed HA1.
    pub fn add_ha1(&mut self, realm: &str, user: &str, alg: Algorithm, ha1: &str) {
        self.entries.insert(
            (realm.to_string(), user.to_string(), alg),
            ha1.to_ascii_lowercase(),
        );
    }

    /// Remove a user entirely.
    pub fn remove(&mut self, realm: &str, user: &str) {
        self.entries
            .retain(|(r, u, _), _| !(r == realm && u == user));
    }
}

impl CredentialStore for InMemoryCredentials {
    fn ha1(&self, realm: &str, user: &str, alg: Algorithm) -> Option<String> {
        self.entries
            .get(&(realm.to_string(), user.to_string(), alg))
            .cloned()
    }
}
