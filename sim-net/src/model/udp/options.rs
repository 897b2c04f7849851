//! UDP socket options that change no packet but are part of tokio's API:
//! the pending error (`SO_ERROR`), TTLs and the multicast loop.

use std::io;

use crate::model::ids::SocketId;
use crate::model::network::Network;

impl Network {
    /// Takes the socket's pending error (`SO_ERROR`): `Ok(None)` if none.
    /// Reading it clears it, as on Linux.
    pub fn udp_take_error(&mut self, id: SocketId) -> io::Result<Option<io::Error>> {
        Ok(self.udp_mut(id)?.take_error().err())
    }

    /// Whether UDP socket `id` holds an error (an ICMP port unreachable)
    /// for its next operation; `false` for any other socket.
    pub fn udp_error_pending(&self, id: SocketId) -> bool {
        self.udp(id).is_ok_and(|u| u.error.is_some())
    }

    /// Sets `IP_MULTICAST_LOOP` (`v6`: `IPV6_MULTICAST_LOOP`): whether
    /// multicast sent from this socket reaches members on its own node.
    pub fn udp_set_multicast_loop(&mut self, id: SocketId, v6: bool, on: bool) -> io::Result<()> {
        let u = self.udp_mut(id)?;
        if v6 {
            u.multicast_loop_v6 = on;
        } else {
            u.multicast_loop_v4 = on;
        }
        Ok(())
    }

    /// The multicast loop setting for IPv4 (`v6`: IPv6).
    pub fn udp_multicast_loop(&self, id: SocketId, v6: bool) -> io::Result<bool> {
        let u = self.udp(id)?;
        Ok(if v6 {
            u.multicast_loop_v6
        } else {
            u.multicast_loop_v4
        })
    }

    /// Sets `IP_MULTICAST_TTL`. The network has no routers, so only 0 changes
    /// delivery: IPv4 multicast then stays on the sending node.
    /// `InvalidInput` above 255, as Linux's `EINVAL`.
    pub fn udp_set_multicast_ttl_v4(&mut self, id: SocketId, ttl: u32) -> io::Result<()> {
        check_ttl(ttl)?;
        self.udp_mut(id)?.multicast_ttl_v4 = ttl;
        Ok(())
    }

    /// The IPv4 multicast TTL (1 by default, as on Linux).
    pub fn udp_multicast_ttl_v4(&self, id: SocketId) -> io::Result<u32> {
        Ok(self.udp(id)?.multicast_ttl_v4)
    }

    /// Sets `IP_TTL`: recorded and reported only (no hop counts here).
    /// `InvalidInput` for 0 or above 255, as Linux's `EINVAL`.
    pub fn udp_set_ttl(&mut self, id: SocketId, ttl: u32) -> io::Result<()> {
        if ttl == 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "a unicast TTL of 0 is invalid (1 to 255)",
            ));
        }
        check_ttl(ttl)?;
        self.udp_mut(id)?.ttl = ttl;
        Ok(())
    }

    /// The unicast TTL (64 by default, as on Linux).
    pub fn udp_ttl(&self, id: SocketId) -> io::Result<u32> {
        Ok(self.udp(id)?.ttl)
    }
}

fn check_ttl(ttl: u32) -> io::Result<()> {
    if ttl > 255 {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("TTL {ttl} is above 255"),
        ));
    }
    Ok(())
}
