//! Store tests, each run against SQLite and (when configured) PostgreSQL.

mod cache;
mod calendars;
mod call_records;
mod common;
mod contacts;
mod flows;
mod kv;
mod media;
mod routes;
mod schema;
mod tenants;
mod users;
