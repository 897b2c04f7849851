//! Identifiers and the time unit.
//!
//! Every random draw of the model comes from a ChaCha20 stream derived from
//! the simulation seed and a *name* (for instance `link:client->server`), so
//! adding a host or a link never shifts the draws of the others: each name is
//! its own stream. The streams are sim-core's ([`sim_core::rng::stream`]),
//! the same function the scheduler uses for its own.

use std::fmt;

/// Virtual time in nanoseconds since the start of the simulation.
pub type Time = u64;

/// One millisecond in [`Time`] units.
pub const MILLIS: Time = 1_000_000;
/// One second in [`Time`] units.
pub const SECS: Time = 1_000_000_000;

/// A host as the network sees it: one kernel with addresses and sockets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NodeId(pub u32);

impl fmt::Display for NodeId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "node#{}", self.0)
    }
}

/// A socket of any kind (UDP, TCP listener, TCP stream); never reused within a
/// [`Network`](super::Network), so a stale handle cannot reach a newer socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SocketId(pub u64);

impl fmt::Display for SocketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "socket#{}", self.0)
    }
}
