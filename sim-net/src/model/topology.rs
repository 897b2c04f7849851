//! Links and partitions: the part of the [`Network`] API a test uses to shape and
//! break the network.

use std::io;

use super::capture::Fate;
use super::ids::{NodeId, Time};
use super::link::LinkConfig;
use super::network::Network;
use super::stats::DropReason;

impl Network {
    /// Settings for every ordered pair without its own link settings.
    ///
    /// `InvalidInput`, naming the field, for settings that
    /// [`LinkConfig::validate`] refuses; the links keep their settings then.
    pub fn set_default_link(&mut self, cfg: LinkConfig) -> io::Result<()> {
        cfg.validate()?;
        self.cfg.default_link = cfg;
        Ok(())
    }

    /// Settings of the one direction `from -> to` (checked as
    /// [`set_default_link`](Self::set_default_link) checks them).
    pub fn set_link(&mut self, from: NodeId, to: NodeId, cfg: LinkConfig) -> io::Result<()> {
        cfg.validate()?;
        self.link_cfg.insert((from, to), cfg);
        Ok(())
    }

    /// The same settings for both directions between `a` and `b` (checked
    /// as [`set_default_link`](Self::set_default_link) checks them).
    pub fn set_link_both(&mut self, a: NodeId, b: NodeId, cfg: LinkConfig) -> io::Result<()> {
        cfg.validate()?;
        self.link_cfg.insert((b, a), cfg.clone());
        self.link_cfg.insert((a, b), cfg);
        Ok(())
    }

    /// Returns `from -> to` to the default settings.
    pub fn clear_link(&mut self, from: NodeId, to: NodeId) {
        self.link_cfg.remove(&(from, to));
    }

    /// Blocks packets from `from` to `to` only.
    pub fn partition_one_way(&mut self, from: NodeId, to: NodeId) {
        self.partitions.block(from, to);
    }

    /// Blocks both directions between `a` and `b`.
    pub fn partition(&mut self, a: NodeId, b: NodeId) {
        self.partitions.block(a, b);
        self.partitions.block(b, a);
    }

    /// Cuts `node` off from every other node (nodes added later included).
    pub fn isolate(&mut self, node: NodeId) {
        self.partitions.isolate(node);
    }

    /// Splits the network into groups: nodes of different groups cannot talk to
    /// each other; nodes in no group keep talking to everyone.
    pub fn split(&mut self, groups: &[&[NodeId]]) {
        for (i, ga) in groups.iter().enumerate() {
            for (j, gb) in groups.iter().enumerate() {
                if i == j {
                    continue;
                }
                for &a in ga.iter() {
                    for &b in gb.iter() {
                        if a != b {
                            self.partitions.block(a, b);
                        }
                    }
                }
            }
        }
    }

    /// Unblocks both directions between `a` and `b`.
    pub fn heal(&mut self, a: NodeId, b: NodeId) {
        self.partitions.unblock(a, b);
        self.partitions.unblock(b, a);
    }

    /// Unblocks `from -> to` only: the inverse of
    /// [`partition_one_way`](Self::partition_one_way).
    pub fn heal_one_way(&mut self, from: NodeId, to: NodeId) {
        self.partitions.unblock(from, to);
    }

    /// Removes every partition involving `node`, its isolation included.
    pub fn heal_node(&mut self, node: NodeId) {
        self.partitions.heal_node(node);
    }

    /// Removes every partition.
    pub fn heal_all(&mut self) {
        self.partitions.heal_all();
    }

    /// Whether packets from `from` to `to` are blocked now.
    pub fn is_partitioned(&self, from: NodeId, to: NodeId) -> bool {
        self.partitions.is_blocked(from, to)
    }

    /// Holds packets from `from` to `to`: queued, in order, not delivered, until
    /// [`release`](Self::release). Packets already in flight are held on arrival.
    pub fn hold(&mut self, from: NodeId, to: NodeId) {
        self.partitions.hold(from, to);
    }

    /// Releases `from -> to` at `now`: held packets cross the link as if sent at
    /// `now`, in the order they were held (loss and bandwidth still apply). A
    /// direction still held through a held node ([`hold_node`](Self::hold_node))
    /// keeps its packets until that node is released.
    pub fn release(&mut self, now: Time, from: NodeId, to: NodeId) {
        self.touch(now);
        if self.partitions.unhold(from, to) {
            self.flush_held(now, from, to);
        }
    }

    /// Releases every hold, of directions and of nodes, at `now`.
    pub fn release_all(&mut self, now: Time) {
        self.touch(now);
        self.partitions.unhold_all();
        for (from, to) in self.held_links(|_, _| true) {
            self.flush_held(now, from, to);
        }
    }

    /// Holds every packet to and from `node` (its loopback excepted), in
    /// order, as [`hold`](Self::hold) does for one direction: the machine's
    /// network is clogged, its sockets and timers live on. Released by
    /// [`release_node`](Self::release_node) or [`release_all`](Self::release_all).
    pub fn hold_node(&mut self, node: NodeId) {
        self.partitions.hold_node(node);
    }

    /// Releases `node` at `now`: each of its directions that nothing else
    /// holds (a hold of that direction, or of its other end) sends its held
    /// packets as [`release`](Self::release) does.
    pub fn release_node(&mut self, now: Time, node: NodeId) {
        self.touch(now);
        if !self.partitions.unhold_node(node) {
            return;
        }
        for (from, to) in self.held_links(|from, to| from == node || to == node) {
            self.flush_held(now, from, to);
        }
    }

    /// Directions with held packets that `select` picks, in link order.
    fn held_links(&self, select: impl Fn(NodeId, NodeId) -> bool) -> Vec<(NodeId, NodeId)> {
        self.links
            .iter()
            .filter(|(&(from, to), link)| !link.held.is_empty() && select(from, to))
            .map(|(&pair, _)| pair)
            .collect()
    }

    /// Sends the packets held on `from -> to`, unless it is still held.
    fn flush_held(&mut self, now: Time, from: NodeId, to: NodeId) {
        if self.partitions.is_held(from, to) {
            return;
        }
        let held = std::mem::take(&mut self.link_mut(from, to).held);
        let mut floor = now;
        for packet in held {
            if self.partitions.is_blocked(from, to) {
                self.count_partition_drop(from, to);
                self.capture_fate(now, packet.id, Fate::Dropped(DropReason::Partition));
                continue;
            }
            self.transmit(now, packet, Some(&mut floor));
        }
    }

    /// Packets held on `from -> to`.
    pub fn held_packets(&self, from: NodeId, to: NodeId) -> usize {
        self.links.get(&(from, to)).map_or(0, |l| l.held.len())
    }
}
