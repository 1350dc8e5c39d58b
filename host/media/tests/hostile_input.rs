//! Bad input never panics: random and truncated bytes through every parser
//! that reads what a peer or the call model sends.

use pbx_media::dtmf::info::parse_info_body;
use pbx_media::dtmf::rfc4733::{EventReceiver, TelephoneEvent};
use pbx_media::rtp::packet::RtpHeader;
use pbx_media::rtp::rtcp::read_report;
use pbx_media::sdp::SessionDescription;

const SDP: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0 8 9 111 101\r\na=rtpmap:111 opus/48000/2\r\na=fmtp:111 useinbandfec=1\r\na=rtpmap:101 telephone-event/8000\r\na=ptime:20\r\na=sendrecv\r\n";

#[test]
fn parsers_survive_random_and_mutated_input() {
    let mut rng = fastrand::Rng::with_seed(0x5eed);
    let mut rx = EventReceiver::default();
    for round in 0..20_000 {
        let len = rng.usize(0..200);
        let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
        let _ = RtpHeader::parse(&bytes);
        let _ = read_report(&bytes, rng.u32(..));
        let _ = TelephoneEvent::parse(&bytes);
        let _ = rx.on_packet(rng.u32(..), rng.u32(..), &bytes);
        let text = String::from_utf8_lossy(&bytes);
        let _ = SessionDescription::parse(&text);
        let _ = parse_info_body("application/dtmf-relay", &text);
        let _ = parse_info_body("application/dtmf", &text);
        // Mutations of a valid offer: a byte changed, the text cut short.
        let mut sdp = SDP.as_bytes().to_vec();
        let at = rng.usize(..sdp.len());
        sdp[at] = rng.u8(32..127);
        sdp.truncate(rng.usize(..=sdp.len()));
        if let Ok(text) = std::str::from_utf8(&sdp)
            && let Ok(parsed) = SessionDescription::parse(text)
        {
            // What parses prints and parses again.
            let again = SessionDescription::parse(&parsed.to_string());
            assert!(again.is_ok(), "round {round}: {text:?}");
        }
        // RTP with extension and padding bits set at random.
        let mut rtp = vec![
            0x80u8 | rng.u8(0..0x40),
            rng.u8(..),
            0,
            1,
            0,
            0,
            0,
            1,
            0,
            0,
            0,
            1,
        ];
        rtp.extend((0..rng.usize(0..40)).map(|_| rng.u8(..)));
        if let Some(v) = RtpHeader::parse(&rtp) {
            assert!(v.payload_start <= v.payload_end && v.payload_end <= rtp.len());
        }
    }
}
