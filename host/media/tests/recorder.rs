//! Recording a loopback leg to WAV and checking the file with hound and
//! the Goertzel detector.

mod common;

use std::time::Duration;

use common::*;
use pbx_media::dtmf::Digit;
use pbx_media::dtmf::goertzel::Detector;
use pbx_media::dtmf::rfc4733::TelephoneEvent;
use pbx_media::engine::{RecordStop, SilenceDetection};
use pbx_media::prompt::{Playlist, Prompt};
use pbx_media::{InbandDtmf, LegEvent, RecordOptions};

fn detect(pcm: &[i16]) -> String {
    let mut d = Detector::default();
    pcm.chunks(160)
        .filter_map(|c| d.feed(c))
        .map(|d| d.as_char())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stereo_recording_holds_both_directions_and_stops_on_a_digit() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("call.wav");
    let engine = engine(42500, InbandDtmf::Never);
    let mut caller = Caller::new();
    let mut leg = engine.create_leg(Some(&caller.offer("0"))).unwrap();
    let to = answer_addr(&leg.sdp);
    // The leg hears key 9 as a prompt; the caller says key 3.
    let mut heard = vec![0i16; 1600];
    heard.extend(dtmf_pcm('9', 200));
    heard.extend(vec![0i16; 4000]);
    engine
        .play(
            leg.id,
            &Playlist::one(std::sync::Arc::new(Prompt::from_pcm("nine", &heard, 8000))),
            false,
        )
        .unwrap();
    let mut opts = RecordOptions::voicemail(&path);
    opts.stereo = true;
    engine.record(leg.id, opts).unwrap();
    let mut said = vec![0i16; 800];
    said.extend(dtmf_pcm('3', 200));
    said.extend(vec![0i16; 2400]);
    for frame in said.chunks(160) {
        caller.send_pcmu(to, frame);
        caller.pace(20).await;
    }
    let ts = caller.ts;
    let end = TelephoneEvent {
        event: 11,
        end: true,
        volume: 10,
        duration: 800,
    }
    .to_bytes();
    caller.send_rtp(to, 101, true, ts, &end);
    let ev = wait_for(&mut leg.events, Duration::from_secs(3), |e| {
        matches!(e, LegEvent::RecordingFinished { .. })
    })
    .await;
    let Some(LegEvent::RecordingFinished {
        path: p,
        duration,
        reason,
        error,
    }) = ev
    else {
        panic!("no recording event")
    };
    assert_eq!(
        (p.as_path(), reason, error),
        (
            path.as_path(),
            RecordStop::Digit(Digit::from_char('#').unwrap()),
            None
        )
    );
    assert!(duration > Duration::from_millis(500), "{duration:?}");

    let mut r = hound::WavReader::open(&path).unwrap();
    assert_eq!((r.spec().channels, r.spec().sample_rate), (2, 8000));
    let samples: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
    let left: Vec<i16> = samples.iter().step_by(2).copied().collect();
    let right: Vec<i16> = samples.iter().skip(1).step_by(2).copied().collect();
    assert_eq!(detect(&left), "3", "the caller's side");
    assert_eq!(detect(&right), "9", "what the caller heard");
    engine.close(leg.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mono_recording_stops_on_silence_or_length() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(42600, InbandDtmf::Never);
    let mut caller = Caller::new();
    let mut leg = engine.create_leg(Some(&caller.offer("0"))).unwrap();
    let to = answer_addr(&leg.sdp);
    let path = dir.path().join("vm.wav");
    let mut opts = RecordOptions::voicemail(&path);
    opts.silence = Some(SilenceDetection {
        threshold: 200,
        after: Duration::from_millis(300),
    });
    engine.record(leg.id, opts).unwrap();
    let tone = dtmf_pcm('1', 400);
    for frame in tone
        .chunks(160)
        .chain(std::iter::repeat_n(&[0i16; 160][..], 40))
    {
        caller.send_pcmu(to, frame);
        caller.pace(20).await;
    }
    let ev = wait_for(&mut leg.events, Duration::from_secs(3), |e| {
        matches!(e, LegEvent::RecordingFinished { .. })
    })
    .await;
    let Some(LegEvent::RecordingFinished {
        reason, duration, ..
    }) = ev
    else {
        panic!("no recording event")
    };
    assert_eq!(reason, RecordStop::Silence);
    // The tone is kept, the trailing silence trimmed.
    assert!(
        duration >= Duration::from_millis(300) && duration < Duration::from_millis(1000),
        "{duration:?}"
    );
    let r = hound::WavReader::open(&path).unwrap();
    assert_eq!(r.spec().channels, 1);

    let path2 = dir.path().join("short.wav");
    let mut opts = RecordOptions::voicemail(&path2);
    opts.max_duration = Duration::from_millis(200);
    engine.record(leg.id, opts).unwrap();
    let ev = wait_for(&mut leg.events, Duration::from_secs(3), |e| {
        matches!(e, LegEvent::RecordingFinished { .. })
    })
    .await;
    let Some(LegEvent::RecordingFinished {
        reason, duration, ..
    }) = ev
    else {
        panic!("no recording event")
    };
    assert_eq!(
        (reason, duration),
        (RecordStop::MaxDuration, Duration::from_millis(200))
    );
    assert!(
        engine
            .record(
                leg.id,
                RecordOptions::voicemail(dir.path().join("no/such/dir.wav"))
            )
            .is_err()
    );
    engine.close(leg.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_sending_30_ms_packets_is_decoded_whole() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(43400, InbandDtmf::Always);
    let mut caller = Caller::new();
    let mut leg = engine.create_leg(Some(&caller.offer("0"))).unwrap();
    let to = answer_addr(&leg.sdp);
    let path = dir.path().join("30ms.wav");
    let mut opts = RecordOptions::voicemail(&path);
    opts.max_duration = Duration::from_millis(1400);
    engine.record(leg.id, opts).unwrap();
    // 1.4 s of audio in 30 ms packets (240 samples each): silence, key 4, silence.
    let mut said = vec![0i16; 2400];
    said.extend(dtmf_pcm('4', 240));
    said.extend(vec![0i16; 8400]);
    for chunk in said.chunks(240) {
        let mut enc = [0u8; 240];
        let n = pbx_media::codec::g711::encode_ulaw(chunk, &mut enc);
        let ts = caller.ts;
        caller.send_rtp(to, 0, false, ts, &enc[..n]);
        caller.ts = caller.ts.wrapping_add(240);
        caller.pace(30).await;
    }
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(3);
    while let Ok(Some(e)) = tokio::time::timeout_at(deadline, leg.events.recv()).await {
        let done = matches!(e, LegEvent::RecordingFinished { .. });
        seen.push(e);
        if done {
            break;
        }
    }
    assert!(
        matches!(seen.last(), Some(LegEvent::RecordingFinished { .. })),
        "{seen:?}"
    );
    let digits: Vec<_> = seen
        .iter()
        .filter(|e| matches!(e, LegEvent::Dtmf { .. }))
        .collect();
    assert_eq!(digits.len(), 1, "{digits:?}");
    assert!(
        matches!(digits[0], LegEvent::Dtmf { digit, source: pbx_media::dtmf::DtmfSource::InBand } if digit.as_char() == '4')
    );
    let mut r = hound::WavReader::open(&path).unwrap();
    let samples: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
    assert_eq!(detect(&samples), "4", "the key is in the recording once");
    // The tone lasts as long as it was sent: no 10 ms holes every 30 ms.
    let loud = samples
        .chunks(40)
        .filter(|c| c.iter().map(|&v| (v as i32).abs()).max().unwrap_or(0) > 3000)
        .count();
    assert!(
        (40..=56).contains(&loud),
        "{loud} loud 5 ms blocks for a 240 ms tone"
    );
    engine.close(leg.id).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_packet_is_concealed_not_a_hole() {
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(43900, InbandDtmf::Never);
    let mut caller = Caller::new();
    let mut leg = engine.create_leg(Some(&caller.offer("0"))).unwrap();
    let to = answer_addr(&leg.sdp);
    let path = dir.path().join("loss.wav");
    let mut opts = RecordOptions::voicemail(&path);
    opts.max_duration = Duration::from_millis(1000);
    engine.record(leg.id, opts).unwrap();
    // A steady 1 kHz tone for 1.2 s; packet 20 never leaves the caller.
    let tone: Vec<i16> = (0..9600)
        .map(|i| (8000.0 * (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 8000.0).sin()) as i16)
        .collect();
    for (i, frame) in tone.chunks(160).enumerate() {
        if i == 20 {
            caller.seq = caller.seq.wrapping_add(1);
            caller.ts = caller.ts.wrapping_add(160);
        } else {
            caller.send_pcmu(to, frame);
        }
        caller.pace(20).await;
    }
    let ev = wait_for(&mut leg.events, Duration::from_secs(3), |e| {
        matches!(e, LegEvent::RecordingFinished { .. })
    })
    .await;
    assert!(ev.is_some());
    let mut r = hound::WavReader::open(&path).unwrap();
    let samples: Vec<i16> = r.samples::<i16>().map(|s| s.unwrap()).collect();
    // From the first loud sample on, no 10 ms stretch is silent.
    let first = samples.iter().position(|&s| s.abs() > 4000).unwrap();
    let end = (first + 6000).min(samples.len());
    let holes = samples[first..end]
        .chunks(80)
        .filter(|c| c.len() == 80 && c.iter().all(|&s| s.abs() < 1000))
        .count();
    assert_eq!(holes, 0, "a lost packet left silence in the recording");
    let stats = engine.close(leg.id).await.unwrap();
    assert_eq!(stats.received.lost, 1);
}
