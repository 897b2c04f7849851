//! Ports: binding a socket to an address, the checks Linux makes at bind
//! (the node owns the address; dual stack; the port is free for an
//! overlapping address), and ephemeral port allocation.

use std::io;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

use super::dual_stack::{bindings_overlap, is_v6_wildcard, mapped_v4, unmap};
use super::ids::{NodeId, SocketId, Time};
use super::network::Network;
use super::node::Proto;
use super::socket::{local_addr_of, SocketKind};
use super::tcp::state::TcpState;
use super::BindOptions;

impl Network {
    /// Registers `id` on `local`, or `AddrInUse` if that port is taken for an
    /// overlapping address. With `reuse_addr` (`SO_REUSEADDR`), connections in
    /// TIME_WAIT do not count as taking it.
    pub(crate) fn bind_port(
        &mut self,
        node: NodeId,
        proto: Proto,
        local: SocketAddr,
        id: SocketId,
        reuse_addr: bool,
    ) -> io::Result<()> {
        let options = self.socket_options(id);
        self.check_port_free(node, proto, local, options, reuse_addr)?;
        self.bindings
            .entry((node, proto, local.port()))
            .or_default()
            .push(id);
        Ok(())
    }

    /// Makes a socket of `node` bound to `addr`, of the kind `kind` builds
    /// from the final address (port 0 becomes a free ephemeral port), and
    /// registers its port. Errors: the node is down, it may not bind `addr`
    /// ([`check_socket_bind_addr`](Self::check_socket_bind_addr)), or the
    /// port is taken (`AddrInUse`, see [`bind_port`](Self::bind_port)).
    pub(crate) fn bind_new_socket(
        &mut self,
        now: Time,
        node: NodeId,
        proto: Proto,
        addr: SocketAddr,
        reuse_addr: bool,
        kind: impl FnOnce(SocketAddr) -> SocketKind,
    ) -> io::Result<SocketId> {
        self.touch(now);
        self.live_node(node)?;
        self.check_socket_bind_addr(node, addr)?;
        let mut local = addr;
        if local.port() == 0 {
            local.set_port(self.ephemeral_port(node, proto)?);
        }
        let id = self.insert_socket(node, kind(local));
        if let Err(e) = self.bind_port(node, proto, local, id, reuse_addr) {
            self.remove_socket(id);
            return Err(e);
        }
        Ok(id)
    }

    /// `AddrInUse` if a socket holds `local`'s port for an overlapping address
    /// (see [`bind_port`](Self::bind_port) and, for which addresses overlap,
    /// [`bindings_overlap`]); reserves nothing.
    fn check_port_free(
        &self,
        node: NodeId,
        proto: Proto,
        local: SocketAddr,
        options: BindOptions,
        reuse_addr: bool,
    ) -> io::Result<()> {
        let key = (node, proto, local.port());
        if let Some(existing) = self.bindings.get(&key) {
            for other in existing {
                let Some((kind, other_options)) =
                    self.sockets.get(other).map(|e| (&e.kind, e.options))
                else {
                    continue;
                };
                // A SO_REUSEPORT group: every member set it (Linux also asks
                // for one owner, which every socket of a host is).
                if options.reuse_port && other_options.reuse_port {
                    continue;
                }
                if reuse_addr {
                    if let SocketKind::Stream(conn) = kind {
                        if conn.state() == TcpState::TimeWait {
                            continue;
                        }
                    }
                }
                let Some(addr) = local_addr_of(kind) else {
                    continue;
                };
                if bindings_overlap(addr, other_options.v6only, local, options.v6only) {
                    // Across families only the dual-stack wildcard
                    // overlaps: say so, since the addresses differ.
                    let why = if unmap(addr).is_ipv4() == unmap(local).is_ipv4() {
                        String::new()
                    } else {
                        format!(
                            " (by {addr}: a dual-stack [::] socket holds the port for \
                             IPv4 too, unless IPV6_V6ONLY is set)"
                        )
                    };
                    return Err(io::Error::new(
                        io::ErrorKind::AddrInUse,
                        format!(
                            "{} address {local} already in use on node '{}'{why}",
                            if proto == Proto::Tcp { "TCP" } else { "UDP" },
                            self.nodes[node.0 as usize].name
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn unbind(&mut self, node: NodeId, proto: Proto, port: u16, id: SocketId) {
        let key = (node, proto, port);
        if let Some(v) = self.bindings.get_mut(&key) {
            v.retain(|&s| s != id);
            if v.is_empty() {
                self.bindings.remove(&key);
            }
        }
    }

    /// A free ephemeral port of `node` for `proto`, allocated round robin from the
    /// configured range so the sequence is deterministic.
    pub(crate) fn ephemeral_port(&mut self, node: NodeId, proto: Proto) -> io::Result<u16> {
        let (first, last) = (self.cfg.ephemeral_first, self.cfg.ephemeral_last);
        let span = u32::from(last.saturating_sub(first)) + 1;
        let n = &self.nodes[node.0 as usize];
        let mut port = match proto {
            Proto::Udp => n.next_udp_port,
            Proto::Tcp => n.next_tcp_port,
        };
        for _ in 0..span {
            if port < first || port > last {
                port = first;
            }
            let candidate = port;
            port = if port == last { first } else { port + 1 };
            if !self.bindings.contains_key(&(node, proto, candidate)) {
                let n = &mut self.nodes[node.0 as usize];
                match proto {
                    Proto::Udp => n.next_udp_port = port,
                    Proto::Tcp => n.next_tcp_port = port,
                }
                return Ok(candidate);
            }
        }
        Err(io::Error::new(
            io::ErrorKind::AddrInUse,
            format!(
                "no free ephemeral port on node '{}'",
                self.nodes[node.0 as usize].name
            ),
        ))
    }

    /// Checks that `node` may bind `addr` (it owns the IP, or it is unspecified or
    /// loopback): `AddrNotAvailable` otherwise.
    pub(crate) fn check_bind_addr(&self, node: NodeId, addr: SocketAddr) -> io::Result<()> {
        let n = self.node(node)?;
        if !n.may_bind(addr.ip()) {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!(
                    "cannot bind {addr} on node '{}': it has no such address (it has {})",
                    n.name,
                    n.addr_list()
                ),
            ));
        }
        if addr.ip() == IpAddr::V6(Ipv6Addr::UNSPECIFIED) && n.addr_like(addr.ip()).is_none() {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!(
                    "cannot bind {addr} on node '{}': it has no IPv6 address",
                    n.name
                ),
            ));
        }
        Ok(())
    }

    /// Checks that a TCP or UDP socket of `node` may bind `addr`: as
    /// [`check_bind_addr`](Self::check_bind_addr), with dual stack on top.
    ///
    /// - With dual stack, `[::]` binds on a node without an IPv6 address,
    ///   as on a Linux host on an IPv4-only network: it serves the node's
    ///   IPv4 addresses (and `::1`). IPv6 only, it could serve nothing but
    ///   `::1`, which is more likely a mistake: `AddrNotAvailable` then, as
    ///   before dual stack.
    /// - An IPv4-mapped address binds the IPv4 address it stands for, which
    ///   the node must have; with `IPV6_V6ONLY` it is `InvalidInput`, as
    ///   Linux's `EINVAL` for a mapped bind on an IPv6-only socket.
    pub(crate) fn check_socket_bind_addr(&self, node: NodeId, addr: SocketAddr) -> io::Result<()> {
        let v6only = self.new_socket_v6only();
        if let Some(v4) = mapped_v4(addr.ip()) {
            if v6only {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "cannot bind the IPv4-mapped address {addr}: the socket is IPv6 \
                         only (IPV6_V6ONLY)"
                    ),
                ));
            }
            return self.check_bind_addr(node, SocketAddr::new(v4, addr.port()));
        }
        if is_v6_wildcard(addr.ip()) && !v6only {
            self.node(node)?;
            return Ok(());
        }
        self.check_bind_addr(node, addr)
    }
}
