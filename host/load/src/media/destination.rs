//! Where a leg's packets go. Set at start from the peer's SDP, and moved
//! once by the receive side when the plan asks to latch onto the address
//! the peer's RTP actually comes from (symmetric RTP, as behind NAT).

use std::net::SocketAddr;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

/// A destination shared by a leg's sender and receiver.
#[derive(Debug)]
pub struct Destination {
    changed: AtomicBool,
    addr: Mutex<SocketAddr>,
}

impl Destination {
    /// A destination at `addr`.
    pub fn new(addr: SocketAddr) -> Destination {
        Destination {
            changed: AtomicBool::new(false),
            addr: Mutex::new(addr),
        }
    }

    /// The current address.
    pub fn get(&self) -> SocketAddr {
        *self.addr.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Moves the destination to `addr`.
    pub fn set(&self, addr: SocketAddr) {
        *self.addr.lock().unwrap_or_else(|e| e.into_inner()) = addr;
        self.changed.store(true, Ordering::Release);
    }

    /// The new address if it changed since the last call; one relaxed load
    /// when it did not (the sender asks on every packet).
    pub fn take_change(&self) -> Option<SocketAddr> {
        if self.changed.load(Ordering::Relaxed) && self.changed.swap(false, Ordering::Acquire) {
            Some(self.get())
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_is_seen_once() {
        let a: SocketAddr = "127.0.0.1:1000".parse().unwrap();
        let b: SocketAddr = "127.0.0.1:2000".parse().unwrap();
        let d = Destination::new(a);
        assert_eq!((d.get(), d.take_change()), (a, None));
        d.set(b);
        assert_eq!(d.take_change(), Some(b));
        assert_eq!((d.get(), d.take_change()), (b, None));
    }
}
