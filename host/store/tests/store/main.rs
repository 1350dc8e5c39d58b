//! Store tests, each run against SQLite and (when configured) PostgreSQL.

mod common;
mod schema;
mod tenants;
