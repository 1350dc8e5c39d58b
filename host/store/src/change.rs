//! The change feed: every committed admin write announces what changed, so
//! the call model's caches reload without a restart.

use serde::{Deserialize, Serialize};

use crate::ids::TenantId;

/// The kind of row that changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// A tenant (its limits, language, time zone...).
    Tenant,
    /// A user or its role.
    User,
    /// An API token.
    Token,
    /// An extension.
    Extension,
    /// A DID.
    Did,
    /// An inbound route.
    InboundRoute,
    /// A trunk.
    Trunk,
    /// An outbound route.
    OutboundRoute,
    /// A flow or its active version.
    Flow,
    /// A flow version (uploaded or deleted).
    FlowVersion,
    /// A holiday calendar.
    Calendar,
    /// An office-hours schedule.
    Schedule,
    /// An incident flag.
    Flag,
    /// A blocked-number entry.
    Blocked,
    /// A contact.
    Contact,
    /// A voicemail message (stored, heard, deleted).
    Voicemail,
    /// A recording's metadata.
    Recording,
}

impl ChangeKind {
    /// The entity name used in the audit log, e.g. `inbound_route`.
    pub fn as_str(&self) -> &'static str {
        match self {
            ChangeKind::Tenant => "tenant",
            ChangeKind::User => "user",
            ChangeKind::Token => "token",
            ChangeKind::Extension => "extension",
            ChangeKind::Did => "did",
            ChangeKind::InboundRoute => "inbound_route",
            ChangeKind::Trunk => "trunk",
            ChangeKind::OutboundRoute => "outbound_route",
            ChangeKind::Flow => "flow",
            ChangeKind::FlowVersion => "flow_version",
            ChangeKind::Calendar => "calendar",
            ChangeKind::Schedule => "schedule",
            ChangeKind::Flag => "flag",
            ChangeKind::Blocked => "blocked",
            ChangeKind::Contact => "contact",
            ChangeKind::Voicemail => "voicemail",
            ChangeKind::Recording => "recording",
        }
    }
}

/// One committed change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// The tenant whose data changed; `None` for global rows (users
    /// without a tenant, such as superadmins).
    pub tenant: Option<TenantId>,
    /// What kind of row changed.
    pub kind: ChangeKind,
    /// The id of the row, as text; `*` with `tenant: None` means "anything
    /// may have changed, reload everything" (sent after the PostgreSQL
    /// listener lost its connection and may have missed notifications).
    pub id: String,
}

/// What a write did, as recorded in the audit log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// A row was created.
    Create,
    /// A row was changed.
    Update,
    /// A row was deleted.
    Delete,
}

impl Action {
    /// The stored name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
        }
    }
}

impl std::str::FromStr for Action {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "create" => Ok(Action::Create),
            "update" => Ok(Action::Update),
            "delete" => Ok(Action::Delete),
            other => Err(format!("unknown audit action {other:?}")),
        }
    }
}
