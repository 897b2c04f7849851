//! ICMP "port unreachable": how a UDP sender learns that nothing listens.
//!
//! A unicast datagram that reaches a live node where no socket takes it is
//! answered with a port-unreachable message. It travels back like any
//! packet: over the reverse link with its latency, loss and partitions (or
//! loopback). A crashed node sends nothing; its datagrams are dropped
//! silently, as they would be on the wire.
//!
//! As on Linux (without `IP_RECVERR`), only a *connected* socket whose peer
//! is the unreachable address hears of it: its pending error becomes
//! `ConnectionRefused`, which the next send, receive or peek reports once
//! (and clears), and `take_error` returns. Unconnected sockets never see
//! it. Broadcast and multicast datagrams are never answered.

use std::net::SocketAddr;

use super::dual_stack::{matches, unmap};
use super::ids::Time;
use super::network::Network;
use super::node::Proto;
use super::notify::Readiness;
use super::packet::{Body, Packet, Route};
use super::socket::SocketKind;

impl Network {
    /// Answers `datagram`, which no socket of its node took.
    pub(crate) fn send_port_unreachable(&mut self, now: Time, datagram: &Packet) {
        let route = match datagram.route {
            Route::Link => Route::Link,
            Route::Loopback => Route::Loopback,
            // Injected connections are TCP only.
            Route::Direct(_) => return,
        };
        self.send_packet(
            now,
            Packet {
                id: 0,
                from_node: datagram.to_node,
                to_node: datagram.from_node,
                src: SocketAddr::new(datagram.dst.ip(), 0),
                dst: datagram.src,
                body: Body::PortUnreachable {
                    original_dst: datagram.dst,
                },
                route,
            },
        );
    }

    /// A port-unreachable message reached the datagram's sender: the socket
    /// connected to the unreachable address gets `ConnectionRefused`.
    pub(crate) fn port_unreachable_deliver(&mut self, packet: Packet) {
        let Body::PortUnreachable { original_dst } = packet.body else {
            return;
        };
        let (node, sender) = (packet.to_node, packet.dst);
        let Some(bound) = self.bindings.get(&(node, Proto::Udp, sender.port())) else {
            return;
        };
        let mut refused = Vec::new();
        for &id in bound {
            let Some(entry) = self.sockets.get(&id) else {
                continue;
            };
            let SocketKind::Udp(u) = &entry.kind else {
                continue;
            };
            let same_local = matches(u.local, sender.ip(), entry.options.v6only).is_some();
            if same_local && u.peer.map(unmap) == Some(original_dst) {
                refused.push(id);
            }
        }
        for id in refused {
            if let Ok(u) = self.udp_mut(id) {
                u.error = Some(std::io::ErrorKind::ConnectionRefused);
            }
            // Waiters in `recv` or `readable` must come back for the error.
            self.notify(id, Readiness::Readable);
            self.notify(id, Readiness::Writable);
        }
    }
}
