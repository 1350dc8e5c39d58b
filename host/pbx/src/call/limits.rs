//! Live flow-driven calls per tenant: what the concurrent-call limit is
//! checked against, on the SIP driver's path (a short std lock, no await).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Counts of live calls by tenant id. Cheap to clone.
#[derive(Clone, Default)]
pub struct TenantCalls {
    counts: Arc<Mutex<HashMap<String, usize>>>,
}

impl TenantCalls {
    /// No calls.
    pub fn new() -> TenantCalls {
        TenantCalls::default()
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, HashMap<String, usize>> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Live calls of `tenant`.
    pub fn count(&self, tenant: &str) -> usize {
        self.counts().get(tenant).copied().unwrap_or(0)
    }

    /// Count one more call of `tenant` until the guard drops.
    pub fn enter(&self, tenant: &str) -> TenantCallGuard {
        *self.counts().entry(tenant.to_string()).or_default() += 1;
        TenantCallGuard {
            calls: self.clone(),
            tenant: tenant.to_string(),
        }
    }
}

/// One live call of a tenant; dropping it ends the count.
pub struct TenantCallGuard {
    calls: TenantCalls,
    tenant: String,
}

impl Drop for TenantCallGuard {
    fn drop(&mut self) {
        let mut counts = self.calls.counts();
        if let Some(n) = counts.get_mut(&self.tenant) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.remove(&self.tenant);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_count_calls_per_tenant() {
        let calls = TenantCalls::new();
        let a = calls.enter("t1");
        let b = calls.enter("t1");
        let _c = calls.enter("t2");
        assert_eq!((calls.count("t1"), calls.count("t2")), (2, 1));
        drop(a);
        drop(b);
        assert_eq!(calls.count("t1"), 0);
    }
}
