//! Endpoints that are not plain CRUD: sessions, tokens, tenants, users.

pub mod auth;
pub mod call_records;
pub mod contacts;
pub mod messages;
pub mod metrics;
pub mod tenants;
pub mod tokens;
pub mod users;
