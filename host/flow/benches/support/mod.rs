//! The bench's fake backend and helpers: guest components on disk, a
//! trivial in-memory call and tenant, call set-up, the hot-swap fixture,
//! memory figures and the command line.

mod fake_call;
mod fake_tenant;
mod invocation;
mod mem;
mod polyglot;
mod setup;
mod swap;
mod wasm;

pub use fake_call::Gate;
pub use fake_tenant::FakeTenant;
pub use invocation::Invocation;
pub use mem::Mem;
pub use polyglot::polyglot_components;
pub use setup::{assert_completed, default_params, engine, prepare, runtime, setup};
pub use swap::swap_fixture;
pub use wasm::{auto_attendant_wasm, hostile_wasm};

pub const TENANT: &str = "bench-tenant";
pub const FLOW_NAME: &str = "main";
