//! TCP: listeners, connections and the [`Network`] operations on them.
//!
//! Connect to a live node with nothing listening: the node answers RST and the
//! connect fails with `ConnectionRefused` after one round trip. Connect to an
//! address no node has: `HostUnreachable` at once. Connect across a partition or to
//! a crashed node: the SYN is retried after 1 s, 2 s, 4 s ... until the connect
//! timeout, then `TimedOut`. See [`conn`] for the state machine itself.

mod addrs;
mod bound;
mod congestion;
pub(crate) mod conn;
pub(crate) mod deferred_acks;
pub(crate) mod demux;
mod dispatch;
pub(crate) mod listener;
mod reassembly;
mod receiving;
mod recv_buf;
mod rtt;
mod send_buf;
mod sending;
pub(crate) mod state;
mod timers;

#[cfg(test)]
mod tests;

pub use self::state::TcpState;

use std::io;
use std::net::SocketAddr;

use rand::Rng;

use self::conn::{rst_for, TcpConn};
use self::demux::ConnKey;
use self::listener::TcpListener;
use super::bind_options::reuseport_pick;
use super::capture::Fate;
use super::config::{Keepalive, TcpConfig};
use super::dual_stack::{is_v6_wildcard, matches, unmap, Match};
use super::fault::FaultOp;
use super::ids::{NodeId, SocketId, Time};
use super::network::Network;
use super::node::Proto;
use super::notify::Readiness;
use super::packet::{Body, Packet, Route, Segment};
use super::socket::SocketKind;
use super::stats::DropReason;

fn not_stream(id: SocketId) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{id} is not a TCP stream"),
    )
}

impl Network {
    pub(crate) fn conn(&self, id: SocketId) -> io::Result<&TcpConn> {
        match &self.entry(id)?.kind {
            SocketKind::Stream(c) => Ok(c),
            _ => Err(not_stream(id)),
        }
    }

    fn conn_mut(&mut self, id: SocketId) -> io::Result<&mut TcpConn> {
        match &mut self.entry_mut(id)?.kind {
            SocketKind::Stream(c) => Ok(c),
            _ => Err(not_stream(id)),
        }
    }

    /// The connection `id` after checking its injected fault for `op`, in
    /// one lookup (reads and writes run this for every call).
    fn checked_conn_mut(&mut self, id: SocketId, op: FaultOp) -> io::Result<&mut TcpConn> {
        let entry = self.entry_mut(id)?;
        entry.faults.check(op)?;
        match &mut entry.kind {
            SocketKind::Stream(c) => Ok(c),
            _ => Err(not_stream(id)),
        }
    }

    fn listener_mut(&mut self, id: SocketId) -> io::Result<&mut TcpListener> {
        match &mut self.entry_mut(id)?.kind {
            SocketKind::Listener(l) => Ok(l),
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{id} is not a TCP listener"),
            )),
        }
    }

    fn new_iss(&mut self, node: NodeId) -> u64 {
        u64::from(self.nodes[node.0 as usize].rng.random::<u32>())
    }

    /// Listens on `addr` of `node` with the default TCP settings.
    pub fn tcp_listen(
        &mut self,
        now: Time,
        node: NodeId,
        addr: SocketAddr,
        backlog: usize,
    ) -> io::Result<SocketId> {
        let cfg = self.cfg.tcp.clone();
        self.tcp_listen_with(now, node, addr, backlog, cfg)
    }

    /// Listens on `addr` (port 0 = ephemeral); accepted connections use `cfg`.
    /// `InvalidInput` for settings that [`TcpConfig::validate`] refuses.
    pub fn tcp_listen_with(
        &mut self,
        now: Time,
        node: NodeId,
        addr: SocketAddr,
        backlog: usize,
        cfg: TcpConfig,
    ) -> io::Result<SocketId> {
        cfg.validate()?;
        let reuse_addr = cfg.reuse_addr;
        self.bind_new_socket(now, node, Proto::Tcp, addr, reuse_addr, |local| {
            SocketKind::Listener(TcpListener::new(local, backlog, cfg))
        })
    }

    /// Starts connecting from `node` to `remote` with the default settings. The
    /// socket exists at once; [`tcp_connect_result`](Self::tcp_connect_result) says
    /// when the handshake finished or failed.
    pub fn tcp_connect(
        &mut self,
        now: Time,
        node: NodeId,
        remote: SocketAddr,
    ) -> io::Result<SocketId> {
        let cfg = self.cfg.tcp.clone();
        self.tcp_connect_with(now, node, None, remote, cfg)
    }

    /// Starts connecting, optionally from a chosen local address, with `cfg`.
    /// `InvalidInput` for settings that [`TcpConfig::validate`] refuses.
    pub fn tcp_connect_with(
        &mut self,
        now: Time,
        node: NodeId,
        local: Option<SocketAddr>,
        remote: SocketAddr,
        cfg: TcpConfig,
    ) -> io::Result<SocketId> {
        cfg.validate()?;
        self.touch(now);
        self.live_node(node)?;
        // From here on the addresses are the wire's (IPv4 for a mapped one).
        let (asked_local, asked) = (local, remote);
        let wire = self.tcp_connect_addrs(local, remote, self.new_socket_v6only())?;
        let (local, remote) = (wire.local, wire.remote);
        if remote.ip().is_unspecified() || remote.port() == 0 || remote.ip().is_multicast() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot connect to {asked}"),
            ));
        }
        if let Some(l) = asked_local {
            self.check_socket_bind_addr(node, l)?;
        }
        let (peer_node, route) = self
            .resolve(node, remote.ip())
            .map_err(|e| io::Error::new(e.kind(), format!("connect to {asked}: {e}")))?;
        let bound_ip = local.map_or(remote.ip(), |l| l.ip());
        let src_ip = if local.is_some() && !bound_ip.is_unspecified() {
            bound_ip
        } else {
            self.source_ip(
                node,
                std::net::IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED),
                remote.ip(),
            )?
        };
        let port = match local {
            Some(l) if l.port() != 0 => l.port(),
            // Linux's `connect` fails with EADDRNOTAVAIL when no ephemeral
            // port is left (only `bind` to port 0 says EADDRINUSE).
            _ => self.ephemeral_port(node, Proto::Tcp).map_err(|e| {
                io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!("connect to {asked}: {e}"),
                )
            })?,
        };
        let local_addr = SocketAddr::new(src_ip, port);
        if self
            .tcp_conns
            .contains_key(&ConnKey::new(node, local_addr, remote))
        {
            return Err(io::Error::new(
                io::ErrorKind::AddrInUse,
                format!("a connection {local_addr} -> {remote} already exists"),
            ));
        }
        let iss = self.new_iss(node);
        let reuse_addr = cfg.reuse_addr;
        let mut conn = TcpConn::connect(now, local_addr, remote, peer_node, route, cfg, iss);
        conn.mapped = wire.mapped;
        let id = self.insert_socket(node, SocketKind::Stream(Box::new(conn)));
        if let Err(e) = self.bind_port(node, Proto::Tcp, local_addr, id, reuse_addr) {
            self.remove_socket(id);
            return Err(e);
        }
        self.tcp_conns
            .insert(ConnKey::new(node, local_addr, remote), id);
        self.flush_conn(now, id);
        Ok(id)
    }

    /// `Ok` once the connection is established, `WouldBlock` while the handshake
    /// runs, the error (`ConnectionRefused`, `TimedOut` ...) if it failed.
    pub fn tcp_connect_result(&self, id: SocketId) -> io::Result<()> {
        self.conn(id)?.connect_result()
    }

    /// Takes the next established connection: its socket and the peer's address.
    pub fn tcp_accept(
        &mut self,
        now: Time,
        listener: SocketId,
    ) -> io::Result<(SocketId, SocketAddr)> {
        self.touch(now);
        let faults = &self.entry(listener)?.faults;
        let injected = faults.check(FaultOp::Accept).err();
        let per_connection = faults.accept_error_takes_connection();
        match injected {
            Some(e) if !per_connection => return Err(e),
            _ => {}
        }
        let l = self.listener_mut(listener)?;
        let Some(child) = l.accept_queue.pop_front() else {
            return Err(io::ErrorKind::WouldBlock.into());
        };
        let c = self.conn_mut(child)?;
        c.parent = None;
        if let Some(e) = injected {
            // As Linux hands out ECONNABORTED: the connection it was about
            // is gone. Here the listener's side resets it, so the peer
            // learns it too.
            c.orphaned = true;
            c.abort(now);
            self.flush_conn(now, child);
            return Err(e);
        }
        let c = self.conn(child)?;
        Ok((child, c.app_remote()))
    }

    /// Reads received bytes; `Ok(0)` is EOF, `WouldBlock` when nothing is there yet.
    pub fn tcp_read(&mut self, now: Time, id: SocketId, buf: &mut [u8]) -> io::Result<usize> {
        self.touch(now);
        let result = self.checked_conn_mut(id, FaultOp::Read)?.read(now, buf);
        self.flush_conn(now, id);
        result
    }

    /// Copies received bytes into `buf` without consuming them: `Ok(0)` at EOF,
    /// `WouldBlock` when nothing has arrived yet.
    pub fn tcp_peek(&mut self, now: Time, id: SocketId, buf: &mut [u8]) -> io::Result<usize> {
        self.touch(now);
        self.entry(id)?.faults.check(FaultOp::Read)?;
        self.conn(id)?.peek(buf)
    }

    /// Writes into the send buffer; `WouldBlock` when it is full.
    pub fn tcp_write(&mut self, now: Time, id: SocketId, buf: &[u8]) -> io::Result<usize> {
        self.touch(now);
        let result = self.checked_conn_mut(id, FaultOp::Write)?.write(now, buf);
        self.flush_conn(now, id);
        result
    }

    /// `shutdown(Write)`: FIN after all queued data; reading goes on.
    pub fn tcp_shutdown_write(&mut self, now: Time, id: SocketId) -> io::Result<()> {
        self.touch(now);
        let result = self.conn_mut(id)?.shutdown_write(now);
        self.flush_conn(now, id);
        result
    }

    /// Sets `TCP_USER_TIMEOUT` on an open connection.
    pub fn tcp_set_user_timeout(
        &mut self,
        now: Time,
        id: SocketId,
        timeout: Option<Time>,
    ) -> io::Result<()> {
        self.touch(now);
        self.conn_mut(id)?.set_user_timeout(now, timeout);
        self.flush_conn(now, id);
        Ok(())
    }

    /// `SO_LINGER` of zero: closing `id` sends RST at once and discards what
    /// was not sent, instead of FIN after it (an abortive close).
    pub fn tcp_set_zero_linger(&mut self, id: SocketId) -> io::Result<()> {
        self.conn_mut(id)?.zero_linger = true;
        Ok(())
    }

    /// Whether closing `id` is abortive ([`tcp_set_zero_linger`](Self::tcp_set_zero_linger)).
    pub fn tcp_zero_linger(&self, id: SocketId) -> io::Result<bool> {
        Ok(self.conn(id)?.zero_linger)
    }

    /// The error the connection `id` failed with (what reads return), if it
    /// failed.
    pub fn tcp_error(&self, id: SocketId) -> io::Result<Option<io::Error>> {
        Ok(self
            .conn(id)?
            .error
            .as_ref()
            .map(|e| io::Error::new(e.read, e.message.clone())))
    }

    /// Turns keepalive on or off for an open connection.
    pub fn tcp_set_keepalive(
        &mut self,
        now: Time,
        id: SocketId,
        keepalive: Option<Keepalive>,
    ) -> io::Result<()> {
        self.touch(now);
        self.conn_mut(id)?.set_keepalive(now, keepalive);
        self.flush_conn(now, id);
        Ok(())
    }

    /// Makes `listener` accept a connection that appears to come from `from`, with
    /// no client node. Returns the socket of the other end, which the test reads and
    /// writes like any stream (it lives on the listener's node for bookkeeping, and
    /// its segments bypass links and partitions). The backlog is not checked.
    /// `from` must be of a family the listener serves, as for a SYN: an IPv4
    /// (or IPv4-mapped) `from` into a dual-stack `[::]` listener is accepted
    /// with mapped addresses (see `addrs`).
    pub fn inject_connection(
        &mut self,
        now: Time,
        listener: SocketId,
        from: SocketAddr,
    ) -> io::Result<SocketId> {
        self.touch(now);
        let node = self.entry(listener)?.node;
        let l = self.listener_mut(listener)?;
        let (bound, cfg) = (l.local, l.cfg.clone());
        // As a SYN from `from` would find the listener: same family on the
        // wire, or IPv4 into a dual-stack `[::]`.
        let (wire_bound, wire_from) = (unmap(bound), unmap(from));
        let dual = !self.socket_v6only(listener) && is_v6_wildcard(bound.ip());
        if wire_bound.is_ipv4() != wire_from.is_ipv4() && !(dual && wire_from.is_ipv4()) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot inject a connection from {from} into listener {bound}: address family mismatch"),
            ));
        }
        let ip = if wire_bound.ip().is_unspecified() {
            self.node(node)?.addr_like(wire_from.ip()).ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::AddrNotAvailable,
                    format!("listener {bound} has no address of {from}'s family"),
                )
            })?
        } else {
            wire_bound.ip()
        };
        let local = SocketAddr::new(ip, bound.port());
        // Each end shows mapped addresses if it is an IPv6 socket talking
        // IPv4: the listener's child through `[::]` or a mapped bind, the
        // test's end if `from` was given mapped.
        let child_mapped = bound.is_ipv6() && wire_from.is_ipv4();
        let peer_mapped = from.is_ipv6() && wire_from.is_ipv4();
        let from = wire_from;
        let (iss_a, iss_b) = (self.new_iss(node), self.new_iss(node));
        let window = cfg.recv_buffer as u64;
        let mut child = TcpConn::established(
            now,
            local,
            from,
            node,
            Route::Direct(SocketId(0)),
            cfg.clone(),
            iss_a,
            iss_b,
            window,
        );
        child.parent = Some(listener);
        child.mapped = child_mapped;
        let options = self.socket_options(listener);
        let child_id = self.with_bind_options(options, |m| {
            m.insert_socket(node, SocketKind::Stream(Box::new(child)))
        });
        let mut peer = TcpConn::established(
            now,
            from,
            local,
            node,
            Route::Direct(child_id),
            cfg,
            iss_b,
            iss_a,
            window,
        );
        peer.mapped = peer_mapped;
        let peer_id = self.insert_socket(node, SocketKind::Stream(Box::new(peer)));
        self.conn_mut(child_id)?.route = Route::Direct(peer_id);
        self.listener_mut(listener)?
            .accept_queue
            .push_back(child_id);
        self.notify(listener, Readiness::Acceptable);
        self.sync_timer(child_id);
        self.sync_timer(peer_id);
        Ok(peer_id)
    }

    /// A segment arrived at its node: to its connection, to a listener (SYN), or
    /// answered with RST.
    pub(crate) fn tcp_deliver(&mut self, now: Time, mut packet: Packet) {
        // The segment is taken out; the rest of the packet (its addresses
        // and route) stays whole for the listener. An empty Vec does not
        // allocate.
        let Body::Tcp(seg) = std::mem::replace(&mut packet.body, Body::Udp(Vec::new())) else {
            return;
        };
        let (node, src, dst) = (packet.to_node, packet.src, packet.dst);
        if let Some(&id) = self.tcp_conns.get(&ConnKey::new(node, dst, src)) {
            self.conn_segment(now, id, seg);
            return;
        }
        if seg.syn && !seg.has_ack && !seg.rst {
            if let Some(lid) = self.find_listener(node, src, dst) {
                self.listener_syn(now, lid, &packet, seg);
                return;
            }
        }
        self.drops.add(DropReason::NoSocket);
        self.capture_fate(now, packet.id, Fate::Dropped(DropReason::NoSocket));
        if let Some(rst) = rst_for(&seg) {
            self.send_packet(
                now,
                Packet {
                    id: 0,
                    from_node: node,
                    to_node: packet.from_node,
                    src: dst,
                    dst: src,
                    body: Body::Tcp(rst),
                    route: packet.route,
                },
            );
        }
    }

    /// The listener for a SYN from `src` to `dst` on `node`: the best
    /// [`Match`] (the exact address, then the wildcard of `dst`'s family,
    /// then a dual-stack `[::]` for IPv4). Several listeners match equally
    /// only as a `SO_REUSEPORT` group: one of them, by [`reuseport_pick`].
    fn find_listener(&self, node: NodeId, src: SocketAddr, dst: SocketAddr) -> Option<SocketId> {
        let ids = self.bindings.get(&(node, Proto::Tcp, dst.port()))?;
        let mut best: Option<Match> = None;
        let mut group: Vec<SocketId> = Vec::new();
        for &id in ids {
            let Some(entry) = self.sockets.get(&id) else {
                continue;
            };
            if let SocketKind::Listener(l) = &entry.kind {
                let Some(m) = matches(l.local, dst.ip(), entry.options.v6only) else {
                    continue;
                };
                match best {
                    Some(b) if b > m => {}
                    Some(b) if b == m => group.push(id),
                    _ => {
                        best = Some(m);
                        group.clear();
                        group.push(id);
                    }
                }
            }
        }
        let pick = reuseport_pick(self.seed, src, dst, group.len());
        group.get(pick).copied()
    }

    /// A SYN for listener `lid`, carried by `meta` (its body already taken).
    fn listener_syn(&mut self, now: Time, lid: SocketId, meta: &Packet, seg: Segment) {
        let Some(entry) = self.sockets.get_mut(&lid) else {
            return;
        };
        let node = entry.node;
        let SocketKind::Listener(l) = &entry.kind else {
            return;
        };
        if l.is_full() {
            entry.stats.dropped.add(DropReason::BacklogFull);
            self.drops.add(DropReason::BacklogFull);
            self.capture_fate(now, meta.id, Fate::Dropped(DropReason::BacklogFull));
            return;
        }
        let cfg = l.cfg.clone();
        // An IPv6 listener accepting IPv4 (dual stack): mapped addresses.
        let mapped = l.local.is_ipv6() && meta.dst.is_ipv4();
        let iss = self.new_iss(node);
        let mut conn = TcpConn::accept_syn(
            now,
            meta.dst,
            meta.src,
            meta.from_node,
            meta.route,
            cfg,
            iss,
            &seg,
        );
        conn.parent = Some(lid);
        conn.mapped = mapped;
        // An accepted socket inherits the listener's options, as on Linux.
        let options = self.socket_options(lid);
        let id = self.with_bind_options(options, |m| {
            m.insert_socket(node, SocketKind::Stream(Box::new(conn)))
        });
        self.tcp_conns
            .insert(ConnKey::new(node, meta.dst, meta.src), id);
        if let Ok(l) = self.listener_mut(lid) {
            l.half_open.insert(id);
        }
        self.flush_conn(now, id);
    }
}
