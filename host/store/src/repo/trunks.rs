//! SIP trunks: the carriers a tenant's outbound calls leave through.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::ChangeKind;
use crate::crud::{self, Entity};
use crate::error::{Result, StoreError};
use crate::ids::{TenantId, TrunkId};
use crate::page::{Page, Paged};
use crate::row;
use crate::sql::Arg;
use crate::store::Store;
use crate::text_enum::text_enum;
use crate::time::Timestamp;
use crate::validate;

text_enum! {
    /// The transport used towards a trunk.
    TrunkTransport {
        /// SIP over UDP.
        Udp = "udp",
        /// SIP over TCP.
        Tcp = "tcp",
        /// SIP over TLS.
        Tls = "tls",
    }
}

/// What an admin sets on a trunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TrunkSpec {
    /// Unique name in the tenant.
    pub name: String,
    /// The carrier's host name or address.
    pub host: String,
    /// Its SIP port (1-65535).
    pub port: u16,
    /// How to reach it.
    pub transport: TrunkTransport,
    /// Digest user name, if the carrier authenticates.
    pub username: Option<String>,
    /// Digest password, stored as given (needed to answer challenges).
    pub password: Option<String>,
    /// Whether to REGISTER with the carrier.
    pub register: bool,
    /// Most concurrent calls through it; unlimited when `None`.
    pub max_calls: Option<i64>,
}

/// A stored trunk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trunk {
    /// Its id.
    pub id: TrunkId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: TrunkSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Entity for Trunk {
    type Spec = TrunkSpec;
    const TABLE: &'static str = "trunks";
    const KIND: ChangeKind = ChangeKind::Trunk;
    const NAME: &'static str = "trunk";
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "host",
        "port",
        "transport",
        "username",
        "password",
        "register",
        "max_calls",
    ];
    const ORDER: &'static str = "name, id";
    const CONFLICT: &'static str = "a trunk with this name already exists in the tenant";

    fn validate(s: &TrunkSpec) -> Result<()> {
        validate::name("name", &s.name)?;
        if s.host.is_empty() || s.host.contains(char::is_whitespace) {
            return Err(StoreError::invalid(
                "host",
                "give a host name or IP address",
            ));
        }
        if s.port == 0 {
            return Err(StoreError::invalid("port", "use 1 to 65535, usually 5060"));
        }
        if s.register && s.username.is_none() {
            return Err(StoreError::invalid(
                "username",
                "registering needs a user name",
            ));
        }
        if matches!(s.max_calls, Some(n) if n < 1) {
            return Err(StoreError::invalid(
                "max_calls",
                "use 1 or more, or leave it empty",
            ));
        }
        Ok(())
    }

    fn args(s: &TrunkSpec) -> Result<Vec<Arg>> {
        Ok(vec![
            s.name.clone().into(),
            s.host.clone().into(),
            i64::from(s.port).into(),
            s.transport.as_str().into(),
            s.username.clone().into(),
            s.password.clone().into(),
            s.register.into(),
            s.max_calls.into(),
        ])
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            spec: TrunkSpec {
                name: row::text(r, "name")?,
                host: row::text(r, "host")?,
                port: u16::try_from(row::int(r, "port")?)
                    .map_err(|_| StoreError::Database("trunk port out of range".into()))?,
                transport: row::parsed(r, "transport")?,
                username: row::opt_text(r, "username")?,
                password: row::opt_text(r, "password")?,
                register: row::boolean(r, "register")?,
                max_calls: row::opt_int(r, "max_calls")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

impl Store {
    /// Creates a trunk.
    pub async fn create_trunk(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &TrunkSpec,
    ) -> Result<Trunk> {
        crud::create(self, actor, tenant, TrunkId::new().to_string(), spec).await
    }

    /// One trunk of `tenant`.
    pub async fn get_trunk(&self, tenant: TenantId, id: TrunkId) -> Result<Trunk> {
        crud::get(self, tenant, &id.to_string()).await
    }

    /// `tenant`'s trunks by name.
    pub async fn list_trunks(&self, tenant: TenantId, page: Page) -> Result<Paged<Trunk>> {
        crud::list(self, tenant, None, vec![], page).await
    }

    /// Replaces a trunk.
    pub async fn update_trunk(
        &self,
        actor: &str,
        tenant: TenantId,
        id: TrunkId,
        spec: &TrunkSpec,
    ) -> Result<Trunk> {
        crud::update(self, actor, tenant, &id.to_string(), spec).await
    }

    /// Deletes a trunk; `Conflict` while an outbound route uses it.
    pub async fn delete_trunk(&self, actor: &str, tenant: TenantId, id: TrunkId) -> Result<()> {
        crud::delete::<Trunk>(self, actor, tenant, &id.to_string()).await
    }
}
