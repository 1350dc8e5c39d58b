//! The SDP a load leg offers or answers, and a tolerant reader of the
//! peer's SDP that keeps only what the media side needs: where to send
//! and which payload types the peer listed.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};

use super::codec::Codec;

/// Builds a complete SDP body (offer or answer) for one audio stream at
/// `local`: `codec` plus RFC 4733 telephone-events on `dtmf_pt`, 20 ms
/// packets, send and receive. Lines end with CRLF. `local` must be an
/// address the peer can reach (not `0.0.0.0`).
pub fn sdp(local: SocketAddr, codec: Codec, dtmf_pt: u8, session_id: u64) -> String {
    let family = if local.is_ipv4() { "IP4" } else { "IP6" };
    let ip = local.ip();
    let pt = codec.payload_type();
    let mut s = String::with_capacity(256);
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        "v=0\r\n\
         o=- {session_id} {session_id} IN {family} {ip}\r\n\
         s=pbx-load\r\n\
         c=IN {family} {ip}\r\n\
         t=0 0\r\n\
         m=audio {port} RTP/AVP {pt} {dtmf_pt}\r\n\
         a=rtpmap:{pt} {map}\r\n\
         a=rtpmap:{dtmf_pt} telephone-event/8000\r\n\
         a=fmtp:{dtmf_pt} 0-16\r\n\
         a=ptime:20\r\n\
         a=sendrecv\r\n",
        port = local.port(),
        map = codec.rtpmap(),
    );
    s
}

/// The peer's media address and the payload types of its first usable
/// audio stream (`m=audio` with a non-zero port), reading the connection
/// address at media level, else at session level. Tolerant: unknown or
/// malformed lines are skipped. `None` when there is no such stream, no
/// address, or the address is unspecified (`0.0.0.0`, an old-style hold).
pub fn remote_from_sdp(sdp: &str) -> Option<(SocketAddr, Vec<u8>)> {
    let mut session_c: Option<IpAddr> = None;
    // The audio stream being read: port, payload types, media-level c=.
    let mut current: Option<(u16, Vec<u8>, Option<IpAddr>)> = None;
    let mut in_media = false;
    let mut found: Option<(u16, Vec<u8>, Option<IpAddr>)> = None;

    for raw in sdp.lines() {
        let line = raw.trim();
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        match key.trim() {
            "m" => {
                if found.is_none() {
                    found = current.take().filter(|(port, _, _)| *port != 0);
                }
                in_media = true;
                current = parse_audio_m(value);
                if found.is_some() {
                    break;
                }
            }
            "c" => {
                let addr = parse_c(value);
                if !in_media {
                    session_c = addr.or(session_c);
                } else if let Some((_, _, c)) = current.as_mut() {
                    *c = addr.or(*c);
                }
            }
            _ => {}
        }
    }
    if found.is_none() {
        found = current.filter(|(port, _, _)| *port != 0);
    }
    let (port, pts, media_c) = found?;
    let ip = media_c.or(session_c)?;
    if ip.is_unspecified() {
        return None;
    }
    Some((SocketAddr::new(ip, port), pts))
}

/// `audio <port>[/<n>] <proto> <fmt>...`: the port and numeric formats,
/// `None` for other media or an unreadable port.
fn parse_audio_m(value: &str) -> Option<(u16, Vec<u8>, Option<IpAddr>)> {
    let mut f = value.split_whitespace();
    if !f.next()?.eq_ignore_ascii_case("audio") {
        return None;
    }
    let port = f.next()?.split('/').next()?.parse().ok()?;
    let _proto = f.next()?;
    let pts = f
        .filter_map(|p| p.parse::<u8>().ok())
        .filter(|p| *p < 128)
        .collect();
    Some((port, pts, None))
}

/// `IN IP4 <addr>[/ttl]`.
fn parse_c(value: &str) -> Option<IpAddr> {
    let addr = value.split_whitespace().nth(2)?;
    addr.split('/').next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builder_and_parser_round_trip() {
        let local: SocketAddr = "192.0.2.7:40002".parse().unwrap();
        let text = sdp(local, Codec::Pcma, 101, 42);
        assert!(text.ends_with("\r\n"));
        assert!(text.split('\n').all(|l| l.is_empty() || l.ends_with('\r')));
        assert_eq!(text.matches("\r\n").count(), 11);
        assert!(text.contains("m=audio 40002 RTP/AVP 8 101\r\n"));
        assert!(text.contains("a=rtpmap:8 PCMA/8000\r\n"));
        assert!(text.contains("a=fmtp:101 0-16\r\n"));
        assert!(text.contains("o=- 42 42 IN IP4 192.0.2.7\r\n"));
        assert_eq!(remote_from_sdp(&text), Some((local, vec![8, 101])));
        // The engine's own strict parser accepts it too.
        let parsed = pbx_media::sdp::SessionDescription::parse(&text).unwrap();
        assert_eq!(parsed.media[0].port, 40002);

        let v6: SocketAddr = "[2001:db8::1]:5004".parse().unwrap();
        let text = sdp(v6, Codec::Pcmu, 96, 1);
        assert!(text.contains("c=IN IP6 2001:db8::1\r\n"));
        assert_eq!(remote_from_sdp(&text), Some((v6, vec![0, 96])));
    }

    #[test]
    fn parser_is_tolerant_and_prefers_media_level_address() {
        let text = "v=0\nbogus line\no=x\nc=IN IP4 10.0.0.1\nm=video 5000 RTP/AVP 96\n\
                    c=IN IP4 10.0.0.9\nm=audio 0 RTP/AVP 0\nm=audio 6000/2 RTP/AVP 0 8 101 x\n\
                    c=IN IP4 10.0.0.2/127\na=rtpmap:0 PCMU/8000\n";
        let (addr, pts) = remote_from_sdp(text).unwrap();
        assert_eq!(addr, "10.0.0.2:6000".parse().unwrap());
        assert_eq!(pts, vec![0, 8, 101]);
        // Session-level address only.
        let text = "c=IN IP4 10.0.0.1\r\nm=audio 7000 RTP/AVP 0\r\n";
        assert_eq!(
            remote_from_sdp(text).unwrap().0,
            "10.0.0.1:7000".parse().unwrap()
        );
        // No address, hold address, no audio, garbage.
        assert!(remote_from_sdp("m=audio 7000 RTP/AVP 0").is_none());
        assert!(remote_from_sdp("c=IN IP4 0.0.0.0\nm=audio 7000 RTP/AVP 0").is_none());
        assert!(remote_from_sdp("c=IN IP4 10.0.0.1\nm=video 7000 RTP/AVP 0").is_none());
        assert!(remote_from_sdp("\u{0}\u{ff}==\n=").is_none());
        assert!(remote_from_sdp("c=IN IP4 10.0.0.1\nm=audio 99999 RTP/AVP 0").is_none());
    }
}
