//! Network access control lists: which source addresses may talk SIP to us.
//!
//! Typical use is restricting a trunk or the whole listener to the carrier's
//! and the office's networks, which stops most scanner traffic before any
//! parsing or authentication work is done.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::str::FromStr;

/// Why an ACL entry was rejected. Each variant quotes the entry as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AclError {
    /// The address part is not an IPv4 or IPv6 address.
    #[error("ACL entry {0:?}: not an IPv4 or IPv6 address")]
    InvalidAddress(String),
    /// The prefix length is not a number.
    #[error("ACL entry {0:?}: prefix length after '/' must be a number")]
    InvalidPrefix(String),
    /// The prefix length exceeds 32 (IPv4) or 128 (IPv6).
    #[error("ACL entry {entry:?}: prefix length {prefix} exceeds {max}")]
    PrefixTooLong {
        /// The entry as written.
        entry: String,
        /// The given prefix length.
        prefix: u32,
        /// 32 or 128.
        max: u8,
    },
    /// Bits beyond the prefix are set (e.g. `192.168.1.5/24`): almost always
    /// a typo, so it is rejected rather than silently widened or narrowed.
    #[error("ACL entry {entry:?}: host bits set; did you mean {suggestion}?")]
    HostBitsSet {
        /// The entry as written.
        entry: String,
        /// The network with host bits cleared.
        suggestion: String,
    },
}

/// One network: an address and a prefix length. IPv4-mapped IPv6 networks
/// (`::ffff:a.b.c.d/96+n`) are stored as the IPv4 network `/n`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Network {
    addr: IpAddr,
    prefix: u8,
}

fn mask_v4(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    }
}

fn mask_v6(prefix: u8) -> u128 {
    if prefix == 0 {
        0
    } else {
        u128::MAX << (128 - prefix)
    }
}

impl Network {
    /// Parses `addr` or `addr/prefix` (a bare address is a single host:
    /// /32 or /128).
    pub fn parse(entry: &str) -> Result<Network, AclError> {
        let text = entry.trim();
        let (addr_s, prefix_s) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let addr =
            IpAddr::from_str(addr_s).map_err(|_| AclError::InvalidAddress(entry.to_string()))?;
        let max: u8 = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix_s {
            None => max,
            Some(p) => {
                let p: u32 = p
                    .parse()
                    .map_err(|_| AclError::InvalidPrefix(entry.to_string()))?;
                if p > u32::from(max) {
                    return Err(AclError::PrefixTooLong {
                        entry: entry.to_string(),
                        prefix: p,
                        max,
                    });
                }
                p as u8
            }
        };
        let net = Network { addr, prefix }.canonical();
        if net.masked() != net.addr {
            return Err(AclError::HostBitsSet {
                entry: entry.to_string(),
                suggestion: Network {
                    addr: net.masked(),
                    prefix: net.prefix,
                }
                .to_string(),
            });
        }
        Ok(net)
    }

    /// Rewrites an IPv4-mapped IPv6 network with prefix >= 96 as IPv4.
    fn canonical(self) -> Network {
        if let IpAddr::V6(v6) = self.addr
            && let Some(v4) = v6.to_ipv4_mapped()
            && self.prefix >= 96
        {
            return Network {
                addr: IpAddr::V4(v4),
                prefix: self.prefix - 96,
            };
        }
        self
    }

    fn masked(&self) -> IpAddr {
        match self.addr {
            IpAddr::V4(a) => IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask_v4(self.prefix))),
            IpAddr::V6(a) => IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask_v6(self.prefix))),
        }
    }

    /// Whether `ip` is inside this network. `ip` is canonicalised first, so an
    /// IPv4-mapped IPv6 source (dual-stack socket) matches IPv4 networks.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let m = mask_v4(self.prefix);
                u32::from(a) & m == u32::from(n) & m
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let m = mask_v6(self.prefix);
                u128::from(a) & m == u128::from(n) & m
            }
            _ => false,
        }
    }
}

impl fmt::Display for Network {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

impl FromStr for Network {
    type Err = AclError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Network::parse(s)
    }
}

/// A list of allowed networks.
///
/// **An empty ACL allows everything**: "no restriction configured" is the
/// natural meaning of an absent list, and a default-deny empty list would
/// make a fresh installation unreachable. To block everything, don't listen.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Acl {
    networks: Vec<Network>,
}

impl Acl {
    /// Builds an ACL from already parsed networks.
    pub fn new(networks: Vec<Network>) -> Self {
        Acl { networks }
    }

    /// Parses a list such as `"192.168.1.0/24, 10.0.0.1 2001:db8::/32"`:
    /// entries separated by commas and/or whitespace. Fails on the first bad
    /// entry, so a typo never silently drops a network.
    pub fn parse_list(list: &str) -> Result<Acl, AclError> {
        Self::parse_entries(
            list.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|s| !s.is_empty()),
        )
    }

    /// Parses one entry per item (e.g. from a configuration array).
    pub fn parse_entries<'a, I: IntoIterator<Item = &'a str>>(entries: I) -> Result<Acl, AclError> {
        entries
            .into_iter()
            .map(Network::parse)
            .collect::<Result<Vec<_>, _>>()
            .map(Acl::new)
    }

    /// The configured networks.
    pub fn networks(&self) -> &[Network] {
        &self.networks
    }

    /// Whether no network is configured (then everything is allowed).
    pub fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }

    /// Whether `ip` may connect: the ACL is empty or some network contains it.
    pub fn allows(&self, ip: IpAddr) -> bool {
        self.networks.is_empty() || self.networks.iter().any(|n| n.contains(ip))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn empty_allows_everything() {
        let acl = Acl::parse_list("  ").unwrap();
        assert!(acl.is_empty());
        assert!(acl.allows(ip("203.0.113.9")));
        assert!(acl.allows(ip("2001:db8::1")));
    }

    #[test]
    fn ipv4_networks_and_hosts() {
        let acl = Acl::parse_list("192.168.1.0/24, 10.0.0.1").unwrap();
        assert_eq!(acl.networks().len(), 2);
        assert!(acl.allows(ip("192.168.1.200")));
        assert!(!acl.allows(ip("192.168.2.1")));
        assert!(acl.allows(ip("10.0.0.1")));
        assert!(!acl.allows(ip("10.0.0.2")));
        assert!(!acl.allows(ip("2001:db8::1")));
    }

    #[test]
    fn ipv6_networks() {
        let acl = Acl::parse_list("2001:db8::/32 ::1").unwrap();
        assert!(acl.allows(ip("2001:db8:ffff::5")));
        assert!(!acl.allows(ip("2001:db9::5")));
        assert!(acl.allows(ip("::1")));
        assert!(!acl.allows(ip("127.0.0.1")));
    }

    #[test]
    fn zero_prefix_matches_family_only() {
        let acl = Acl::parse_list("0.0.0.0/0").unwrap();
        assert!(acl.allows(ip("8.8.8.8")));
        assert!(!acl.allows(ip("2001:db8::1")));
    }

    #[test]
    fn ipv4_mapped_treated_as_ipv4() {
        let acl = Acl::parse_list("192.168.1.0/24").unwrap();
        assert!(acl.allows(ip("::ffff:192.168.1.7")));
        assert!(!acl.allows(ip("::ffff:192.168.2.7")));
        // A mapped network entry is stored as IPv4 and matches plain IPv4.
        let mapped = Acl::parse_list("::ffff:10.0.0.0/104").unwrap();
        assert_eq!(mapped.networks()[0].to_string(), "10.0.0.0/8");
        assert!(mapped.allows(ip("10.1.2.3")));
        assert!(!mapped.allows(ip("11.1.2.3")));
    }

    #[test]
    fn parse_errors() {
        assert_eq!(
            Network::parse("192.168.1/24"),
            Err(AclError::InvalidAddress("192.168.1/24".into()))
        );
        assert_eq!(
            Network::parse("10.0.0.0/x"),
            Err(AclError::InvalidPrefix("10.0.0.0/x".into()))
        );
        assert_eq!(
            Network::parse("10.0.0.0/33"),
            Err(AclError::PrefixTooLong {
                entry: "10.0.0.0/33".into(),
                prefix: 33,
                max: 32
            })
        );
        assert!(matches!(
            Network::parse("2001:db8::/129"),
            Err(AclError::PrefixTooLong { max: 128, .. })
        ));
        let err = Network::parse("192.168.1.5/24").unwrap_err();
        assert_eq!(
            err,
            AclError::HostBitsSet {
                entry: "192.168.1.5/24".into(),
                suggestion: "192.168.1.0/24".into()
            }
        );
        assert!(err.to_string().contains("did you mean 192.168.1.0/24"));
        // The list parser reports the first bad entry instead of skipping it.
        assert_eq!(
            Acl::parse_list("10.0.0.0/8, bogus"),
            Err(AclError::InvalidAddress("bogus".into()))
        );
        assert!(Acl::parse_entries(["10.0.0.0/8", "2001:db8::/32"]).is_ok());
    }
}
