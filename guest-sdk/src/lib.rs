//! Write PBX call flows in Rust.
//!
//! A call flow is a WebAssembly component that the PBX runs once per call,
//! in a sandbox, against the `pbx:flow` WIT contract (`wit/` in the
//! repository). This crate wraps the generated bindings in an API that
//! reads like the call it drives:
//!
//! ```no_run
//! use pbx_flow_sdk::prelude::*;
//!
//! struct Hello;
//!
//! impl Flow for Hello {
//!     fn describe() -> Description {
//!         Description::new("hello", "1.0.0").summary("Greets the caller, takes one digit.")
//!     }
//!
//!     fn handle_call(call: &Call) -> Result<(), Error> {
//!         call.answer()?;
//!         let digits = call.play(["welcome"]).collect(1)?;
//!         log::info("choice", &[("digit", &digits)]);
//!         call.hangup(HangupCause::Normal)
//!     }
//! }
//!
//! pbx_flow_sdk::export_flow!(Hello);
//! ```
//!
//! Build it with `cargo build --target wasm32-wasip2 --release` and test it
//! without a PBX using `pbx flow test hello.wasm scenario.toml`.
//!
//! Every host function returns [`Error`] on failure; `?` propagates it out
//! of `handle_call`, where [`Error::Hangup`] is a normal end and any other
//! error makes the PBX apply the tenant's fallback for the caller.

#![warn(missing_docs)]

/// The raw bindings generated from the WIT contract. Prefer the wrappers;
/// they are here for what the wrappers do not cover.
#[allow(missing_docs, clippy::all)]
pub mod bindings {
    wit_bindgen::generate!({
        path: "../wit",
        world: "flow",
        pub_export_macro: true,
        default_bindings_module: "pbx_flow_sdk::bindings",
    });
}

mod call;
pub mod config;
mod describe;
mod destination;
pub mod log;
pub mod tenant;

pub use bindings::pbx::flow::call::{
    AnsweredCall, CallInfo, CallState, CollectEnd, Collected, DialOutcome, DialTarget, HangupCause,
    HangupSide, Origin, QueueExit, RecordEnd, Recording, RingStrategy, TransferTarget,
    VoicemailGreeting, VoicemailOutcome,
};
pub use bindings::pbx::flow::config::Value;
pub use bindings::pbx::flow::types::{Date, Datetime, Error, Weekday};
pub use call::{Call, Collect, Dial, Enqueue, Play, Record};
pub use describe::{Description, Param};
pub use destination::{Destination, DestinationError};

/// What a flow implements. [`export_flow!`] turns it into the component's
/// exports.
pub trait Flow {
    /// Name, version, summary and parameters, for the PBX's API and portal.
    /// Runs at upload without a call: must not touch the call or tenant data.
    fn describe() -> Description;

    /// Handle one call, from ringing to the end.
    fn handle_call(call: &Call) -> Result<(), Error>;
}

/// Export a type implementing [`Flow`] as this component's `pbx:flow/handler`.
#[macro_export]
macro_rules! export_flow {
    ($flow:ty) => {
        const _: () = {
            struct __PbxFlowExport;
            impl $crate::bindings::exports::pbx::flow::handler::Guest for __PbxFlowExport {
                fn describe() -> $crate::bindings::exports::pbx::flow::handler::FlowDescription {
                    <$flow as $crate::Flow>::describe().into_wit()
                }
                fn handle_call() -> ::core::result::Result<(), $crate::Error> {
                    <$flow as $crate::Flow>::handle_call(&$crate::Call::current())
                }
            }
    $crate::bindings::export!(__PbxFlowExport with_types_in $crate::bindings);
        };
    };
}

/// Everything a flow usually needs, in one `use`.
pub mod prelude {
    pub use crate::config;
    pub use crate::log;
    pub use crate::tenant::{directory, holidays, incidents, kv, schedule};
    pub use crate::{
        Call, CallState, CollectEnd, Description, Destination, DialOutcome, DialTarget, Error,
        Flow, HangupCause, Param, QueueExit, RingStrategy, TransferTarget, VoicemailGreeting,
        VoicemailOutcome,
    };
    pub use std::time::Duration;
}

/// Milliseconds for the contract, saturating at `u32::MAX`.
pub(crate) fn ms(d: std::time::Duration) -> u32 {
    u32::try_from(d.as_millis()).unwrap_or(u32::MAX)
}
