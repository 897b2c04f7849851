//! The socket table: every open socket by id.
//!
//! Socket ids are handed out in increasing order and never reused, so the
//! table is a window of slots indexed by `id - base` rather than an ordered
//! map: every socket operation looks its socket up, often several times, and
//! an index is far cheaper than a tree search. Slots before the oldest open
//! socket are dropped as sockets close, so the window spans the ids from the
//! oldest open socket to the newest. Iteration is in id order, as a map's.

use std::collections::VecDeque;
use std::fmt;

use super::ids::SocketId;
use super::socket::SocketEntry;

#[derive(Default)]
pub(crate) struct SocketTable {
    /// Id of `slots[0]`.
    base: u64,
    /// Boxed so that the window costs a pointer per id it spans.
    slots: VecDeque<Option<Box<SocketEntry>>>,
}

impl SocketTable {
    fn index(&self, id: SocketId) -> Option<usize> {
        let i = id.0.checked_sub(self.base)?;
        (i < self.slots.len() as u64).then_some(i as usize)
    }

    pub(crate) fn get(&self, id: &SocketId) -> Option<&SocketEntry> {
        let i = self.index(*id)?;
        self.slots[i].as_deref()
    }

    pub(crate) fn get_mut(&mut self, id: &SocketId) -> Option<&mut SocketEntry> {
        let i = self.index(*id)?;
        self.slots[i].as_deref_mut()
    }

    /// Adds `entry` under `id`, which must be above every id inserted before.
    pub(crate) fn insert(&mut self, id: SocketId, entry: SocketEntry) {
        if self.slots.is_empty() {
            self.base = id.0;
        }
        let i = (id.0 - self.base) as usize;
        assert!(i >= self.slots.len(), "socket ids must increase");
        self.slots.resize_with(i, || None);
        self.slots.push_back(Some(Box::new(entry)));
    }

    pub(crate) fn remove(&mut self, id: &SocketId) -> Option<SocketEntry> {
        let i = self.index(*id)?;
        let entry = self.slots[i].take()?;
        while matches!(self.slots.front(), Some(None)) {
            self.slots.pop_front();
            self.base += 1;
        }
        while matches!(self.slots.back(), Some(None)) {
            self.slots.pop_back();
        }
        Some(*entry)
    }

    /// Open sockets in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (SocketId, &SocketEntry)> {
        let base = self.base;
        self.slots
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| s.as_deref().map(|e| (SocketId(base + i as u64), e)))
    }

    /// Open sockets' entries in id order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &SocketEntry> {
        self.slots.iter().filter_map(|s| s.as_deref())
    }
}

impl fmt::Debug for SocketTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
