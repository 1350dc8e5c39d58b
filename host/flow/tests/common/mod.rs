//! Shared helpers of the integration tests: a scripted fake call, an
//! in-memory tenant, call set-up builders and the lookup of the guest
//! components built by `scripts/build-flows.sh`.

#![allow(dead_code)]

mod engine;
mod fake_call;
mod fake_tenant;
mod setup;
mod wasm;

// Each test binary uses only part of these; the re-exports keep the
// `common::...` paths of the tests.
#[allow(unused_imports)]
pub use engine::*;
#[allow(unused_imports)]
pub use fake_call::*;
#[allow(unused_imports)]
pub use fake_tenant::*;
#[allow(unused_imports)]
pub use setup::*;
#[allow(unused_imports)]
pub use wasm::*;
