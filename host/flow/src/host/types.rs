//! `pbx:flow/types`: types only, no functions.

use crate::bindings::types::Host;
use crate::state::FlowState;

impl Host for FlowState {}
