//! Connecting a leg's RTP socket to its latched peer. A connected UDP
//! socket sends without a route look-up per packet and the kernel drops
//! datagrams from any other source before they reach the worker (spoofed
//! or stray RTP costs nothing). Disconnecting opens it to every source
//! again, so that symmetric RTP can latch onto a new one.

use std::net::{SocketAddr, UdpSocket};

/// Connects `socket` to `peer`; false if the system refused.
pub fn connect(socket: &UdpSocket, peer: SocketAddr) -> bool {
    socket.connect(peer).is_ok()
}

/// Dissolves the association (connect to `AF_UNSPEC`, POSIX); the socket
/// receives from anyone again. It keeps its port only if it was bound to
/// an explicit one, as leg sockets are.
pub fn disconnect(socket: &UdpSocket) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: all-zero sockaddr with family AF_UNSPEC is the documented
        // way to dissolve a UDP association; the length covers the struct.
        unsafe {
            let mut addr: libc::sockaddr = std::mem::zeroed();
            addr.sa_family = libc::AF_UNSPEC as libc::sa_family_t;
            libc::connect(
                socket.as_raw_fd(),
                &addr,
                std::mem::size_of::<libc::sockaddr>() as libc::socklen_t,
            );
        }
    }
    #[cfg(not(unix))]
    let _ = socket;
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn connected_sockets_hear_only_their_peer_until_disconnected() {
        // An explicit port, as legs have (an ephemeral one is released by
        // the disconnect).
        let port = UdpSocket::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let s = UdpSocket::bind(("127.0.0.1", port)).unwrap();
        s.set_read_timeout(Some(Duration::from_millis(200)))
            .unwrap();
        let (peer, other) = (
            UdpSocket::bind("127.0.0.1:0").unwrap(),
            UdpSocket::bind("127.0.0.1:0").unwrap(),
        );
        assert!(connect(&s, peer.local_addr().unwrap()));
        other.send_to(b"x", s.local_addr().unwrap()).unwrap();
        peer.send_to(b"p", s.local_addr().unwrap()).unwrap();
        let mut buf = [0u8; 4];
        let (n, from) = s.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"p"[..], peer.local_addr().unwrap()));
        assert!(
            s.recv_from(&mut buf).is_err(),
            "the other source was dropped"
        );
        let me = s.local_addr().unwrap();
        disconnect(&s);
        assert_eq!(s.local_addr().ok(), Some(me), "the binding survives");
        other.send_to(b"y", me).unwrap();
        let (n, from) = s.recv_from(&mut buf).unwrap();
        assert_eq!((&buf[..n], from), (&b"y"[..], other.local_addr().unwrap()));
    }
}
