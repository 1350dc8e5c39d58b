//! Who may do what: the one permission table of the API.
//!
//! Every handler asks [`allowed`] before touching data; docs/api.md
//! mirrors this table. Tenant isolation is separate and absolute: apart
//! from the superadmin, a principal only ever reaches its own tenant, and
//! that is enforced by scoping every store call by the principal's tenant.

use crate::roles::Role;

/// Everything the API guards, one variant per resource family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Resource {
    /// Tenants and their limits.
    Tenants,
    /// Users of a tenant and their roles.
    Users,
    /// API tokens of a user (a user always manages their own).
    Tokens,
    /// Extensions.
    Extensions,
    /// DIDs and inbound routes.
    InboundRoutes,
    /// Outbound routes.
    OutboundRoutes,
    /// SIP trunks.
    Trunks,
    /// Flows, their versions, the simulator and templates.
    Flows,
    /// Office-hours schedules.
    Schedules,
    /// Holiday calendars.
    HolidayCalendars,
    /// Exceptional closures.
    Closures,
    /// Incident flags.
    IncidentFlags,
    /// Blocked numbers.
    BlockedNumbers,
    /// Contacts.
    Contacts,
    /// Call records (read and search only).
    CallRecords,
    /// Voicemail messages and recordings metadata.
    Voicemail,
    /// The audit log (read only).
    AuditLog,
}

/// Reading or changing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Access {
    /// GET: read or list.
    Read,
    /// POST, PUT, PATCH, DELETE: create, change, delete, activate.
    Write,
}

/// Whether `role` may `access` `resource` (within its tenant).
///
/// | resource | superadmin | tenant admin | supervisor | agent | user | accounting |
/// | --- | --- | --- | --- | --- | --- | --- |
/// | tenants | RW | R (own) | - | - | - | R (own) |
/// | users | RW | RW | R | - | - | - |
/// | tokens | RW | RW | RW (own) | RW (own) | RW (own) | RW (own) |
/// | extensions | RW | RW | R | R | R | - |
/// | inbound routes, outbound routes, trunks, flows | RW | RW | R | - | - | - |
/// | schedules, holiday calendars | RW | RW | R | R | - | - |
/// | closures, incident flags | RW | RW | RW | R | - | - |
/// | blocked numbers | RW | RW | RW | R | - | - |
/// | contacts | RW | RW | RW | RW | RW | - |
/// | call records | R | R | R | - | - | R |
/// | voicemail and recordings | RW | RW | RW | - | - | - |
/// | audit log | R | R | - | - | - | R |
pub fn allowed(role: Role, resource: Resource, access: Access) -> bool {
    use Access::*;
    use Resource::*;
    use Role::*;
    match role {
        Superadmin => !matches!((resource, access), (CallRecords | AuditLog, Write)),
        TenantAdmin => match resource {
            Tenants => access == Read,
            CallRecords | AuditLog => access == Read,
            _ => true,
        },
        Supervisor => match resource {
            Users | Extensions | InboundRoutes | OutboundRoutes | Trunks | Flows | Schedules
            | HolidayCalendars | CallRecords => access == Read,
            Tokens | Closures | IncidentFlags | BlockedNumbers | Contacts | Voicemail => true,
            Tenants | AuditLog => false,
        },
        Agent => match resource {
            Extensions | Schedules | HolidayCalendars | Closures | IncidentFlags
            | BlockedNumbers => access == Read,
            Tokens | Contacts => true,
            _ => false,
        },
        User => match resource {
            Extensions => access == Read,
            Tokens | Contacts => true,
            _ => false,
        },
        Accounting => match resource {
            Tenants | CallRecords | AuditLog => access == Read,
            Tokens => true,
            _ => false,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounting_reads_call_records_and_nothing_else_of_config() {
        assert!(allowed(
            Role::Accounting,
            Resource::CallRecords,
            Access::Read
        ));
        assert!(!allowed(
            Role::Accounting,
            Resource::CallRecords,
            Access::Write
        ));
        assert!(!allowed(
            Role::Accounting,
            Resource::Extensions,
            Access::Read
        ));
        assert!(!allowed(Role::Accounting, Resource::Flows, Access::Read));
    }

    #[test]
    fn nobody_rewrites_history() {
        for role in crate::roles::ALL_ROLES {
            assert!(
                !allowed(role, Resource::CallRecords, Access::Write),
                "{role:?}"
            );
            assert!(
                !allowed(role, Resource::AuditLog, Access::Write),
                "{role:?}"
            );
        }
    }

    #[test]
    fn only_superadmin_changes_tenants() {
        for role in crate::roles::ALL_ROLES {
            assert_eq!(
                allowed(role, Resource::Tenants, Access::Write),
                role == Role::Superadmin,
                "{role:?}"
            );
        }
    }
}
