//! Free loopback ports, for a PBX started on a machine where other tests
//! or benchmarks run too.

use anyhow::{Context, Result, bail};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, UdpSocket};

/// A port free for both UDP and TCP on 127.0.0.1 right now (the OS picks
/// it for UDP, then TCP must bind it too), other than those in `avoid`.
///
/// Nothing holds it afterwards, so another process could take it before
/// the PBX binds it; the OS hands out ephemeral ports in turn, which makes
/// that unlikely.
pub fn free_port(avoid: &[u16]) -> Result<u16> {
    for _ in 0..64 {
        let udp = UdpSocket::bind((Ipv4Addr::LOCALHOST, 0)).context("binding UDP 127.0.0.1:0")?;
        let port = udp.local_addr()?.port();
        if avoid.contains(&port) {
            continue;
        }
        if TcpListener::bind((Ipv4Addr::LOCALHOST, port)).is_ok() {
            return Ok(port);
        }
    }
    bail!("found no port free for both UDP and TCP on 127.0.0.1 in 64 tries")
}

/// `127.0.0.1:port` with a port from [`free_port`].
pub fn free_addr(avoid: &[u16]) -> Result<SocketAddr> {
    Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, free_port(avoid)?)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn port_is_bindable_and_avoids_the_given_ones() {
        let a = free_port(&[]).unwrap();
        let b = free_port(&[a]).unwrap();
        assert_ne!(a, b);
        UdpSocket::bind((Ipv4Addr::LOCALHOST, b)).unwrap();
        TcpListener::bind((Ipv4Addr::LOCALHOST, b)).unwrap();
    }
}
