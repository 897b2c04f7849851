//! The state of one UDP socket: its addresses, options, pending error and
//! byte-bounded receive queue.

use std::collections::{BTreeSet, VecDeque};
use std::io;
use std::net::{IpAddr, SocketAddr};

/// The state of one UDP socket.
#[derive(Debug)]
pub(crate) struct UdpSocket {
    pub local: SocketAddr,
    pub peer: Option<SocketAddr>,
    queue: VecDeque<(SocketAddr, Vec<u8>)>,
    queued_bytes: usize,
    pub recv_capacity: usize,
    pub broadcast: bool,
    pub groups: BTreeSet<IpAddr>,
    /// The pending socket error (`SO_ERROR`): set by an ICMP port
    /// unreachable for a connected socket, reported once by the next send,
    /// receive or `take_error`.
    pub error: Option<io::ErrorKind>,
    /// `IP_MULTICAST_LOOP` / `IPV6_MULTICAST_LOOP`: multicast sent from this
    /// socket also reaches the sending node's members. On by default.
    pub multicast_loop_v4: bool,
    pub multicast_loop_v6: bool,
    /// `IP_MULTICAST_TTL`: 0 keeps IPv4 multicast on the sending node.
    pub multicast_ttl_v4: u32,
    /// `IP_TTL`: recorded and reported (the network has no hop count).
    pub ttl: u32,
}

impl UdpSocket {
    pub(crate) fn new(local: SocketAddr, recv_capacity: usize) -> Self {
        UdpSocket {
            local,
            peer: None,
            queue: VecDeque::new(),
            queued_bytes: 0,
            recv_capacity,
            broadcast: false,
            groups: BTreeSet::new(),
            error: None,
            multicast_loop_v4: true,
            multicast_loop_v6: true,
            multicast_ttl_v4: 1,
            ttl: 64,
        }
    }

    /// A datagram or a pending error is waiting to be received.
    pub(crate) fn can_read(&self) -> bool {
        !self.queue.is_empty() || self.error.is_some()
    }

    /// Whether multicast to `group` from this socket reaches its own node.
    pub(crate) fn multicast_loops(&self, group: IpAddr) -> bool {
        match group {
            IpAddr::V4(_) => self.multicast_loop_v4,
            IpAddr::V6(_) => self.multicast_loop_v6,
        }
    }

    /// Takes the pending error, as the next operation would report it.
    pub(crate) fn take_error(&mut self) -> io::Result<()> {
        match self.error.take() {
            Some(kind) => Err(pending_error(kind, self.local, self.peer)),
            None => Ok(()),
        }
    }

    /// Bytes of payload queued for the application.
    pub(crate) fn queued_bytes(&self) -> usize {
        self.queued_bytes
    }

    /// Queues a datagram from `from` (as the application sees it), or
    /// returns `false` if the receive buffer has no room for it.
    pub(crate) fn enqueue(&mut self, from: SocketAddr, data: Vec<u8>) -> bool {
        if self.queued_bytes + data.len() > self.recv_capacity {
            return false;
        }
        self.queued_bytes += data.len();
        self.queue.push_back((from, data));
        true
    }

    /// Takes the next datagram and its sender.
    pub(crate) fn dequeue(&mut self) -> Option<(SocketAddr, Vec<u8>)> {
        let (from, data) = self.queue.pop_front()?;
        self.queued_bytes -= data.len();
        Some((from, data))
    }

    /// The next datagram and its sender, left in the queue.
    pub(crate) fn peek(&self) -> Option<&(SocketAddr, Vec<u8>)> {
        self.queue.front()
    }
}

/// The error a pending `kind` (from an ICMP message) is reported as.
fn pending_error(kind: io::ErrorKind, local: SocketAddr, peer: Option<SocketAddr>) -> io::Error {
    let peer = peer.map_or_else(|| "its peer".to_string(), |p| p.to_string());
    let what = match kind {
        io::ErrorKind::ConnectionRefused => {
            "ICMP port unreachable: nothing listens on that port".to_string()
        }
        other => other.to_string(),
    };
    io::Error::new(kind, format!("UDP socket {local} to {peer}: {what}"))
}
