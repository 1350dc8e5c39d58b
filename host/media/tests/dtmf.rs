//! DTMF on a loopback leg: one digit per press whichever ways it arrives,
//! barge-in, RFC 4733 out.

mod common;

use std::time::Duration;

use common::*;
use pbx_media::dtmf::rfc4733::TelephoneEvent;
use pbx_media::dtmf::{Digit, DtmfSource};
use pbx_media::prompt::Playlist;
use pbx_media::{InbandDtmf, LegEvent};

fn digits(events: &[LegEvent]) -> Vec<(char, DtmfSource)> {
    events
        .iter()
        .filter_map(|e| match e {
            LegEvent::Dtmf { digit, source } => Some((digit.as_char(), *source)),
            _ => None,
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_press_sent_in_band_and_as_rfc4733_arrives_once() {
    let engine = engine(42300, InbandDtmf::Always);
    let mut caller = Caller::new();
    let mut leg = engine.create_leg(Some(&caller.offer("0"))).unwrap();
    let to = answer_addr(&leg.sdp);
    let long = counting_prompt("menu", 500);
    let play = engine.play(leg.id, &Playlist::one(long), true).unwrap();

    // Key 5 for 120 ms: tones in the audio and RFC 4733 events alongside.
    let tone = dtmf_pcm('5', 120);
    let silence = [0i16; 160];
    for _ in 0..3 {
        caller.send_pcmu(to, &silence);
        caller.pace(20).await;
    }
    let event_ts = caller.ts;
    for (i, frame) in tone.chunks(160).enumerate() {
        caller.send_pcmu(to, frame);
        let ev = TelephoneEvent {
            event: 5,
            end: false,
            volume: 10,
            duration: (160 * (i + 1)) as u16,
        };
        caller.send_rtp(to, 101, i == 0, event_ts, &ev.to_bytes());
        caller.pace(20).await;
    }
    let end = TelephoneEvent {
        event: 5,
        end: true,
        volume: 10,
        duration: 960,
    }
    .to_bytes();
    for _ in 0..3 {
        caller.send_rtp(to, 101, false, event_ts, &end);
    }
    for _ in 0..10 {
        caller.send_pcmu(to, &silence);
        caller.pace(20).await;
    }
    // A SIP INFO for the same press, late, as a proxy might add it.
    engine
        .inject_info(
            leg.id,
            "application/dtmf-relay",
            "Signal=5\r\nDuration=120\r\n",
        )
        .unwrap();
    // Then key 8 in-band only.
    for frame in dtmf_pcm('8', 100).chunks(160) {
        caller.send_pcmu(to, frame);
        caller.pace(20).await;
    }
    for _ in 0..8 {
        caller.send_pcmu(to, &silence);
        caller.pace(20).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let events = drain(&mut leg.events);
    let got = digits(&events);
    assert_eq!(got.len(), 2, "{got:?}");
    assert_eq!(got[0].0, '5');
    assert_eq!(got[1], ('8', DtmfSource::InBand));
    // The first digit stopped the barge-in prompt.
    assert!(
        events.contains(&LegEvent::PlaybackFinished {
            play,
            interrupted: true
        }),
        "{events:?}"
    );
    engine.close(leg.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sends_rfc4733_events_and_takes_sip_info() {
    let engine = engine(42400, InbandDtmf::Auto);
    let caller = Caller::new();
    let mut leg = engine.create_leg(Some(&caller.offer("8"))).unwrap();
    engine.send_dtmf(leg.id, "1#", 100).unwrap();
    let pkts = caller.recv(30, Duration::from_secs(2));
    let events: Vec<_> = pkts
        .iter()
        .filter(|p| p.header.payload_type == 101)
        .collect();
    let ones: Vec<_> = events.iter().filter(|p| p.payload[0] == 1).collect();
    let hashes: Vec<_> = events.iter().filter(|p| p.payload[0] == 11).collect();
    assert_eq!(ones.len(), 4 + 3, "updates then the end packet three times");
    assert!(ones[0].header.marker);
    assert!(
        ones.iter()
            .all(|p| p.header.timestamp == ones[0].header.timestamp)
    );
    assert_eq!(ones.iter().filter(|p| p.payload[1] & 0x80 != 0).count(), 3);
    assert!(!hashes.is_empty());
    assert!(hashes[0].header.timestamp > ones[0].header.timestamp);

    engine
        .inject_dtmf(leg.id, Digit::from_char('4').unwrap(), DtmfSource::SipInfo)
        .unwrap();
    assert_eq!(
        engine
            .inject_info(leg.id, "application/dtmf", "9")
            .unwrap()
            .as_char(),
        '9'
    );
    assert!(engine.inject_info(leg.id, "application/sdp", "9").is_err());
    let ev = wait_for(&mut leg.events, Duration::from_secs(2), |e| {
        matches!(e, LegEvent::Dtmf { .. })
    })
    .await;
    assert_eq!(
        ev,
        Some(LegEvent::Dtmf {
            digit: Digit::from_char('4').unwrap(),
            source: DtmfSource::SipInfo
        })
    );
    let ev = wait_for(&mut leg.events, Duration::from_secs(2), |e| {
        matches!(e, LegEvent::Dtmf { .. })
    })
    .await;
    assert_eq!(
        ev,
        Some(LegEvent::Dtmf {
            digit: Digit::from_char('9').unwrap(),
            source: DtmfSource::SipInfo
        })
    );
    assert!(engine.send_dtmf(leg.id, "x", 100).is_err());
    engine.close(leg.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_telephone_event_digits_go_out_as_tones() {
    let engine = engine(43800, InbandDtmf::Auto);
    let caller = Caller::new();
    let offer = format!(
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio {} RTP/AVP 8\r\n",
        caller.port()
    );
    let leg = engine.create_leg(Some(&offer)).unwrap();
    assert!(!leg.sdp.contains("telephone-event"));
    engine.send_dtmf(leg.id, "4#", 100).unwrap();
    let pkts = caller.recv(20, Duration::from_secs(2));
    let mut det = pbx_media::dtmf::goertzel::Detector::default();
    let mut heard = String::new();
    for p in &pkts {
        assert_eq!(p.header.payload_type, 8);
        let mut pcm = [0i16; 160];
        let n = pbx_media::codec::g711::decode_alaw(&p.payload, &mut pcm);
        if let Some(d) = det.feed(&pcm[..n]) {
            heard.push(d.as_char());
        }
    }
    assert_eq!(heard, "4#");
    engine.close(leg.id).await.unwrap();
}
