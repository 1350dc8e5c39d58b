//! Prompts played to a loopback caller: continuity across prompt changes,
//! pacing, symmetric RTP.

mod common;

use std::time::Duration;

use common::*;
use pbx_media::prompt::Playlist;
use pbx_media::{InbandDtmf, LegEvent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn playlist_then_new_prompt_keeps_one_continuous_stream() {
    let engine = engine(42000, InbandDtmf::Auto);
    let caller = Caller::new();
    let mut leg = engine.create_leg(Some(&caller.offer("0"))).unwrap();
    assert!(leg.sdp.contains("m=audio "), "{}", leg.sdp);
    let a = counting_prompt("a", 10);
    let b = counting_prompt("b", 5);
    let play1 = engine
        .play(
            leg.id,
            &Playlist {
                items: vec![a.clone(), b.clone()],
            },
            false,
        )
        .unwrap();
    let first = caller.recv(15, Duration::from_secs(3));
    assert_eq!(first.len(), 15, "the whole playlist arrives");
    let ev = wait_for(&mut leg.events, Duration::from_secs(2), |e| {
        matches!(e, LegEvent::PlaybackFinished { .. })
    })
    .await;
    assert_eq!(
        ev,
        Some(LegEvent::PlaybackFinished {
            play: play1,
            interrupted: false
        })
    );
    // Frames in order: a's 10 levels then b's 5 (PCMU bytes of the levels).
    let level = |p: &Packet| pbx_media::codec::g711::ulaw_to_linear(p.payload[80]);
    let levels: Vec<i16> = first.iter().map(level).collect();
    for (i, l) in levels.iter().enumerate() {
        let k = if i < 10 { i } else { i - 10 };
        let want = (k as i32 + 1) * 200;
        assert!(
            (*l as i32 - want).abs() < want / 8 + 20,
            "frame {i}: {l} vs {want}"
        );
    }
    for w in first.windows(2) {
        assert_eq!(w[1].header.sequence, w[0].header.sequence.wrapping_add(1));
        assert_eq!(
            w[1].header.timestamp,
            w[0].header.timestamp.wrapping_add(160)
        );
        assert_eq!(w[1].header.ssrc, w[0].header.ssrc);
        assert!(!w[1].header.marker);
    }
    assert!(first[0].header.marker, "talkspurt starts with the marker");
    assert_eq!(first[0].header.payload_type, 0);
    // Loose pacing: 14 intervals of 20 ms; tolerate a loaded machine.
    let span = first[14].at - first[0].at;
    assert!(
        span > Duration::from_millis(150) && span < Duration::from_millis(700),
        "{span:?}"
    );

    // A pause, then a new prompt: same SSRC, sequence continues, timestamp
    // jumps by the pause (a multiple of 160), marker set again.
    tokio::time::sleep(Duration::from_millis(200)).await;
    engine
        .play(leg.id, &Playlist::one(a.clone()), false)
        .unwrap();
    let second = caller.recv(3, Duration::from_secs(2));
    let (last, next) = (first.last().unwrap(), &second[0]);
    assert_eq!(next.header.ssrc, last.header.ssrc);
    assert_eq!(next.header.sequence, last.header.sequence.wrapping_add(1));
    let gap = next.header.timestamp.wrapping_sub(last.header.timestamp);
    assert_eq!(gap % 160, 0);
    assert!(
        gap >= 160 * 5,
        "timestamp follows the clock through the pause: {gap}"
    );
    assert!(next.header.marker);

    // Replacing a playing prompt reports the first as interrupted.
    let long = counting_prompt("long", 200);
    let p1 = engine
        .play(leg.id, &Playlist::one(long.clone()), false)
        .unwrap();
    tokio::time::sleep(Duration::from_millis(60)).await;
    engine.stop(leg.id).unwrap();
    let ev = wait_for(
        &mut leg.events,
        Duration::from_secs(2),
        |e| matches!(e, LegEvent::PlaybackFinished { play, .. } if *play == p1),
    )
    .await;
    assert_eq!(
        ev,
        Some(LegEvent::PlaybackFinished {
            play: p1,
            interrupted: true
        })
    );

    let stats = engine.close(leg.id).await.unwrap();
    assert!(stats.packets_sent >= 18, "{stats:?}");
    assert!(engine.close(leg.id).await.is_err(), "closed twice");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latches_onto_the_real_source_behind_nat() {
    let engine = engine(42100, InbandDtmf::Auto);
    // The SDP names one socket, packets come from another (a NAT).
    let announced = Caller::new();
    let mut real = Caller::new();
    let mut leg = engine.create_leg(Some(&announced.offer("0"))).unwrap();
    let to = answer_addr(&leg.sdp);
    engine
        .play(
            leg.id,
            &pbx_media::prompt::Playlist::one(counting_prompt("x", 400)),
            false,
        )
        .unwrap();
    assert!(
        !announced.recv(2, Duration::from_secs(2)).is_empty(),
        "before latching: the SDP address"
    );
    for _ in 0..3 {
        real.send_pcmu(to, &[0; 160]);
    }
    let ev = wait_for(&mut leg.events, Duration::from_secs(2), |e| {
        matches!(e, LegEvent::Latched(_))
    })
    .await;
    assert_eq!(ev, Some(LegEvent::Latched(real.sock.local_addr().unwrap())));
    let got = real.recv(3, Duration::from_secs(2));
    assert_eq!(got.len(), 3, "after latching: the real source");
    // A third party cannot steal the stream while the caller keeps sending.
    let mut intruder = Caller::new();
    intruder.ssrc = 99;
    real.send_pcmu(to, &[0; 160]);
    intruder.send_pcmu(to, &[0; 160]);
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(intruder.recv(1, Duration::from_millis(200)).is_empty());
    let stats = engine.stats(leg.id).await.unwrap();
    assert_eq!(stats.received.packets, 4);
    // A re-INVITE with the same SDP (say, resume after hold) keeps the latch:
    // the caller's private address is never used again.
    engine.update(leg.id, &announced.offer("0")).unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    while !announced.recv(1, Duration::from_millis(60)).is_empty() {}
    assert!(!real.recv(3, Duration::from_secs(1)).is_empty());
    assert!(announced.recv(1, Duration::from_millis(300)).is_empty());
    engine.close(leg.id).await.unwrap();
}

#[tokio::test]
async fn bad_offers_are_rejected_with_reasons() {
    let engine = engine(42200, InbandDtmf::Auto);
    let e = engine.create_leg(Some("v=0\r\nnonsense")).unwrap_err();
    assert!(e.to_string().contains("invalid SDP"), "{e}");
    let caller = Caller::new();
    let e = engine.create_leg(Some(&caller.offer("18"))).unwrap_err();
    assert!(e.to_string().contains("no common codec"), "{e}");
    assert!(engine.play(999, &Playlist::default(), false).is_err());
}
