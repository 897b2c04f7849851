//! The counters and drop reasons that introspection returns (see
//! `introspection` for the calls).

use std::collections::BTreeMap;
use std::io;
use std::net::SocketAddr;

use super::ids::{NodeId, SocketId};
use super::tcp::state::TcpState;

/// Why a packet (or datagram) did not reach its destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DropReason {
    /// Lost by the link's loss model.
    Loss,
    /// Blocked by a partition (at send time or while in flight).
    Partition,
    /// The link's transmit queue was over its byte limit (tail drop).
    QueueFull,
    /// The receiving socket's buffer had no room (UDP).
    BufferOverflow,
    /// The destination node was crashed.
    NodeDown,
    /// No socket on the destination node matched (a TCP segment is answered with RST).
    NoSocket,
    /// A datagram larger than the MTU was refused at send.
    Mtu,
    /// A SYN found its listener's backlog full and was dropped (the client retries).
    BacklogFull,
    /// No node owns the destination address.
    NoRoute,
}

impl DropReason {
    /// Every reason, in a fixed order (for reports).
    pub const ALL: [DropReason; 9] = [
        DropReason::Loss,
        DropReason::Partition,
        DropReason::QueueFull,
        DropReason::BufferOverflow,
        DropReason::NodeDown,
        DropReason::NoSocket,
        DropReason::Mtu,
        DropReason::BacklogFull,
        DropReason::NoRoute,
    ];
}

/// Drop counters by reason.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DropCounts {
    counts: BTreeMap<DropReason, u64>,
}

impl DropCounts {
    /// How many packets were dropped for `reason`.
    pub fn get(&self, reason: DropReason) -> u64 {
        self.counts.get(&reason).copied().unwrap_or(0)
    }

    /// Drops of every reason together.
    pub fn total(&self) -> u64 {
        self.counts.values().sum()
    }

    pub(crate) fn add(&mut self, reason: DropReason) {
        *self.counts.entry(reason).or_insert(0) += 1;
    }
}

/// Counters of one link direction. Byte counts include IP and transport headers.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkStats {
    /// Packets handed to the link (duplicates not included).
    pub packets_sent: u64,
    /// Bytes handed to the link.
    pub bytes_sent: u64,
    /// Packets that reached the destination node.
    pub packets_delivered: u64,
    /// Bytes that reached the destination node.
    pub bytes_delivered: u64,
    /// Extra copies made by the duplication probability (UDP only).
    pub duplicated: u64,
    /// Datagrams with a flipped bit (UDP only).
    pub corrupted: u64,
    /// Packets that never arrived, by reason.
    pub dropped: DropCounts,
}

/// Counters of one socket. Byte counts are payload bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SocketStats {
    /// Payload bytes sent (TCP: first transmissions only).
    pub bytes_sent: u64,
    /// Packets sent, retransmissions and pure ACKs included.
    pub packets_sent: u64,
    /// Payload bytes received into the socket.
    pub bytes_received: u64,
    /// Packets received by the socket.
    pub packets_received: u64,
    /// TCP segments sent again: after a retransmission timeout, and (with
    /// [`Congestion::NewReno`](crate::model::Congestion::NewReno)) by fast
    /// retransmit, which [`fast_retransmits`](Self::fast_retransmits) counts
    /// apart.
    pub retransmits: u64,
    /// TCP segments sent again on duplicate ACKs (fast retransmit) or on a
    /// partial acknowledgement in fast recovery, without waiting for a
    /// timeout; included in [`retransmits`](Self::retransmits). Always 0
    /// without congestion control.
    pub fast_retransmits: u64,
    /// Datagrams this socket refused or lost (buffer overflow, MTU).
    pub dropped: DropCounts,
}

/// One TCP connection, for `ss`-like listings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// The socket handle of this end.
    pub socket: SocketId,
    /// The node this end lives on.
    pub node: NodeId,
    /// Local address, as the socket's `local_addr` shows it (and `ss` on
    /// Linux): IPv4-mapped (`[::ffff:10.0.0.1]:80`) for an IPv6 socket
    /// talking IPv4 through dual stack, whose packets carry the IPv4
    /// addresses.
    pub local: SocketAddr,
    /// Remote address, as the socket's `peer_addr` shows it (mapped like
    /// `local`).
    pub remote: SocketAddr,
    /// Coarse state.
    pub state: TcpState,
    /// Bytes written by the application and not yet acknowledged by the peer.
    pub send_buffered: usize,
    /// Bytes received and not yet read by the application.
    pub recv_buffered: usize,
    /// Bytes sent and not yet acknowledged.
    pub in_flight: u64,
    /// The congestion window in bytes: the most that may be in flight.
    /// `None` without congestion control ([`Congestion::None`](crate::model::Congestion::None)).
    pub cwnd: Option<u64>,
    /// The slow start threshold in bytes. `None` without congestion control,
    /// and while it is unbounded (before the first loss).
    pub ssthresh: Option<u64>,
    /// The error that ended the connection, if any.
    pub error: Option<io::ErrorKind>,
}
