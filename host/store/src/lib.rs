//! Storage of the PBX: schema, migrations and repositories over sqlx, with
//! SQLite as the embedded default and PostgreSQL for several nodes.
//!
//! What it owns: the database schema (`migrations/`, one portable set for
//! both engines, applied by [`Store::open`]), the typed repositories (one
//! file per entity under `repo/`, every function scoped by [`TenantId`]),
//! content-addressed files in the data directory (`flows/<sha256>.wasm`),
//! the audit log, the change feed ([`Store::subscribe`], propagated between
//! nodes with PostgreSQL `LISTEN`/`NOTIFY`) and the in-memory routing cache
//! ([`RoutingCache`]) that keeps the database off the call path.
//!
//! What it must never know about: SIP, media, flows' execution. The call
//! model adapts these types to the other crates' traits (e.g. the
//! registrar's `RegistrationStore`, see [`Registration`]).
//!
//! ```no_run
//! # async fn demo() -> Result<(), pbx_store::StoreError> {
//! use pbx_store::{Store, TenantSpec};
//! let store = Store::open_data_dir("/var/lib/pbx").await?;
//! let tenant = store.create_tenant("admin", &TenantSpec {
//!     name: "acme".into(), max_inbound_calls: 10, max_outbound_calls: 10,
//!     max_extensions: 50, max_dids: 5, language: "fr-FR".into(),
//!     time_zone: "Europe/Paris".into(), fallback_destination: None,
//! }).await?;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod audit;
mod cache;
mod call_record_writer;
mod change;
mod crud;
mod engine;
mod error;
mod ids;
mod notify;
mod page;
mod pattern;
pub mod repo;
mod row;
mod sql;
mod store;
mod text_enum;
mod time;
mod validate;

pub use audit::AuditRecord;
pub use cache::{ResolvedFlow, RoutingCache, TenantRouting};
pub use call_record_writer::{CallRecordWriter, QueueFull, WriterConfig, WriterStats};
pub use change::{Action, Change, ChangeKind};
pub use engine::{Engine, StoreConfig};
pub use error::{Result, StoreError};
pub use ids::*;
pub use notify::CHANNEL as NOTIFY_CHANNEL;
pub use page::{Page, Paged};
pub use pattern::NumberPattern;
pub use repo::blocked::{BlockedNumber, BlockedSpec, MatchKind};
pub use repo::calendars::{CalendarSpec, StoredCalendar};
pub use repo::call_records::{CallLeg, CallRecord, CallRecordQuery, Direction, Outcome};
pub use repo::contacts::{Contact, ContactSpec};
pub use repo::contacts_csv::{CONTACTS_CSV_HEADER, ImportReport, RowError};
pub use repo::dids::{Did, DidSpec};
pub use repo::extensions::{
    CallerScope, ClassOfService, Extension, ExtensionSpec, ForwardCondition, ForwardingRule,
};
pub use repo::flags::{FlagSpec, IncidentFlag};
pub use repo::flow_versions::{FlowVersion, MAX_COMPONENT_BYTES};
pub use repo::flows::{Flow, FlowSpec};
pub use repo::inbound_routes::{InboundRoute, InboundRouteSpec, RouteTarget};
pub use repo::kv::{KV_MAX_ENTRIES, KV_MAX_KEY, KV_MAX_VALUE};
pub use repo::outbound_routes::{CallerIdMode, OutboundRoute, OutboundRouteSpec};
pub use repo::recordings::Recording;
pub use repo::registrations::Registration;
pub use repo::schedules::{ScheduleSpec, StoredSchedule};
pub use repo::tenants::{Tenant, TenantSpec};
pub use repo::tokens::{ApiToken, NewToken, TOKEN_PREFIX};
pub use repo::trunks::{Trunk, TrunkSpec, TrunkTransport};
pub use repo::users::{Role, User, UserSpec};
pub use repo::voicemail::VoicemailMessage;
pub use store::{SQLITE_FILE, Store};
pub use time::Timestamp;
