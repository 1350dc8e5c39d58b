//! Two loopback callers bridged through the engine: pass-through when the
//! codecs match, transcoding when they differ; hold with music that
//! resumes where the caller left it.

mod common;

use std::time::Duration;

use common::*;
use pbx_media::InbandDtmf;
use pbx_media::codec::g711;
use pbx_media::dtmf::goertzel::Detector;
use pbx_media::prompt::moh::{MohClass, MohOrder};
use pbx_media::prompt::wav;

async fn talk(from: &mut Caller, to: std::net::SocketAddr, pcm: &[i16]) {
    for frame in pcm.chunks(160) {
        from.send_pcmu(to, frame);
        from.pace(20).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bridge_relays_same_codec_and_transcodes_different_ones() {
    let engine = engine(42700, InbandDtmf::Never);
    let mut alice = Caller::new();
    let bob = Caller::new();
    let carol = Caller::new();
    let a = engine.create_leg(Some(&alice.offer("0"))).unwrap();
    let b = engine.create_leg(Some(&bob.offer("0"))).unwrap();
    let c = engine.create_leg(Some(&carol.offer("8"))).unwrap();
    let to_a = answer_addr(&a.sdp);
    // a and b land on different workers (round robin): bridging moves one.
    engine.bridge(a.id, b.id).await.unwrap();
    let mut speech = vec![0i16; 800];
    speech.extend(dtmf_pcm('6', 200));
    speech.extend(vec![0i16; 800]);
    talk(&mut alice, to_a, &speech).await;
    let got = bob.recv(15, Duration::from_secs(2));
    assert!(got.len() >= 10, "{}", got.len());
    assert!(got.iter().all(|p| p.header.payload_type == 0));
    // Pass-through: the exact PCMU bytes alice sent.
    let mut sent = [0u8; 160];
    let mut tone_frames = std::collections::HashSet::new();
    for f in speech.chunks(160) {
        g711::encode_ulaw(f, &mut sent);
        tone_frames.insert(sent.to_vec());
    }
    assert!(
        got.iter().all(|p| tone_frames.contains(&p.payload)),
        "relayed unchanged"
    );
    for w in got.windows(2) {
        assert_eq!(w[1].header.sequence, w[0].header.sequence.wrapping_add(1));
    }

    // Now alice talks to carol, who uses PCMA: transcoded.
    engine.unbridge(b.id).unwrap();
    engine.bridge(a.id, c.id).await.unwrap();
    talk(&mut alice, to_a, &speech).await;
    let got = carol.recv(15, Duration::from_secs(2));
    assert!(got.len() >= 10);
    assert!(got.iter().all(|p| p.header.payload_type == 8));
    let mut det = Detector::default();
    let mut heard = String::new();
    for p in &got {
        let mut pcm = [0i16; 160];
        let n = g711::decode_alaw(&p.payload, &mut pcm);
        if let Some(d) = det.feed(&pcm[..n]) {
            heard.push(d.as_char());
        }
    }
    assert_eq!(heard, "6", "carol hears alice's key through A-law");
    for l in [a.id, b.id, c.id] {
        engine.close(l).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn music_on_hold_continues_where_the_caller_left_it() {
    let dir = tempfile::tempdir().unwrap();
    let p = marked_prompt("m", 150);
    wav::write(&dir.path().join("01.wav"), &p.pcm8, 8000, 1).unwrap();
    let engine = engine(42800, InbandDtmf::Never);
    engine.add_moh_class(MohClass::load("default", dir.path(), MohOrder::InOrder).unwrap());
    assert!(engine.hold(1, "nope").is_err());
    let caller = Caller::new();
    let leg = engine.create_leg(Some(&caller.offer("0"))).unwrap();
    let level = |p: &Packet| mark_of(&p.payload).unwrap();
    engine.hold(leg.id, "default").unwrap();
    let first = caller.recv(20, Duration::from_secs(2));
    assert_eq!(first.len(), 20);
    assert_eq!(level(&first[0]), 0, "starts at the beginning");
    engine.unhold(leg.id).unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    while !caller.recv(1, Duration::from_millis(60)).is_empty() {}
    engine.hold(leg.id, "default").unwrap();
    let again = caller.recv(3, Duration::from_secs(2));
    let resumed_at = level(&again[0]);
    let left_at = level(first.last().unwrap());
    assert!(
        resumed_at > left_at,
        "resumes ({resumed_at}) after where it stopped ({left_at})"
    );
    assert!(resumed_at <= left_at + 3, "without skipping ahead");
    engine.close(leg.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn conference_mixes_every_other_leg() {
    let engine = engine(43300, InbandDtmf::Never);
    let mut alice = Caller::new();
    let mut bob = Caller::new();
    let carol = Caller::new();
    let a = engine.create_leg(Some(&alice.offer("0"))).unwrap();
    let b = engine.create_leg(Some(&bob.offer("0"))).unwrap();
    let c = engine.create_leg(Some(&carol.offer("0"))).unwrap();
    engine.conference(&[a.id, b.id, c.id]).await.unwrap();
    let (to_a, to_b) = (answer_addr(&a.sdp), answer_addr(&b.sdp));
    // Alice presses 1 while Bob is silent, then Bob presses 9.
    let silence = [0i16; 160];
    let one = dtmf_pcm('1', 300);
    let nine = dtmf_pcm('9', 300);
    for i in 0..50 {
        let (fa, fb): (&[i16], &[i16]) = match i {
            5..20 => (&one[(i - 5) * 160..(i - 4) * 160], &silence),
            28..43 => (&silence, &nine[(i - 28) * 160..(i - 27) * 160]),
            _ => (&silence, &silence),
        };
        alice.send_pcmu(to_a, fa);
        bob.send_pcmu(to_b, fb);
        alice.pace(20).await;
    }
    let detect = |c: &Caller| {
        let mut det = Detector::default();
        let mut s = String::new();
        for p in c.recv(70, Duration::from_millis(1500)) {
            let mut pcm = [0i16; 160];
            let n = g711::decode_ulaw(&p.payload, &mut pcm);
            if let Some(d) = det.feed(&pcm[..n]) {
                s.push(d.as_char());
            }
        }
        s
    };
    assert_eq!(detect(&carol), "19", "carol hears both");
    assert_eq!(detect(&alice), "9", "alice hears bob, not herself");
    assert_eq!(detect(&bob), "1", "bob hears alice, not himself");
    for l in [a.id, b.id, c.id] {
        engine.close(l).await.unwrap();
    }
}
