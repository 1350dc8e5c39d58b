//! The call's trace: every host call a flow made, with its arguments and
//! result, the flow's own log events and its stdout/stderr.
//!
//! The trace is what an admin reads to understand why a call went where it
//! went, and what the simulator prints and compares. It is bounded so that
//! a flow logging in a loop cannot grow the host's memory.

use serde::Serialize;

/// Events kept per call; later ones are counted in [`Trace::dropped`].
pub const MAX_EVENTS: usize = 1_000;

/// Events kept back for the host's own entries (the fallback's steps, the
/// final hang-up), so a flow that fills its trace cannot hide what the
/// host did with the caller.
pub const HOST_RESERVE: usize = 8;

/// Bytes of stdout/stderr kept per call, both streams together.
pub const MAX_OUTPUT_BYTES: usize = 16 * 1024;

/// One entry of the trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum TraceEvent {
    /// A host function call: `interface.function(args) -> result`.
    HostCall {
        /// Milliseconds since the call started.
        at_ms: u64,
        /// WIT interface, e.g. "call".
        interface: &'static str,
        /// WIT function, e.g. "play".
        function: &'static str,
        /// Arguments, rendered for people.
        args: String,
        /// Result, rendered for people.
        result: String,
    },
    /// A `log.event` from the flow.
    Log {
        /// Milliseconds since the call started.
        at_ms: u64,
        /// "debug", "info", "warn" or "error".
        level: &'static str,
        /// Event name.
        name: String,
        /// Fields, in order.
        fields: Vec<(String, String)>,
    },
    /// A line the flow wrote to stdout or stderr.
    Output {
        /// Milliseconds since the call started.
        at_ms: u64,
        /// "stdout" or "stderr".
        stream: &'static str,
        /// The line, lossily decoded as UTF-8.
        line: String,
    },
}

/// The bounded list of events of one call.
#[derive(Debug, Default, Clone, Serialize)]
pub struct Trace {
    /// Events in order, at most [`MAX_EVENTS`].
    pub events: Vec<TraceEvent>,
    /// Events that did not fit.
    pub dropped: u64,
    /// Output bytes that did not fit.
    pub dropped_output_bytes: u64,
    /// Output bytes kept so far, both streams together.
    #[serde(skip)]
    pub(crate) output_kept: usize,
}

impl Trace {
    /// Append an event of the flow, or count it if the trace is full.
    pub fn push(&mut self, event: TraceEvent) {
        if self.events.len() < MAX_EVENTS - HOST_RESERVE {
            self.events.push(event);
        } else {
            self.dropped += 1;
        }
    }

    /// Append an entry of the host itself, which may use the reserve.
    pub fn push_host(&mut self, event: TraceEvent) {
        if self.events.len() < MAX_EVENTS {
            self.events.push(event);
        } else {
            self.dropped += 1;
        }
    }

    /// Host calls only, as `interface.function` names, for quick checks.
    pub fn host_calls(&self) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
        self.events.iter().filter_map(|e| match e {
            TraceEvent::HostCall {
                interface,
                function,
                ..
            } => Some((*interface, *function)),
            _ => None,
        })
    }

    /// Lines the flow printed, in order.
    pub fn output_lines(&self) -> impl Iterator<Item = &str> + '_ {
        self.events.iter().filter_map(|e| match e {
            TraceEvent::Output { line, .. } => Some(line.as_str()),
            _ => None,
        })
    }
}

impl std::fmt::Display for TraceEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TraceEvent::HostCall {
                at_ms,
                interface,
                function,
                args,
                result,
            } => write!(
                f,
                "{:>8} ms  {interface}.{function}({args}) -> {result}",
                at_ms
            ),
            TraceEvent::Log {
                at_ms,
                level,
                name,
                fields,
            } => {
                write!(f, "{:>8} ms  log {level} {name}", at_ms)?;
                for (k, v) in fields {
                    write!(f, " {k}={v:?}")?;
                }
                Ok(())
            }
            TraceEvent::Output {
                at_ms,
                stream,
                line,
            } => write!(f, "{:>8} ms  {stream}: {line}", at_ms),
        }
    }
}
