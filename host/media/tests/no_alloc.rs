//! The steady state allocates nothing: legs playing prompts, receiving RTP,
//! decoding it for in-band DTMF, and a transcoding bridge, counted by a
//! global allocator over one second.

use std::alloc::{GlobalAlloc, Layout, System};
use std::net::{SocketAddr, UdpSocket};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pbx_media::prompt::{Playlist, Prompt};
use pbx_media::rtp::packet::RtpHeader;
use pbx_media::{EngineConfig, InbandDtmf, MediaEngine};

struct Counting;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

// SAFETY: forwards to the system allocator, only counting calls.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn offer(port: u16, pt: u8) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP {pt} 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    )
}

fn engine_port(sdp: &str) -> SocketAddr {
    let port = sdp
        .lines()
        .find_map(|l| l.strip_prefix("m=audio "))
        .and_then(|l| l.split(' ').next()?.parse().ok())
        .unwrap();
    SocketAddr::from(([127, 0, 0, 1], port))
}

#[test]
fn steady_state_allocates_nothing() {
    let engine = MediaEngine::start(EngineConfig {
        port_min: 43600,
        port_max: 43799,
        inband_dtmf: InbandDtmf::Always,
        ..EngineConfig::default()
    })
    .unwrap();
    let pcm: Vec<i16> = (0..8000 * 20)
        .map(|i| ((i % 80) * 200 - 8000) as i16)
        .collect();
    let prompt = Arc::new(Prompt::from_pcm("p", &pcm, 8000));
    let mut callers = Vec::new();
    let mut legs = Vec::new();
    for i in 0..22 {
        let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
        sock.set_nonblocking(true).unwrap();
        // Two legs (PCMU and PCMA) will be bridged: transcoding.
        let pt = if i == 21 { 8 } else { 0 };
        let leg = engine
            .create_leg(Some(&offer(sock.local_addr().unwrap().port(), pt)))
            .unwrap();
        if i < 20 {
            engine
                .play(leg.id, &Playlist::one(prompt.clone()), true)
                .unwrap();
        }
        callers.push((sock, engine_port(&leg.sdp), pt));
        legs.push(leg);
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(engine.bridge(legs[20].id, legs[21].id))
        .unwrap();

    let mut pkt = [0u8; 172];
    let mut buf = [0u8; 1500];
    let start = Instant::now();
    let mut before = None;
    let mut tick = 0u32;
    while start.elapsed() < Duration::from_secs(3) {
        if before.is_none() && start.elapsed() > Duration::from_secs(2) {
            before = Some(ALLOCATIONS.load(Ordering::Relaxed));
        }
        for (i, (sock, to, pt)) in callers.iter().enumerate() {
            RtpHeader {
                marker: false,
                payload_type: *pt,
                sequence: tick as u16,
                timestamp: tick * 160,
                ssrc: i as u32 + 1,
            }
            .write(&mut pkt);
            for (j, b) in pkt[12..].iter_mut().enumerate() {
                *b = ((j as u32 + tick) % 251) as u8;
            }
            sock.send_to(&pkt, to).unwrap();
            while sock.recv_from(&mut buf).is_ok() {}
        }
        tick += 1;
        let next = start + Duration::from_millis(20) * tick;
        if let Some(d) = next.checked_duration_since(Instant::now()) {
            std::thread::sleep(d);
        }
    }
    let before = before.unwrap();
    assert!(
        before > 1000,
        "the counter sees the set-up's allocations: {before}"
    );
    let during = ALLOCATIONS.load(Ordering::Relaxed) - before;
    let sent: u64 = engine.worker_stats().iter().map(|w| w.packets).sum();
    assert!(sent > 22 * 100, "the legs were sending: {sent}");
    assert_eq!(during, 0, "allocations in one second of steady state");
}
