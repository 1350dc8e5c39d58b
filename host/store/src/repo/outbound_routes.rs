//! Outbound routes: which dialled numbers leave through which trunk, for
//! which class of service, with digit manipulation and caller-id rules.

use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use crate::change::ChangeKind;
use crate::crud::{self, Entity};
use crate::error::{Result, StoreError};
use crate::ids::{OutboundRouteId, TenantId, TrunkId};
use crate::page::{Page, Paged};
use crate::pattern::NumberPattern;
use crate::repo::extensions::ClassOfService;
use crate::row;
use crate::sql::Arg;
use crate::store::Store;
use crate::text_enum::text_enum;
use crate::time::Timestamp;
use crate::validate;

text_enum! {
    /// Which caller id an outbound call presents.
    CallerIdMode {
        /// The calling extension's number, as the trunk sees it.
        Extension = "extension",
        /// The route's fixed number (e.g. the switchboard).
        Fixed = "fixed",
        /// Whatever the call already carries (forwarded calls).
        Passthrough = "passthrough",
        /// Withheld (anonymous).
        Withheld = "withheld",
    }
}

/// What an admin sets on an outbound route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundRouteSpec {
    /// Unique name in the tenant.
    pub name: String,
    /// The dialled numbers it takes, see [`NumberPattern`].
    pub pattern: String,
    /// Lower first when several match.
    pub priority: i64,
    /// The class an extension needs to use the route.
    pub class_of_service: ClassOfService,
    /// The trunk calls leave through.
    pub trunk_id: TrunkId,
    /// Leading digits removed before sending (e.g. the `0` of an outside
    /// line prefix).
    pub strip_digits: u32,
    /// Digits put in front after stripping (e.g. `+33`).
    pub prepend: String,
    /// Which caller id to present.
    pub caller_id_mode: CallerIdMode,
    /// The number for [`CallerIdMode::Fixed`].
    pub caller_id_number: Option<String>,
}

impl OutboundRouteSpec {
    /// The number sent to the trunk for `dialled`.
    pub fn rewrite(&self, dialled: &str) -> String {
        let strip = (self.strip_digits as usize).min(dialled.len());
        format!("{}{}", self.prepend, &dialled[strip..])
    }
}

/// A stored outbound route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboundRoute {
    /// Its id.
    pub id: OutboundRouteId,
    /// Its tenant.
    pub tenant_id: TenantId,
    /// Its settings.
    #[serde(flatten)]
    pub spec: OutboundRouteSpec,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

impl Entity for OutboundRoute {
    type Spec = OutboundRouteSpec;
    const TABLE: &'static str = "outbound_routes";
    const KIND: ChangeKind = ChangeKind::OutboundRoute;
    const NAME: &'static str = "outbound route";
    const COLUMNS: &'static [&'static str] = &[
        "name",
        "pattern",
        "priority",
        "class_of_service",
        "trunk_id",
        "strip_digits",
        "prepend",
        "caller_id_mode",
        "caller_id_number",
    ];
    const ORDER: &'static str = "priority, name, id";
    const CONFLICT: &'static str = "an outbound route with this name already exists in the tenant, or its trunk does not exist";

    fn validate(s: &OutboundRouteSpec) -> Result<()> {
        validate::name("name", &s.name)?;
        NumberPattern::parse(&s.pattern)?;
        if !s.prepend.is_empty() {
            validate::number("prepend", &s.prepend)?;
        }
        match (s.caller_id_mode, &s.caller_id_number) {
            (CallerIdMode::Fixed, Some(n)) => validate::number("caller_id_number", n),
            (CallerIdMode::Fixed, None) => Err(StoreError::invalid(
                "caller_id_number",
                "the fixed caller-id mode needs a number",
            )),
            _ => Ok(()),
        }
    }

    fn args(s: &OutboundRouteSpec) -> Result<Vec<Arg>> {
        Ok(vec![
            s.name.clone().into(),
            s.pattern.clone().into(),
            s.priority.into(),
            s.class_of_service.as_str().into(),
            s.trunk_id.to_string().into(),
            i64::from(s.strip_digits).into(),
            s.prepend.clone().into(),
            s.caller_id_mode.as_str().into(),
            s.caller_id_number.clone().into(),
        ])
    }

    fn from_row(r: &AnyRow) -> Result<Self> {
        Ok(Self {
            id: row::parsed(r, "id")?,
            tenant_id: row::parsed(r, "tenant_id")?,
            spec: OutboundRouteSpec {
                name: row::text(r, "name")?,
                pattern: row::text(r, "pattern")?,
                priority: row::int(r, "priority")?,
                class_of_service: row::parsed(r, "class_of_service")?,
                trunk_id: row::parsed(r, "trunk_id")?,
                strip_digits: u32::try_from(row::int(r, "strip_digits")?)
                    .map_err(|_| StoreError::Database("strip_digits out of range".into()))?,
                prepend: row::text(r, "prepend")?,
                caller_id_mode: row::parsed(r, "caller_id_mode")?,
                caller_id_number: row::opt_text(r, "caller_id_number")?,
            },
            created_at: row::ts(r, "created_at")?,
            updated_at: row::ts(r, "updated_at")?,
        })
    }
}

impl Store {
    /// Creates an outbound route; its trunk must be the same tenant's.
    pub async fn create_outbound_route(
        &self,
        actor: &str,
        tenant: TenantId,
        spec: &OutboundRouteSpec,
    ) -> Result<OutboundRoute> {
        self.check_trunk(tenant, spec.trunk_id).await?;
        crud::create(
            self,
            actor,
            tenant,
            OutboundRouteId::new().to_string(),
            spec,
        )
        .await
    }

    /// One outbound route of `tenant`.
    pub async fn get_outbound_route(
        &self,
        tenant: TenantId,
        id: OutboundRouteId,
    ) -> Result<OutboundRoute> {
        crud::get(self, tenant, &id.to_string()).await
    }

    /// `tenant`'s outbound routes by priority.
    pub async fn list_outbound_routes(
        &self,
        tenant: TenantId,
        page: Page,
    ) -> Result<Paged<OutboundRoute>> {
        crud::list(self, tenant, None, vec![], page).await
    }

    /// Replaces an outbound route.
    pub async fn update_outbound_route(
        &self,
        actor: &str,
        tenant: TenantId,
        id: OutboundRouteId,
        spec: &OutboundRouteSpec,
    ) -> Result<OutboundRoute> {
        self.check_trunk(tenant, spec.trunk_id).await?;
        crud::update(self, actor, tenant, &id.to_string(), spec).await
    }

    /// Deletes an outbound route.
    pub async fn delete_outbound_route(
        &self,
        actor: &str,
        tenant: TenantId,
        id: OutboundRouteId,
    ) -> Result<()> {
        crud::delete::<OutboundRoute>(self, actor, tenant, &id.to_string()).await
    }

    async fn check_trunk(&self, tenant: TenantId, trunk: TrunkId) -> Result<()> {
        self.get_trunk(tenant, trunk)
            .await
            .map(|_| ())
            .map_err(|_| {
                StoreError::invalid("trunk_id", format!("no trunk {trunk} in this tenant"))
            })
    }
}
