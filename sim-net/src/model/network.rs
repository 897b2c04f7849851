//! The network: nodes, the switch that routes packets by destination IP, links,
//! sockets, the in-flight queue and the timer index. Time only moves when the
//! caller passes a later `now`.

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use super::config::NetConfig;
use super::dual_stack::{bindings_overlap, is_v6_wildcard, mapped_v4, unmap};
use super::ids::{NodeId, SocketId, Time};
use super::link::{Link, LinkConfig};
use super::node::{Node, Proto};
use super::notify::{Notification, Notifier, Readiness};
use super::packet::{Body, Packet, PacketQueue, Route};
use super::partition::Partitions;
use super::socket::{SocketEntry, SocketKind};
use super::socket_table::SocketTable;
use super::stats::{DropCounts, DropReason};
use super::tcp::conn::ConnEvent;
use super::timer_index::TimerIndex;

/// The whole simulated network. See the [module docs](super) for how it is driven.
#[derive(Debug)]
pub struct Network {
    pub(crate) seed: u64,
    pub(crate) cfg: NetConfig,
    pub(crate) now: Time,
    pub(crate) nodes: Vec<Node>,
    pub(crate) by_name: BTreeMap<String, NodeId>,
    pub(crate) ip_owner: BTreeMap<IpAddr, NodeId>,
    pub(crate) links: BTreeMap<(NodeId, NodeId), Link>,
    pub(crate) link_cfg: BTreeMap<(NodeId, NodeId), LinkConfig>,
    pub(crate) partitions: Partitions,
    pub(crate) in_flight: PacketQueue,
    pub(crate) sockets: SocketTable,
    pub(crate) next_socket: u64,
    pub(crate) bindings: BTreeMap<(NodeId, Proto, u16), Vec<SocketId>>,
    pub(crate) tcp_conns: ConnTable,
    pub(crate) timers: TimerIndex,
    pub(crate) notifier: Notifier,
    pub(crate) drops: DropCounts,
    /// Connections owing a pure ACK held back at `acks_due_at` (see
    /// [`flush_acks`](Self::flush_acks)).
    acks_due: Vec<SocketId>,
    acks_due_at: Time,
}

impl Network {
    /// An empty network with default settings; `seed` feeds every random stream.
    pub fn new(seed: u64) -> Self {
        Self::with_config(seed, NetConfig::default())
    }

    /// An empty network with the given settings.
    pub fn with_config(seed: u64, cfg: NetConfig) -> Self {
        Network {
            seed,
            cfg,
            now: 0,
            nodes: Vec::new(),
            by_name: BTreeMap::new(),
            ip_owner: BTreeMap::new(),
            links: BTreeMap::new(),
            link_cfg: BTreeMap::new(),
            partitions: Partitions::default(),
            in_flight: PacketQueue::default(),
            sockets: SocketTable::default(),
            next_socket: 1,
            bindings: BTreeMap::new(),
            tcp_conns: ConnTable::default(),
            timers: TimerIndex::default(),
            notifier: Notifier::default(),
            drops: DropCounts::default(),
            acks_due: Vec::new(),
            acks_due_at: 0,
        }
    }

    /// The settings in force.
    pub fn config(&self) -> &NetConfig {
        &self.cfg
    }

    /// The latest time the network has seen.
    pub fn now(&self) -> Time {
        self.now
    }

    // ----- nodes ------------------------------------------------------------------

    /// Adds a node called `name` owning `addrs` (at least one IPv4 address; IPv6
    /// optional). Names and addresses must be unique; unspecified, loopback,
    /// multicast and broadcast addresses cannot be owned.
    pub fn add_node(&mut self, name: &str, addrs: &[IpAddr]) -> io::Result<NodeId> {
        if self.by_name.contains_key(name) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("a node named '{name}' already exists"),
            ));
        }
        if !addrs.iter().any(IpAddr::is_ipv4) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("node '{name}' needs at least one IPv4 address"),
            ));
        }
        let mut seen = BTreeSet::new();
        for &ip in addrs {
            let bad = ip.is_unspecified()
                || ip.is_loopback()
                || ip.is_multicast()
                || ip == IpAddr::V4(Ipv4Addr::BROADCAST);
            if bad {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("node '{name}' cannot own the special address {ip}"),
                ));
            }
            if let Some(&owner) = self.ip_owner.get(&ip) {
                return Err(io::Error::new(
                    io::ErrorKind::AddrInUse,
                    format!(
                        "address {ip} of node '{name}' already belongs to node '{}'",
                        self.nodes[owner.0 as usize].name
                    ),
                ));
            }
            if !seen.insert(ip) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("node '{name}' lists {ip} twice"),
                ));
            }
        }
        let id = NodeId(self.nodes.len() as u32);
        self.nodes.push(Node::new(
            self.seed,
            name,
            addrs.to_vec(),
            self.cfg.ephemeral_first,
        ));
        self.by_name.insert(name.to_string(), id);
        for &ip in addrs {
            self.ip_owner.insert(ip, id);
        }
        Ok(id)
    }

    /// The node called `name`.
    pub fn node_by_name(&self, name: &str) -> Option<NodeId> {
        self.by_name.get(name).copied()
    }

    /// The name of `node`.
    pub fn node_name(&self, node: NodeId) -> Option<&str> {
        self.nodes.get(node.0 as usize).map(|n| n.name.as_str())
    }

    /// The addresses of `node`.
    pub fn node_addrs(&self, node: NodeId) -> &[IpAddr] {
        self.nodes
            .get(node.0 as usize)
            .map(|n| n.addrs.as_slice())
            .unwrap_or(&[])
    }

    /// The node owning `ip`.
    pub fn node_of_addr(&self, ip: IpAddr) -> Option<NodeId> {
        self.ip_owner.get(&ip).copied()
    }

    /// Whether `node` is up (not crashed).
    pub fn is_up(&self, node: NodeId) -> bool {
        self.nodes.get(node.0 as usize).is_some_and(|n| n.up)
    }

    /// Every node, in creation order.
    pub fn nodes(&self) -> Vec<NodeId> {
        (0..self.nodes.len() as u32).map(NodeId).collect()
    }

    pub(crate) fn node(&self, node: NodeId) -> io::Result<&Node> {
        self.nodes
            .get(node.0 as usize)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no such node {node}")))
    }

    pub(crate) fn live_node(&self, node: NodeId) -> io::Result<&Node> {
        let n = self.node(node)?;
        if !n.up {
            return Err(io::Error::new(
                io::ErrorKind::NotConnected,
                format!("node '{}' is down", n.name),
            ));
        }
        Ok(n)
    }

    // ----- time -------------------------------------------------------------------

    /// The earliest instant at which something happens inside the network (a packet
    /// arrives, a TCP timer fires, or held-back ACKs must leave), if anything
    /// is pending. Calling [`advance`](Self::advance) with it runs it.
    pub fn next_deadline(&self) -> Option<Time> {
        match (self.next_event(), self.acks_due()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Like [`next_deadline`](Self::next_deadline), ignoring held-back ACKs:
    /// for a driver that sends those through [`flush_acks`](Self::flush_acks).
    pub fn next_event(&self) -> Option<Time> {
        let p = self.in_flight.next_time();
        let t = self.timers.peek().map(|(t, _)| t);
        match (p, t) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Processes everything due at or before `now`, in time order (packets before
    /// timers at the same instant, so an ACK arriving exactly at an RTO prevents the
    /// retransmission), then sends the acknowledgements held back (see
    /// [`flush_acks`](Self::flush_acks)). Each event runs at its own time, not
    /// at `now`.
    pub fn advance(&mut self, now: Time) {
        self.deliver_due(now);
        self.flush_acks();
    }

    /// Like [`advance`](Self::advance), but keeps the pure ACKs owed at `now`
    /// for [`flush_acks`](Self::flush_acks), so that data the application
    /// writes at `now` can carry them. A driver that lets applications run
    /// between the two calls (the simulator's scheduler does) sends fewer
    /// packets with the same timing.
    pub fn deliver_due(&mut self, now: Time) {
        self.run_until(now, true);
        self.now = self.now.max(now);
    }

    /// The instant whose pure ACKs are held back, if any: the driver calls
    /// [`flush_acks`](Self::flush_acks) once nothing else will happen then.
    pub fn acks_due(&self) -> Option<Time> {
        (!self.acks_due.is_empty()).then_some(self.acks_due_at)
    }

    /// Sends every pure ACK still owed, timed at the instant it became owed.
    ///
    /// A connection that receives data owes an acknowledgement at once (this
    /// model has no delayed ACK). Rather than sending a segment of its own, it
    /// waits until the end of the instant: a segment it sends before then
    /// (typically the application's reply) carries the acknowledgement, and
    /// only the connections still owing one send a pure ACK here. Either way
    /// the acknowledgement leaves at the same virtual instant. Any operation
    /// at a later instant flushes first, so the model stays causal whatever
    /// the driver does.
    pub fn flush_acks(&mut self) {
        if self.acks_due.is_empty() {
            return;
        }
        let at = self.acks_due_at;
        let mut due = std::mem::take(&mut self.acks_due);
        for id in due.drain(..) {
            let sent = match self.sockets.get_mut(&id).map(|e| &mut e.kind) {
                Some(SocketKind::Stream(conn)) => conn.send_deferred_ack(),
                _ => false,
            };
            if sent {
                self.flush_conn(at, id);
            }
        }
        if self.acks_due.is_empty() {
            // Given back, emptied, so the next instant does not allocate.
            self.acks_due = due;
        }
    }

    /// Runs events strictly before `now` and moves the clock: called by every
    /// operation, so the model stays causal even if the caller skipped `advance`;
    /// events exactly at `now` are left for the scheduler to order.
    pub(crate) fn touch(&mut self, now: Time) {
        self.run_until(now, false);
        self.now = self.now.max(now);
    }

    fn run_until(&mut self, now: Time, inclusive: bool) {
        let due = |t: Time| if inclusive { t <= now } else { t < now };
        loop {
            let p = self.in_flight.next_time().filter(|&t| due(t));
            let t = self.timers.peek().filter(|&(t, _)| due(t));
            let next = match (p, t) {
                (Some(pt), Some((tt, _))) => pt.min(tt),
                (Some(pt), None) => pt,
                (None, Some((tt, _))) => tt,
                (None, None) => now,
            };
            if !self.acks_due.is_empty() && self.acks_due_at < next {
                // Time moves on: what an earlier instant owed leaves first.
                self.flush_acks();
                continue;
            }
            match (p, t) {
                (Some(pt), Some((tt, _))) if pt <= tt => self.deliver_next(pt),
                (Some(pt), None) => self.deliver_next(pt),
                (_, Some((tt, id))) => self.fire_timer(tt, id),
                (None, None) => break,
            }
        }
    }

    fn deliver_next(&mut self, t: Time) {
        if let Some((at, packet)) = self.in_flight.pop_due(t) {
            self.deliver(at, packet);
        }
    }

    /// Fires the first timer, `(t, id)`.
    fn fire_timer(&mut self, t: Time, id: SocketId) {
        let first = self.timers.pop();
        debug_assert_eq!(first, Some((t, id)));
        if let Some(entry) = self.sockets.get_mut(&id) {
            // Cleared before the connection re-arms, so that an equal stale
            // copy in the index cannot fire it twice.
            self.timers.set(id, &mut entry.timer, None);
            if let SocketKind::Stream(conn) = &mut entry.kind {
                conn.on_timer(t);
            }
            self.flush_conn(t, id);
        }
        self.settle_timers();
    }

    /// Drops stale entries from the timer index (see [`TimerIndex::settle`]):
    /// after every change to a socket's timer, before anything reads it.
    #[inline]
    fn settle_timers(&mut self) {
        let sockets = &self.sockets;
        self.timers
            .settle(|t, id| sockets.get(&id).is_some_and(|e| e.timer == Some(t)));
    }

    /// Drains the readiness changes since the last call, in the order they happened.
    pub fn take_notifications(&mut self) -> Vec<Notification> {
        self.notifier.take()
    }

    /// Like [`take_notifications`](Self::take_notifications), appending to
    /// `out` so that a caller draining after every operation reuses one buffer.
    pub fn drain_notifications_into(&mut self, out: &mut Vec<Notification>) {
        self.notifier.drain_into(out);
    }

    /// Whether readiness changes are waiting to be taken.
    pub fn has_notifications(&self) -> bool {
        !self.notifier.is_empty()
    }

    pub(crate) fn notify(&mut self, socket: SocketId, readiness: Readiness) {
        if let Some(e) = self.sockets.get(&socket) {
            self.notifier.push(e.node, socket, readiness);
        }
    }

    // ----- sockets ----------------------------------------------------------------

    pub(crate) fn insert_socket(&mut self, node: NodeId, kind: SocketKind) -> SocketId {
        let id = SocketId(self.next_socket);
        self.next_socket += 1;
        self.sockets.insert(id, SocketEntry::new(node, kind));
        if let Some(n) = self.nodes.get_mut(node.0 as usize) {
            n.sockets.insert(id);
        }
        id
    }

    pub(crate) fn entry(&self, id: SocketId) -> io::Result<&SocketEntry> {
        self.sockets.get(&id).ok_or_else(|| closed_socket(id))
    }

    pub(crate) fn entry_mut(&mut self, id: SocketId) -> io::Result<&mut SocketEntry> {
        self.sockets.get_mut(&id).ok_or_else(|| closed_socket(id))
    }

    /// Removes a socket from every table. Does not send anything.
    pub(crate) fn remove_socket(&mut self, id: SocketId) {
        let Some(mut entry) = self.sockets.remove(&id) else {
            return;
        };
        self.timers.set(id, &mut entry.timer, None);
        self.settle_timers();
        if let Some(n) = self.nodes.get_mut(entry.node.0 as usize) {
            n.sockets.remove(&id);
        }
        match entry.kind {
            SocketKind::Udp(u) => self.unbind(entry.node, Proto::Udp, u.local.port(), id),
            SocketKind::Listener(l) => self.unbind(entry.node, Proto::Tcp, l.local.port(), id),
            SocketKind::Bound(local) => self.unbind(entry.node, Proto::Tcp, local.port(), id),
            SocketKind::Stream(c) => {
                if let Some(parent) = c.parent {
                    if let Some(SocketKind::Listener(l)) =
                        self.sockets.get_mut(&parent).map(|e| &mut e.kind)
                    {
                        l.forget(id);
                    }
                }
                let key = ConnKey::new(entry.node, c.local, c.remote);
                if self.tcp_conns.get(&key) == Some(&id) {
                    self.tcp_conns.remove(&key);
                }
                self.unbind(entry.node, Proto::Tcp, c.local.port(), id);
            }
        }
    }

    /// Re-indexes the timer of a socket after its deadlines changed.
    pub(crate) fn sync_timer(&mut self, id: SocketId) {
        let Some(entry) = self.sockets.get_mut(&id) else {
            return;
        };
        let next = match &entry.kind {
            SocketKind::Stream(c) => c.next_timer(),
            _ => None,
        };
        self.timers.set(id, &mut entry.timer, next);
        self.settle_timers();
    }

    /// Sends the segments a connection produced, turns its events into
    /// notifications, and re-indexes its timer.
    pub(crate) fn flush_conn(&mut self, now: Time, id: SocketId) {
        let Some(entry) = self.sockets.get_mut(&id) else {
            return;
        };
        let node = entry.node;
        let SocketKind::Stream(conn) = &mut entry.kind else {
            return;
        };
        if conn.out.is_empty() && conn.events.is_empty() && conn.ack_pending == conn.ack_listed {
            // Nothing to send or to tell (a read that found nothing, say):
            // only the timer may have moved.
            let next = conn.next_timer();
            self.timers.set(id, &mut entry.timer, next);
            self.settle_timers();
            return;
        }
        // Taken out to release the borrow of `self.sockets`, and given back
        // (emptied, capacity kept) below so the next flush does not allocate.
        let mut segments = std::mem::take(&mut conn.out);
        let mut events = std::mem::take(&mut conn.events);
        let (local, remote, route, peer_node, parent) = (
            conn.local,
            conn.remote,
            conn.route,
            conn.peer_node,
            conn.parent,
        );
        entry.stats.packets_sent += segments.len() as u64;
        match (conn.ack_pending, conn.ack_listed) {
            (true, false) => {
                conn.ack_listed = true;
                if self.acks_due.is_empty() {
                    self.acks_due_at = now;
                }
                self.acks_due.push(id);
            }
            (false, true) => {
                // A segment just sent carried the ACK. The list holds the
                // connections of one instant, so it is short.
                conn.ack_listed = false;
                self.acks_due.retain(|&other| other != id);
            }
            _ => {}
        }
        for seg in segments.drain(..) {
            self.send_packet(
                now,
                Packet {
                    from_node: node,
                    to_node: peer_node,
                    src: local,
                    dst: remote,
                    body: Body::Tcp(seg),
                    route,
                },
            );
        }
        let mut remove = false;
        for ev in events.drain(..) {
            match ev {
                ConnEvent::Readable => self.notifier.push(node, id, Readiness::Readable),
                ConnEvent::Writable => self.notifier.push(node, id, Readiness::Writable),
                ConnEvent::Closed => self.notifier.push(node, id, Readiness::Closed),
                ConnEvent::Established => {
                    if let Some(p) = parent {
                        if let Some(SocketKind::Listener(l)) =
                            self.sockets.get_mut(&p).map(|e| &mut e.kind)
                        {
                            l.established(id);
                            self.notifier.push(node, p, Readiness::Acceptable);
                        }
                    }
                }
                ConnEvent::Remove => remove = true,
            }
        }
        if remove {
            self.remove_socket(id);
        } else if let Some(entry) = self.sockets.get_mut(&id) {
            // One lookup gives the buffers back and re-indexes the timer.
            let next = match &mut entry.kind {
                SocketKind::Stream(conn) => {
                    if conn.out.is_empty() && conn.events.is_empty() {
                        let unused = std::mem::replace(&mut conn.out, segments);
                        if unused.capacity() == 0 {
                            // Nothing to free: skip the out-of-line drop.
                            std::mem::forget(unused);
                        }
                        conn.events = events;
                    }
                    conn.next_timer()
                }
                _ => None,
            };
            self.timers.set(id, &mut entry.timer, next);
            self.settle_timers();
        }
    }

    // ----- ports ------------------------------------------------------------------

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
        self.check_port_free(node, proto, local, reuse_addr)?;
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
        reuse_addr: bool,
    ) -> io::Result<()> {
        let key = (node, proto, local.port());
        if let Some(existing) = self.bindings.get(&key) {
            for other in existing {
                let Some(kind) = self.sockets.get(other).map(|e| &e.kind) else {
                    continue;
                };
                if reuse_addr {
                    if let SocketKind::Stream(conn) = kind {
                        if conn.state() == super::TcpState::TimeWait {
                            continue;
                        }
                    }
                }
                let Some(addr) = local_addr_of(kind) else {
                    continue;
                };
                if bindings_overlap(addr, local, self.cfg.bindv6only) {
                    // Across families only the dual-stack wildcard
                    // overlaps: say so, since the addresses differ.
                    let why = if unmap(addr).is_ipv4() == unmap(local).is_ipv4() {
                        String::new()
                    } else {
                        format!(
                            " (by {addr}: a dual-stack [::] socket holds the port for \
                             IPv4 too, unless bindv6only is set)"
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

    fn unbind(&mut self, node: NodeId, proto: Proto, port: u16, id: SocketId) {
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
    ///   the node must have; with `bindv6only` it is `InvalidInput`, as
    ///   Linux's `EINVAL` for a mapped bind on an IPv6-only socket.
    pub(crate) fn check_socket_bind_addr(&self, node: NodeId, addr: SocketAddr) -> io::Result<()> {
        if let Some(v4) = mapped_v4(addr.ip()) {
            if self.cfg.bindv6only {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!(
                        "cannot bind the IPv4-mapped address {addr}: IPv6 sockets are \
                         IPv6 only (bindv6only is set)"
                    ),
                ));
            }
            return self.check_bind_addr(node, SocketAddr::new(v4, addr.port()));
        }
        if is_v6_wildcard(addr.ip()) && !self.cfg.bindv6only {
            self.node(node)?;
            return Ok(());
        }
        self.check_bind_addr(node, addr)
    }

    // ----- routing ----------------------------------------------------------------

    /// Where a packet from `from` to `ip` goes: the node and the route.
    /// `HostUnreachable` if no node owns the address.
    pub(crate) fn resolve(&self, from: NodeId, ip: IpAddr) -> io::Result<(NodeId, Route)> {
        if ip.is_loopback() {
            return Ok((from, Route::Loopback));
        }
        match self.ip_owner.get(&ip) {
            Some(&to) if to == from => Ok((from, Route::Loopback)),
            Some(&to) => Ok((to, Route::Link)),
            None => Err(io::Error::new(
                io::ErrorKind::HostUnreachable,
                format!("no route to host {ip}: no node has this address"),
            )),
        }
    }

    /// The source IP for a packet from a socket bound to `bound` on `node` to `dst`.
    pub(crate) fn source_ip(&self, node: NodeId, bound: IpAddr, dst: IpAddr) -> io::Result<IpAddr> {
        if !bound.is_unspecified() {
            return Ok(bound);
        }
        if dst.is_loopback() {
            return Ok(dst);
        }
        let n = self.node(node)?;
        n.addr_like(dst).ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NetworkUnreachable,
                format!(
                    "node '{}' has no {} address to reach {dst}",
                    n.name,
                    if dst.is_ipv4() { "IPv4" } else { "IPv6" }
                ),
            )
        })
    }

    /// The settings of the link `from -> to` (its own or the default).
    pub fn link_config(&self, from: NodeId, to: NodeId) -> &LinkConfig {
        self.link_cfg
            .get(&(from, to))
            .unwrap_or(&self.cfg.default_link)
    }

    pub(crate) fn link_mut(&mut self, from: NodeId, to: NodeId) -> &mut Link {
        link_slot(&mut self.links, &self.nodes, self.seed, from, to)
    }

    /// Counts a packet from `from` to `to` dropped by a partition, on the
    /// link and in the network's totals.
    pub(crate) fn count_partition_drop(&mut self, from: NodeId, to: NodeId) {
        self.link_mut(from, to)
            .stats
            .dropped
            .add(DropReason::Partition);
        self.drops.add(DropReason::Partition);
    }

    /// Puts a packet on its way at `now`.
    pub(crate) fn send_packet(&mut self, now: Time, packet: Packet) {
        match packet.route {
            Route::Loopback => {
                let at = now.saturating_add(self.cfg.loopback_latency);
                self.in_flight.push(at, packet);
            }
            Route::Direct(_) => self.in_flight.push(now, packet),
            Route::Link => {
                let (from, to) = (packet.from_node, packet.to_node);
                if self.partitions.is_blocked(from, to) {
                    let link = self.link_mut(from, to);
                    link.stats.packets_sent += 1;
                    link.stats.bytes_sent += packet.wire_size() as u64;
                    self.count_partition_drop(from, to);
                    return;
                }
                if self.partitions.is_held(from, to) {
                    self.link_mut(from, to).held.push_back(packet);
                    return;
                }
                self.transmit(now, packet, None);
            }
        }
    }

    /// Runs a packet through its link; `floor` keeps a batch in order (release).
    pub(crate) fn transmit(&mut self, now: Time, packet: Packet, floor: Option<&mut Time>) {
        let (from, to) = (packet.from_node, packet.to_node);
        // The link's settings are borrowed in place (no copy per packet), and
        // its arrivals go straight into the in-flight queue.
        let cfg = self
            .link_cfg
            .get(&(from, to))
            .unwrap_or(&self.cfg.default_link);
        let link = link_slot(&mut self.links, &self.nodes, self.seed, from, to);
        let in_flight = &mut self.in_flight;
        let mut floor = floor;
        let result = link.transmit_to(cfg, now, packet, |mut at, p| {
            if let Some(f) = floor.as_deref_mut() {
                at = at.max(*f);
                *f = at;
            }
            in_flight.push(at, p);
        });
        if let Err(reason) = result {
            self.drops.add(reason);
        }
    }

    fn deliver(&mut self, now: Time, packet: Packet) {
        let (from, to) = (packet.from_node, packet.to_node);
        match packet.route {
            Route::Link => {
                if self.partitions.is_blocked(from, to) {
                    self.count_partition_drop(from, to);
                    return;
                }
                if self.partitions.is_held(from, to) {
                    self.link_mut(from, to).held.push_back(packet);
                    return;
                }
                let size = packet.wire_size() as u64;
                let up = self.is_up(to);
                let link = self.link_mut(from, to);
                if !up {
                    link.stats.dropped.add(DropReason::NodeDown);
                    self.drops.add(DropReason::NodeDown);
                    return;
                }
                link.stats.packets_delivered += 1;
                link.stats.bytes_delivered += size;
            }
            Route::Loopback => {
                if !self.is_up(to) {
                    self.drops.add(DropReason::NodeDown);
                    return;
                }
            }
            Route::Direct(sock) => {
                if let Body::Tcp(seg) = packet.body {
                    self.conn_segment(now, sock, seg);
                }
                return;
            }
        }
        match packet.body {
            Body::Udp(_) => self.udp_deliver(now, packet),
            Body::Tcp(_) => self.tcp_deliver(now, packet),
            Body::PortUnreachable { .. } => self.port_unreachable_deliver(packet),
        }
    }

    /// Hands a segment to a connection and flushes what it produced.
    pub(crate) fn conn_segment(&mut self, now: Time, id: SocketId, seg: super::packet::Segment) {
        let Some(entry) = self.sockets.get_mut(&id) else {
            return;
        };
        if let SocketKind::Stream(conn) = &mut entry.kind {
            entry.stats.packets_received += 1;
            conn.on_segment(now, seg);
        }
        self.flush_conn(now, id);
    }

    /// Packets currently in flight (not held).
    pub fn packets_in_flight(&self) -> usize {
        self.in_flight.len()
    }
}

/// A connection's key: its node, local and remote addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnKey {
    node: NodeId,
    local: SocketAddr,
    remote: SocketAddr,
}

impl ConnKey {
    pub(crate) fn new(node: NodeId, local: SocketAddr, remote: SocketAddr) -> Self {
        ConnKey {
            node,
            local,
            remote,
        }
    }
}

/// An address folded into one word for hashing.
fn fold_addr(addr: &SocketAddr) -> u64 {
    let ip = match addr {
        SocketAddr::V4(a) => u64::from(u32::from(*a.ip())),
        SocketAddr::V6(a) => {
            let b = u128::from(*a.ip());
            (b as u64) ^ ((b >> 64) as u64).rotate_left(17)
        }
    };
    (ip << 16) ^ (ip >> 48) ^ u64::from(addr.port())
}

impl std::hash::Hash for ConnKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        // One word: the table's hasher mixes it (see `ConnHasher`).
        let a = fold_addr(&self.local);
        let b = fold_addr(&self.remote);
        state.write_u64(a ^ b.rotate_left(29) ^ u64::from(self.node.0).rotate_left(53));
    }
}

/// A multiply-rotate hasher for [`ConnKey`]s. The table is only looked up,
/// never iterated, so its order (and this hash) cannot reach the simulation's
/// behaviour; SipHash cost more than the lookup it replaces.
#[derive(Default)]
pub(crate) struct ConnHasher(u64);

impl std::hash::Hasher for ConnHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, x: u64) {
        let h = (self.0.rotate_left(5) ^ x).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = h ^ (h >> 32);
    }
}

/// The TCP connections by [`ConnKey`].
pub(crate) type ConnTable =
    std::collections::HashMap<ConnKey, SocketId, std::hash::BuildHasherDefault<ConnHasher>>;

/// The local address of any socket kind.
pub(crate) fn local_addr_of(kind: &SocketKind) -> Option<SocketAddr> {
    Some(match kind {
        SocketKind::Udp(u) => u.local,
        SocketKind::Listener(l) => l.local,
        SocketKind::Bound(local) => *local,
        SocketKind::Stream(c) => c.local,
    })
}

/// The error for an operation on a socket that no longer exists.
pub(crate) fn closed_socket(id: SocketId) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        format!("{id} is closed (or its node crashed)"),
    )
}

/// The link `from -> to`, made on first use with its own random stream.
/// A free function over the fields it needs, so callers can hold other
/// fields of the network (the link settings) borrowed at the same time.
fn link_slot<'a>(
    links: &'a mut BTreeMap<(NodeId, NodeId), Link>,
    nodes: &[Node],
    seed: u64,
    from: NodeId,
    to: NodeId,
) -> &'a mut Link {
    links.entry((from, to)).or_insert_with(|| {
        Link::new(
            seed,
            &nodes[from.0 as usize].name,
            &nodes[to.0 as usize].name,
        )
    })
}
