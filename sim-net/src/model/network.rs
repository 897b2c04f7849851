//! The network: the [`Network`] value that owns every part of the model, its
//! nodes and its socket table. What happens to packets lives beside it, one
//! concern per file: the event loop (`event_loop`), the switch and links
//! (`switch`), ports and bind checks (`ports`), TCP (`tcp`), UDP (`udp`).

use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::net::{IpAddr, Ipv4Addr};

use super::config::NetConfig;
use super::ids::{NodeId, SocketId, Time};
use super::link::{Link, LinkConfig};
use super::node::{Node, Proto};
use super::notify::Notifier;
use super::packet::PacketQueue;
use super::partition::Partitions;
use super::socket::{closed_socket, SocketEntry, SocketKind};
use super::socket_table::SocketTable;
use super::stats::DropCounts;
use super::tcp::deferred_acks::DeferredAcks;
use super::tcp::demux::{ConnKey, ConnTable};
use super::timer_index::TimerIndex;

/// The whole simulated network. See the [module docs](super) for how it is driven.
///
/// Its methods, by group (each group lives in its own file of the model):
///
/// - **Building:** [`new`](Self::new), [`with_config`](Self::with_config),
///   [`add_node`](Self::add_node); links and partitions:
///   [`set_default_link`](Self::set_default_link), [`set_link`](Self::set_link),
///   [`partition`](Self::partition), [`hold`](Self::hold) and their inverses.
/// - **Getters:** [`config`](Self::config), [`now`](Self::now), nodes
///   ([`node_by_name`](Self::node_by_name), [`node_addrs`](Self::node_addrs),
///   [`is_up`](Self::is_up), ...), sockets ([`local_addr`](Self::local_addr),
///   [`peer_addr`](Self::peer_addr), [`can_read`](Self::can_read), ...) and
///   counters ([`link_stats`](Self::link_stats),
///   [`socket_stats`](Self::socket_stats), [`connections`](Self::connections),
///   [`drop_counts`](Self::drop_counts)).
/// - **Socket calls:** `tcp_*` (listen, connect, accept, read, write,
///   shutdown) and `udp_*` (bind, connect, send, receive, options), and
///   [`close`](Self::close); each takes the current time and returns
///   `WouldBlock` when it cannot complete yet.
/// - **Faults:** [`set_read_error`](Self::set_read_error) and its siblings,
///   node [`node_crashed`](Self::node_crashed),
///   [`node_restarted`](Self::node_restarted), [`node_killed`](Self::node_killed).
/// - **Driving time:** [`next_deadline`](Self::next_deadline), then
///   [`advance`](Self::advance) to it (or [`deliver_due`](Self::deliver_due)
///   and [`flush_acks`](Self::flush_acks) for a driver that lets applications
///   run in between).
/// - **Polling readiness:** [`drain_notifications_into`](Self::drain_notifications_into)
///   after each call, to wake the tasks waiting on each socket.
///
/// In order: build, then repeatedly make socket calls at `now`, drain the
/// notifications, ask for the next deadline and advance to it.
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
    /// Packet capture for the artifacts of a run (see `capture`): `None`
    /// unless the run records.
    pub(crate) capture: Option<Box<super::capture::Capture>>,
    /// Connections owing a pure ACK at the current instant (see
    /// [`flush_acks`](Self::flush_acks)).
    pub(crate) deferred_acks: DeferredAcks,
    /// The options of the sockets being made inside
    /// [`with_bind_options`](Self::with_bind_options); `None`: the
    /// network's defaults.
    pub(crate) creating: Option<super::BindOptions>,
}

impl Network {
    /// An empty network with default settings; `seed` feeds every random stream.
    pub fn new(seed: u64) -> Self {
        Self::build(seed, NetConfig::default())
    }

    /// An empty network with the given settings, or `InvalidInput` naming
    /// the field that [`NetConfig::validate`] refuses.
    pub fn with_config(seed: u64, cfg: NetConfig) -> io::Result<Self> {
        cfg.validate()?;
        Ok(Self::build(seed, cfg))
    }

    fn build(seed: u64, cfg: NetConfig) -> Self {
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
            capture: None,
            deferred_acks: DeferredAcks::default(),
            creating: None,
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

    /// Packets currently in flight (not held).
    pub fn packets_in_flight(&self) -> usize {
        self.in_flight.len()
    }

    // ----- nodes ------------------------------------------------------------------

    /// Adds a node called `name` owning `addrs`: IPv4, IPv6 or both (at
    /// least one address). Names and addresses must be unique; unspecified,
    /// loopback, multicast and broadcast addresses cannot be owned.
    pub fn add_node(&mut self, name: &str, addrs: &[IpAddr]) -> io::Result<NodeId> {
        if name.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a node needs a name: the empty name cannot be looked up",
            ));
        }
        if self.by_name.contains_key(name) {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("a node named '{name}' already exists"),
            ));
        }
        if addrs.is_empty() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("node '{name}' needs at least one address"),
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

    /// The node `node`, or `NotFound`.
    pub(crate) fn node(&self, node: NodeId) -> io::Result<&Node> {
        self.nodes
            .get(node.0 as usize)
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("no such node {node}")))
    }

    /// The node `node` if it is up; `NotConnected` if it is down.
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

    // ----- the socket table ---------------------------------------------------------

    /// Adds a socket of `node` to the tables and returns its new id.
    pub(crate) fn insert_socket(&mut self, node: NodeId, kind: SocketKind) -> SocketId {
        let id = SocketId(self.next_socket);
        self.next_socket += 1;
        let options = self.new_socket_options();
        self.sockets
            .insert(id, SocketEntry::new(node, kind, options));
        if let Some(n) = self.nodes.get_mut(node.0 as usize) {
            n.sockets.insert(id);
        }
        id
    }

    /// The socket `id`, or the error for a closed one.
    pub(crate) fn entry(&self, id: SocketId) -> io::Result<&SocketEntry> {
        self.sockets.get(&id).ok_or_else(|| closed_socket(id))
    }

    /// The socket `id`, mutably, or the error for a closed one.
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
}
