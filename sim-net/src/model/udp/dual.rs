//! A UDP socket's addresses as the application gives and sees them, against
//! the addresses its datagrams carry, under dual stack (the rules are in
//! [`dual_stack`](crate::model::dual_stack)).
//!
//! As on Linux without `IPV6_V6ONLY`: an IPv6 socket bound to `[::]` (or to
//! an IPv4-mapped address) sends to IPv4 destinations, given plainly or
//! mapped, as IPv4 datagrams, and receives IPv4 datagrams, whose senders it
//! sees mapped (`[::ffff:10.0.0.2]:5000`). A socket bound to a real IPv6
//! address talks IPv6 only; an IPv4 socket talks IPv4 only.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use crate::model::dual_stack::{is_v6_wildcard, mapped_v4, to_mapped, unmap};
use crate::model::network::Network;

impl Network {
    /// Where a datagram from a socket bound to `local` to `dst` (as the
    /// application gave it) goes on the wire, and from which local address
    /// (its IP may be unspecified: the node picks one). Errors:
    /// `InvalidInput` for an address family the socket cannot reach,
    /// `NetworkUnreachable` (Linux's `ENETUNREACH`) for IPv4 from an IPv6
    /// socket with `IPV6_V6ONLY`.
    pub(crate) fn udp_wire_addrs(
        &self,
        local: SocketAddr,
        dst: SocketAddr,
        v6only: bool,
    ) -> io::Result<(SocketAddr, SocketAddr)> {
        let mismatch = |why: &str| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("UDP socket {local} cannot reach {dst}: {why}"),
            )
        };
        if local.is_ipv4() {
            if dst.is_ipv6() {
                return Err(mismatch("address family mismatch (an IPv4 socket)"));
            }
            return Ok((local, dst));
        }
        let wire_dst = unmap(dst);
        let local_v4 = mapped_v4(local.ip());
        if wire_dst.is_ipv6() {
            if local_v4.is_some() {
                return Err(mismatch(
                    "a socket bound to an IPv4-mapped address talks IPv4 only",
                ));
            }
            return Ok((local, dst));
        }
        if v6only {
            return Err(io::Error::new(
                io::ErrorKind::NetworkUnreachable,
                format!(
                    "UDP socket {local} cannot reach the IPv4 address {dst}: it is IPv6 \
                     only (IPV6_V6ONLY)"
                ),
            ));
        }
        match local_v4 {
            Some(v4) => Ok((SocketAddr::new(v4, local.port()), wire_dst)),
            None if is_v6_wildcard(local.ip()) => Ok((
                SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), local.port()),
                wire_dst,
            )),
            None => Err(mismatch(
                "a socket bound to an IPv6 address cannot reach IPv4 addresses",
            )),
        }
    }
}

/// `wire` (an address on a datagram) as a socket bound to `local` shows it:
/// mapped for an IPv6 socket hearing from IPv4.
pub(crate) fn app_addr(local: SocketAddr, wire: SocketAddr) -> SocketAddr {
    if local.is_ipv6() {
        to_mapped(wire)
    } else {
        wire
    }
}
