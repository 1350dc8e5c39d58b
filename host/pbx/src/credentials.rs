//! SIP digest credentials straight from the routing cache: an extension
//! created, changed or deleted through the API or `pbx admin` can register
//! (or stops being able to) as soon as the cache follows the change, with
//! no restart.

use pbx_sip::auth::{Algorithm, CredentialStore, ha1};
use pbx_store::RoutingCache;

/// Every tenant's extensions as digest credentials in one realm.
pub struct CachedCredentials {
    cache: RoutingCache,
    realm: String,
}

impl CachedCredentials {
    /// Credentials of the extensions in `cache`, for `realm`.
    pub fn new(cache: RoutingCache, realm: impl Into<String>) -> CachedCredentials {
        CachedCredentials {
            cache,
            realm: realm.into(),
        }
    }
}

impl CredentialStore for CachedCredentials {
    fn ha1(&self, realm: &str, user: &str, alg: Algorithm) -> Option<String> {
        if realm != self.realm {
            return None;
        }
        let tenant = self.cache.tenant_for_user(user)?;
        let extension = tenant.extension_by_user(user)?;
        Some(ha1(alg, user, realm, &extension.spec.sip_password))
    }
}
