//! Typed ids: one newtype per entity so an extension id cannot be passed
//! where a tenant id is expected.
//!
//! Ids are UUID version 7 (time ordered, so rows sort by creation and ids
//! made on several nodes never collide), stored as TEXT on both engines and
//! written as plain UUID strings in JSON.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $entity:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub Uuid);

        impl $name {
            /// A fresh, time-ordered id.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = crate::StoreError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s).map(Self).map_err(|_| {
                    crate::StoreError::invalid(
                        concat!($entity, " id"),
                        format!("{s:?} is not a UUID (expected e.g. 0190c6f4-9f3a-7c2e-8d1b-3e4f5a6b7c8d)"),
                    )
                })
            }
        }
    };
}

id_type!(/// Id of a tenant.
    TenantId, "tenant");
id_type!(/// Id of an admin or portal user.
    UserId, "user");
id_type!(/// Id of an API token.
    TokenId, "token");
id_type!(/// Id of an extension.
    ExtensionId, "extension");
id_type!(/// Id of a DID (a public number).
    DidId, "DID");
id_type!(/// Id of an inbound route.
    InboundRouteId, "inbound route");
id_type!(/// Id of a SIP trunk.
    TrunkId, "trunk");
id_type!(/// Id of an outbound route.
    OutboundRouteId, "outbound route");
id_type!(/// Id of a named flow.
    FlowId, "flow");
id_type!(/// Id of one uploaded version of a flow.
    FlowVersionId, "flow version");
id_type!(/// Id of a holiday calendar.
    CalendarId, "holiday calendar");
id_type!(/// Id of an office-hours schedule.
    ScheduleId, "schedule");
id_type!(/// Id of an incident flag.
    FlagId, "incident flag");
id_type!(/// Id of a blocked-number entry.
    BlockedId, "blocked number");
id_type!(/// Id of a contact.
    ContactId, "contact");
id_type!(/// Id of a call record.
    CallRecordId, "call record");
id_type!(/// Id of a voicemail message.
    VoicemailId, "voicemail message");
id_type!(/// Id of a recording.
    RecordingId, "recording");
id_type!(/// Id of an audit-log entry.
    AuditId, "audit entry");
