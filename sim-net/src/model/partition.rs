//! Partitions and holds between nodes.
//!
//! A *blocked* direction drops packets (at send, and on arrival for packets already
//! in flight when the partition began), counted as [`DropReason::Partition`].
//! A *held* direction keeps packets queued, in order, until it is released; released
//! packets then cross the link as if sent at the release instant.
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
    }

    /// Every held direction, in a fixed order.
    pub(crate) fn held_pairs(&self) -> Vec<(NodeId, NodeId)> {
        self.held.iter().copied().collect()
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
}
