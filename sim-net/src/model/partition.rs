//! Partitions and holds between nodes.
//!
//! A *blocked* direction drops packets (at send, and on arrival for packets already
//! in flight when the partition began), counted as [`DropReason::Partition`].
//! A *held* direction keeps packets queued, in order, until it is released; released
//! packets then cross the link as if sent at the release instant. A direction is
//! held on its own, or because one of its ends is a *held node* (every link to and
//! from it, loopback excepted: a clogged machine); it flows again once neither
//! holds it.
//!
//! [`DropReason::Partition`]: super::DropReason::Partition

use std::collections::BTreeSet;

use super::ids::NodeId;

/// Which directions are blocked or held.
#[derive(Debug, Default, Clone)]
pub(crate) struct Partitions {
    blocked: BTreeSet<(NodeId, NodeId)>,
    isolated: BTreeSet<NodeId>,
    held: BTreeSet<(NodeId, NodeId)>,
    held_nodes: BTreeSet<NodeId>,
}

impl Partitions {
    pub(crate) fn block(&mut self, from: NodeId, to: NodeId) {
        self.blocked.insert((from, to));
    }

    pub(crate) fn unblock(&mut self, from: NodeId, to: NodeId) {
        self.blocked.remove(&(from, to));
    }

    pub(crate) fn isolate(&mut self, node: NodeId) {
        self.isolated.insert(node);
    }

    /// Removes every partition touching `node` (its isolation included).
    pub(crate) fn heal_node(&mut self, node: NodeId) {
        self.isolated.remove(&node);
        self.blocked.retain(|&(a, b)| a != node && b != node);
    }

    pub(crate) fn heal_all(&mut self) {
        self.blocked.clear();
        self.isolated.clear();
    }

    pub(crate) fn is_blocked(&self, from: NodeId, to: NodeId) -> bool {
        from != to
            && (self.isolated.contains(&from)
                || self.isolated.contains(&to)
                || self.blocked.contains(&(from, to)))
    }

    pub(crate) fn hold(&mut self, from: NodeId, to: NodeId) {
        self.held.insert((from, to));
    }

    /// Stops holding `from -> to`; true if it was held.
    pub(crate) fn unhold(&mut self, from: NodeId, to: NodeId) -> bool {
        self.held.remove(&(from, to))
    }

    pub(crate) fn is_held(&self, from: NodeId, to: NodeId) -> bool {
        self.held.contains(&(from, to))
            || (!self.held_nodes.is_empty()
                && from != to
                && (self.held_nodes.contains(&from) || self.held_nodes.contains(&to)))
    }

    /// Holds every direction to and from `node` but its loopback.
    pub(crate) fn hold_node(&mut self, node: NodeId) {
        self.held_nodes.insert(node);
    }

    /// Stops holding `node`'s directions (those held on their own, or by
    /// their other end, stay held); true if it was held.
    pub(crate) fn unhold_node(&mut self, node: NodeId) -> bool {
        self.held_nodes.remove(&node)
    }

    /// Stops every hold, of directions and of nodes.
    pub(crate) fn unhold_all(&mut self) {
        self.held.clear();
        self.held_nodes.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_way_isolate_and_heal() {
        let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
        let mut p = Partitions::default();
        p.block(a, b);
        assert!(p.is_blocked(a, b));
        assert!(!p.is_blocked(b, a));
        p.isolate(c);
        assert!(p.is_blocked(a, c) && p.is_blocked(c, b));
        assert!(!p.is_blocked(c, c));
        p.heal_node(c);
        assert!(!p.is_blocked(a, c));
        assert!(p.is_blocked(a, b));
        p.heal_all();
        assert!(!p.is_blocked(a, b));
    }

    #[test]
    fn a_direction_flows_once_neither_it_nor_an_end_is_held() {
        let (a, b, c) = (NodeId(0), NodeId(1), NodeId(2));
        let mut p = Partitions::default();
        p.hold_node(a);
        assert!(p.is_held(a, b) && p.is_held(c, a));
        assert!(!p.is_held(a, a), "loopback is never held");
        assert!(!p.is_held(b, c));
        p.hold_node(b);
        p.hold(a, b);
        assert!(p.unhold_node(a));
        assert!(!p.unhold_node(a), "already released");
        assert!(p.is_held(a, b), "held on its own and by b");
        assert!(p.is_held(c, b) && !p.is_held(c, a));
        assert!(p.unhold(a, b));
        assert!(p.is_held(a, b), "still held by b");
        p.unhold_all();
        assert!(!p.is_held(a, b) && !p.is_held(c, b));
    }
}
