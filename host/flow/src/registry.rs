//! Per-tenant named flows with numbered versions, and hot swap.
//!
//! Activating a version replaces the `Arc` a flow name points to; a call
//! takes its own clone of that `Arc` when it starts, so calls in progress
//! finish on the version they started with while new calls get the new one
//! at once. Earlier versions stay loaded for instant rollback.

use crate::engine::FlowEngine;
use crate::error::RegistryError;
use crate::version::PreparedFlow;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use std::time::SystemTime;

/// One uploaded version of a tenant's flow.
#[derive(Debug)]
pub struct FlowVersion {
    /// Tenant that owns it.
    pub tenant: String,
    /// Flow name.
    pub name: String,
    /// Version number, 1, 2, 3... per flow.
    pub number: u32,
    /// Who uploaded it.
    pub uploaded_by: String,
    /// When.
    pub uploaded_at: SystemTime,
    /// The compiled component.
    pub flow: PreparedFlow,
}

impl FlowVersion {
    /// "name v3", for logs and call records.
    pub fn label(&self) -> String {
        format!("{} v{}", self.name, self.number)
    }
}

#[derive(Default)]
struct NamedFlow {
    versions: BTreeMap<u32, Arc<FlowVersion>>,
    active: Option<Arc<FlowVersion>>,
}

/// One tenant's flows by name, behind its own lock so tenants never wait
/// on each other.
type TenantFlows = Arc<RwLock<HashMap<String, NamedFlow>>>;

/// The flows of every tenant. Reads (a call looking up its flow) take two
/// uncontended read locks and clone an `Arc`; writes happen at upload and
/// activation only.
pub struct FlowRegistry {
    engine: FlowEngine,
    tenants: RwLock<HashMap<String, TenantFlows>>,
}

fn check_name(name: &str) -> Result<(), RegistryError> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if ok {
        Ok(())
    } else {
        Err(RegistryError::BadName(name.to_string()))
    }
}

impl FlowRegistry {
    /// An empty registry on `engine`.
    pub fn new(engine: FlowEngine) -> Self {
        FlowRegistry {
            engine,
            tenants: RwLock::new(HashMap::new()),
        }
    }

    /// The engine flows run on.
    pub fn engine(&self) -> &FlowEngine {
        &self.engine
    }

    fn tenant(&self, tenant: &str) -> TenantFlows {
        if let Some(t) = self.tenants.read().expect("registry lock").get(tenant) {
            return t.clone();
        }
        self.tenants
            .write()
            .expect("registry lock")
            .entry(tenant.to_string())
            .or_default()
            .clone()
    }

    /// Validate and add a new version of `tenant`'s flow `name`; it does not
    /// serve calls until [`activate`](Self::activate)d. Uploading bytes
    /// identical to an existing version returns that version.
    pub async fn upload(
        &self,
        tenant: &str,
        name: &str,
        bytes: &[u8],
        uploaded_by: &str,
    ) -> Result<Arc<FlowVersion>, RegistryError> {
        check_name(name)?;
        let hash = crate::cache::content_hash(bytes);
        let flows = self.tenant(tenant);
        if let Some(existing) = flows
            .read()
            .expect("registry lock")
            .get(name)
            .and_then(|f| f.versions.values().find(|v| v.flow.hash == hash).cloned())
        {
            return Ok(existing);
        }
        let prepared = self.engine.prepare(bytes).await?;
        let mut flows = flows.write().expect("registry lock");
        let named = flows.entry(name.to_string()).or_default();
        // A concurrent upload of the same bytes may have won the race while
        // this one compiled: hand out its version rather than a duplicate.
        if let Some(existing) = named.versions.values().find(|v| v.flow.hash == hash) {
            return Ok(existing.clone());
        }
        let number = named.versions.keys().next_back().copied().unwrap_or(0) + 1;
        let version = Arc::new(FlowVersion {
            tenant: tenant.to_string(),
            name: name.to_string(),
            number,
            uploaded_by: uploaded_by.to_string(),
            uploaded_at: SystemTime::now(),
            flow: prepared,
        });
        named.versions.insert(number, version.clone());
        Ok(version)
    }

    /// Make `version` the one new calls to `name` get. Also how a rollback
    /// is done: activate an earlier number.
    pub fn activate(&self, tenant: &str, name: &str, version: u32) -> Result<(), RegistryError> {
        let flows = self.tenant(tenant);
        let mut flows = flows.write().expect("registry lock");
        let named = flows
            .get_mut(name)
            .ok_or_else(|| RegistryError::UnknownFlow {
                tenant: tenant.to_string(),
                name: name.to_string(),
            })?;
        let chosen =
            named
                .versions
                .get(&version)
                .cloned()
                .ok_or_else(|| RegistryError::UnknownVersion {
                    name: name.to_string(),
                    version,
                    known: named.versions.keys().copied().collect(),
                })?;
        tracing::info!(tenant, flow = name, version, "flow version activated");
        named.active = Some(chosen);
        Ok(())
    }

    /// The active version of `name`, for a new call to hold on to.
    pub fn active(&self, tenant: &str, name: &str) -> Option<Arc<FlowVersion>> {
        let flows = self.existing(tenant)?;
        let flows = flows.read().expect("registry lock");
        flows.get(name)?.active.clone()
    }

    /// A tenant's flows, without creating an entry for an unknown tenant.
    fn existing(&self, tenant: &str) -> Option<TenantFlows> {
        self.tenants
            .read()
            .expect("registry lock")
            .get(tenant)
            .cloned()
    }

    /// Every version of `name`, oldest first, and the active number.
    pub fn versions(&self, tenant: &str, name: &str) -> (Vec<Arc<FlowVersion>>, Option<u32>) {
        let Some(flows) = self.existing(tenant) else {
            return (Vec::new(), None);
        };
        let flows = flows.read().expect("registry lock");
        match flows.get(name) {
            Some(f) => (
                f.versions.values().cloned().collect(),
                f.active.as_ref().map(|a| a.number),
            ),
            None => (Vec::new(), None),
        }
    }

    /// Names of `tenant`'s flows.
    pub fn names(&self, tenant: &str) -> Vec<String> {
        let Some(flows) = self.existing(tenant) else {
            return Vec::new();
        };
        let mut names: Vec<String> = flows
            .read()
            .expect("registry lock")
            .keys()
            .cloned()
            .collect();
        names.sort();
        names
    }
}
