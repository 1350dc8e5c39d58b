//! RTP port allocation from the configured range: an even RTP port and the
//! RTCP port above it, bound as non-blocking sockets.

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::sync::Mutex;

use crate::error::{MediaError, Result};

/// Hands out port pairs round-robin, so that a port just released is not
/// reused at once (late packets of the old call would land in the new one).
#[derive(Debug)]
pub struct PortAllocator {
    ip: IpAddr,
    first: u16,
    last: u16,
    /// A std Mutex: held only for a counter update, never across I/O awaits.
    next: Mutex<u16>,
}

impl PortAllocator {
    /// An allocator for `first..=last` on `ip`. The range needs at least one pair.
    pub fn new(ip: IpAddr, first: u16, last: u16) -> Result<Self> {
        let first = first + first % 2;
        if first == 0 || last <= first {
            return Err(MediaError::Config(format!(
                "rtp port range {first}-{last} holds no even/odd pair; give e.g. 10000-20000"
            )));
        }
        Ok(PortAllocator {
            ip,
            first,
            last,
            next: Mutex::new(first),
        })
    }

    /// Binds a free (RTP, RTCP) socket pair.
    pub fn allocate(&self) -> Result<(UdpSocket, UdpSocket)> {
        let pairs = ((self.last - self.first) / 2 + 1) as usize;
        for _ in 0..pairs {
            let port = {
                let mut next = self.next.lock().unwrap_or_else(|e| e.into_inner());
                let p = *next;
                *next = if p + 2 > self.last - 1 {
                    self.first
                } else {
                    p + 2
                };
                p
            };
            let Ok(rtp) = UdpSocket::bind(SocketAddr::new(self.ip, port)) else {
                continue;
            };
            let Ok(rtcp) = UdpSocket::bind(SocketAddr::new(self.ip, port + 1)) else {
                continue;
            };
            rtp.set_nonblocking(true)?;
            super::batch::enable_timestamps(&rtp);
            rtcp.set_nonblocking(true)?;
            return Ok((rtp, rtcp));
        }
        Err(MediaError::NoPorts {
            first: self.first,
            last: self.last,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_pairs_and_reports_exhaustion() {
        // Below Linux's ephemeral range (32768-60999), so that no socket of
        // another test can be handed one of these ports by the kernel.
        let a = PortAllocator::new("127.0.0.1".parse().unwrap(), 31001, 31006).unwrap();
        let (r1, c1) = a.allocate().unwrap();
        let p = r1.local_addr().unwrap().port();
        assert_eq!(p % 2, 0);
        assert_eq!(c1.local_addr().unwrap().port(), p + 1);
        let _second = a.allocate().unwrap();
        let e = a.allocate().unwrap_err();
        assert!(e.to_string().contains("widen"), "{e}");
        assert!(PortAllocator::new("127.0.0.1".parse().unwrap(), 5000, 5000).is_err());
    }
}
