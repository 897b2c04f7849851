//! UDP sockets: bind, connect, send/receive with an MTU and a byte-bounded receive
//! buffer, broadcast and multicast.
//!
//! As on Linux: broadcast is looped back to the sending node's own sockets,
//! multicast too while the socket's multicast loop is on (the default); a
//! unicast datagram that no socket takes (nothing bound, or only sockets
//! connected to someone else) is dropped, counted as [`DropReason::NoSocket`],
//! and answered with an ICMP "port unreachable" (see `icmp`). Dual stack as
//! on Linux: a socket on `[::]` also talks IPv4 (see `dual`). Simplified:
//! ICMP is not rate-limited.

use std::collections::BTreeSet;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

mod dual;
mod options;
pub(crate) mod socket;

use self::dual::app_addr;
use self::socket::UdpSocket;
use super::bind_options::reuseport_pick;
use super::capture::Fate;
use super::dual_stack::{matches, unmap, Match};
use super::fault::FaultOp;
use super::ids::{NodeId, SocketId, Time};
use super::network::Network;
use super::node::Proto;
use super::notify::Readiness;
use super::packet::{ip_header, Body, Packet, Route, UDP_HEADER};
use super::socket::SocketKind;
use super::stats::DropReason;

fn is_v4_broadcast(ip: IpAddr) -> bool {
    ip == IpAddr::V4(Ipv4Addr::BROADCAST)
}

fn mask_v4(prefix: u8) -> u32 {
    if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - u32::from(prefix.min(32)))
    }
}

impl Network {
    pub(crate) fn udp(&self, id: SocketId) -> io::Result<&UdpSocket> {
        match &self.entry(id)?.kind {
            SocketKind::Udp(u) => Ok(u),
            _ => Err(not_udp(id)),
        }
    }

    pub(crate) fn udp_mut(&mut self, id: SocketId) -> io::Result<&mut UdpSocket> {
        match &mut self.entry_mut(id)?.kind {
            SocketKind::Udp(u) => Ok(u),
            _ => Err(not_udp(id)),
        }
    }

    /// Largest UDP payload for packets to addresses of `addr`'s family: the
    /// MTU less the IP and UDP headers, and never more than an IP packet
    /// can carry (65,507 bytes over IPv4, 65,527 over IPv6, whose 40-byte
    /// header is outside its 16-bit payload length), whatever the MTU.
    pub fn udp_max_payload(&self, addr: &SocketAddr) -> usize {
        let by_mtu = self.cfg.mtu.saturating_sub(ip_header(addr) + UDP_HEADER);
        by_mtu.min(max_udp_payload(addr))
    }

    /// Binds a UDP socket on `node` at `addr` (port 0 = an ephemeral port).
    /// `AddrNotAvailable` if the node does not own the IP, `AddrInUse` if
    /// taken. `[::]` is dual stack unless the socket is v6-only (see `dual`).
    pub fn udp_bind(&mut self, now: Time, node: NodeId, addr: SocketAddr) -> io::Result<SocketId> {
        let cap = self.cfg.udp_recv_buffer;
        self.bind_new_socket(now, node, Proto::Udp, addr, false, |local| {
            SocketKind::Udp(UdpSocket::new(local, cap))
        })
    }

    /// Sets the default peer: `send` goes there, and only its datagrams are
    /// received. An IPv6 socket connected to an IPv4 address shows the peer
    /// mapped. Errors as [`udp_send_to`](Self::udp_send_to)'s for an address
    /// the socket cannot reach.
    pub fn udp_connect(&mut self, now: Time, id: SocketId, peer: SocketAddr) -> io::Result<()> {
        self.touch(now);
        let local = self.udp(id)?.local;
        let (_, wire) = self.udp_wire_addrs(local, peer, self.socket_v6only(id))?;
        self.udp_mut(id)?.peer = Some(app_addr(local, wire));
        Ok(())
    }

    /// Allows or forbids sending to broadcast addresses (`SO_BROADCAST`).
    pub fn udp_set_broadcast(&mut self, id: SocketId, on: bool) -> io::Result<()> {
        self.udp_mut(id)?.broadcast = on;
        Ok(())
    }

    /// Joins a multicast group: datagrams sent to `group` on this socket's port
    /// are delivered to it.
    pub fn udp_join_multicast(&mut self, id: SocketId, group: IpAddr) -> io::Result<()> {
        if !group.is_multicast() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{group} is not a multicast address"),
            ));
        }
        if !self.udp_mut(id)?.groups.insert(group) {
            // Linux: EADDRINUSE for IP_ADD_MEMBERSHIP and
            // IPV6_ADD_MEMBERSHIP of a group the socket is in.
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("{id} is already a member of {group}"),
            ));
        }
        Ok(())
    }

    /// Leaves a multicast group.
    pub fn udp_leave_multicast(&mut self, id: SocketId, group: IpAddr) -> io::Result<()> {
        if !self.udp_mut(id)?.groups.remove(&group) {
            return Err(io::Error::new(
                io::ErrorKind::AddrNotAvailable,
                format!("{id} is not a member of {group}"),
            ));
        }
        Ok(())
    }

    /// Sets the receive buffer size in payload bytes (`SO_RCVBUF`).
    pub fn udp_set_recv_buffer(&mut self, id: SocketId, bytes: usize) -> io::Result<()> {
        self.udp_mut(id)?.recv_capacity = bytes;
        Ok(())
    }

    /// Sends to the connected peer.
    pub fn udp_send(&mut self, now: Time, id: SocketId, buf: &[u8]) -> io::Result<usize> {
        let peer = self.udp(id)?.peer.ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotConnected,
                format!("{id}: send on an unconnected UDP socket"),
            )
        })?;
        self.udp_send_to(now, id, buf, peer)
    }

    /// Sends one datagram to `dst`. Errors: `InvalidInput` for a family mismatch or
    /// a datagram over the MTU (or over 65,507 bytes, 65,527 for IPv6),
    /// `HostUnreachable` when no node owns `dst` and the socket is connected
    /// (an unconnected socket's datagram is dropped and counted as
    /// [`DropReason::NoRoute`]),
    /// `PermissionDenied` for broadcast without [`udp_set_broadcast`](Self::udp_set_broadcast).
    pub fn udp_send_to(
        &mut self,
        now: Time,
        id: SocketId,
        buf: &[u8],
        dst: SocketAddr,
    ) -> io::Result<usize> {
        self.touch(now);
        let entry = self.entry(id)?;
        entry.faults.check(FaultOp::Write)?;
        let node = entry.node;
        // A pending error is reported (and cleared) instead of sending, as
        // Linux's `sendmsg` does.
        self.udp_mut(id)?.take_error()?;
        let u = self.udp(id)?;
        let broadcast_ok = u.broadcast;
        // From here on, the addresses on the wire (IPv4 for an IPv6 socket
        // sending to IPv4 under dual stack).
        let (local, dst) = self.udp_wire_addrs(u.local, dst, self.socket_v6only(id))?;
        let max = self.udp_max_payload(&dst);
        if buf.len() > max {
            self.entry_mut(id)?.stats.dropped.add(DropReason::Mtu);
            let why = if max == max_udp_payload(&dst) {
                format!("the largest UDP datagram, {max} bytes (EMSGSIZE)")
            } else {
                format!(
                    "MTU {max} (a {}-byte packet less IP and UDP headers)",
                    self.cfg.mtu
                )
            };
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "datagram of {} bytes exceeds {why}, sending to {dst}",
                    buf.len()
                ),
            ));
        }
        if dst.port() == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot send to port 0 ({dst})"),
            ));
        }
        let connected = self.udp(id)?.peer.is_some();
        let targets = match self.udp_targets(node, id, local, dst, broadcast_ok) {
            // An unconnected socket's datagram to an address nobody has
            // leaves as on a host whose ARP goes unanswered: `sendto`
            // succeeds, the datagram is dropped (and counted).
            Err(e) if e.kind() == io::ErrorKind::HostUnreachable && !connected => {
                let entry = self.entry_mut(id)?;
                entry.stats.packets_sent += 1;
                entry.stats.bytes_sent += buf.len() as u64;
                entry.stats.dropped.add(DropReason::NoRoute);
                self.drops.add(DropReason::NoRoute);
                return Ok(buf.len());
            }
            other => other?,
        };
        let src_ip = if local.ip().is_unspecified()
            && (dst.ip().is_multicast() || self.is_broadcast_addr(dst.ip()))
        {
            self.node(node)?.addr_like(dst.ip()).unwrap_or(local.ip())
        } else {
            self.source_ip(node, local.ip(), dst.ip())?
        };
        let src = SocketAddr::new(src_ip, local.port());
        let entry = self.entry_mut(id)?;
        entry.stats.packets_sent += 1;
        entry.stats.bytes_sent += buf.len() as u64;
        for (to, route) in targets {
            self.send_packet(
                now,
                Packet {
                    id: 0,
                    from_node: node,
                    to_node: to,
                    src,
                    dst,
                    body: Body::Udp(buf.to_vec()),
                    route,
                },
            );
        }
        Ok(buf.len())
    }

    fn is_broadcast_addr(&self, ip: IpAddr) -> bool {
        if is_v4_broadcast(ip) {
            return true;
        }
        let IpAddr::V4(v4) = ip else { return false };
        let mask = mask_v4(self.cfg.ipv4_prefix_len);
        if mask == u32::MAX {
            return false;
        }
        let d = u32::from(v4);
        self.ip_owner.keys().any(|a| match a {
            IpAddr::V4(a) => (u32::from(*a) & mask) | !mask == d,
            IpAddr::V6(_) => false,
        })
    }

    /// The nodes a datagram from socket `id` to `dst` goes to: the owner of a
    /// unicast address; for broadcast, every host of the subnet and the
    /// sender's own node (looped back, as on Linux); for multicast, the
    /// nodes with a member socket, the sender's own only while the socket's
    /// multicast loop is on, and only its own with a multicast TTL of 0.
    fn udp_targets(
        &self,
        node: NodeId,
        id: SocketId,
        local: SocketAddr,
        dst: SocketAddr,
        broadcast_ok: bool,
    ) -> io::Result<Vec<(NodeId, Route)>> {
        let ip = dst.ip();
        if self.is_broadcast_addr(ip) {
            if !broadcast_ok {
                return Err(io::Error::new(
                    io::ErrorKind::PermissionDenied,
                    format!(
                        "{local}: sending to broadcast address {dst} needs set_broadcast(true)"
                    ),
                ));
            }
            let mask = mask_v4(self.cfg.ipv4_prefix_len);
            let limited = is_v4_broadcast(ip);
            let mut targets = vec![(node, Route::Loopback)];
            targets.extend(
                self.nodes()
                    .into_iter()
                    .filter(|&n| n != node)
                    .filter(|&n| {
                        limited
                            || self.node_addrs(n).iter().any(|a| match (a, ip) {
                                (IpAddr::V4(a), IpAddr::V4(d)) => {
                                    (u32::from(*a) & mask) | !mask == u32::from(d)
                                }
                                _ => false,
                            })
                    })
                    .map(|n| (n, Route::Link)),
            );
            return Ok(targets);
        }
        if ip.is_multicast() {
            let u = self.udp(id)?;
            let looped = u.multicast_loops(ip);
            let stays_home = ip.is_ipv4() && u.multicast_ttl_v4 == 0;
            let mut members = BTreeSet::new();
            for e in self.sockets.values() {
                if let SocketKind::Udp(u) = &e.kind {
                    let wanted = if e.node == node { looped } else { !stays_home };
                    if wanted && u.groups.contains(&ip) {
                        members.insert(e.node);
                    }
                }
            }
            let route = |n| {
                if n == node {
                    Route::Loopback
                } else {
                    Route::Link
                }
            };
            return Ok(members.into_iter().map(|n| (n, route(n))).collect());
        }
        let (to, route) = self
            .resolve(node, ip)
            .map_err(|e| io::Error::new(e.kind(), format!("send from {local} to {dst}: {e}")))?;
        Ok(vec![(to, route)])
    }

    /// A datagram arrived at its node. A unicast datagram that no socket
    /// takes is answered with an ICMP port unreachable.
    pub(crate) fn udp_deliver(&mut self, now: Time, packet: Packet) {
        let (node, dst, src) = (packet.to_node, packet.dst, packet.src);
        let group = dst.ip().is_multicast();
        let many = group || self.is_broadcast_addr(dst.ip());
        let candidates = self
            .bindings
            .get(&(node, Proto::Udp, dst.port()))
            .cloned()
            .unwrap_or_default();
        let mut exact = Vec::new();
        let mut wildcard = Vec::new();
        let mut dual = Vec::new();
        for id in candidates {
            let Ok(u) = self.udp(id) else { continue };
            if group && !u.groups.contains(&dst.ip()) {
                continue;
            }
            if u.peer.is_some_and(|p| unmap(p) != src) {
                continue; // connected sockets take only their peer's datagrams
            }
            match matches(u.local, dst.ip(), self.socket_v6only(id)) {
                Some(Match::Exact) => exact.push(id),
                Some(Match::Wildcard) => wildcard.push(id),
                Some(Match::DualWildcard) => dual.push(id),
                None => {}
            }
        }
        let targets: Vec<SocketId> = if many {
            exact.into_iter().chain(wildcard).chain(dual).collect()
        } else {
            // The best match; several match equally only as a SO_REUSEPORT
            // group, of which the datagram's addresses pick one.
            [exact, wildcard, dual]
                .into_iter()
                .find(|class| !class.is_empty())
                .map(|class| vec![class[reuseport_pick(self.seed, src, dst, class.len())]])
                .unwrap_or_default()
        };
        if targets.is_empty() {
            self.drops.add(DropReason::NoSocket);
            self.capture_fate(now, packet.id, Fate::Dropped(DropReason::NoSocket));
            if !many {
                self.send_port_unreachable(now, &packet);
            }
            return;
        }
        let Body::Udp(data) = packet.body else { return };
        for id in targets {
            let Some(entry) = self.sockets.get_mut(&id) else {
                continue;
            };
            let SocketKind::Udp(u) = &mut entry.kind else {
                continue;
            };
            if !u.enqueue(app_addr(u.local, src), data.clone()) {
                entry.stats.dropped.add(DropReason::BufferOverflow);
                self.drops.add(DropReason::BufferOverflow);
                self.capture_fate(now, packet.id, Fate::Dropped(DropReason::BufferOverflow));
                continue;
            }
            entry.stats.packets_received += 1;
            entry.stats.bytes_received += data.len() as u64;
            self.notify(id, Readiness::Readable);
        }
    }

    /// Receives one datagram: its length (truncated to `buf`, as on Linux, the rest
    /// is lost) and its sender. `WouldBlock` when none is queued.
    pub fn udp_recv_from(
        &mut self,
        now: Time,
        id: SocketId,
        buf: &mut [u8],
    ) -> io::Result<(usize, SocketAddr)> {
        self.touch(now);
        self.entry(id)?.faults.check(FaultOp::Read)?;
        let u = self.udp_mut(id)?;
        // A pending error comes before queued datagrams and is cleared, as
        // in Linux's `recvmsg`.
        u.take_error()?;
        let Some((src, data)) = u.dequeue() else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        Ok((n, src))
    }

    /// Receives one datagram: from the connected peer, or on an unconnected
    /// socket from any sender, as Linux's `recv` does.
    pub fn udp_recv(&mut self, now: Time, id: SocketId, buf: &mut [u8]) -> io::Result<usize> {
        self.udp_recv_from(now, id, buf).map(|(n, _)| n)
    }

    /// Copies the next datagram into `buf` without taking it: the bytes
    /// copied, the datagram's full length, and its sender. A pending error
    /// is reported (and cleared) first, as a `MSG_PEEK` receive does on
    /// Linux; `WouldBlock` when none is queued.
    pub fn udp_peek(
        &mut self,
        now: Time,
        id: SocketId,
        buf: &mut [u8],
    ) -> io::Result<(usize, usize, SocketAddr)> {
        self.touch(now);
        self.entry(id)?.faults.check(FaultOp::Read)?;
        let u = self.udp_mut(id)?;
        u.take_error()?;
        let Some((src, data)) = u.peek() else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        Ok((n, data.len(), *src))
    }

    /// The length of the next queued datagram of UDP socket `id`
    /// (`FIONREAD`), if one is queued.
    pub fn udp_next_datagram_len(&self, id: SocketId) -> Option<usize> {
        self.udp(id).ok()?.peek().map(|(_, data)| data.len())
    }
}

/// The largest payload a UDP datagram can carry: the IP length fields are
/// 16 bits (Linux's `sendto` fails with `EMSGSIZE` beyond this).
fn max_udp_payload(addr: &SocketAddr) -> usize {
    if addr.is_ipv4() {
        65_535 - ip_header(addr) - UDP_HEADER
    } else {
        65_535 - UDP_HEADER
    }
}

fn not_udp(id: SocketId) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{id} is not a UDP socket"),
    )
}
