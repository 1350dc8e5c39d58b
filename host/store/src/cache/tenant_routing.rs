//! One tenant's routing snapshot and how it is loaded.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::future::Future;

use chrono::{DateTime, Utc};
use pbx_calendar::{HolidayCalendar, Schedule, ScheduleStatus};

use crate::crud;
use crate::error::Result;
use crate::ids::TenantId;
use crate::ids::{FlowId, FlowVersionId, TrunkId};
use crate::page::{Page, Paged};
use crate::pattern::NumberPattern;
use crate::repo::blocked::BlockedNumber;
use crate::repo::dids::Did;
use crate::repo::extensions::{ClassOfService, Extension};
use crate::repo::flags::IncidentFlag;
use crate::repo::flow_versions::FlowVersion;
use crate::repo::flows::Flow;
use crate::repo::inbound_routes::{InboundRoute, RouteTarget};
use crate::repo::outbound_routes::OutboundRoute;
use crate::repo::tenants::Tenant;
use crate::repo::trunks::Trunk;
use crate::store::Store;

/// What routing needs of one tenant, as of one moment.
#[derive(Debug, Clone)]
pub struct TenantRouting {
    /// The tenant (limits, language, time zone, fallback).
    pub tenant: Tenant,
    /// Its time zone, parsed.
    pub time_zone: chrono_tz::Tz,
    /// Its DIDs.
    pub dids: Vec<Did>,
    /// Inbound routes, in matching order (priority, then specificity).
    pub inbound_routes: Vec<(NumberPattern, InboundRoute)>,
    /// Outbound routes, in matching order.
    pub outbound_routes: Vec<(NumberPattern, OutboundRoute)>,
    /// Trunks by id.
    pub trunks: HashMap<TrunkId, Trunk>,
    /// Extensions by number.
    pub extensions: HashMap<String, Extension>,
    /// Extension numbers by SIP user name (digest user of its phones).
    pub users: HashMap<String, String>,
    /// Blocked numbers.
    pub blocked: Vec<BlockedNumber>,
    /// Schedules by name.
    pub schedules: HashMap<String, Schedule>,
    /// Holiday calendars by name.
    pub calendars: BTreeMap<String, HolidayCalendar>,
    /// Incident flags by name.
    pub flags: HashMap<String, IncidentFlag>,
    /// Flows by id.
    pub flows: HashMap<FlowId, Flow>,
    /// Every version an active pointer or a route refers to.
    pub versions: HashMap<FlowVersionId, FlowVersion>,
}

/// The flow a call to a route runs, resolved to one version.
#[derive(Debug, Clone)]
pub struct ResolvedFlow<'a> {
    /// The flow.
    pub flow: &'a Flow,
    /// The version to run (pinned by the route, or the active one).
    pub version: &'a FlowVersion,
    /// The route's parameters.
    pub params: &'a serde_json::Value,
}

impl TenantRouting {
    /// The first inbound route whose pattern matches `dialled`.
    pub fn inbound_route(&self, dialled: &str) -> Option<&InboundRoute> {
        self.inbound_routes
            .iter()
            .find(|(p, _)| p.matches(dialled))
            .map(|(_, r)| r)
    }

    /// The flow version and parameters a route runs; `None` for other
    /// targets or a flow without an active version.
    pub fn resolve_flow<'a>(&'a self, route: &'a InboundRoute) -> Option<ResolvedFlow<'a>> {
        let RouteTarget::Flow { flow_id, version } = &route.spec.target else {
            return None;
        };
        let flow = self.flows.get(flow_id)?;
        let version = self.versions.get(&version.or(flow.active_version_id)?)?;
        Some(ResolvedFlow {
            flow,
            version,
            params: &route.spec.params,
        })
    }

    /// Whether `caller` is blocked.
    pub fn is_blocked(&self, caller: &str) -> bool {
        self.blocked.iter().any(|b| b.spec.blocks(caller))
    }

    /// The extension with this number.
    pub fn extension(&self, number: &str) -> Option<&Extension> {
        self.extensions.get(number)
    }

    /// The extension whose phones authenticate as `username`.
    pub fn extension_by_user(&self, username: &str) -> Option<&Extension> {
        self.extensions.get(self.users.get(username)?)
    }

    /// The first outbound route matching `dialled` that `class` may use,
    /// with its trunk.
    pub fn outbound_route(
        &self,
        dialled: &str,
        class: ClassOfService,
    ) -> Option<(&OutboundRoute, &Trunk)> {
        self.outbound_routes
            .iter()
            .filter(|(p, r)| p.matches(dialled) && class.allows(r.spec.class_of_service))
            .find_map(|(_, r)| self.trunks.get(&r.spec.trunk_id).map(|t| (r, t)))
    }

    /// Whether the schedule called `name` is open at `at`, in the tenant's
    /// time zone, with its holiday calendars; `None` if there is no such
    /// schedule.
    pub fn schedule_status(&self, name: &str, at: DateTime<Utc>) -> Option<ScheduleStatus> {
        let schedule = self.schedules.get(name)?;
        Some(schedule.status_at(at.with_timezone(&self.time_zone), &self.calendars))
    }

    /// The incident flag called `name`.
    pub fn flag(&self, name: &str) -> Option<&IncidentFlag> {
        self.flags.get(name)
    }
}

pub(crate) async fn collect<T, F, Fut>(mut list: F) -> Result<Vec<T>>
where
    F: FnMut(Page) -> Fut,
    Fut: Future<Output = Result<Paged<T>>>,
{
    let mut out = Vec::new();
    let mut page = Page::first(Page::MAX_LIMIT);
    loop {
        let p = list(page).await?;
        let n = p.items.len();
        out.extend(p.items);
        if n < page.limit as usize {
            return Ok(out);
        }
        page.offset += n as u64;
    }
}

pub(crate) async fn load_tenant(store: &Store, id: TenantId) -> Result<TenantRouting> {
    let tenant = store.get_tenant(id).await?;
    let time_zone = tenant.spec.time_zone.parse().unwrap_or(chrono_tz::UTC);
    let mut inbound: Vec<(NumberPattern, InboundRoute)> = crud::all::<InboundRoute>(store, id)
        .await?
        .into_iter()
        .filter_map(|r| NumberPattern::parse(&r.spec.pattern).ok().map(|p| (p, r)))
        .collect();
    inbound.sort_by_key(|(p, r)| (r.spec.priority, std::cmp::Reverse(p.specificity())));
    let mut outbound: Vec<(NumberPattern, OutboundRoute)> = crud::all::<OutboundRoute>(store, id)
        .await?
        .into_iter()
        .filter_map(|r| NumberPattern::parse(&r.spec.pattern).ok().map(|p| (p, r)))
        .collect();
    outbound.sort_by_key(|(p, r)| (r.spec.priority, std::cmp::Reverse(p.specificity())));
    let flows: HashMap<FlowId, Flow> = crud::all::<Flow>(store, id)
        .await?
        .into_iter()
        .map(|f| (f.id, f))
        .collect();
    let mut wanted: HashSet<FlowVersionId> =
        flows.values().filter_map(|f| f.active_version_id).collect();
    for (_, r) in &inbound {
        if let RouteTarget::Flow {
            version: Some(v), ..
        } = &r.spec.target
        {
            wanted.insert(*v);
        }
    }
    let extensions: HashMap<String, Extension> = crud::all::<Extension>(store, id)
        .await?
        .into_iter()
        .map(|e| (e.spec.number.clone(), e))
        .collect();
    let mut versions = HashMap::new();
    for v in wanted {
        versions.insert(v, store.get_flow_version(id, v).await?);
    }
    Ok(TenantRouting {
        time_zone,
        dids: crud::all::<Did>(store, id).await?,
        inbound_routes: inbound,
        outbound_routes: outbound,
        trunks: crud::all::<Trunk>(store, id)
            .await?
            .into_iter()
            .map(|t| (t.id, t))
            .collect(),
        users: extensions
            .values()
            .map(|e| (e.spec.sip_username.clone(), e.spec.number.clone()))
            .collect(),
        extensions,
        blocked: crud::all::<BlockedNumber>(store, id).await?,
        schedules: collect(|p| store.list_schedules(id, p))
            .await?
            .into_iter()
            .map(|s| (s.spec.name, s.spec.schedule))
            .collect(),
        calendars: collect(|p| store.list_calendars(id, p))
            .await?
            .into_iter()
            .map(|c| (c.spec.name, c.spec.holidays))
            .collect(),
        flags: crud::all::<IncidentFlag>(store, id)
            .await?
            .into_iter()
            .map(|f| (f.spec.name.clone(), f))
            .collect(),
        flows,
        versions,
        tenant,
    })
}
