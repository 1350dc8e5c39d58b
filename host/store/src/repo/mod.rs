//! Repositories: one file per entity, each adding its functions to
//! [`Store`](crate::Store).

pub mod blocked;
pub mod calendars;
pub mod call_records;
pub mod contacts;
pub mod contacts_csv;
pub mod dids;
pub mod extensions;
pub mod flags;
pub mod flow_versions;
pub mod flows;
pub mod inbound_routes;
pub mod kv;
pub mod outbound_routes;
pub mod recordings;
pub mod registrations;
pub mod schedules;
pub mod tenants;
pub mod tokens;
pub mod trunks;
pub mod users;
pub mod voicemail;
