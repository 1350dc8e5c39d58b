//! The call model's observability hooks: live calls for `pbx status` and
//! the Prometheus metrics.

use super::CallObserver;
use super::PromptSource;
use crate::live::{CallPhase, CallSnapshot, LiveCallGuard, LiveCalls};
use crate::metrics::Metrics;
use crate::prompts::PromptLibrary;
use pbx_media::prompt::Playlist;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

/// Live calls and metrics, fed by the call model.
pub struct Observability {
    /// Calls in progress.
    pub live: LiveCalls,
    /// Counters.
    pub metrics: Arc<Metrics>,
    guards: Mutex<HashMap<String, LiveCallGuard>>,
}

impl Observability {
    /// Over `live` and `metrics`.
    pub fn new(live: LiveCalls, metrics: Arc<Metrics>) -> Observability {
        Observability {
            live,
            metrics,
            guards: Mutex::new(HashMap::new()),
        }
    }
}

impl CallObserver for Observability {
    fn call_started(&self, tenant: &str, call_id: &str, caller: &str, callee: &str, flow: &str) {
        self.metrics.call_started(tenant);
        self.metrics.flow_started();
        let guard = self.live.insert(CallSnapshot {
            id: call_id.to_string(),
            tenant: tenant.to_string(),
            caller: caller.to_string(),
            callee: callee.to_string(),
            state: CallPhase::Flow {
                label: flow.to_string(),
            },
            flow: Some(flow.to_string()),
            started: SystemTime::now(),
        });
        self.guards
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(call_id.to_string(), guard);
    }

    fn call_bridged(&self, call_id: &str, peer: Option<&str>) {
        let guards = self.guards.lock().unwrap_or_else(|e| e.into_inner());
        let Some(guard) = guards.get(call_id) else {
            return;
        };
        let state = match peer {
            Some(p) => CallPhase::Bridged {
                peer: p.to_string(),
            },
            None => CallPhase::Flow {
                label: guard.get().and_then(|s| s.flow).unwrap_or_default(),
            },
        };
        guard.set_state(state);
    }

    fn call_ended(
        &self,
        _tenant: &str,
        call_id: &str,
        outcome: &str,
        _failed: bool,
        rtp: (u64, u64),
    ) {
        self.metrics.flow_ended(outcome);
        self.metrics.rtp(rtp.0, rtp.1);
        self.guards
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(call_id);
    }
}

impl PromptSource for PromptLibrary {
    fn playlist(&self, tenant: &str, language: &str, names: &[String]) -> Result<Playlist, String> {
        PromptLibrary::playlist(self, tenant, language, names).map_err(|e| e.to_string())
    }

    fn digits(&self, _language: &str, digits: &str) -> Vec<String> {
        crate::prompts::say::digits_names(digits)
    }

    fn number(&self, language: &str, n: i64) -> Vec<String> {
        crate::prompts::say::number_names(language, n)
    }
}
