//! Attended transfer (RFC 5589 section 7): REFER with `Replaces`.
//!
//! The transferor has two calls through the PBX: call 1 with the
//! transferee and call 2 (the consultation) with the target. It sends a
//! REFER in call 1 whose `Refer-To` carries `?Replaces=` naming its dialog
//! of call 2. The PBX joins the two remote parties itself: the target's
//! dialog moves from call 2 into call 1 in the transferor's place, each of
//! them gets a re-INVITE with the other's latest SDP, the transferor gets
//! the final NOTIFY (200) and a BYE on call 1 and a BYE on call 2, which
//! ends as [`CallOutcome::Transferred`].

use super::*;
use crate::dialog::uri_of;

/// The dialog a `Replaces` value names: Call-ID and the two tags, in
/// whichever order they match our side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Replaces {
    call_id: String,
    to_tag: String,
    from_tag: String,
}

impl Replaces {
    /// The `Replaces` embedded in a Refer-To value
    /// (`<sip:c@pbx?Replaces=abc%40h%3Bto-tag%3D1%3Bfrom-tag%3D2>`), if any.
    pub(super) fn from_refer_to(refer_to: &str) -> Option<Replaces> {
        let uri = uri_of(refer_to);
        let (_, headers) = uri.split_once('?')?;
        let value = headers.split('&').find_map(|h| {
            let (name, value) = h.split_once('=')?;
            name.eq_ignore_ascii_case("replaces").then_some(value)
        })?;
        Replaces::parse(&percent_decode(value))
    }

    /// Parse `call-id;to-tag=x;from-tag=y` (RFC 3891).
    fn parse(value: &str) -> Option<Replaces> {
        let mut parts = value.split(';');
        let call_id = parts.next()?.trim().to_string();
        let (mut to_tag, mut from_tag) = (None, None);
        for p in parts {
            let (name, v) = p.split_once('=').unwrap_or((p, ""));
            match name.trim().to_ascii_lowercase().as_str() {
                "to-tag" => to_tag = Some(v.trim().to_string()),
                "from-tag" => from_tag = Some(v.trim().to_string()),
                _ => {}
            }
        }
        (!call_id.is_empty()).then_some(())?;
        Some(Replaces {
            call_id,
            to_tag: to_tag?,
            from_tag: from_tag?,
        })
    }

    /// Our dialog ids it may name (the tags from either side).
    fn dialog_ids(&self) -> [DialogId; 2] {
        [
            DialogId::new(&self.call_id, &self.to_tag, &self.from_tag),
            DialogId::new(&self.call_id, &self.from_tag, &self.to_tag),
        ]
    }
}

/// `%XX` escapes decoded (invalid ones kept as they are).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl B2bua {
    /// A REFER with Replaces from `leg` of call `id`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn attended_transfer(
        &mut self,
        layer: &mut TransactionLayer,
        now: Duration,
        key: &TransactionKey,
        id: u64,
        leg: Leg,
        req: Request,
        replaces: Replaces,
        out: &mut Vec<Effect>,
    ) {
        let found = replaces
            .dialog_ids()
            .into_iter()
            .find_map(|d| self.by_dialog.get(&d).copied());
        let Some((consult, consult_leg)) = found.filter(|(c, _)| *c != id) else {
            tracing::info!("attended transfer: the consultation call is unknown");
            let refusal = req.response(481, reason_phrase(481), None);
            return respond(layer, now, key, refusal, out);
        };
        let usable = |c: Option<&Call>| {
            c.is_some_and(|c| c.answered && c.ended_at.is_none() && c.transfer.is_none())
        };
        if !usable(self.calls.get(&consult)) {
            let refusal = req.response(481, reason_phrase(481), None);
            return respond(layer, now, key, refusal, out);
        }
        let Some(call) = self.calls.get(&id) else {
            return;
        };
        let mut accepted = req.response(202, "Accepted", None);
        accepted
            .headers
            .push("Contact", &format!("<{}>", call.local(leg).contact));
        respond(layer, now, key, accepted, out);

        // Take the target's leg out of the consultation call.
        let target_leg = consult_leg.other();
        let Some(c2) = self.calls.get_mut(&consult) else {
            return;
        };
        let target_addr = c2.target(target_leg);
        let target_sdp = c2.sdp[target_leg.index()].clone();
        let target_update = c2.allows_update[target_leg.index()];
        let moved = match target_leg {
            Leg::A => c2.a_dialog.take(),
            Leg::B => c2.b_dialog.take().and_then(|d| c2.b_dialogs.remove(&d)),
        };
        c2.two_xx.clear();
        let (Some(moved), Some(target_addr)) = (moved, target_addr) else {
            return;
        };
        // The transferor's leg of the consultation call: hung up.
        if let Some((bye, t)) = c2.bye_leg(consult_leg, now) {
            self.start(layer, now, consult, bye, t, ClientRole::Other, out);
        }
        self.by_dialog.remove(moved.id());
        self.end(consult, now, CallOutcome::Transferred);

        // Put the target in the transferor's place in call 1.
        let Some(call) = self.calls.get_mut(&id) else {
            return;
        };
        let old_target = call.target(leg);
        let old = match leg {
            Leg::A => call.a_dialog.take(),
            Leg::B => call.b_dialog.take().and_then(|d| call.b_dialogs.remove(&d)),
        };
        let moved_id = moved.id().clone();
        call.set_leg(leg, moved, target_addr);
        call.dialog_ids.push(moved_id.clone());
        call.transfers += 1;
        call.two_xx.clear();
        let transferee = leg.other();
        let transferee_sdp = call.sdp[transferee.index()].clone();
        call.sdp[leg.index()] = target_sdp.clone();
        call.allows_update[leg.index()] = target_update;
        self.by_dialog.insert(moved_id, (id, leg));
        tracing::info!(caller = %call.caller, callee = %call.callee, ?leg, "attended transfer");

        // Each remote party gets the other's media.
        for (to, sdp) in [(transferee, target_sdp), (leg, transferee_sdp)] {
            let Some(call) = self.calls.get_mut(&id) else {
                return;
            };
            let dest = call.target(to);
            let reinvite = call
                .dialog_mut(to)
                .map(|d| d.reinvite(sdp, "application/sdp", now));
            if let (Some(reinvite), Some(dest)) = (reinvite, dest) {
                self.start(layer, now, id, reinvite, dest, ClientRole::Reoffer(to), out);
            }
        }

        // The transferor: final NOTIFY on its old dialog of call 1, then
        // a BYE once that is answered.
        if let (Some(mut old), Some(old_target)) = (old, old_target) {
            self.by_dialog.remove(old.id());
            let notify = super::transfer::notify(&mut old, 200, true, now);
            self.detached
                .insert(old.id().clone(), Detached::new(id, old, old_target));
            self.start(
                layer,
                now,
                id,
                notify,
                old_target,
                ClientRole::TransferDone,
                out,
            );
        }
    }

    /// The answer to a re-INVITE of ours on `leg` (after an attended
    /// transfer): ACK a 2xx and keep the SDP.
    pub(super) fn reoffer_event(&mut self, id: u64, leg: Leg, event: TuEvent) -> Vec<Effect> {
        let mut out = Vec::new();
        let TuEvent::Final(resp) = event else {
            return out;
        };
        let Some(call) = self.calls.get_mut(&id) else {
            return out;
        };
        if !(200..300).contains(&resp.status) {
            tracing::info!(
                status = resp.status,
                ?leg,
                "re-INVITE after transfer refused"
            );
            return out;
        }
        if !resp.body.is_empty() {
            call.sdp[leg.index()] = resp.body.clone();
        }
        let target = call.target(leg);
        if let Some(d) = call.dialog_mut(leg) {
            d.on_response_received(&resp);
            if let (Ok(ack), Some(target)) = (d.ack_for_2xx(&resp), target) {
                out.push(Effect::Send(SipMessage::Request(ack), target));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_is_read_from_an_escaped_refer_to() {
        let r = Replaces::from_refer_to(
            "<sip:1003@pbx.test?Replaces=abc%40h.test%3Bto-tag%3Dt1%3Bfrom-tag%3Df2>",
        )
        .unwrap();
        assert_eq!(r.call_id, "abc@h.test");
        assert_eq!((r.to_tag.as_str(), r.from_tag.as_str()), ("t1", "f2"));
        assert!(Replaces::from_refer_to("<sip:1003@pbx.test>").is_none());
        assert!(Replaces::from_refer_to("<sip:1003@pbx.test?Replaces=abc%3Bto-tag%3Dx>").is_none());
    }
}
