//! RFC 3264 offer/answer for one audio stream: pick the codec, the
//! telephone-event payload type, the peer's address and the direction;
//! reject what cannot be served with a reason the caller can log.

use std::net::{IpAddr, SocketAddr};

use super::{Direction, MediaDescription, Origin, RtpMap, SessionDescription};
use crate::codec::Codec;
use crate::error::{MediaError, Result};

/// Payload type this engine offers for telephone-event.
pub const OFFERED_TELEPHONE_EVENT_PT: u8 = 101;

/// What this side can do, for one offer or answer.
#[derive(Debug, Clone)]
pub struct LocalMedia {
    /// Address written in `c=` and `o=`.
    pub address: IpAddr,
    /// The leg's RTP port.
    pub port: u16,
    /// Codecs allowed, in this side's order of preference.
    pub codecs: Vec<Codec>,
    /// Whether to offer/accept RFC 4733 telephone-event.
    pub telephone_event: bool,
    /// `o=` session id (stable for the leg).
    pub session_id: u64,
    /// `o=` session version (incremented by the leg for each new description).
    pub session_version: u64,
    /// Direction this side wants (sendonly to put the peer on hold).
    pub direction: Direction,
}

/// The parameters a leg runs with after offer/answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Negotiated {
    /// The codec both sides use.
    pub codec: Codec,
    /// Its payload type (the offerer's number).
    pub payload_type: u8,
    /// The telephone-event payload type, if both sides support it.
    pub telephone_event_pt: Option<u8>,
    /// Where to send RTP until symmetric RTP latches onto the real source;
    /// `None` when the peer gave no usable address (port 0 or 0.0.0.0 hold).
    pub remote: Option<SocketAddr>,
    /// Where to send RTCP.
    pub remote_rtcp: Option<SocketAddr>,
    /// This side's direction.
    pub direction: Direction,
    /// The peer's preferred packet time, if stated (this engine sends 20 ms).
    pub remote_ptime: Option<u32>,
}

fn origin(local: &LocalMedia) -> Origin {
    Origin {
        username: "-".into(),
        session_id: local.session_id,
        session_version: local.session_version,
        address: local.address,
    }
}

/// `te` is the telephone-event payload type and its clock rate.
fn audio_section(
    local: &LocalMedia,
    codecs: &[(Codec, u8)],
    te: Option<(u8, u32)>,
) -> MediaDescription {
    let mut formats: Vec<String> = codecs.iter().map(|(_, pt)| pt.to_string()).collect();
    let mut rtpmaps: Vec<RtpMap> = codecs
        .iter()
        .map(|(c, pt)| RtpMap {
            payload_type: *pt,
            encoding: c.encoding_name().into(),
            clock_rate: c.clock_rate(),
            channels: c.rtpmap_channels(),
        })
        .collect();
    let mut fmtps: Vec<(u8, String)> = codecs
        .iter()
        .filter_map(|(c, pt)| c.fmtp().map(|f| (*pt, f.to_string())))
        .collect();
    if let Some((pt, rate)) = te {
        formats.push(pt.to_string());
        rtpmaps.push(RtpMap {
            payload_type: pt,
            encoding: "telephone-event".into(),
            clock_rate: rate,
            channels: None,
        });
        fmtps.push((pt, "0-16".to_string()));
    }
    MediaDescription {
        media: "audio".into(),
        port: local.port,
        proto: "RTP/AVP".into(),
        formats,
        connection: None,
        rtpmaps,
        fmtps,
        ptime: Some(20),
        direction: Some(local.direction),
        rtcp_port: None,
    }
}

/// Builds this side's offer.
pub fn build_offer(local: &LocalMedia) -> SessionDescription {
    let mut next_dynamic = 96u8;
    let codecs: Vec<(Codec, u8)> = local
        .codecs
        .iter()
        .map(|c| {
            let pt = c.static_payload_type().unwrap_or_else(|| {
                next_dynamic += 1;
                next_dynamic - 1
            });
            (*c, pt)
        })
        .collect();
    // telephone-event at 8 kHz, and at 48 kHz too when Opus is offered
    // (RFC 4733 events use the clock of the audio they accompany).
    let te = local
        .telephone_event
        .then_some((OFFERED_TELEPHONE_EVENT_PT, 8000));
    let mut media = audio_section(local, &codecs, te);
    if local.telephone_event && local.codecs.contains(&Codec::Opus) {
        let pt = OFFERED_TELEPHONE_EVENT_PT + 1;
        media.formats.push(pt.to_string());
        media.rtpmaps.push(RtpMap {
            payload_type: pt,
            encoding: "telephone-event".into(),
            clock_rate: 48000,
            channels: None,
        });
        media.fmtps.push((pt, "0-16".to_string()));
    }
    SessionDescription {
        origin: origin(local),
        session_name: "-".into(),
        connection: Some(local.address),
        direction: None,
        media: vec![media],
    }
}

/// Resolves a payload type of an m-line to a codec we serve.
fn codec_of(m: &MediaDescription, pt: u8) -> Option<Codec> {
    match m.rtpmap(pt) {
        Some(map) => Codec::from_rtpmap(&map.encoding, map.clock_rate),
        None => Codec::from_static_payload_type(pt),
    }
}

/// The telephone-event payload type at the codec's clock rate.
fn telephone_event_of(m: &MediaDescription, codec: Codec) -> Option<u8> {
    m.payload_types().find(|pt| {
        m.rtpmap(*pt).is_some_and(|r| {
            r.encoding.eq_ignore_ascii_case("telephone-event") && r.clock_rate == codec.clock_rate()
        })
    })
}

fn remote_addr(
    sdp: &SessionDescription,
    m: &MediaDescription,
) -> (Option<SocketAddr>, Option<SocketAddr>) {
    match sdp.connection_of(m) {
        Some(ip) if !ip.is_unspecified() && m.port != 0 => {
            let rtcp_port = m.rtcp_port.unwrap_or(m.port.wrapping_add(1));
            (
                Some(SocketAddr::new(ip, m.port)),
                Some(SocketAddr::new(ip, rtcp_port)),
            )
        }
        _ => (None, None),
    }
}

fn usable_audio(m: &MediaDescription) -> bool {
    m.media == "audio" && m.port != 0 && m.proto == "RTP/AVP"
}

fn describe_offer(offer: &SessionDescription) -> String {
    offer
        .media
        .iter()
        .map(|m| {
            let names: Vec<String> = m
                .payload_types()
                .map(|pt| {
                    m.rtpmap(pt)
                        .map(|r| format!("{}/{}", r.encoding, r.clock_rate))
                        .unwrap_or_else(|| format!("pt {pt}"))
                })
                .collect();
            format!("{} {} [{}]", m.media, m.proto, names.join(", "))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Answers an offer: the first usable audio stream is accepted with the
/// first codec of the offer's list that `local` allows; other streams are
/// declined with port 0, as RFC 3264 section 6 requires.
pub fn answer_offer(
    offer: &SessionDescription,
    local: &LocalMedia,
) -> Result<(SessionDescription, Negotiated)> {
    let Some(idx) = offer.media.iter().position(usable_audio) else {
        let why = if offer
            .media
            .iter()
            .any(|m| m.media == "audio" && m.proto.contains("SAVP"))
        {
            "only encrypted (SRTP) audio was offered; offer RTP/AVP".to_string()
        } else {
            format!(
                "no active RTP/AVP audio stream in the offer ({})",
                describe_offer(offer)
            )
        };
        return Err(MediaError::NotAcceptable(why));
    };
    let m = &offer.media[idx];
    let chosen = m
        .payload_types()
        .filter_map(|pt| codec_of(m, pt).map(|c| (c, pt)))
        .find(|(c, _)| local.codecs.contains(c));
    let Some((codec, pt)) = chosen else {
        let served: Vec<&str> = local.codecs.iter().map(|c| c.encoding_name()).collect();
        return Err(MediaError::NotAcceptable(format!(
            "no common codec: offered {}, served {}",
            describe_offer(offer),
            served.join(", ")
        )));
    };
    let te = if local.telephone_event {
        telephone_event_of(m, codec)
    } else {
        None
    };
    let offered_dir = offer.direction_of(m);
    let direction = match (offered_dir.answer(), local.direction) {
        (d, Direction::SendRecv) => d,
        (Direction::SendRecv, mine) => mine,
        (Direction::RecvOnly, Direction::SendOnly) => Direction::Inactive,
        (Direction::SendOnly, Direction::RecvOnly) => Direction::Inactive,
        (d, mine) if d == mine => d,
        _ => Direction::Inactive,
    };
    let (remote, remote_rtcp) = remote_addr(offer, m);
    let mut local_answer = local.clone();
    local_answer.direction = direction;
    let mut media: Vec<MediaDescription> = offer
        .media
        .iter()
        .map(|other| MediaDescription {
            media: other.media.clone(),
            port: 0,
            proto: other.proto.clone(),
            formats: other.formats.iter().take(1).cloned().collect(),
            connection: None,
            rtpmaps: Vec::new(),
            fmtps: Vec::new(),
            ptime: None,
            direction: None,
            rtcp_port: None,
        })
        .collect();
    media[idx] = audio_section(
        &local_answer,
        &[(codec, pt)],
        te.map(|pt| (pt, codec.clock_rate())),
    );
    let answer = SessionDescription {
        origin: origin(local),
        session_name: "-".into(),
        connection: Some(local.address),
        direction: None,
        media,
    };
    Ok((
        answer,
        Negotiated {
            codec,
            payload_type: pt,
            telephone_event_pt: te,
            remote,
            remote_rtcp,
            direction,
            remote_ptime: m.ptime,
        },
    ))
}

/// Reads the answer to an offer this side made with `local`.
pub fn accept_answer(local: &LocalMedia, answer: &SessionDescription) -> Result<Negotiated> {
    let m = answer
        .media
        .iter()
        .find(|m| usable_audio(m))
        .ok_or_else(|| {
            MediaError::NotAcceptable(format!(
                "the answer declined the audio stream ({})",
                describe_offer(answer)
            ))
        })?;
    let (codec, pt) = m
        .payload_types()
        .filter_map(|pt| codec_of(m, pt).map(|c| (c, pt)))
        .find(|(c, _)| local.codecs.contains(c))
        .ok_or_else(|| {
            MediaError::NotAcceptable(format!(
                "the answer chose no codec that was offered ({})",
                describe_offer(answer)
            ))
        })?;
    let te = if local.telephone_event {
        telephone_event_of(m, codec)
    } else {
        None
    };
    let (remote, remote_rtcp) = remote_addr(answer, m);
    Ok(Negotiated {
        codec,
        payload_type: pt,
        telephone_event_pt: te,
        remote,
        remote_rtcp,
        direction: answer.direction_of(m).answer(),
        remote_ptime: m.ptime,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> LocalMedia {
        LocalMedia {
            address: "127.0.0.1".parse().unwrap(),
            port: 30000,
            codecs: vec![Codec::Pcma, Codec::Pcmu],
            telephone_event: true,
            session_id: 7,
            session_version: 1,
            direction: Direction::SendRecv,
        }
    }

    fn offer(body: &str) -> SessionDescription {
        SessionDescription::parse(&format!(
            "v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\n{body}"
        ))
        .unwrap()
    }

    #[test]
    fn honours_the_offerers_codec_order_and_telephone_event() {
        let o = offer("m=audio 4000 RTP/AVP 18 0 8 100\r\na=rtpmap:100 telephone-event/8000\r\n");
        let (answer, n) = answer_offer(&o, &local()).unwrap();
        assert_eq!(n.codec, Codec::Pcmu);
        assert_eq!(n.payload_type, 0);
        assert_eq!(n.telephone_event_pt, Some(100));
        assert_eq!(n.remote, Some("192.0.2.9:4000".parse().unwrap()));
        let text = answer.to_string();
        assert!(text.contains("m=audio 30000 RTP/AVP 0 100\r\n"), "{text}");
        assert!(text.contains("a=rtpmap:100 telephone-event/8000\r\n"));
        // The answer parses back to itself.
        assert_eq!(SessionDescription::parse(&text).unwrap(), answer);
    }

    #[test]
    fn hold_offers_get_the_mirrored_direction() {
        let o = offer("m=audio 4000 RTP/AVP 8\r\na=sendonly\r\n");
        let (answer, n) = answer_offer(&o, &local()).unwrap();
        assert_eq!(n.direction, Direction::RecvOnly);
        assert!(answer.to_string().contains("a=recvonly"));
        let o = offer("m=audio 4000 RTP/AVP 8\r\na=inactive\r\n");
        assert_eq!(
            answer_offer(&o, &local()).unwrap().1.direction,
            Direction::Inactive
        );
        // Old-style hold: c=0.0.0.0 leaves no address to send to.
        let o = SessionDescription::parse(
            "v=0\r\no=- 1 2 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n",
        )
        .unwrap();
        assert_eq!(answer_offer(&o, &local()).unwrap().1.remote, None);
    }

    #[test]
    fn declines_extra_streams_and_rejects_with_reasons() {
        let o = offer("m=video 5000 RTP/AVP 31\r\nm=audio 4000 RTP/AVP 0\r\n");
        let (answer, _) = answer_offer(&o, &local()).unwrap();
        assert_eq!(answer.media.len(), 2);
        assert_eq!(answer.media[0].port, 0);
        assert_eq!(answer.media[1].port, 30000);

        let e = answer_offer(&offer("m=audio 4000 RTP/AVP 18\r\n"), &local()).unwrap_err();
        assert!(e.to_string().contains("no common codec"), "{e}");
        let e = answer_offer(&offer("m=audio 4000 RTP/SAVP 0\r\n"), &local()).unwrap_err();
        assert!(e.to_string().contains("SRTP"), "{e}");
        let e = answer_offer(&offer("m=video 4000 RTP/AVP 31\r\n"), &local()).unwrap_err();
        assert!(e.to_string().contains("no active"), "{e}");
    }

    #[test]
    fn offer_and_answer_round_trip() {
        let mut mine = local();
        let o = build_offer(&mine);
        let text = o.to_string();
        assert!(text.contains("m=audio 30000 RTP/AVP 8 0 101"), "{text}");
        let mut peer = local();
        peer.port = 40000;
        peer.codecs = vec![Codec::Pcmu];
        let (answer, theirs) =
            answer_offer(&SessionDescription::parse(&text).unwrap(), &peer).unwrap();
        assert_eq!(theirs.codec, Codec::Pcmu);
        mine.session_version += 1;
        let n = accept_answer(&mine, &answer).unwrap();
        assert_eq!(n.codec, Codec::Pcmu);
        assert_eq!(n.telephone_event_pt, Some(101));
        assert_eq!(n.remote.unwrap().port(), 40000);
    }
}
