//! The `office-hours` IVR template, shipped with the PBX and picked per
//! route with parameters (see `docs/templates.md`).
//!
//! A greeting, then the first of these that applies:
//!
//! | order | when | what the caller gets |
//! | --- | --- | --- |
//! | 1 | night switch on | night message (feature code accepted), closed action |
//! | 2 | a listed incident flag is active | its prompt then goodbye, or its destination |
//! | 3 | today is in the closures calendar | closure message, closed action |
//! | 4 | today is in the holiday calendar | holiday message, closed action |
//! | 5 | the schedule is closed | closed message (or holiday/closure message for the schedule's own calendars), closed action |
//! | 6 | otherwise | the menu |
//!
//! The closed action is the general voicemail box or goodbye. The menu
//! sends keys to extensions (their voicemail when busy or unanswered), a
//! queue (voicemail when the queue cannot take the call) or voicemail, has
//! a repeat key, and accepts the night switch's feature code.
//!
//! The crate's files follow the call: [`params`] (the schema), [`settings`]
//! (reading it), [`decision`], [`menu`], [`night`], [`route`], [`closed`].
//! The text formats of parameters are in [`target`] and [`incident`]; they
//! are pure and unit-tested natively.

pub mod closed;
pub mod decision;
pub mod incident;
pub mod menu;
pub mod night;
pub mod params;
pub mod record;
pub mod route;
pub mod settings;
pub mod target;

use decision::Branch;
use pbx_flow_sdk::prelude::*;
use settings::Settings;

/// The template, as a flow.
pub struct OfficeHours;

impl Flow for OfficeHours {
    fn describe() -> Description {
        params::description()
    }

    fn handle_call(call: &Call) -> Result<(), Error> {
        let s = Settings::load(config::get).map_err(|e| {
            let message = e.to_string();
            log::error("bad-parameter", &[("param", &e.param), ("error", &message)]);
            Error::InvalidArgument(message)
        })?;
        let info = call.info();
        log::info(
            "call",
            &[
                ("caller", &info.caller_number),
                ("dialled", &info.dialled_number),
            ],
        );

        let branch = decision::decide(&s)?;
        log::info("branch", &[("branch", &branch.record_value())]);

        call.answer()?;
        call.play([s.prompts.greeting.as_str()]).run()?;
        record::set(call, "branch", &branch.record_value())?;

        match branch {
            Branch::Night => night::night_mode(call, &s),
            Branch::Incident(rule) => route::send(call, &s, &rule.target),
            Branch::Closure(name) => {
                record::set(call, "closure", &name)?;
                closed::message_then_action(call, &s, &s.prompts.closure)
            }
            Branch::Holiday(name) => {
                record::set(call, "holiday", &name)?;
                closed::message_then_action(call, &s, &s.prompts.holiday)
            }
            Branch::Closed { reopens_at } => {
                if let Some(t) = &reopens_at {
                    record::set(call, "reopens-at", t)?;
                }
                closed::message_then_action(call, &s, &s.prompts.closed)
            }
            Branch::Open => menu::run(call, &s),
        }
    }
}

pbx_flow_sdk::export_flow!(OfficeHours);
