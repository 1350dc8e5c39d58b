//! [`SessionDescription`] back to SDP text, CRLF line ends.

use std::fmt::{self, Write};
use std::net::IpAddr;

use super::SessionDescription;

fn family(a: IpAddr) -> &'static str {
    if a.is_ipv4() { "IP4" } else { "IP6" }
}

pub(super) fn write(sdp: &SessionDescription, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let o = &sdp.origin;
    write!(f, "v=0\r\n")?;
    write!(
        f,
        "o={} {} {} IN {} {}\r\n",
        o.username,
        o.session_id,
        o.session_version,
        family(o.address),
        o.address
    )?;
    let name = if sdp.session_name.is_empty() {
        "-"
    } else {
        &sdp.session_name
    };
    write!(f, "s={name}\r\n")?;
    if let Some(c) = sdp.connection {
        write!(f, "c=IN {} {}\r\n", family(c), c)?;
    }
    write!(f, "t=0 0\r\n")?;
    if let Some(d) = sdp.direction {
        write!(f, "a={}\r\n", d.as_str())?;
    }
    for m in &sdp.media {
        write!(f, "m={} {} {}", m.media, m.port, m.proto)?;
        for fmt in &m.formats {
            f.write_char(' ')?;
            f.write_str(fmt)?;
        }
        f.write_str("\r\n")?;
        if let Some(c) = m.connection {
            write!(f, "c=IN {} {}\r\n", family(c), c)?;
        }
        for r in &m.rtpmaps {
            write!(
                f,
                "a=rtpmap:{} {}/{}",
                r.payload_type, r.encoding, r.clock_rate
            )?;
            if let Some(ch) = r.channels {
                write!(f, "/{ch}")?;
            }
            f.write_str("\r\n")?;
        }
        for (pt, p) in &m.fmtps {
            write!(f, "a=fmtp:{pt} {p}\r\n")?;
        }
        if let Some(p) = m.ptime {
            write!(f, "a=ptime:{p}\r\n")?;
        }
        if let Some(d) = m.direction {
            write!(f, "a={}\r\n", d.as_str())?;
        }
    }
    Ok(())
}
