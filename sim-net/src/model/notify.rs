//! Readiness notifications: the model's way of telling the async socket layer which
//! waiting tasks to wake.
//!
//! The model never holds a `Waker`. Each operation and each `advance` records which
//! socket became readable, writable, acceptable or closed; the socket layer drains
//! them with [`Network::drain_notifications_into`](super::Network::drain_notifications_into) and
//! wakes exactly the tasks that registered interest on that socket.

use std::collections::BTreeSet;

use super::ids::{NodeId, SocketId};

/// What changed on a socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Readiness {
    /// Data, EOF or a datagram can be read.
    Readable,
    /// Send buffer space freed, or a connect completed.
    Writable,
    /// A listener has a connection to accept.
    Acceptable,
    /// The socket failed or was closed: wake every waiter, each will see the error.
    Closed,
}

/// One readiness change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Notification {
    /// The node owning the socket (whose host the woken tasks belong to).
    pub node: NodeId,
    /// The socket that changed.
    pub socket: SocketId,
    /// What changed.
    pub readiness: Readiness,
}

/// Pending notifications in the order they happened, without repeats.
#[derive(Debug, Default)]
pub(crate) struct Notifier {
    pending: Vec<Notification>,
    seen: BTreeSet<Notification>,
}

/// Below this many pending notifications a linear scan finds repeats faster
/// than a set (and allocates nothing); above it the set takes over.
const SCAN_LIMIT: usize = 32;

impl Notifier {
    pub(crate) fn push(&mut self, node: NodeId, socket: SocketId, readiness: Readiness) {
        let n = Notification {
            node,
            socket,
            readiness,
        };
        if self.pending.len() < SCAN_LIMIT {
            if !self.pending.contains(&n) {
                self.pending.push(n);
            }
            return;
        }
        if self.seen.is_empty() {
            self.seen.extend(self.pending.iter().copied());
        }
        if self.seen.insert(n) {
            self.pending.push(n);
        }
    }

    /// Moves the pending notifications to the end of `out`, keeping this
    /// queue's buffer for the next ones.
    pub(crate) fn drain_into(&mut self, out: &mut Vec<Notification>) {
        if !self.seen.is_empty() {
            self.seen.clear();
        }
        out.append(&mut self.pending);
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.pending.is_empty()
    }
}
