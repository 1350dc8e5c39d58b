//! The registrar (RFC 3261 section 10): who is reachable where.
//!
//! [`Registrar::handle`] applies an already-authenticated REGISTER to the
//! binding table and answers it; [`Registrar::lookup`] tells the call
//! model where to send a call for an address of record. Bindings are
//! written through a [`RegistrationStore`] so they survive a restart.
//! [`answer_options`] answers OPTIONS keep-alives and capability queries.

pub mod binding;
pub mod contact;
pub mod date;
pub mod options;
#[allow(clippy::module_inception)]
pub mod registrar;
pub mod store;
mod update;

pub use binding::Binding;
pub use options::answer_options;
pub use registrar::{Registrar, RegistrarConfig};
pub use store::{InMemoryStore, RegistrationStore, StoreError};
