//! Wideband legs (Opus, G.722): negotiation, prompts at their RTP clocks,
//! and transcoding from a G.711 caller.

mod common;

use std::time::Duration;

use common::*;
use pbx_media::InbandDtmf;
use pbx_media::codec::{g722, opus};
use pbx_media::dtmf::goertzel::Detector;
use pbx_media::prompt::Playlist;

fn opus_offer(c: &Caller) -> String {
    format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {} RTP/AVP 111 0 101 102\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\na=rtpmap:101 telephone-event/8000\r\na=rtpmap:102 telephone-event/48000\r\n",
        c.port()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opus_leg_hears_a_pcmu_caller_through_transcoding() {
    let engine = engine(42900, InbandDtmf::Never);
    let mut alice = Caller::new();
    let dave = Caller::new();
    let a = engine.create_leg(Some(&alice.offer("0"))).unwrap();
    let d = engine.create_leg(Some(&opus_offer(&dave))).unwrap();
    assert!(
        d.sdp.contains("m=audio ") && d.sdp.contains(" RTP/AVP 111 102\r\n"),
        "{}",
        d.sdp
    );
    assert!(d.sdp.contains("a=rtpmap:111 opus/48000/2"), "{}", d.sdp);
    assert!(
        d.sdp.contains("a=rtpmap:102 telephone-event/48000"),
        "{}",
        d.sdp
    );

    // A prompt on the Opus leg: 48 kHz timestamps, 20 ms apart.
    engine
        .play(d.id, &Playlist::one(counting_prompt("p", 5)), false)
        .unwrap();
    let got = dave.recv(5, Duration::from_secs(2));
    assert_eq!(got.len(), 5);
    for w in got.windows(2) {
        assert_eq!(
            w[1].header.timestamp.wrapping_sub(w[0].header.timestamp),
            960
        );
        assert_eq!(w[1].header.payload_type, 111);
    }

    engine.bridge(a.id, d.id).await.unwrap();
    let to_a = answer_addr(&a.sdp);
    let mut speech = vec![0i16; 800];
    speech.extend(dtmf_pcm('2', 200));
    speech.extend(vec![0i16; 1200]);
    for frame in speech.chunks(160) {
        alice.send_pcmu(to_a, frame);
        alice.pace(20).await;
    }
    let pkts = dave.recv(20, Duration::from_secs(2));
    assert!(pkts.len() >= 10, "{}", pkts.len());
    let mut dec = opus::decoder().unwrap();
    let mut det = Detector::default();
    let mut heard = String::new();
    for p in pkts.iter().filter(|p| p.header.payload_type == 111) {
        let mut pcm16 = [0i16; 320];
        let n = opus::decode(&mut dec, &p.payload, &mut pcm16);
        let pcm8: Vec<i16> = pcm16[..n]
            .chunks(2)
            .map(|c| ((c[0] as i32 + c[1] as i32) / 2) as i16)
            .collect();
        if let Some(x) = det.feed(&pcm8) {
            heard.push(x.as_char());
        }
    }
    assert_eq!(heard, "2", "dave hears alice's key through Opus");

    // RFC 4733 on the Opus leg uses the 48 kHz clock.
    engine.send_dtmf(d.id, "3", 100).unwrap();
    let ev: Vec<_> = dave
        .recv(40, Duration::from_secs(2))
        .into_iter()
        .filter(|p| p.header.payload_type == 102)
        .collect();
    let end = ev
        .iter()
        .find(|p| p.payload[1] & 0x80 != 0)
        .expect("an end packet");
    assert_eq!(u16::from_be_bytes([end.payload[2], end.payload[3]]), 4800);
    for l in [a.id, d.id] {
        engine.close(l).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn g722_leg_hears_a_pcmu_caller_through_transcoding() {
    let engine = engine(43200, InbandDtmf::Never);
    let mut alice = Caller::new();
    let erin = Caller::new();
    let a = engine.create_leg(Some(&alice.offer("0"))).unwrap();
    let e = engine.create_leg(Some(&erin.offer("9 0"))).unwrap();
    assert!(e.sdp.contains(" RTP/AVP 9 101\r\n"), "{}", e.sdp);
    assert!(e.sdp.contains("a=rtpmap:9 G722/8000"), "{}", e.sdp);
    engine.bridge(a.id, e.id).await.unwrap();
    let to_a = answer_addr(&a.sdp);
    let mut speech = vec![0i16; 800];
    speech.extend(dtmf_pcm('7', 200));
    speech.extend(vec![0i16; 1200]);
    for frame in speech.chunks(160) {
        alice.send_pcmu(to_a, frame);
        alice.pace(20).await;
    }
    let pkts = erin.recv(20, Duration::from_secs(2));
    assert!(pkts.len() >= 10, "{}", pkts.len());
    let mut dec = g722::decoder();
    let mut det = Detector::default();
    let mut heard = String::new();
    for w in pkts.windows(2) {
        assert_eq!(
            w[1].header.timestamp.wrapping_sub(w[0].header.timestamp),
            160
        );
    }
    for p in &pkts {
        assert_eq!((p.header.payload_type, p.payload.len()), (9, 160));
        let mut pcm16 = [0i16; 320];
        let n = g722::decode(&mut dec, &p.payload, &mut pcm16);
        let pcm8: Vec<i16> = pcm16[..n]
            .chunks(2)
            .map(|c| ((c[0] as i32 + c[1] as i32) / 2) as i16)
            .collect();
        if let Some(x) = det.feed(&pcm8) {
            heard.push(x.as_char());
        }
    }
    assert_eq!(heard, "7", "erin hears alice's key through G.722");
    for l in [a.id, e.id] {
        engine.close(l).await.unwrap();
    }
}
