//! Re-negotiation on a live leg (hold by direction, resume) and RTP timeout.

mod common;

use std::time::Duration;

use common::*;
use pbx_media::prompt::Playlist;
use pbx_media::{EngineConfig, InbandDtmf, LegEvent, MediaEngine};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hold_by_sendonly_stops_our_audio_and_resume_continues_the_stream() {
    let engine = engine(43000, InbandDtmf::Auto);
    let caller = Caller::new();
    let leg = engine.create_leg(Some(&caller.offer("0"))).unwrap();
    engine
        .play(leg.id, &Playlist::one(counting_prompt("long", 1000)), false)
        .unwrap();
    let before = caller.recv(5, Duration::from_secs(2));
    assert_eq!(before.len(), 5);

    let hold = caller
        .offer("0")
        .replace("a=fmtp:101 0-16\r\n", "a=fmtp:101 0-16\r\na=sendonly\r\n");
    let answer = engine.update(leg.id, &hold).unwrap();
    assert!(answer.contains("a=recvonly"), "{answer}");
    assert!(
        answer.contains("o=- ") && !answer.contains(" 1 IN IP4"),
        "session version moves on: {answer}"
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    while !caller.recv(1, Duration::from_millis(60)).is_empty() {}
    assert!(
        caller.recv(1, Duration::from_millis(300)).is_empty(),
        "silent while held"
    );

    let answer = engine.update(leg.id, &caller.offer("0")).unwrap();
    assert!(answer.contains("a=sendrecv"), "{answer}");
    let after = caller.recv(3, Duration::from_secs(2));
    assert_eq!(after.len(), 3);
    let (last, first) = (before.last().unwrap(), &after[0]);
    assert_eq!(
        first.header.ssrc, last.header.ssrc,
        "one stream across hold"
    );
    assert!(first.header.marker, "a new talkspurt after the hold");
    assert_eq!(
        first.header.timestamp.wrapping_sub(last.header.timestamp) % 160,
        0
    );

    // Our own hold offer for the peer, completed by its answer.
    let offer = engine
        .reoffer(leg.id, pbx_media::sdp::Direction::SendOnly)
        .unwrap();
    assert!(offer.contains("a=sendonly"), "{offer}");
    let peer_answer = offer.replace("a=sendonly", "a=recvonly").replace(
        &format!("m=audio {}", answer_addr(&offer).port()),
        &format!("m=audio {}", caller.port()),
    );
    engine.set_answer(leg.id, &peer_answer).unwrap();
    assert!(
        !caller.recv(2, Duration::from_secs(2)).is_empty(),
        "we still send while we hold the peer"
    );
    engine.close(leg.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silence_from_the_peer_raises_an_rtp_timeout_once() {
    let engine = MediaEngine::start(EngineConfig {
        port_min: 43100,
        port_max: 43199,
        rtp_timeout: Duration::from_millis(300),
        ..EngineConfig::default()
    })
    .unwrap();
    let mut caller = Caller::new();
    let mut leg = engine.create_leg(Some(&caller.offer("0"))).unwrap();
    let to = answer_addr(&leg.sdp);
    caller.send_pcmu(to, &[0; 160]);
    let ev = wait_for(&mut leg.events, Duration::from_secs(4), |e| {
        *e == LegEvent::RtpTimeout
    })
    .await;
    assert_eq!(ev, Some(LegEvent::RtpTimeout));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(
        !drain(&mut leg.events).contains(&LegEvent::RtpTimeout),
        "reported once"
    );
    let stats = engine.close(leg.id).await.unwrap();
    assert_eq!(stats.received.packets, 1);
}

#[test]
fn configuration_errors_say_what_to_change() {
    let bad = |c: EngineConfig| {
        MediaEngine::start(c)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(
        bad(EngineConfig {
            workers: 0,
            ..EngineConfig::default()
        })
        .contains("1 to 64")
    );
    assert!(
        bad(EngineConfig {
            codecs: vec![],
            ..EngineConfig::default()
        })
        .contains("PCMU")
    );
    assert!(
        bad(EngineConfig {
            bind: "0.0.0.0".parse().unwrap(),
            ..EngineConfig::default()
        })
        .contains("advertise")
    );
    assert!(
        bad(EngineConfig {
            port_min: 5000,
            port_max: 5000,
            ..EngineConfig::default()
        })
        .contains("range")
    );
}
