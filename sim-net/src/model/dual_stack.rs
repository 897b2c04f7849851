//! IPv4/IPv6 dual stack, as Linux does it by default (`net.ipv6.bindv6only = 0`).
//!
//! A socket bound to the IPv6 wildcard `[::]:p` also serves IPv4: a TCP
//! listener on `[::]:80` accepts connections made to any IPv4 address of its
//! host on port 80, and an IPv6 socket may connect to an IPv4-mapped address
//! (`[::ffff:10.0.0.2]:80`). Such a connection is IPv4 on the wire (its
//! packets, its [`ConnKey`](super::tcp::demux::ConnKey), routing and links use
//! the real IPv4 addresses); only what the application sees (`accept`'s peer,
//! `local_addr`, `peer_addr`, the connection list) is the mapped form, as a
//! real IPv6 socket reports it. A socket's `IPV6_V6ONLY` turns this off for
//! that socket ([`Network::with_bind_options`](super::Network::with_bind_options));
//! [`NetConfig::bindv6only`] sets its default for the whole network.
//!
//! The rules live here, as pure functions over addresses, so that the port
//! table, the listener and UDP socket lookups, the connect path and UDP's
//! send path (`udp::dual`) apply the same ones.
//!
//! [`NetConfig::bindv6only`]: super::NetConfig::bindv6only

use std::net::{IpAddr, Ipv6Addr, SocketAddr, SocketAddrV6};

/// The IPv4-mapped IPv6 form of `addr` (`10.0.0.1:80` becomes
/// `[::ffff:10.0.0.1]:80`), as an IPv6 socket reports an IPv4 peer.
/// IPv6 addresses are returned unchanged.
pub(crate) fn to_mapped(addr: SocketAddr) -> SocketAddr {
    match addr {
        SocketAddr::V4(a) => {
            SocketAddr::V6(SocketAddrV6::new(a.ip().to_ipv6_mapped(), a.port(), 0, 0))
        }
        v6 => v6,
    }
}

/// The IPv4 address an IPv4-mapped IPv6 address stands for, if it is one.
/// (Not `Ipv6Addr::to_ipv4`, which also unmaps the deprecated
/// IPv4-compatible `::a.b.c.d` form that Linux does not treat as IPv4.)
pub(crate) fn mapped_v4(ip: IpAddr) -> Option<IpAddr> {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4),
        IpAddr::V4(_) => None,
    }
}

/// `addr` as it travels on the wire: an IPv4-mapped address becomes the IPv4
/// address it stands for; anything else is unchanged.
pub(crate) fn unmap(addr: SocketAddr) -> SocketAddr {
    match mapped_v4(addr.ip()) {
        Some(v4) => SocketAddr::new(v4, addr.port()),
        None => addr,
    }
}

/// Whether `ip` is the IPv6 wildcard `::`.
pub(crate) fn is_v6_wildcard(ip: IpAddr) -> bool {
    ip == IpAddr::V6(Ipv6Addr::UNSPECIFIED)
}

/// How well a TCP socket bound to `bound` (as the application gave it:
/// `[::]`, a mapped address, ...) matches a packet for the wire address
/// `dst`. A SYN goes to the best match, as on Linux: an exact address beats
/// the wildcard of the same family, which beats the dual-stack `[::]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Match {
    /// `[::]` (dual stack) serving an IPv4 address.
    DualWildcard,
    /// `0.0.0.0` for IPv4, `[::]` for IPv6.
    Wildcard,
    /// The very address (a mapped one counts as its IPv4 address).
    Exact,
}

/// How a socket bound to `bound` matches the wire address `dst`, if at all
/// (the ports are compared by the caller, through the port table).
pub(crate) fn matches(bound: SocketAddr, dst: IpAddr, v6only: bool) -> Option<Match> {
    let ip = unmap(bound).ip();
    if ip == dst {
        Some(Match::Exact)
    } else if ip.is_unspecified() && ip.is_ipv4() == dst.is_ipv4() {
        Some(Match::Wildcard)
    } else if !v6only && is_v6_wildcard(ip) && dst.is_ipv4() {
        Some(Match::DualWildcard)
    } else {
        None
    }
}

/// Whether two sockets bound to `a` and `b` on the same port and protocol
/// conflict (`AddrInUse`), as Linux decides: addresses of one family overlap
/// when equal or when either is the wildcard; across families, only a
/// dual-stack `[::]` overlaps, with every IPv4 address (so a server cannot
/// bind `0.0.0.0:p` next to a `[::]:p` that already serves IPv4). A mapped
/// address counts as the IPv4 address it stands for. `[::1]` and specific
/// IPv6 addresses never conflict with IPv4 bindings.
pub(crate) fn bindings_overlap(
    a: SocketAddr,
    a_v6only: bool,
    b: SocketAddr,
    b_v6only: bool,
) -> bool {
    let (a, b) = (unmap(a).ip(), unmap(b).ip());
    if a.is_ipv4() == b.is_ipv4() {
        a == b || a.is_unspecified() || b.is_unspecified()
    } else {
        (!a_v6only && is_v6_wildcard(a)) || (!b_v6only && is_v6_wildcard(b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sa(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn mapping_round_trips() {
        assert_eq!(to_mapped(sa("10.0.0.1:80")), sa("[::ffff:10.0.0.1]:80"));
        assert_eq!(to_mapped(sa("[fd00::1]:80")), sa("[fd00::1]:80"));
        assert_eq!(unmap(sa("[::ffff:10.0.0.1]:80")), sa("10.0.0.1:80"));
        assert_eq!(unmap(sa("[fd00::1]:80")), sa("[fd00::1]:80"));
        // The IPv4-compatible form is plain IPv6 to Linux.
        assert_eq!(unmap(sa("[::10.0.0.1]:80")), sa("[::10.0.0.1]:80"));
        assert_eq!(mapped_v4(ip("::ffff:0.0.0.0")), Some(ip("0.0.0.0")));
    }

    #[test]
    fn listener_match_order() {
        let dst = ip("10.0.0.1");
        assert_eq!(matches(sa("10.0.0.1:80"), dst, false), Some(Match::Exact));
        assert_eq!(
            matches(sa("[::ffff:10.0.0.1]:80"), dst, false),
            Some(Match::Exact)
        );
        assert_eq!(matches(sa("0.0.0.0:80"), dst, false), Some(Match::Wildcard));
        assert_eq!(
            matches(sa("[::]:80"), dst, false),
            Some(Match::DualWildcard)
        );
        assert_eq!(matches(sa("[::]:80"), dst, true), None);
        assert_eq!(matches(sa("[::1]:80"), dst, false), None);
        assert_eq!(matches(sa("10.0.0.2:80"), dst, false), None);
        let v6 = ip("fd00::1");
        assert_eq!(matches(sa("[::]:80"), v6, true), Some(Match::Wildcard));
        assert_eq!(matches(sa("0.0.0.0:80"), v6, false), None);
        assert!(Match::Exact > Match::Wildcard && Match::Wildcard > Match::DualWildcard);
    }

    #[test]
    fn port_conflicts() {
        let dual = |a: &str, b: &str| bindings_overlap(sa(a), false, sa(b), false);
        let v6only = |a: &str, b: &str| bindings_overlap(sa(a), true, sa(b), true);
        assert!(dual("[::]:80", "0.0.0.0:80"));
        assert!(dual("10.0.0.1:80", "[::]:80"));
        assert!(dual("[::]:80", "127.0.0.1:80"));
        assert!(!dual("[::1]:80", "0.0.0.0:80"));
        assert!(!dual("[fd00::1]:80", "10.0.0.1:80"));
        assert!(dual("[::ffff:10.0.0.1]:80", "0.0.0.0:80"));
        assert!(dual("[::ffff:10.0.0.1]:80", "10.0.0.1:80"));
        assert!(!dual("[::ffff:10.0.0.1]:80", "10.0.0.2:80"));
        assert!(dual("[::]:80", "[fd00::1]:80"));
        assert!(!v6only("[::]:80", "0.0.0.0:80"));
        assert!(!v6only("10.0.0.1:80", "[::]:80"));
        assert!(v6only("[::]:80", "[::1]:80"));
        assert!(v6only("0.0.0.0:80", "10.0.0.1:80"));
    }
}
