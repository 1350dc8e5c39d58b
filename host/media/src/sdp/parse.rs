//! SDP text to [`SessionDescription`]. Lenient where peers are known to be
//! sloppy (LF line ends, unknown attributes), strict where the meaning
//! would be lost (bad ports, payload types, addresses).

use std::net::IpAddr;

use super::{Direction, MediaDescription, Origin, RtpMap, SessionDescription};
use crate::error::{MediaError, Result};

fn err(line: usize, reason: impl Into<String>) -> MediaError {
    MediaError::SdpSyntax {
        line,
        reason: reason.into(),
    }
}

fn parse_connection(line: usize, value: &str) -> Result<IpAddr> {
    // c=IN IP4 192.0.2.1[/ttl]
    let mut parts = value.split_whitespace();
    let (net, _family, addr) = (parts.next(), parts.next(), parts.next());
    if net != Some("IN") {
        return Err(err(line, "c= must use network type IN"));
    }
    let addr = addr.ok_or_else(|| err(line, "c= lacks an address"))?;
    let addr = addr.split('/').next().unwrap_or(addr);
    addr.parse()
        .map_err(|_| err(line, format!("c= address {addr:?} is not an IP address")))
}

fn parse_origin(line: usize, value: &str) -> Result<Origin> {
    let f: Vec<&str> = value.split_whitespace().collect();
    if f.len() != 6 {
        return Err(err(line, "o= needs 6 fields"));
    }
    Ok(Origin {
        username: f[0].to_string(),
        session_id: f[1]
            .parse()
            .map_err(|_| err(line, "o= session id is not a number"))?,
        session_version: f[2]
            .parse()
            .map_err(|_| err(line, "o= session version is not a number"))?,
        address: f[5]
            .parse()
            .map_err(|_| err(line, "o= address is not an IP address"))?,
    })
}

fn parse_media(line: usize, value: &str) -> Result<MediaDescription> {
    let f: Vec<&str> = value.split_whitespace().collect();
    if f.len() < 3 {
        return Err(err(line, "m= needs media, port and protocol"));
    }
    let port_text = f[1].split('/').next().unwrap_or(f[1]);
    let port = port_text
        .parse()
        .map_err(|_| err(line, format!("m= port {:?} is not a number", f[1])))?;
    Ok(MediaDescription {
        media: f[0].to_string(),
        port,
        proto: f[2].to_string(),
        formats: f[3..].iter().map(|s| s.to_string()).collect(),
        connection: None,
        rtpmaps: Vec::new(),
        fmtps: Vec::new(),
        ptime: None,
        direction: None,
        rtcp_port: None,
    })
}

fn parse_pt(line: usize, s: &str) -> Result<u8> {
    match s.parse::<u8>() {
        Ok(pt) if pt < 128 => Ok(pt),
        _ => Err(err(line, format!("payload type {s:?} is not 0-127"))),
    }
}

fn parse_rtpmap(line: usize, value: &str) -> Result<RtpMap> {
    // a=rtpmap:<pt> <name>/<rate>[/<channels>]
    let (pt, rest) = value
        .split_once(' ')
        .ok_or_else(|| err(line, "a=rtpmap needs a payload type and an encoding"))?;
    let mut enc = rest.trim().split('/');
    let encoding = enc.next().unwrap_or_default().to_string();
    let clock_rate = enc
        .next()
        .and_then(|r| r.parse().ok())
        .ok_or_else(|| err(line, "a=rtpmap lacks a numeric clock rate"))?;
    let channels = enc.next().and_then(|c| c.parse().ok());
    Ok(RtpMap {
        payload_type: parse_pt(line, pt)?,
        encoding,
        clock_rate,
        channels,
    })
}

/// Parses SDP text.
pub(super) fn parse(text: &str) -> Result<SessionDescription> {
    let mut origin = None;
    let mut session_name = String::new();
    let mut connection = None;
    let mut direction = None;
    let mut media: Vec<MediaDescription> = Vec::new();
    let mut saw_version = false;

    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let l = raw.trim_end_matches('\r');
        if l.is_empty() {
            continue;
        }
        let (key, value) = l
            .split_once('=')
            .ok_or_else(|| err(n, format!("{l:?} is not a <type>=<value> line")))?;
        if key.len() != 1 {
            return Err(err(n, format!("{key:?} is not a one-letter type")));
        }
        match (key, media.last_mut()) {
            ("v", _) => {
                if value != "0" {
                    return Err(err(n, "only v=0 exists"));
                }
                saw_version = true;
            }
            ("o", _) => origin = Some(parse_origin(n, value)?),
            ("s", _) => session_name = value.to_string(),
            ("c", None) => connection = Some(parse_connection(n, value)?),
            ("c", Some(m)) => m.connection = Some(parse_connection(n, value)?),
            ("m", _) => media.push(parse_media(n, value)?),
            ("a", m) => {
                let (name, val) = value.split_once(':').unwrap_or((value, ""));
                match (name, m) {
                    (d, None) if Direction::parse(d).is_some() => direction = Direction::parse(d),
                    (d, Some(m)) if Direction::parse(d).is_some() => {
                        m.direction = Direction::parse(d)
                    }
                    ("rtpmap", Some(m)) => m.rtpmaps.push(parse_rtpmap(n, val)?),
                    ("fmtp", Some(m)) => {
                        let (pt, params) = val.split_once(' ').unwrap_or((val, ""));
                        m.fmtps.push((parse_pt(n, pt)?, params.trim().to_string()));
                    }
                    ("ptime", Some(m)) => {
                        m.ptime = Some(
                            val.trim()
                                .parse()
                                .map_err(|_| err(n, "a=ptime is not a number"))?,
                        )
                    }
                    ("rtcp", Some(m)) => {
                        m.rtcp_port = val.split_whitespace().next().and_then(|p| p.parse().ok())
                    }
                    _ => {}
                }
            }
            _ => {}
        }
    }
    if !saw_version {
        return Err(err(1, "missing v=0"));
    }
    let origin = origin.ok_or_else(|| err(1, "missing o= line"))?;
    Ok(SessionDescription {
        origin,
        session_name,
        connection,
        direction,
        media,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=alice 2890844526 2890844526 IN IP4 198.51.100.1\r\ns=-\r\nc=IN IP4 198.51.100.1\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 97 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:97 iLBC/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-16\r\na=ptime:20\r\na=sendonly\r\nm=video 51372 RTP/AVP 31\r\n";

    #[test]
    fn parses_a_typical_offer() {
        let sdp = parse(OFFER).unwrap();
        assert_eq!(sdp.origin.session_id, 2890844526);
        assert_eq!(sdp.connection, Some("198.51.100.1".parse().unwrap()));
        assert_eq!(sdp.media.len(), 2);
        let a = &sdp.media[0];
        assert_eq!(a.port, 49170);
        assert_eq!(a.payload_types().collect::<Vec<_>>(), vec![0, 8, 97, 101]);
        assert_eq!(a.rtpmap(101).unwrap().encoding, "telephone-event");
        assert_eq!(a.fmtp(101), Some("0-16"));
        assert_eq!(a.ptime, Some(20));
        assert_eq!(sdp.direction_of(a), Direction::SendOnly);
        assert_eq!(sdp.direction_of(&sdp.media[1]), Direction::SendRecv);
    }

    #[test]
    fn rejects_garbage_with_a_line_number() {
        let e = parse("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\nm=audio seven RTP/AVP 0\r\n").unwrap_err();
        match e {
            MediaError::SdpSyntax { line, .. } => assert_eq!(line, 3),
            other => panic!("unexpected {other}"),
        }
        assert!(parse("hello").is_err());
        assert!(parse("").is_err());
        assert!(parse("v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\nc=IN IP4 nowhere\r\n").is_err());
    }
}
