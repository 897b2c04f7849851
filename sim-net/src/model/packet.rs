//! Packets on the wire and the in-flight queue.
//!
//! The queue is ordered by `(deliver_time, sequence number)`: packets due at the same
//! instant leave in the order they were queued, never by address or hash order.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddr;

use super::ids::{NodeId, SocketId, Time};

/// IPv4 header bytes.
pub(crate) const IPV4_HEADER: usize = 20;
/// IPv6 header bytes.
pub(crate) const IPV6_HEADER: usize = 40;
/// UDP header bytes.
pub(crate) const UDP_HEADER: usize = 8;
/// TCP header bytes (no options).
pub(crate) const TCP_HEADER: usize = 20;
/// ICMP header bytes.
pub(crate) const ICMP_HEADER: usize = 8;

/// IP header size for the family of `addr`.
pub(crate) fn ip_header(addr: &SocketAddr) -> usize {
    if addr.is_ipv4() {
        IPV4_HEADER
    } else {
        IPV6_HEADER
    }
}

/// A TCP segment. Sequence numbers are 64-bit and never wrap (a simplification
/// that keeps comparisons plain; the initial number is random per connection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Segment {
    pub seq: u64,
    pub ack: u64,
    pub syn: bool,
    pub has_ack: bool,
    pub fin: bool,
    pub rst: bool,
    /// Receive window advertised by the sender of this segment, in bytes.
    pub window: u64,
    pub data: Vec<u8>,
}

impl Segment {
    /// Sequence space the segment occupies (SYN and FIN count one each).
    pub(crate) fn seq_len(&self) -> u64 {
        self.data.len() as u64 + u64::from(self.syn) + u64::from(self.fin)
    }
}

/// What a packet carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Body {
    Udp(Vec<u8>),
    Tcp(Segment),
    /// ICMP "port unreachable" for a UDP datagram to `original_dst`, sent
    /// back to the datagram's sender (the packet's `dst`).
    PortUnreachable {
        original_dst: SocketAddr,
    },
}

/// How a packet travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Through the switch and the link `from_node -> to_node`.
    Link,
    /// Inside one node (loopback): no link, no partition.
    Loopback,
    /// Straight to one socket, for connections made by `inject_connection`.
    Direct(SocketId),
}

/// One packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Packet {
    /// The capture's id of the packet (0: not captured; see `capture`).
    pub id: u64,
    pub from_node: NodeId,
    pub to_node: NodeId,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub body: Body,
    pub route: Route,
}

impl Packet {
    /// Bytes on the wire, headers included (for bandwidth and queue limits).
    pub(crate) fn wire_size(&self) -> usize {
        ip_header(&self.dst)
            + match &self.body {
                Body::Udp(d) => UDP_HEADER + d.len(),
                Body::Tcp(s) => TCP_HEADER + s.data.len(),
                // ICMP quotes the original IP header and 8 bytes of UDP.
                Body::PortUnreachable { .. } => ICMP_HEADER + ip_header(&self.dst) + UDP_HEADER,
            }
    }

    pub(crate) fn is_tcp(&self) -> bool {
        matches!(self.body, Body::Tcp(_))
    }
}

/// Packets in flight, ordered by delivery time then by insertion.
/// Packets in flight, delivered in `(time, sequence number)` order so that
/// same-instant packets keep the order they were sent in.
///
/// The packets themselves sit in a slab; the heap orders small
/// `(time, seq, slot)` keys. Packets are large (two socket addresses and a
/// segment), and this queue is on the path of every packet: sifting keys
/// instead of packets, and reusing slots, keeps it free of copies and
/// allocations.
#[derive(Debug, Default)]
pub(crate) struct PacketQueue {
    order: BinaryHeap<Reverse<(Time, u64, u32)>>,
    slots: Vec<Option<Packet>>,
    free: Vec<u32>,
    next_seq: u64,
}

impl PacketQueue {
    #[inline]
    pub(crate) fn push(&mut self, at: Time, packet: Packet) {
        let slot = match self.free.pop() {
            Some(slot) => {
                self.slots[slot as usize] = Some(packet);
                slot
            }
            None => {
                self.slots.push(Some(packet));
                (self.slots.len() - 1) as u32
            }
        };
        self.order.push(Reverse((at, self.next_seq, slot)));
        self.next_seq += 1;
    }

    pub(crate) fn next_time(&self) -> Option<Time> {
        self.order.peek().map(|Reverse((at, _, _))| *at)
    }

    #[inline]
    pub(crate) fn pop_due(&mut self, now: Time) -> Option<(Time, Packet)> {
        if self.next_time()? > now {
            return None;
        }
        let Reverse((at, _, slot)) = self.order.pop()?;
        let packet = self.slots[slot as usize].take()?;
        self.free.push(slot);
        Some((at, packet))
    }

    pub(crate) fn len(&self) -> usize {
        self.order.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, SocketAddrV4};

    fn pkt(n: u8) -> Packet {
        let a = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 1));
        Packet {
            id: 0,
            from_node: NodeId(0),
            to_node: NodeId(1),
            src: a,
            dst: a,
            body: Body::Udp(vec![n]),
            route: Route::Link,
        }
    }

    #[test]
    fn ordered_by_time_then_insertion() {
        let mut q = PacketQueue::default();
        q.push(10, pkt(1));
        q.push(5, pkt(2));
        q.push(10, pkt(3));
        q.push(5, pkt(4));
        assert_eq!(q.next_time(), Some(5));
        assert!(q.pop_due(4).is_none());
        let order: Vec<u8> = std::iter::from_fn(|| q.pop_due(100))
            .map(|(_, p)| match p.body {
                Body::Udp(d) => d[0],
                Body::Tcp(_) | Body::PortUnreachable { .. } => unreachable!(),
            })
            .collect();
        assert_eq!(order, vec![2, 4, 1, 3]);
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn wire_size_counts_headers() {
        assert_eq!(pkt(0).wire_size(), 20 + 8 + 1);
    }
}
