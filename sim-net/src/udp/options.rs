//! A `UdpSocket`'s options and status: the pending error (`SO_ERROR`),
//! TTLs and the multicast loop, as tokio has them and Linux answers them.

use std::io;

use super::{state, UdpSocket};

impl UdpSocket {
    /// Takes the pending error (`SO_ERROR`), clearing it: `ConnectionRefused`
    /// after an ICMP port unreachable came back for this connected socket.
    pub fn take_error(&self) -> io::Result<Option<io::Error>> {
        state()?.op(|m, _| m.udp_take_error(self.id))
    }

    /// `IP_TTL`: recorded and reported; the simulated network has no hops.
    /// `InvalidInput` for 0 or above 255.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        state()?.op(|m, _| m.udp_set_ttl(self.id, ttl))
    }

    /// The unicast TTL (64 by default, as on Linux).
    pub fn ttl(&self) -> io::Result<u32> {
        state()?.model.borrow().udp_ttl(self.id)
    }

    /// `IP_MULTICAST_LOOP`: whether IPv4 multicast sent from this socket
    /// reaches group members on this host (the sender included, if it
    /// joined). On by default, as on Linux.
    pub fn set_multicast_loop_v4(&self, on: bool) -> io::Result<()> {
        state()?.op(|m, _| m.udp_set_multicast_loop(self.id, false, on))
    }

    /// The IPv4 multicast loop setting.
    pub fn multicast_loop_v4(&self) -> io::Result<bool> {
        state()?.model.borrow().udp_multicast_loop(self.id, false)
    }

    /// `IPV6_MULTICAST_LOOP`, as [`set_multicast_loop_v4`](Self::set_multicast_loop_v4)
    /// for IPv6.
    pub fn set_multicast_loop_v6(&self, on: bool) -> io::Result<()> {
        state()?.op(|m, _| m.udp_set_multicast_loop(self.id, true, on))
    }

    /// The IPv6 multicast loop setting.
    pub fn multicast_loop_v6(&self) -> io::Result<bool> {
        state()?.model.borrow().udp_multicast_loop(self.id, true)
    }

    /// `IP_MULTICAST_TTL`. There are no routers, so only 0 changes delivery:
    /// IPv4 multicast then reaches this host's members only. 1 by default;
    /// `InvalidInput` above 255.
    pub fn set_multicast_ttl_v4(&self, ttl: u32) -> io::Result<()> {
        state()?.op(|m, _| m.udp_set_multicast_ttl_v4(self.id, ttl))
    }

    /// The IPv4 multicast TTL.
    pub fn multicast_ttl_v4(&self) -> io::Result<u32> {
        state()?.model.borrow().udp_multicast_ttl_v4(self.id)
    }
}
