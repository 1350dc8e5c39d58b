//! A real `pbx serve` process for benchmarks, provisioned through its
//! admin API.
//!
//! - [`options`]: where the `pbx` binary, the sounds and the built flow
//!   templates are ([`SpawnOptions::locate`]).
//! - [`ports`]: free loopback ports for SIP and the API.
//! - [`process`]: [`PbxProcess`], a `pbx serve` on a fresh data directory
//!   with a superadmin made beforehand by `pbx admin superadmin create`;
//!   killed on drop.
//! - [`admin`]: [`Admin`], an async client of the admin API (tenants and
//!   their limits, extensions in bulk, flows, versions, routes, call
//!   records).
//! - [`api_error`]: [`ApiError`], an unexpected answer of the API.

pub mod admin;
pub mod api_error;
pub mod options;
pub mod ports;
pub mod process;

pub use admin::{Admin, TenantLimits};
pub use api_error::ApiError;
pub use options::SpawnOptions;
pub use process::PbxProcess;
