//! One module per top-level subcommand.

pub mod admin;
pub mod calls;
pub mod flow;
pub mod scaffold;
pub mod serve;
pub mod status;
