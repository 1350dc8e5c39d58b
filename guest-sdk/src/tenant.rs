//! The tenant's data: schedules, holidays, incident flags, key-value store
//! and directory. Thin re-exports of the contract's functions, grouped by
//! what they are about.

/// Office-hours schedules.
pub mod schedule {
    pub use crate::bindings::pbx::flow::schedule::{
        ClosedReason, ScheduleStatus, is_open, now, status,
    };
}

/// Holiday calendars.
pub mod holidays {
    pub use crate::bindings::pbx::flow::holidays::{Holiday, on_date, today};
}

/// Incident flags.
pub mod incidents {
    pub use crate::bindings::pbx::flow::incidents::{Flag, active, get, set};
}

/// The tenant's key-value store.
pub mod kv {
    pub use crate::bindings::pbx::flow::kv::{delete, get, increment, set};
}

/// Extensions, blocked numbers, contacts.
pub mod directory {
    pub use crate::bindings::pbx::flow::directory::{
        Contact, Extension, by_name, by_number, contact_by_number, is_blocked,
    };
}
