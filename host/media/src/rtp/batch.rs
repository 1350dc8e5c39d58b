//! Batched datagram receive: `recvmmsg` on Linux drains up to
//! [`BATCH`] datagrams of one socket per system call; elsewhere a loop of
//! `recv_from`. One [`RecvBatch`] per worker, reused for every socket, so
//! receiving allocates nothing.

use std::net::{SocketAddr, UdpSocket};

/// Datagrams read per call.
pub const BATCH: usize = 16;
/// Largest datagram kept (longer ones are truncated and dropped by the parser).
pub const MTU: usize = 1500;

/// Reusable receive buffers.
pub struct RecvBatch {
    bufs: Box<[[u8; MTU]; BATCH]>,
    lens: [usize; BATCH],
    addrs: [Option<SocketAddr>; BATCH],
    /// Kernel receive time (ns since the Unix epoch) when the socket has
    /// [`enable_timestamps`] on: exact arrival times for jitter statistics
    /// however late the worker reads the packet.
    stamps: [Option<u64>; BATCH],
    count: usize,
}

impl Default for RecvBatch {
    fn default() -> Self {
        RecvBatch {
            bufs: Box::new([[0u8; MTU]; BATCH]),
            lens: [0; BATCH],
            addrs: [None; BATCH],
            stamps: [None; BATCH],
            count: 0,
        }
    }
}

/// Asks the kernel to stamp each datagram with its arrival time (Linux
/// `SO_TIMESTAMPNS`); a no-op elsewhere.
pub fn enable_timestamps(socket: &UdpSocket) {
    #[cfg(target_os = "linux")]
    {
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        // SAFETY: a valid socket and an int option value.
        unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::SOL_SOCKET,
                libc::SO_TIMESTAMPNS,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            );
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = socket;
}

impl RecvBatch {
    /// Reads what is queued on `socket` (non-blocking), up to [`BATCH`]
    /// datagrams; returns how many.
    pub fn recv(&mut self, socket: &UdpSocket) -> usize {
        self.count = 0;
        #[cfg(target_os = "linux")]
        {
            self.count = linux::recvmmsg(
                socket,
                &mut self.bufs,
                &mut self.lens,
                &mut self.addrs,
                &mut self.stamps,
            );
        }
        #[cfg(not(target_os = "linux"))]
        {
            while self.count < BATCH {
                match socket.recv_from(&mut self.bufs[self.count]) {
                    Ok((n, from)) => {
                        self.lens[self.count] = n;
                        self.addrs[self.count] = Some(from);
                        self.count += 1;
                    }
                    Err(_) => break,
                }
            }
        }
        self.count
    }

    /// Datagram `i` of the last read and its source.
    pub fn get(&self, i: usize) -> Option<(&[u8], SocketAddr)> {
        if i >= self.count {
            return None;
        }
        Some((&self.bufs[i][..self.lens[i]], self.addrs[i]?))
    }

    /// Kernel arrival time of datagram `i` in ns since the Unix epoch, when stamped.
    pub fn arrival_ns(&self, i: usize) -> Option<u64> {
        if i >= self.count {
            None
        } else {
            self.stamps[i]
        }
    }
}

/// Datagrams queued for one socket and sent with as few system calls as
/// the platform allows (`sendmmsg` on Linux). For a socket that sends many
/// packets per tick, such as a load generator or a shared relay socket;
/// a leg sends one packet per tick and uses `send_to` directly.
pub struct SendBatch {
    bufs: Box<[[u8; MTU]; BATCH]>,
    lens: [usize; BATCH],
    addrs: [Option<SocketAddr>; BATCH],
    count: usize,
}

impl Default for SendBatch {
    fn default() -> Self {
        SendBatch {
            bufs: Box::new([[0u8; MTU]; BATCH]),
            lens: [0; BATCH],
            addrs: [None; BATCH],
            count: 0,
        }
    }
}

impl SendBatch {
    /// Queues a datagram, flushing first when the batch is full.
    pub fn push(&mut self, socket: &UdpSocket, data: &[u8], to: SocketAddr) {
        if self.count == BATCH {
            self.flush(socket);
        }
        let n = data.len().min(MTU);
        self.bufs[self.count][..n].copy_from_slice(&data[..n]);
        self.lens[self.count] = n;
        self.addrs[self.count] = Some(to);
        self.count += 1;
    }

    /// Sends what is queued; returns how many datagrams the kernel took.
    pub fn flush(&mut self, socket: &UdpSocket) -> usize {
        let count = std::mem::take(&mut self.count);
        #[cfg(target_os = "linux")]
        {
            linux::sendmmsg(
                socket,
                &self.bufs,
                &self.lens[..count],
                &self.addrs[..count],
            )
        }
        #[cfg(not(target_os = "linux"))]
        {
            (0..count)
                .filter(|&i| {
                    self.addrs[i]
                        .is_some_and(|a| socket.send_to(&self.bufs[i][..self.lens[i]], a).is_ok())
                })
                .count()
        }
    }
}

#[cfg(target_os = "linux")]
mod linux {
    use std::mem::{MaybeUninit, size_of, zeroed};
    use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6, UdpSocket};
    use std::os::fd::AsRawFd;

    use super::{BATCH, MTU};

    fn to_addr(s: &libc::sockaddr_storage) -> Option<SocketAddr> {
        match s.ss_family as i32 {
            libc::AF_INET => {
                // SAFETY: the family says this storage holds a sockaddr_in.
                let a: &libc::sockaddr_in =
                    unsafe { &*(s as *const _ as *const libc::sockaddr_in) };
                Some(SocketAddr::V4(SocketAddrV4::new(
                    Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                    u16::from_be(a.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: the family says this storage holds a sockaddr_in6.
                let a: &libc::sockaddr_in6 =
                    unsafe { &*(s as *const _ as *const libc::sockaddr_in6) };
                Some(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(a.sin6_addr.s6_addr),
                    u16::from_be(a.sin6_port),
                    a.sin6_flowinfo,
                    a.sin6_scope_id,
                )))
            }
            _ => None,
        }
    }

    fn from_addr(a: SocketAddr, s: &mut libc::sockaddr_storage) -> libc::socklen_t {
        match a {
            SocketAddr::V4(v4) => {
                // SAFETY: sockaddr_storage is large and aligned enough for sockaddr_in.
                let sin: &mut libc::sockaddr_in =
                    unsafe { &mut *(s as *mut _ as *mut libc::sockaddr_in) };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = v4.port().to_be();
                sin.sin_addr.s_addr = u32::from(*v4.ip()).to_be();
                size_of::<libc::sockaddr_in>() as libc::socklen_t
            }
            SocketAddr::V6(v6) => {
                // SAFETY: as above, for sockaddr_in6.
                let sin6: &mut libc::sockaddr_in6 =
                    unsafe { &mut *(s as *mut _ as *mut libc::sockaddr_in6) };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = v6.port().to_be();
                sin6.sin6_addr.s6_addr = v6.ip().octets();
                sin6.sin6_flowinfo = v6.flowinfo();
                sin6.sin6_scope_id = v6.scope_id();
                size_of::<libc::sockaddr_in6>() as libc::socklen_t
            }
        }
    }

    pub(super) fn sendmmsg(
        socket: &UdpSocket,
        bufs: &[[u8; MTU]; BATCH],
        lens: &[usize],
        addrs: &[Option<SocketAddr>],
    ) -> usize {
        // SAFETY: all-zero is a valid value for these plain C structs.
        let mut storage: [libc::sockaddr_storage; BATCH] = unsafe { zeroed() };
        let mut iov: [MaybeUninit<libc::iovec>; BATCH] = [MaybeUninit::uninit(); BATCH];
        // SAFETY: as above.
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        let mut n = 0;
        for i in 0..lens.len().min(BATCH) {
            let Some(to) = addrs[i] else { continue };
            iov[n].write(libc::iovec {
                iov_base: bufs[i].as_ptr() as *mut libc::c_void,
                iov_len: lens[i],
            });
            msgs[n].msg_hdr.msg_iov = iov[n].as_mut_ptr();
            msgs[n].msg_hdr.msg_iovlen = 1;
            msgs[n].msg_hdr.msg_namelen = from_addr(to, &mut storage[n]);
            msgs[n].msg_hdr.msg_name = (&mut storage[n] as *mut libc::sockaddr_storage).cast();
            n += 1;
        }
        let mut done = 0;
        while done < n {
            // SAFETY: msgs[done..n] are initialised and their buffers live
            // for the call; sendmmsg only reads them.
            let r = unsafe {
                libc::sendmmsg(
                    socket.as_raw_fd(),
                    msgs[done..].as_mut_ptr(),
                    (n - done) as libc::c_uint,
                    libc::MSG_DONTWAIT,
                )
            };
            if r <= 0 {
                break;
            }
            done += r as usize;
        }
        done
    }

    pub(super) fn recvmmsg(
        socket: &UdpSocket,
        bufs: &mut [[u8; MTU]; BATCH],
        lens: &mut [usize; BATCH],
        addrs: &mut [Option<SocketAddr>; BATCH],
        stamps: &mut [Option<u64>; BATCH],
    ) -> usize {
        // Room for one SCM_TIMESTAMPNS control message per datagram.
        const CMSG_LEN: usize = 64;
        let mut control = [[0u64; CMSG_LEN / 8]; BATCH];
        // The headers live on the stack: recvmmsg only borrows them for
        // the call, so nothing is allocated per read.
        // SAFETY: all-zero is a valid value for these plain C structs.
        let mut storage: [libc::sockaddr_storage; BATCH] = unsafe { zeroed() };
        let mut iov: [MaybeUninit<libc::iovec>; BATCH] = [MaybeUninit::uninit(); BATCH];
        // SAFETY: as above.
        let mut msgs: [libc::mmsghdr; BATCH] = unsafe { zeroed() };
        for i in 0..BATCH {
            iov[i].write(libc::iovec {
                iov_base: bufs[i].as_mut_ptr().cast(),
                iov_len: MTU,
            });
            msgs[i].msg_hdr.msg_iov = iov[i].as_mut_ptr();
            msgs[i].msg_hdr.msg_iovlen = 1;
            msgs[i].msg_hdr.msg_name = (&mut storage[i] as *mut libc::sockaddr_storage).cast();
            msgs[i].msg_hdr.msg_namelen = size_of::<libc::sockaddr_storage>() as libc::socklen_t;
            msgs[i].msg_hdr.msg_control = control[i].as_mut_ptr().cast();
            msgs[i].msg_hdr.msg_controllen = CMSG_LEN as _;
        }
        // SAFETY: msgs points to BATCH initialised headers whose buffers
        // outlive the call; MSG_DONTWAIT makes it non-blocking.
        let n = unsafe {
            libc::recvmmsg(
                socket.as_raw_fd(),
                msgs.as_mut_ptr(),
                BATCH as libc::c_uint,
                libc::MSG_DONTWAIT,
                std::ptr::null_mut(),
            )
        };
        if n <= 0 {
            return 0;
        }
        let n = n as usize;
        for i in 0..n {
            lens[i] = msgs[i].msg_len as usize;
            addrs[i] = to_addr(&storage[i]);
            stamps[i] = None;
            let hdr = &msgs[i].msg_hdr;
            // SAFETY: the kernel filled msg_control/msg_controllen; the
            // CMSG macros walk it within those bounds.
            unsafe {
                let mut c = libc::CMSG_FIRSTHDR(hdr);
                while !c.is_null() {
                    if (*c).cmsg_level == libc::SOL_SOCKET
                        && (*c).cmsg_type == libc::SCM_TIMESTAMPNS
                    {
                        let ts =
                            std::ptr::read_unaligned(libc::CMSG_DATA(c) as *const libc::timespec);
                        stamps[i] = Some(ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64);
                    }
                    c = libc::CMSG_NXTHDR(hdr, c);
                }
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drains_several_datagrams_with_their_sources() {
        let rx = UdpSocket::bind("127.0.0.1:0").unwrap();
        rx.set_nonblocking(true).unwrap();
        enable_timestamps(&rx);
        let tx = UdpSocket::bind("127.0.0.1:0").unwrap();
        let mut batch = RecvBatch::default();
        assert_eq!(batch.recv(&rx), 0);
        for i in 0..5u8 {
            tx.send_to(&[i; 10], rx.local_addr().unwrap()).unwrap();
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(batch.recv(&rx), 5);
        let (d, from) = batch.get(3).unwrap();
        assert_eq!(d, &[3u8; 10]);
        assert_eq!(from, tx.local_addr().unwrap());
        assert!(batch.get(5).is_none());
        if cfg!(target_os = "linux") {
            let now_ns = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64;
            let stamp = batch.arrival_ns(3).expect("kernel timestamp");
            assert!(
                stamp <= now_ns && now_ns - stamp < 5_000_000_000,
                "{stamp} vs {now_ns}"
            );
        }

        // And back with sendmmsg, to two destinations.
        let other = UdpSocket::bind("127.0.0.1:0").unwrap();
        other.set_nonblocking(true).unwrap();
        tx.set_nonblocking(true).unwrap();
        let mut out = SendBatch::default();
        for i in 0..20u8 {
            let to = if i % 2 == 0 {
                tx.local_addr()
            } else {
                other.local_addr()
            };
            out.push(&rx, &[i; 3], to.unwrap());
        }
        assert_eq!(out.flush(&rx), 4, "16 went out when the batch filled");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(batch.recv(&tx), 10);
        assert_eq!(batch.get(9).unwrap().0, &[18u8; 3]);
        assert_eq!(batch.recv(&other), 10);
        assert_eq!(
            batch.get(0).unwrap(),
            (&[1u8; 3][..], rx.local_addr().unwrap())
        );
    }
}
