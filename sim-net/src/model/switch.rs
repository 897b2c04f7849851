//! The switch: routes each packet by destination IP (loopback, another node
//! over its link, or straight to a connection), runs it through the link
//! (latency, bandwidth queue, loss), holds or drops it at a partition, and
//! hands it to UDP, TCP or ICMP when it arrives.

use std::collections::BTreeMap;
use std::io;
use std::net::IpAddr;

use super::capture::Fate;
use super::ids::{NodeId, Time};
use super::link::{Link, LinkConfig};
use super::network::Network;
use super::node::Node;
use super::packet::{Body, Packet, Route};
use super::stats::DropReason;

impl Network {
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
    pub(crate) fn send_packet(&mut self, now: Time, mut packet: Packet) {
        self.capture_sent(now, &mut packet);
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
                    self.capture_fate(now, packet.id, Fate::Dropped(DropReason::Partition));
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
        let id = packet.id;
        let result = link.transmit_to(cfg, now, packet, |mut at, p| {
            if let Some(f) = floor.as_deref_mut() {
                at = at.max(*f);
                *f = at;
            }
            in_flight.push(at, p);
        });
        if let Err(reason) = result {
            self.drops.add(reason);
            self.capture_fate(now, id, Fate::Dropped(reason));
        }
    }

    pub(crate) fn deliver(&mut self, now: Time, packet: Packet) {
        let (from, to) = (packet.from_node, packet.to_node);
        match packet.route {
            Route::Link => {
                if self.partitions.is_blocked(from, to) {
                    self.count_partition_drop(from, to);
                    self.capture_fate(now, packet.id, Fate::Dropped(DropReason::Partition));
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
                    self.capture_fate(now, packet.id, Fate::Dropped(DropReason::NodeDown));
                    return;
                }
                link.stats.packets_delivered += 1;
                link.stats.bytes_delivered += size;
                self.capture_fate(now, packet.id, Fate::Delivered);
            }
            Route::Loopback => {
                if !self.is_up(to) {
                    self.drops.add(DropReason::NodeDown);
                    self.capture_fate(now, packet.id, Fate::Dropped(DropReason::NodeDown));
                    return;
                }
                self.capture_fate(now, packet.id, Fate::Delivered);
            }
            Route::Direct(sock) => {
                self.capture_fate(now, packet.id, Fate::Delivered);
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
