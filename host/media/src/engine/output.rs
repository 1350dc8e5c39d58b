//! The send half of a tick: what a leg hears in this 20 ms slot (an RFC
//! 4733 event, a prompt frame, music on hold, or the legs it is mixed
//! with), sent as one RTP packet from a reused buffer.

use crate::codec::{FRAME_16K, MAX_PAYLOAD};
use crate::rtp::packet::HEADER_LEN;

use super::events::LegEvent;
use super::leg::Leg;

/// What the mixed-in legs contributed this tick, gathered before the
/// listening leg is borrowed mutably. One per worker, reused.
pub struct MixInput {
    /// A payload to relay as-is (one peer, same codec).
    pub pass: [u8; MAX_PAYLOAD],
    /// Its length; 0 when there is none.
    pub pass_len: usize,
    /// Mixed PCM at the listening leg's rate.
    pub pcm: [i16; FRAME_16K],
    /// Samples in `pcm`; 0 when no peer had audio.
    pub pcm_len: usize,
    acc: [i32; FRAME_16K],
}

impl Default for MixInput {
    fn default() -> Self {
        MixInput {
            pass: [0; MAX_PAYLOAD],
            pass_len: 0,
            pcm: [0; FRAME_16K],
            pcm_len: 0,
            acc: [0; FRAME_16K],
        }
    }
}

/// Converts between 8 and 16 kHz by sample doubling/averaging (a cheap
/// per-frame path for mixing legs of different rates).
fn add_resampled(acc: &mut [i32], src: &[i16], n: usize) {
    if src.len() == n {
        for (a, s) in acc[..n].iter_mut().zip(src) {
            *a += *s as i32;
        }
    } else if src.len() * 2 == n {
        for (i, s) in src.iter().enumerate() {
            acc[2 * i] += *s as i32;
            acc[2 * i + 1] += *s as i32;
        }
    } else if src.len() == n * 2 {
        for (i, a) in acc[..n].iter_mut().enumerate() {
            *a += (src[2 * i] as i32 + src[2 * i + 1] as i32) / 2;
        }
    }
}

impl MixInput {
    /// Gathers the audio of `peers` for `listener`: the payload to relay
    /// when one peer with the listener's codec spoke in exactly one 20 ms
    /// packet, and the mixed PCM at the listener's rate in every case.
    pub fn gather<'a>(&mut self, listener: &Leg, peers: impl Iterator<Item = &'a Leg>) {
        self.pass_len = 0;
        self.pcm_len = 0;
        let Some(codec) = listener.codec() else {
            return;
        };
        let n = codec.frame_samples();
        self.acc[..n].fill(0);
        let mut count = 0;
        let mut single_pass = true;
        for peer in peers {
            let Some(inb) = &peer.inbound else { continue };
            if inb.payload_len == 0 {
                continue;
            }
            count += 1;
            if count == 1 && peer.codec() == Some(codec) && listener.mix.len() == 1 {
                self.pass[..inb.payload_len].copy_from_slice(&inb.payload[..inb.payload_len]);
                self.pass_len = inb.payload_len;
            } else {
                single_pass = false;
            }
            add_resampled(&mut self.acc, &inb.pcm[..inb.pcm_len], n);
        }
        if count == 0 {
            return;
        }
        if !single_pass {
            self.pass_len = 0;
        }
        for (o, a) in self.pcm[..n].iter_mut().zip(&self.acc[..n]) {
            *o = (*a).clamp(i16::MIN as i32, i16::MAX as i32) as i16;
        }
        self.pcm_len = n;
    }
}

/// Builds and sends this slot's packet for `leg`; advances players even
/// when the direction forbids sending (time passes for a held caller too).
/// Returns whether a packet went out (the caller, who knows the schedule,
/// judges its lateness).
pub fn produce(leg: &mut Leg, mix: &MixInput, buf: &mut [u8]) -> bool {
    leg.heard_len = 0;
    let Some(neg) = &leg.neg else { return false };
    let codec = neg.codec;
    let step = codec.timestamp_step();
    let (pt, te) = (neg.payload_type, neg.telephone_event_pt);
    let can_send = neg.direction.sends() && leg.remote.is_some();
    let n = codec.frame_samples();
    let slot_ts = leg.out.slot_timestamp();
    let mut len = 0usize;
    let mut header = None;

    if let Some(te_pt) = te
        && let Some(ev) = leg.dtmf_tx.next(slot_ts, step as u16)
    {
        buf[HEADER_LEN..HEADER_LEN + 4].copy_from_slice(&ev.payload);
        len = 4;
        header = Some(leg.out.event_header(te_pt, ev.timestamp, ev.marker));
    } else if leg.tones.busy()
        && let Some(enc) = &mut leg.encoder
    {
        if leg.tones.next_frame(codec.pcm_rate(), &mut leg.heard[..n]) {
            leg.heard_len = n;
            len = enc.encode(
                &leg.heard[..n],
                &mut buf[HEADER_LEN..HEADER_LEN + MAX_PAYLOAD],
            );
        }
    } else if let Some(p) = &mut leg.player {
        let item = &p.items[p.item];
        let f = item.frame(p.frame);
        buf[HEADER_LEN..HEADER_LEN + f.len()].copy_from_slice(f);
        len = f.len();
        let pcm = item.frame_pcm(p.frame);
        leg.heard[..pcm.len()].copy_from_slice(pcm);
        leg.heard_len = pcm.len();
        p.frame += 1;
        if p.frame >= item.frames() {
            p.frame = 0;
            p.item += 1;
            if p.item >= p.items.len() {
                let id = p.id;
                leg.player = None;
                let _ = leg.events.send(LegEvent::PlaybackFinished {
                    play: id,
                    interrupted: false,
                });
            }
        }
    } else if let Some(m) = &mut leg.moh {
        if m.file >= m.files.len() || m.frame >= m.files[m.file].frames() {
            m.file = if m.file >= m.files.len() {
                0
            } else {
                m.class.next_file(m.file)
            };
            m.frame = 0;
        }
        let item = &m.files[m.file];
        if item.frames() > 0 {
            let f = item.frame(m.frame);
            buf[HEADER_LEN..HEADER_LEN + f.len()].copy_from_slice(f);
            len = f.len();
            let pcm = item.frame_pcm(m.frame);
            leg.heard[..pcm.len()].copy_from_slice(pcm);
            leg.heard_len = pcm.len();
        }
        m.frame += 1;
    } else if mix.pass_len > 0 {
        buf[HEADER_LEN..HEADER_LEN + mix.pass_len].copy_from_slice(&mix.pass[..mix.pass_len]);
        len = mix.pass_len;
        leg.heard[..mix.pcm_len].copy_from_slice(&mix.pcm[..mix.pcm_len]);
        leg.heard_len = mix.pcm_len;
    } else if mix.pcm_len > 0
        && let Some(enc) = &mut leg.encoder
    {
        len = enc.encode(
            &mix.pcm[..n.min(mix.pcm_len)],
            &mut buf[HEADER_LEN..HEADER_LEN + MAX_PAYLOAD],
        );
        leg.heard[..mix.pcm_len].copy_from_slice(&mix.pcm[..mix.pcm_len]);
        leg.heard_len = mix.pcm_len;
    }

    let mut sent = false;
    if len > 0 && can_send {
        let h = header.unwrap_or_else(|| leg.out.audio_header(pt, len));
        h.write(buf);
        if let Some(remote) = leg.remote {
            let packet = &buf[..HEADER_LEN + len];
            sent = if leg.connected {
                leg.rtp.send(packet).is_ok()
            } else {
                leg.rtp.send_to(packet, remote).is_ok()
            };
        }
        leg.sent_since_report = true;
    }
    leg.out.end_slot(step, len > 0 && can_send);
    sent
}
