//! The roles a user can hold: the store's [`Role`], listed for tables and
//! tests.

pub use pbx_store::Role;

/// Every role, in the order of the permission table.
pub const ALL_ROLES: [Role; 6] = [
    Role::Superadmin,
    Role::TenantAdmin,
    Role::Supervisor,
    Role::Agent,
    Role::User,
    Role::Accounting,
];
