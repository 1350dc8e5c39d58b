//! The caller's key presses on the virtual timeline.
//!
//! Presses given with `at-ms` are on the timeline from the start; presses
//! given with `during = "prompt"` are placed when that prompt starts
//! playing for the nth time.

use crate::scenario::PressSpec;

/// Pending key presses and the triggers still waiting for their prompt.
#[derive(Debug, Default)]
pub struct KeyTimeline {
    /// (time ms, key), sorted by time.
    pending: Vec<(u64, char)>,
    /// Presses waiting for a prompt: (spec, plays of that prompt seen so far).
    triggers: Vec<(PressSpec, u32)>,
}

impl KeyTimeline {
    /// From the scenario's presses.
    pub fn new(presses: &[PressSpec]) -> Self {
        let mut t = KeyTimeline::default();
        for p in presses {
            match p.at_ms {
                Some(at) => t.schedule(at, &p.keys, p.gap_ms),
                None => t.triggers.push((p.clone(), 0)),
            }
        }
        t
    }

    fn schedule(&mut self, at: u64, keys: &str, gap: u64) {
        for (i, k) in keys.chars().enumerate() {
            self.pending.push((at + gap * i as u64, k));
        }
        self.pending.sort_by_key(|(t, _)| *t);
    }

    /// Prompt `name` starts playing at `at`: place the presses waiting for it.
    pub fn prompt_started(&mut self, name: &str, at: u64) {
        let mut fire = Vec::new();
        for (spec, seen) in &mut self.triggers {
            if spec.during.as_deref() == Some(name) {
                *seen += 1;
                if *seen == spec.occurrence {
                    fire.push((at + spec.delay_ms, spec.keys.clone(), spec.gap_ms));
                }
            }
        }
        for (at, keys, gap) in fire {
            self.schedule(at, &keys, gap);
        }
    }

    /// The first key pressed at or after `from` and before `until`, removed.
    pub fn take_before(&mut self, from: u64, until: u64) -> Option<(u64, char)> {
        self.discard_before(from);
        match self.pending.first() {
            Some(&(t, k)) if t < until => {
                self.pending.remove(0);
                Some((t, k))
            }
            _ => None,
        }
    }

    /// Drop keys pressed before `t` (nobody listened).
    pub fn discard_before(&mut self, t: u64) {
        self.pending.retain(|(at, _)| *at >= t);
    }
}
