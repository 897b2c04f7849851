//! A TCP socket's addresses as the application gives and sees them, against
//! the addresses its packets carry, under dual stack (the rules are in
//! [`dual_stack`](crate::model::dual_stack)).
//!
//! The application may bind `[::]` or an IPv4-mapped address and connect to
//! a mapped address; the model keeps a listener's or bound socket's address
//! as given (so `local_addr` shows it), and a connection's addresses as they
//! are on the wire, with [`TcpConn::mapped`] saying to show them mapped.

use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use super::conn::TcpConn;
use crate::model::dual_stack::{is_v6_wildcard, mapped_v4, to_mapped, unmap};
use crate::model::network::Network;

impl TcpConn {
    /// The local address as the application sees it (`local_addr`).
    pub(crate) fn app_local(&self) -> SocketAddr {
        if self.mapped {
            to_mapped(self.local)
        } else {
            self.local
        }
    }

    /// The peer's address as the application sees it (`peer_addr`, what
    /// `accept` returns).
    pub(crate) fn app_remote(&self) -> SocketAddr {
        if self.mapped {
            to_mapped(self.remote)
        } else {
            self.remote
        }
    }
}

/// A connect's addresses on the wire (see [`Network::tcp_connect_addrs`]).
pub(crate) struct WireAddrs {
    /// The address the socket was bound to, in the remote's family.
    pub local: Option<SocketAddr>,
    pub remote: SocketAddr,
    /// An IPv6 socket talking IPv4: show the addresses mapped.
    pub mapped: bool,
}

impl Network {
    /// The wire addresses of a connect from `local` (the bound address, if
    /// the socket was bound) to `remote`, both as the application gave them.
    ///
    /// The families must agree (`InvalidInput`), as for a real socket. An
    /// IPv6 socket connecting to a mapped address talks IPv4, as on Linux:
    /// from `[::]:p` or an unbound socket it gets one of the node's IPv4
    /// addresses, from a mapped address that IPv4 address; a socket bound to
    /// a real IPv6 address cannot (`InvalidInput`), nor can any with
    /// `IPV6_V6ONLY` (`NetworkUnreachable`, Linux's `ENETUNREACH`). A socket
    /// bound to a mapped address reaches only mapped addresses.
    pub(crate) fn tcp_connect_addrs(
        &self,
        local: Option<SocketAddr>,
        remote: SocketAddr,
        v6only: bool,
    ) -> io::Result<WireAddrs> {
        let invalid = |why: &str| {
            let from = local.map_or_else(String::new, |l| format!(" from {l}"));
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot connect{from} to {remote}: {why}"),
            )
        };
        if local.is_some_and(|l| l.is_ipv4() != remote.is_ipv4()) {
            return Err(invalid("address family mismatch"));
        }
        let Some(v4) = mapped_v4(remote.ip()) else {
            if local.is_some_and(|l| mapped_v4(l.ip()).is_some()) {
                return Err(invalid(
                    "a socket bound to an IPv4-mapped address talks IPv4 only",
                ));
            }
            return Ok(WireAddrs {
                local,
                remote,
                mapped: false,
            });
        };
        if v6only {
            return Err(io::Error::new(
                io::ErrorKind::NetworkUnreachable,
                format!(
                    "cannot connect to the IPv4-mapped address {remote}: the socket is \
                     IPv6 only (IPV6_V6ONLY)"
                ),
            ));
        }
        let local = match local {
            None => None,
            Some(l) if is_v6_wildcard(l.ip()) => {
                Some(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), l.port()))
            }
            Some(l) if mapped_v4(l.ip()).is_some() => Some(unmap(l)),
            Some(_) => {
                return Err(invalid(
                    "a socket bound to an IPv6 address cannot reach an IPv4-mapped one",
                ))
            }
        };
        Ok(WireAddrs {
            local,
            remote: SocketAddr::new(v4, remote.port()),
            mapped: true,
        })
    }
}
