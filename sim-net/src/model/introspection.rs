//! Introspection: counters per link and per socket, drops by reason, and the
//! list of TCP connections with their state and buffered bytes, as `ss` and
//! `netstat -s` would show them.

use super::ids::{NodeId, SocketId, Time};
use super::network::Network;
use super::socket::SocketKind;
use super::stats::{ConnectionInfo, DropCounts, LinkStats, SocketStats};

impl Network {
    /// Counters of the link `from -> to` (all zero if it never carried a packet).
    pub fn link_stats(&self, from: NodeId, to: NodeId) -> LinkStats {
        self.links
            .get(&(from, to))
            .map(|l| l.stats.clone())
            .unwrap_or_default()
    }

    /// Counters of a socket (`None` once it is gone).
    pub fn socket_stats(&self, id: SocketId) -> Option<SocketStats> {
        let e = self.sockets.get(&id)?;
        let mut s = e.stats.clone();
        if let SocketKind::Stream(c) = &e.kind {
            s.bytes_sent = c.bytes_sent;
            s.bytes_received = c.bytes_received;
            s.retransmits = c.retransmits;
            s.fast_retransmits = c.fast_retransmits();
        }
        Some(s)
    }

    /// Drops over the whole network, by reason.
    pub fn drop_counts(&self) -> &DropCounts {
        &self.drops
    }

    /// Every TCP connection (not listeners), ordered by socket id.
    pub fn connections(&self) -> Vec<ConnectionInfo> {
        self.sockets
            .iter()
            .filter_map(|(id, e)| match &e.kind {
                SocketKind::Stream(c) => Some(ConnectionInfo {
                    socket: id,
                    node: e.node,
                    local: c.app_local(),
                    remote: c.app_remote(),
                    state: c.state(),
                    send_buffered: c.send_buffered(),
                    recv_buffered: c.recv_buffered(),
                    in_flight: c.in_flight(),
                    cwnd: c.congestion_window().map(|(cwnd, _)| cwnd),
                    ssthresh: c.congestion_window().and_then(|(_, ssthresh)| ssthresh),
                    error: c.error_kind(),
                }),
                _ => None,
            })
            .collect()
    }

    /// The connection `id`, if it is a TCP stream.
    pub fn connection(&self, id: SocketId) -> Option<ConnectionInfo> {
        self.connections().into_iter().find(|c| c.socket == id)
    }

    /// Bytes queued in a UDP socket's receive buffer.
    pub fn udp_queued_bytes(&self, id: SocketId) -> Option<usize> {
        match &self.sockets.get(&id)?.kind {
            SocketKind::Udp(u) => Some(u.queued_bytes()),
            _ => None,
        }
    }

    /// Smoothed RTT of a connection, once measured.
    pub fn tcp_srtt(&self, id: SocketId) -> Option<Time> {
        match &self.sockets.get(&id)?.kind {
            SocketKind::Stream(c) => c.srtt(),
            _ => None,
        }
    }
}
