//! Legs over real loopback sockets: two legs against each other, relays
//! that delay or drop packets, garbage on the socket, and (ignored by
//! default) the CPU cost of 1,000 legs.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::net::UdpSocket;
use tokio::task::JoinHandle;

use super::*;

const LOCAL: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

async fn bind() -> RtpLeg {
    RtpLeg::bind(LOCAL).await.expect("bind")
}

/// A relay from anyone to `to`; `fate(n)` says what happens to the n-th
/// packet (0-based): `None` drops it, `Some(d)` forwards it after `d`.
async fn relay(
    to: SocketAddr,
    fate: impl Fn(u64) -> Option<Duration> + Send + 'static,
) -> (SocketAddr, JoinHandle<()>) {
    let sock = Arc::new(UdpSocket::bind((LOCAL, 0)).await.expect("bind relay"));
    let addr = sock.local_addr().expect("relay addr");
    let task = tokio::spawn(async move {
        let mut buf = [0u8; 1500];
        let mut n = 0u64;
        while let Ok((len, _)) = sock.recv_from(&mut buf).await {
            match fate(n) {
                None => {}
                Some(d) if d.is_zero() => {
                    let _ = sock.send_to(&buf[..len], to).await;
                }
                Some(d) => {
                    let (sock, data) = (sock.clone(), buf[..len].to_vec());
                    tokio::spawn(async move {
                        tokio::time::sleep(d).await;
                        let _ = sock.send_to(&data, to).await;
                    });
                }
            }
            n += 1;
        }
    });
    (addr, task)
}

fn near(value: u64, target: u64, tolerance: u64) -> bool {
    value.abs_diff(target) <= tolerance
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_legs_exchange_audio_and_dtmf() {
    let (a, b) = (bind().await, bind().await);
    let (a_addr, b_addr) = (a.local(), b.local());
    let a = a.start(
        b_addr,
        MediaPlan {
            codec: Codec::Pcmu,
            dtmf: vec![
                (Duration::from_millis(300), '1'),
                (Duration::from_millis(600), '#'),
                (Duration::from_millis(610), 'x'), // not a digit: ignored
            ],
            ..Default::default()
        },
    );
    let b = b.start(
        a_addr,
        MediaPlan {
            codec: Codec::Pcma,
            ..Default::default()
        },
    );
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let t = Instant::now();
    let sa = a.stop().await;
    let sb = b.stop().await;
    let stop_time = t.elapsed();
    eprintln!("a: {sa:?}\nb: {sb:?}\nstopping both took {stop_time:?}");
    assert!(stop_time < Duration::from_millis(250), "{stop_time:?}");
    for s in [&sa, &sb] {
        assert!(near(s.sent, 51, 5), "{s:?}");
        assert!(near(s.received, 50, 5), "{s:?}");
        assert_eq!(
            (s.lost, s.duplicates, s.malformed, s.send_failed),
            (0, 0, 0, 0)
        );
        // 40 ms above the minimum transit on loopback: only a badly
        // overloaded machine would see one.
        assert!(s.late <= 3, "{s:?}");
        assert!(
            s.first_packet_after
                .is_some_and(|d| d < Duration::from_millis(100))
        );
        assert!(s.max_jitter_ms < 20.0, "{s:?}");
    }
    assert_eq!(sa.dtmf_sent, 2);
    assert_eq!(sb.dtmf_received, "1#");
    assert_eq!(sa.dtmf_received, "");
    // A hears only B's tone; B hears A's tone except while digits play
    // (2 digits x 7 event packets).
    assert_eq!(sa.voiced, sa.received);
    assert!(near(sb.voiced + 14, sb.received, 1), "{sb:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delayed_packets_are_late_and_dropped_ones_lost() {
    let (a, b) = (bind().await, bind().await);
    let (c, d) = (bind().await, bind().await);
    // Every 10th packet held 100 ms; every 5th packet dropped.
    let (delay_addr, delay_task) = relay(b.local(), |n| {
        Some(if n % 10 == 5 {
            Duration::from_millis(100)
        } else {
            Duration::ZERO
        })
    })
    .await;
    let (drop_addr, drop_task) = relay(d.local(), |n| (n % 5 != 2).then_some(Duration::ZERO)).await;
    let receive_only = || MediaPlan {
        send: false,
        ..Default::default()
    };
    let a = a.start(delay_addr, MediaPlan::default());
    let b = b.start(delay_addr, receive_only());
    let c = c.start(drop_addr, MediaPlan::default());
    let d = d.start(drop_addr, receive_only());
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let (sa, sc) = (a.stop().await, c.stop().await);
    // Let the held packets arrive.
    tokio::time::sleep(Duration::from_millis(150)).await;
    let (sb, sd) = (b.stop().await, d.stop().await);
    delay_task.abort();
    drop_task.abort();
    eprintln!("delayed: {sb:?}\ndropped: {sd:?}");
    assert_eq!((sb.sent, sd.sent), (0, 0));
    assert!(near(sb.received, sa.sent, 1), "{sa:?} {sb:?}");
    // 5 held packets; a loaded machine may add a few of its own.
    assert!((3..=12).contains(&sb.late), "{sb:?}");
    assert_eq!(sb.lost, 0);
    assert!(sb.max_jitter_ms > 3.0, "{sb:?}");
    let expected = sd.received + sd.lost;
    assert!(near(expected, sc.sent, 2), "{sc:?} {sd:?}");
    assert!((0.15..=0.25).contains(&sd.loss_ratio()), "{sd:?}");
    assert_eq!(sd.late, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_is_counted_and_rtcp_ignored() {
    let b = bind().await;
    let b_addr = b.local();
    let b = b.start(
        "127.0.0.1:9".parse().expect("addr"),
        MediaPlan {
            send: false,
            ..Default::default()
        },
    );
    let s = UdpSocket::bind((LOCAL, 0)).await.expect("bind");
    for junk in [
        &[][..],
        &[0xff; 3][..],
        &[0x40; 30][..],
        &[0x90, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff][..],
    ] {
        s.send_to(junk, b_addr).await.expect("send");
    }
    // RTCP receiver report.
    s.send_to(&[0x80, 201, 0, 1, 0, 0, 0, 1], b_addr)
        .await
        .expect("send");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let st = b.stop().await;
    assert_eq!(st.malformed, 4, "{st:?}");
    assert_eq!((st.received, st.sent), (0, 0));
    assert_eq!(st.first_packet_after, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dropping_a_running_leg_stops_it() {
    let (a, b) = (bind().await, bind().await);
    let b_addr = b.local();
    let b = b.start(
        "127.0.0.1:9".parse().expect("addr"),
        MediaPlan {
            send: false,
            ..Default::default()
        },
    );
    drop(a.start(b_addr, MediaPlan::default()));
    tokio::time::sleep(Duration::from_millis(200)).await;
    let s = b.stop().await;
    assert!(s.received <= 2, "{s:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latching_follows_the_peer_source() {
    let (a, b) = (bind().await, bind().await);
    let (a_addr, b_addr) = (a.local(), b.local());
    // A is told a dead address but latches onto where B's packets come from.
    let a = a.start(
        "127.0.0.1:9".parse().expect("addr"),
        MediaPlan {
            latch: true,
            ..Default::default()
        },
    );
    let b = b.start(a_addr, MediaPlan::default());
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(a.remote(), b_addr);
    let (sa, sb) = (a.stop().await, b.stop().await);
    assert!(near(sa.received, 20, 4), "{sa:?}");
    // B hears A from the first or second packet on.
    assert!(near(sb.received, 20, 4), "{sb:?}");
}

/// `cargo test -p pbx-load --lib media::tests::cost_of_1000_legs -- --ignored --nocapture`
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement, about 12 s"]
async fn cost_of_1000_legs() {
    use crate::proc_stats::{Pid, sample};
    const PAIRS: usize = 500;
    const RUN: Duration = Duration::from_secs(10);
    let mut legs = Vec::with_capacity(2 * PAIRS);
    for _ in 0..PAIRS {
        legs.push((bind().await, bind().await));
    }
    let mut running = Vec::with_capacity(2 * PAIRS);
    for (a, b) in legs {
        let (aa, ba) = (a.local(), b.local());
        running.push(a.start(ba, MediaPlan::default()));
        running.push(b.start(aa, MediaPlan::default()));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let before = sample(Pid::OwnProcess).expect("sample");
    let pacers_before = pacer_cpu_ticks();
    let t = Instant::now();
    tokio::time::sleep(RUN).await;
    let after = sample(Pid::OwnProcess).expect("sample");
    let pacers = Duration::from_millis((pacer_cpu_ticks() - pacers_before) * 10);
    let wall = t.elapsed();
    let mut total = MediaStats::default();
    let t = Instant::now();
    for r in running {
        total.add(&r.stop().await);
    }
    let cpu = after.cpu - before.cpu;
    eprintln!(
        "1000 legs: {:.1}% of one core over {wall:?} ({cpu:?} CPU, of which pacer threads {pacers:?}), \
         RSS {} KiB; stopping all took {:?}\n{total:?}",
        100.0 * cpu.as_secs_f64() / wall.as_secs_f64(),
        after.rss_kib,
        t.elapsed()
    );
}

/// CPU ticks (10 ms) of this process's `rtp-pacer-*` threads.
fn pacer_cpu_ticks() -> u64 {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return 0;
    };
    tasks
        .flatten()
        .filter(|t| {
            std::fs::read_to_string(t.path().join("comm")).is_ok_and(|c| c.starts_with("rtp-pacer"))
        })
        .filter_map(|t| std::fs::read_to_string(t.path().join("stat")).ok())
        .filter_map(|s| crate::proc_stats::parse_stat_cpu_ticks(&s).ok())
        .sum()
}
