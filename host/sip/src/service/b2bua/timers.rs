//! Ring timeouts, 2xx retransmissions and forgetting ended calls.

use super::*;

impl B2bua {
    /// Ring timeouts, 2xx retransmissions and forgetting ended calls.
    pub(crate) fn poll(&mut self, layer: &mut TransactionLayer, now: Duration) -> Vec<Effect> {
        let mut out = Vec::new();
        self.last_scan = now;
        self.poll_trunks(layer, now, &mut out);
        for q in 0..self.lingering.len() {
            while let Some(&(forget_at, id)) = self.lingering[q].front() {
                if now < forget_at {
                    break;
                }
                self.lingering[q].pop_front();
                self.drop_call(id);
            }
        }
        // Only calls in progress have timers; ended ones just linger.
        let ids: Vec<u64> = self.live.iter().copied().collect();
        for id in ids {
            let Some(call) = self.calls.get_mut(&id) else {
                continue;
            };
            if call.ring_deadline.is_some_and(|d| now >= d) {
                call.ring_deadline = None;
                tracing::info!(caller = %call.caller, callee = %call.callee, "ring timeout");
                let response = call
                    .a_invite
                    .response(480, reason_phrase(480), Some(&call.a_tag));
                let a_key = call.a_key.clone();
                respond(layer, now, &a_key, response, &mut out);
                self.cancel_forks(layer, now, id, &mut out);
                self.end(id, now, CallOutcome::Failed(480));
                continue;
            }
            self.poll_extensions(layer, now, id, &mut out);
            let Some(call) = self.calls.get_mut(&id) else {
                continue;
            };
            let mut gave_up = false;
            for (leg, r) in &mut call.two_xx {
                match r.poll(now) {
                    Some(TwoXxEvent::Retransmit(SipMessage::Response(resp))) => {
                        let (kind, conn) = call_route(call.a_route, call.b_target, *leg);
                        out.push(Effect::Respond(resp, kind, conn));
                    }
                    Some(TwoXxEvent::GaveUp) if *leg == Leg::A && !call.a_acked => gave_up = true,
                    _ => {}
                }
            }
            call.two_xx.retain(|(_, r)| !r.is_finished());
            if gave_up && call.ended_at.is_none() {
                self.hang_up_both(layer, now, id, CallOutcome::NoAck, &mut out);
            }
        }
        out
    }
}
