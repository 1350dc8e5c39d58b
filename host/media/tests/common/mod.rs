//! A test "caller": a UDP socket on loopback that sends and receives RTP.

#![allow(dead_code)]

use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pbx_media::codec::g711;
use pbx_media::dtmf::Digit;
use pbx_media::dtmf::goertzel::synthesize;
use pbx_media::prompt::Prompt;
use pbx_media::rtp::packet::RtpHeader;
use pbx_media::{EngineConfig, InbandDtmf, LegEvent, MediaEngine};
use tokio::sync::mpsc::UnboundedReceiver;

/// An engine on loopback with a port range of its own.
pub fn engine(first_port: u16, inband: InbandDtmf) -> MediaEngine {
    MediaEngine::start(EngineConfig {
        port_min: first_port,
        port_max: first_port + 99,
        workers: 2,
        inband_dtmf: inband,
        ..EngineConfig::default()
    })
    .unwrap()
}

/// A received RTP packet.
#[derive(Debug, Clone)]
pub struct Packet {
    pub header: RtpHeader,
    pub payload: Vec<u8>,
    pub at: Instant,
    pub from: SocketAddr,
}

pub struct Caller {
    pub sock: UdpSocket,
    pub seq: u16,
    pub ts: u32,
    pub ssrc: u32,
    /// Pacing like a phone: packets at start + n * interval, not after a
    /// sleep each (which drifts late on a loaded machine).
    pace_start: Option<tokio::time::Instant>,
    paced_ms: u64,
}

impl Caller {
    pub fn new() -> Caller {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(50)))
            .unwrap();
        Caller {
            sock,
            seq: 100,
            ts: 8000,
            ssrc: 0x1234_5678,
            pace_start: None,
            paced_ms: 0,
        }
    }

    /// Waits until the next packet is due, `ms` after the previous one on
    /// a steady clock; after a pause of the test, starts a new schedule.
    pub async fn pace(&mut self, ms: u64) {
        let now = tokio::time::Instant::now();
        let start = *self.pace_start.get_or_insert(now);
        let due = start + Duration::from_millis(self.paced_ms + ms);
        if now > due + Duration::from_millis(100) {
            self.pace_start = Some(now);
            self.paced_ms = 0;
            tokio::time::sleep(Duration::from_millis(ms)).await;
            return;
        }
        self.paced_ms += ms;
        tokio::time::sleep_until(due).await;
    }

    pub fn port(&self) -> u16 {
        self.sock.local_addr().unwrap().port()
    }

    /// An SDP offer for PCMU (or `codecs`) + telephone-event at this socket.
    pub fn offer(&self, pts: &str) -> String {
        format!(
            "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {} RTP/AVP {pts} 101\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\n",
            self.port()
        )
    }

    pub fn send_rtp(&mut self, to: SocketAddr, pt: u8, marker: bool, ts: u32, payload: &[u8]) {
        let mut buf = vec![0u8; 12 + payload.len()];
        RtpHeader {
            marker,
            payload_type: pt,
            sequence: self.seq,
            timestamp: ts,
            ssrc: self.ssrc,
        }
        .write(&mut buf);
        buf[12..].copy_from_slice(payload);
        self.seq = self.seq.wrapping_add(1);
        self.sock.send_to(&buf, to).unwrap();
    }

    /// Sends one 20 ms PCMU frame of `pcm` and advances the timestamp.
    pub fn send_pcmu(&mut self, to: SocketAddr, pcm: &[i16]) {
        let mut out = [0u8; 160];
        let n = g711::encode_ulaw(pcm, &mut out);
        let ts = self.ts;
        self.send_rtp(to, 0, false, ts, &out[..n]);
        self.ts = self.ts.wrapping_add(160);
    }

    /// Receives packets until `n` arrived or `timeout` passed.
    pub fn recv(&self, n: usize, timeout: Duration) -> Vec<Packet> {
        let deadline = Instant::now() + timeout;
        let mut out = Vec::new();
        let mut buf = [0u8; 1500];
        while out.len() < n && Instant::now() < deadline {
            if let Ok((len, from)) = self.sock.recv_from(&mut buf)
                && let Some(v) = RtpHeader::parse(&buf[..len])
                && !pbx_media::rtp::packet::looks_like_rtcp(&buf[..len])
            {
                out.push(Packet {
                    header: v.header,
                    payload: buf[v.payload_start..v.payload_end].to_vec(),
                    at: Instant::now(),
                    from,
                });
            }
        }
        out
    }
}

/// The engine's address from an SDP answer.
pub fn answer_addr(sdp: &str) -> SocketAddr {
    let port: u16 = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap();
    SocketAddr::from(([127, 0, 0, 1], port))
}

/// A prompt whose frame k is a constant level identifying it ((k % 100) + 1) * 200,
/// so a received payload tells which frame it was.
pub fn counting_prompt(name: &str, frames: usize) -> Arc<Prompt> {
    let mut pcm = Vec::new();
    for k in 0..frames {
        pcm.extend(std::iter::repeat_n((((k % 100) as i16) + 1) * 200, 160));
    }
    Arc::new(Prompt::from_pcm(name, &pcm, 8000))
}

/// PCM of a DTMF tone.
pub fn dtmf_pcm(digit: char, ms: usize) -> Vec<i16> {
    let mut v = vec![0i16; ms * 8];
    synthesize(Digit::from_char(digit).unwrap(), 6000.0, 0, &mut v);
    v
}

/// Waits for an event matching `f`.
pub async fn wait_for(
    events: &mut UnboundedReceiver<LegEvent>,
    timeout: Duration,
    f: impl Fn(&LegEvent) -> bool,
) -> Option<LegEvent> {
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Ok(Some(e)) if f(&e) => return Some(e),
            Ok(Some(_)) => continue,
            _ => return None,
        }
    }
}

/// Drains the events available now.
pub fn drain(events: &mut UnboundedReceiver<LegEvent>) -> Vec<LegEvent> {
    let mut v = Vec::new();
    while let Ok(e) = events.try_recv() {
        v.push(e);
    }
    v
}

/// A prompt whose frame k is silent except for a spike at sample k % 160,
/// so a received PCMU payload tells exactly which frame it was.
pub fn marked_prompt(name: &str, frames: usize) -> Arc<Prompt> {
    let mut pcm = vec![0i16; frames * 160];
    for k in 0..frames {
        pcm[k * 160 + k % 160] = 8000;
    }
    Arc::new(Prompt::from_pcm(name, &pcm, 8000))
}

/// The frame index of a packet of [`marked_prompt`] (PCMU).
pub fn mark_of(payload: &[u8]) -> Option<usize> {
    payload.iter().position(|&b| g711::ulaw_to_linear(b) > 4000)
}
