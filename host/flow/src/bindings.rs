//! The generated bindings of the `pbx:flow` world, produced once here.
//!
//! Every host module refers to the types from this module; nothing else
//! in the crate runs `bindgen!`.

wasmtime::component::bindgen!({
    path: "../../wit",
    world: "flow",
    imports: { default: async },
    exports: { default: async },
    additional_derives: [PartialEq],
});

pub use exports::pbx::flow::handler::{FlowDescription, ParamKind, ParamSpec};
pub use pbx::flow::call;
pub use pbx::flow::config::Value;
pub use pbx::flow::directory;
pub use pbx::flow::holidays;
pub use pbx::flow::incidents;
pub use pbx::flow::log;
pub use pbx::flow::schedule;
pub use pbx::flow::types::{self, Date, Datetime, Error, Weekday};

/// The contract version this host implements; components importing another
/// version of `pbx:flow` are refused at upload.
pub const CONTRACT_VERSION: &str = "0.1.0";

/// The package name of the contract.
pub const CONTRACT_PACKAGE: &str = "pbx:flow";
