//! The socket table: every open socket by id, in an [`IdWindow`] (socket
//! ids are handed out in increasing order and never reused, so an index
//! replaces a tree search on every socket operation). Iteration is in id
//! order, as a map's.

use std::fmt;

use super::id_window::IdWindow;
use super::ids::SocketId;
use super::socket::SocketEntry;

#[derive(Default)]
pub(crate) struct SocketTable {
    entries: IdWindow<SocketEntry>,
}

impl SocketTable {
    pub(crate) fn get(&self, id: &SocketId) -> Option<&SocketEntry> {
        self.entries.get(id.0)
    }

    pub(crate) fn get_mut(&mut self, id: &SocketId) -> Option<&mut SocketEntry> {
        self.entries.get_mut(id.0)
    }

    /// Adds `entry` under `id` (a fresh id: an existing entry is kept).
    pub(crate) fn insert(&mut self, id: SocketId, entry: SocketEntry) {
        self.entries.get_or_insert_with(id.0, || entry);
    }

    pub(crate) fn remove(&mut self, id: &SocketId) -> Option<SocketEntry> {
        self.entries.remove(id.0)
    }

    /// Open sockets in id order.
    pub(crate) fn iter(&self) -> impl Iterator<Item = (SocketId, &SocketEntry)> {
        self.entries.iter().map(|(id, e)| (SocketId(id), e))
    }

    /// Open sockets' entries in id order.
    pub(crate) fn values(&self) -> impl Iterator<Item = &SocketEntry> {
        self.entries.iter().map(|(_, e)| e)
    }
}

impl fmt::Debug for SocketTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}
