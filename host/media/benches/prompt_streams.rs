//! Load benchmark: N legs each playing a prompt to a caller that sends RTP
//! back (PCMU + telephone-event negotiated, the engine listening for
//! DTMF), for a few N. Reports late packets (sent more than 5 ms after
//! their 20 ms slot, as counted by the workers), CPU of the media worker
//! threads per stream, and resident memory per stream.
//!
//! `cargo bench -p pbx-media --bench prompt_streams -- [--workers W]
//! [--seconds S] [--inband] N...` (defaults: 1 worker, 10 s, 500 1000 2000 3000).
//!
//! The load generator (one socket, recvmmsg/sendmmsg) runs in this process
//! on another thread and shares the machine's cores with the workers.

use std::collections::HashMap;
use std::net::{SocketAddr, UdpSocket};
use std::os::fd::AsRawFd;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use pbx_media::engine::{TICK, WorkerStats};
use pbx_media::prompt::{Playlist, Prompt};
use pbx_media::rtp::batch::{RecvBatch, SendBatch};
use pbx_media::rtp::packet::RtpHeader;
use pbx_media::{EngineConfig, InbandDtmf, MediaEngine};

fn clk_tck() -> f64 {
    // SAFETY: sysconf has no preconditions.
    (unsafe { libc::sysconf(libc::_SC_CLK_TCK) }) as f64
}

/// CPU seconds (user + system) of the threads whose name starts with `prefix`.
fn thread_cpu(prefix: &str) -> f64 {
    let mut total = 0.0;
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return 0.0;
    };
    for t in dir.flatten() {
        let p = t.path();
        let comm = std::fs::read_to_string(p.join("comm")).unwrap_or_default();
        if !comm.starts_with(prefix) {
            continue;
        }
        let stat = std::fs::read_to_string(p.join("stat")).unwrap_or_default();
        // Fields after the ")" of the command name: state is field 3, utime 14, stime 15.
        if let Some(rest) = stat.rsplit_once(')').map(|(_, r)| r) {
            let f: Vec<&str> = rest.split_whitespace().collect();
            let ut: f64 = f.get(11).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            let st: f64 = f.get(12).and_then(|v| v.parse().ok()).unwrap_or(0.0);
            total += (ut + st) / clk_tck();
        }
    }
    total
}

fn process_cpu() -> f64 {
    // SAFETY: getrusage fills the struct it is given.
    let mut ru: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut ru) };
    let tv = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
    tv(ru.ru_utime) + tv(ru.ru_stime)
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn sum(stats: &[WorkerStats]) -> WorkerStats {
    stats.iter().fold(
        WorkerStats {
            ticks: 0,
            packets: 0,
            late_packets: 0,
            max_late_us: 0,
            legs: 0,
        },
        |a, s| WorkerStats {
            ticks: a.ticks.max(s.ticks),
            packets: a.packets + s.packets,
            late_packets: a.late_packets + s.late_packets,
            max_late_us: a.max_late_us.max(s.max_late_us),
            legs: a.legs + s.legs,
        },
    )
}

fn set_rcvbuf(sock: &UdpSocket, bytes: i32) {
    // SAFETY: a valid socket and an int option value.
    unsafe {
        libc::setsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_RCVBUF,
            (&bytes as *const i32).cast(),
            std::mem::size_of::<i32>() as libc::socklen_t,
        );
    }
}

struct Caller {
    stop: Arc<AtomicBool>,
    received: Arc<AtomicU64>,
    thread: std::thread::JoinHandle<()>,
}

/// The load generator: one socket receiving every stream and sending one
/// PCMU packet per stream per 20 ms back to each leg.
fn start_caller(sock: UdpSocket, legs: Vec<SocketAddr>) -> Caller {
    let stop = Arc::new(AtomicBool::new(false));
    let received = Arc::new(AtomicU64::new(0));
    let (s2, r2) = (stop.clone(), received.clone());
    let thread = std::thread::Builder::new()
        .name("load-caller".into())
        .spawn(move || {
            // The load generator stands for thousands of phones: it must not
            // be starved either, or the legs would see losses that are not theirs.
            pbx_media::engine::priority::raise_current_thread();
            sock.set_nonblocking(true).unwrap();
            let mut rx = RecvBatch::default();
            let mut tx = SendBatch::default();
            let mut pkt = [0xffu8; 172];
            let mut seq: HashMap<SocketAddr, u16> = legs.iter().map(|a| (*a, 0)).collect();
            let start = Instant::now();
            let mut tick = 0u32;
            while !s2.load(Ordering::Relaxed) {
                loop {
                    let n = rx.recv(&sock);
                    r2.fetch_add(n as u64, Ordering::Relaxed);
                    if n == 0 {
                        break;
                    }
                }
                for (i, to) in legs.iter().enumerate() {
                    let s = seq.get_mut(to).unwrap();
                    RtpHeader {
                        marker: false,
                        payload_type: 0,
                        sequence: *s,
                        timestamp: tick * 160,
                        ssrc: i as u32 + 1,
                    }
                    .write(&mut pkt);
                    *s = s.wrapping_add(1);
                    tx.push(&sock, &pkt, *to);
                    if i % 64 == 63 {
                        // Drain between batches so the receive buffer never overflows.
                        let n = rx.recv(&sock);
                        r2.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
                tx.flush(&sock);
                tick += 1;
                let next = start + TICK * tick;
                let now = Instant::now();
                if next > now {
                    std::thread::sleep(next - now);
                }
            }
        })
        .unwrap();
    Caller {
        stop,
        received,
        thread,
    }
}

fn run(n: usize, workers: usize, seconds: u64, inband: bool, prompt: &Arc<Prompt>) {
    let rss0 = rss_kib();
    let engine = MediaEngine::start(EngineConfig {
        port_min: 30000,
        port_max: 39999,
        workers,
        inband_dtmf: if inband {
            InbandDtmf::Always
        } else {
            InbandDtmf::Auto
        },
        ..EngineConfig::default()
    })
    .expect("engine");
    let sock = UdpSocket::bind("127.0.0.1:0").unwrap();
    set_rcvbuf(&sock, 4 << 20);
    let port = sock.local_addr().unwrap().port();
    let offer = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {port} RTP/AVP 0 101\r\na=rtpmap:101 telephone-event/8000\r\n"
    );
    let mut legs = Vec::with_capacity(n);
    let mut addrs = Vec::with_capacity(n);
    for _ in 0..n {
        let leg = engine.create_leg(Some(&offer)).expect("leg");
        let p: u16 = leg
            .sdp
            .lines()
            .find_map(|l| l.strip_prefix("m=audio "))
            .and_then(|l| l.split(' ').next()?.parse().ok())
            .unwrap();
        addrs.push(SocketAddr::from(([127, 0, 0, 1], p)));
        engine
            .play(leg.id, &Playlist::one(prompt.clone()), true)
            .unwrap();
        legs.push(leg);
    }
    let caller = start_caller(sock, addrs);
    std::thread::sleep(Duration::from_secs(2)); // warm-up
    engine.reset_worker_peaks();
    let (w0, c0, p0, r0) = (
        sum(&engine.worker_stats()),
        thread_cpu("media-worker"),
        process_cpu(),
        caller.received.load(Ordering::Relaxed),
    );
    let t0 = Instant::now();
    std::thread::sleep(Duration::from_secs(seconds));
    let (w1, c1, p1, r1) = (
        sum(&engine.worker_stats()),
        thread_cpu("media-worker"),
        process_cpu(),
        caller.received.load(Ordering::Relaxed),
    );
    let wall = t0.elapsed().as_secs_f64();
    let rss = rss_kib();
    caller.stop.store(true, Ordering::Relaxed);
    caller.thread.join().unwrap();

    let sent = w1.packets - w0.packets;
    let late = w1.late_packets - w0.late_packets;
    let expected = (n as f64 * wall * 50.0) as u64;
    let worker_cpu = c1 - c0;
    println!(
        "| {n} | {workers} | {sent} ({:.1}% of {expected}) | **{late}** | {:.2} ms | {:.1}% | {:.1} us | {:.2} us | {:.1}% | {:.1} KiB | {} |",
        sent as f64 * 100.0 / expected as f64,
        w1.max_late_us as f64 / 1000.0,
        worker_cpu * 100.0 / wall,
        worker_cpu * 1e6 / wall / n as f64,
        worker_cpu * 1e6 / sent.max(1) as f64,
        (p1 - p0) * 100.0 / wall,
        (rss.saturating_sub(rss0)) as f64 / n as f64,
        r1 - r0,
    );
    drop(legs);
    drop(engine);
    std::thread::sleep(Duration::from_millis(300));
}

fn main() {
    let mut workers = 1;
    let mut seconds = 10;
    let mut inband = false;
    let mut ns = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--workers" => {
                workers = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--workers N")
            }
            "--seconds" => {
                seconds = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--seconds S")
            }
            "--inband" => inband = true,
            "--bench" => {}
            other => match other.parse() {
                Ok(n) => ns.push(n),
                Err(_) => eprintln!("prompt_streams: ignoring argument {other:?}"),
            },
        }
    }
    if ns.is_empty() {
        ns = vec![500, 1000, 2000, 3000];
    }
    // A 60 s prompt: a 440 Hz tone with a slow tremolo, so frames differ.
    let pcm: Vec<i16> = (0..8000 * 60)
        .map(|i| {
            let t = i as f32 / 8000.0;
            (6000.0
                * (1.0 + 0.5 * (t * 3.0).sin())
                * (2.0 * std::f32::consts::PI * 440.0 * t).sin()) as i16
        })
        .collect();
    let prompt = Arc::new(Prompt::from_pcm("bench", &pcm, 8000));
    prompt.encoded(pbx_media::codec::Codec::Pcmu).unwrap();
    println!(
        "in-band DTMF detection: {}",
        if inband {
            "on every leg"
        } else {
            "off (RFC 4733 negotiated)"
        }
    );
    println!(
        "| streams | workers | packets sent (share of due) | late > 5 ms | worst lateness | worker CPU (of one core) | worker CPU per stream | worker CPU per packet | whole process CPU (incl. load generator) | RSS per stream | packets back at caller |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for n in ns {
        run(n, workers, seconds, inband, &prompt);
    }
}
