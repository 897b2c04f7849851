//! Identifiers the scheduler hands out.

use std::fmt;

/// A host of the simulation (a server made with `Sim::host` or a client made
/// with `Sim::client`), numbered in the order hosts were added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct HostId(pub(crate) u32);

impl HostId {
    /// The host's number, starting from 0.
    pub fn index(self) -> usize {
        self.0 as usize
    }

    /// The host numbered `index` (no check that it exists).
    pub fn from_index(index: usize) -> HostId {
        HostId(index as u32)
    }
}

impl fmt::Display for HostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "host#{}", self.0)
    }
}

/// An actor plugged into the scheduler with `Sim::add_actor`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ActorId(pub(crate) u32);

impl ActorId {
    /// The actor's number, starting from 0.
    pub fn index(self) -> usize {
        self.0 as usize
    }
}
