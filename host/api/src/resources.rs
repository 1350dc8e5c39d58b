//! The table of tenant-scoped CRUD resources: one entry per entity, with
//! the store functions that serve it and a valid example body.
//!
//! Routes, the OpenAPI document and the tenant-isolation tests all iterate
//! [`crud_resources`] and [`register_all`], so adding an entity here is
//! enough for it to be served, documented and tested.

use crate::crud::{Crud, ResourceInfo, doc, handlers};
use crate::crud_resource;
use crate::permissions::Resource;
use crate::routes::contacts::Contacts;
use crate::state::AppState;
use axum::Router;
use pbx_store::{
    BlockedId, BlockedNumber, BlockedSpec, CalendarId, CalendarSpec, Did, DidId, DidSpec,
    Extension, ExtensionId, ExtensionSpec, FlagId, FlagSpec, Flow, FlowId, FlowSpec, InboundRoute,
    InboundRouteId, InboundRouteSpec, IncidentFlag, OutboundRoute, OutboundRouteId,
    OutboundRouteSpec, ScheduleId, ScheduleSpec, StoredCalendar, StoredSchedule, Trunk, TrunkId,
    TrunkSpec,
};
use serde_json::json;
use utoipa::openapi::OpenApi;

crud_resource! {
    /// Extensions: phones and users of a tenant.
    Extensions {
        segment: "extensions",
        name: "extension",
        resource: Resource::Extensions,
        id: ExtensionId,
        spec: ExtensionSpec,
        item: Extension,
        store: (create_extension, get_extension, list_extensions, update_extension, delete_extension),
        example: json!({
            "number": "100",
            "display_name": "Reception",
            "sip_username": "reception",
            "sip_password": "change-me-100",
            "voicemail_pin": "1234",
            "class_of_service": "national",
            "pickup_group": null,
            "call_group": null,
            "forwarding": [{
                "condition": "no_answer", "callers": "all",
                "destination": "voicemail", "delay_secs": 20, "enabled": true
            }],
            "personal_flow_id": null,
            "personal_flow_params": {},
            "language": null
        }),
    }
}

crud_resource! {
    /// DIDs: public numbers of a tenant.
    Dids {
        segment: "dids",
        name: "DID",
        resource: Resource::InboundRoutes,
        id: DidId,
        spec: DidSpec,
        item: Did,
        store: (create_did, get_did, list_dids, update_did, delete_did),
        example: json!({"number": "+33123456789", "description": "Main number"}),
    }
}

crud_resource! {
    /// Inbound routes: dialled-number patterns to a flow, extension,
    /// queue or voicemail box.
    InboundRoutes {
        segment: "inbound-routes",
        name: "inbound route",
        resource: Resource::InboundRoutes,
        id: InboundRouteId,
        spec: InboundRouteSpec,
        item: InboundRoute,
        store: (create_inbound_route, get_inbound_route, list_inbound_routes, update_inbound_route, delete_inbound_route),
        example: json!({
            "name": "main",
            "pattern": "+33123456789",
            "priority": 10,
            "target": {"kind": "queue", "queue": "sales"},
            "params": {}
        }),
    }
}

crud_resource! {
    /// SIP trunks to carriers.
    Trunks {
        segment: "trunks",
        name: "trunk",
        resource: Resource::Trunks,
        id: TrunkId,
        spec: TrunkSpec,
        item: Trunk,
        store: (create_trunk, get_trunk, list_trunks, update_trunk, delete_trunk),
        example: json!({
            "name": "carrier",
            "host": "sip.carrier.example",
            "port": 5060,
            "transport": "udp",
            "username": "acme",
            "password": "trunk-secret",
            "register": true,
            "max_calls": 30
        }),
    }
}

crud_resource! {
    /// Outbound routes: dialled patterns to a trunk.
    OutboundRoutes {
        segment: "outbound-routes",
        name: "outbound route",
        resource: Resource::OutboundRoutes,
        id: OutboundRouteId,
        spec: OutboundRouteSpec,
        item: OutboundRoute,
        store: (create_outbound_route, get_outbound_route, list_outbound_routes, update_outbound_route, delete_outbound_route),
        example: json!({
            "name": "national",
            "pattern": "0*",
            "priority": 10,
            "class_of_service": "national",
            "trunk_id": "0190c6f4-9f3a-7c2e-8d1b-3e4f5a6b7c8d",
            "strip_digits": 0,
            "prepend": "",
            "caller_id_mode": "passthrough",
            "caller_id_number": null
        }),
    }
}

crud_resource! {
    /// Named flows; their versions live under `/flows/{id}/versions`.
    Flows {
        segment: "flows",
        name: "flow",
        resource: Resource::Flows,
        id: FlowId,
        spec: FlowSpec,
        item: Flow,
        store: (create_flow, get_flow, list_flows, update_flow, delete_flow),
        example: json!({"name": "main-ivr", "description": "Main menu"}),
    }
}

crud_resource! {
    /// Office-hours schedules, with their exceptional closures.
    Schedules {
        segment: "schedules",
        name: "schedule",
        resource: Resource::Schedules,
        id: ScheduleId,
        spec: ScheduleSpec,
        item: StoredSchedule,
        store: (create_schedule, get_schedule, list_schedules, update_schedule, delete_schedule),
        example: json!({
            "name": "office",
            "schedule": {
                "monday": ["08:00-12:00", "13:30-18:00"],
                "tuesday": ["08:00-12:00", "13:30-18:00"],
                "holidays": ["national"],
                "closures": [
                    {"from": "2026-08-10", "to": "2026-08-14", "message": "closed for inventory"}
                ]
            }
        }),
    }
}

crud_resource! {
    /// Holiday calendars: fixed dates, yearly dates, Easter-relative feasts.
    HolidayCalendars {
        segment: "holiday-calendars",
        name: "holiday calendar",
        resource: Resource::HolidayCalendars,
        id: CalendarId,
        spec: CalendarSpec,
        item: StoredCalendar,
        store: (create_calendar, get_calendar, list_calendars, update_calendar, delete_calendar),
        example: json!({
            "name": "national",
            "holidays": [
                {"name": "New Year", "date": "01-01"},
                {"name": "Easter Monday", "easter": 1}
            ]
        }),
    }
}

crud_resource! {
    /// Incident flags: named switches a flow reads.
    IncidentFlags {
        segment: "incident-flags",
        name: "incident flag",
        resource: Resource::IncidentFlags,
        id: FlagId,
        spec: FlagSpec,
        item: IncidentFlag,
        store: (create_flag, get_flag, list_flags, update_flag, delete_flag),
        example: json!({
            "name": "storm",
            "active": false,
            "message": "We are closed because of the storm",
            "destination": null
        }),
    }
}

crud_resource! {
    /// Blocked numbers, exact or by prefix.
    BlockedNumbers {
        segment: "blocked-numbers",
        name: "blocked number",
        resource: Resource::BlockedNumbers,
        id: BlockedId,
        spec: BlockedSpec,
        item: BlockedNumber,
        store: (create_blocked, get_blocked, list_blocked, update_blocked, delete_blocked),
        example: json!({"number": "+33999", "match_kind": "prefix", "reason": "spam"}),
    }
}

/// Calls `$f::<R>` for every CRUD resource, in table order.
macro_rules! for_each_resource {
    ($f:ident, $($arg:expr),*) => {{
        $f::<Extensions>($($arg),*);
        $f::<Dids>($($arg),*);
        $f::<InboundRoutes>($($arg),*);
        $f::<Trunks>($($arg),*);
        $f::<OutboundRoutes>($($arg),*);
        $f::<Flows>($($arg),*);
        $f::<Schedules>($($arg),*);
        $f::<HolidayCalendars>($($arg),*);
        $f::<IncidentFlags>($($arg),*);
        $f::<BlockedNumbers>($($arg),*);
        $f::<Contacts>($($arg),*);
    }};
}

/// Every CRUD resource, for tests and tools.
pub fn crud_resources() -> Vec<ResourceInfo> {
    vec![
        ResourceInfo::of::<Extensions>(&[]),
        ResourceInfo::of::<Dids>(&[]),
        ResourceInfo::of::<InboundRoutes>(&[]),
        ResourceInfo::of::<Trunks>(&[]),
        ResourceInfo::of::<OutboundRoutes>(&[("/trunk_id", "trunks")]),
        ResourceInfo::of::<Flows>(&[]),
        ResourceInfo::of::<Schedules>(&[]),
        ResourceInfo::of::<HolidayCalendars>(&[]),
        ResourceInfo::of::<IncidentFlags>(&[]),
        ResourceInfo::of::<BlockedNumbers>(&[]),
        ResourceInfo::of::<Contacts>(&[]),
    ]
}

/// Add every CRUD resource's routes and operations.
pub fn register_all(mut router: Router<AppState>, api: &mut OpenApi) -> Router<AppState> {
    fn one<R: Crud>(router: &mut Router<AppState>, api: &mut OpenApi) {
        *router = handlers::routes::<R>(std::mem::take(router));
        doc::document::<R>(api);
    }
    for_each_resource!(one, &mut router, api);
    router
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parses<R: Crud>() {
        let example = R::example();
        if let Err(e) = serde_json::from_value::<R::Spec>(example) {
            panic!("the example of {} does not parse: {e}", R::SEGMENT);
        }
    }

    #[test]
    fn every_example_is_a_valid_spec() {
        fn check<R: Crud>() {
            parses::<R>();
        }
        for_each_resource!(check,);
    }

    #[test]
    fn the_table_lists_every_registered_resource() {
        let mut segments = Vec::new();
        fn collect<R: Crud>(v: &mut Vec<&'static str>) {
            v.push(R::SEGMENT);
        }
        for_each_resource!(collect, &mut segments);
        let table: Vec<_> = crud_resources().iter().map(|r| r.segment).collect();
        assert_eq!(segments, table);
    }
}
