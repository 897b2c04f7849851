//! A listening TCP socket: its backlog and the connections waiting to be accepted.

use std::collections::{BTreeSet, VecDeque};
use std::net::SocketAddr;

use crate::model::config::TcpConfig;
use crate::model::ids::SocketId;

/// A listener. Half-open connections (SYN received, handshake not finished) and
/// completed ones waiting for `accept` both count against the backlog; a SYN that
/// finds the backlog full is dropped, and the client retries it as Linux does.
#[derive(Debug)]
pub(crate) struct TcpListener {
    pub local: SocketAddr,
    pub backlog: usize,
    pub cfg: TcpConfig,
    pub half_open: BTreeSet<SocketId>,
    pub accept_queue: VecDeque<SocketId>,
}

impl TcpListener {
    pub(crate) fn new(local: SocketAddr, backlog: usize, cfg: TcpConfig) -> Self {
        TcpListener {
            local,
            backlog: backlog.max(1),
            cfg,
            half_open: BTreeSet::new(),
            accept_queue: VecDeque::new(),
        }
    }

    /// No room for another SYN.
    pub(crate) fn is_full(&self) -> bool {
        self.half_open.len() + self.accept_queue.len() >= self.backlog
    }

    /// A half-open child finished its handshake: ready for `accept`.
    pub(crate) fn established(&mut self, child: SocketId) {
        if self.half_open.remove(&child) {
            self.accept_queue.push_back(child);
        }
    }

    /// Forgets a child (it failed or was reset before being accepted).
    pub(crate) fn forget(&mut self, child: SocketId) {
        self.half_open.remove(&child);
        self.accept_queue.retain(|&c| c != child);
    }

    /// Every child not yet accepted.
    pub(crate) fn children(&self) -> Vec<SocketId> {
        self.half_open
            .iter()
            .chain(self.accept_queue.iter())
            .copied()
            .collect()
    }
}
