//! The options a socket carries into `bind`, which decide what it serves
//! and with whom it shares a port: `IPV6_V6ONLY` and `SO_REUSEPORT`.
//!
//! A socket's options are fixed when the model makes it (at `bind`, `listen`
//! or `connect`, or a UDP socket's implicit bind), from the ones in force
//! around that call ([`Network::with_bind_options`]); an accepted
//! connection inherits its listener's, as on Linux.

use std::hash::Hasher;
use std::net::SocketAddr;

use super::ids::SocketId;
use super::network::Network;

/// Per-socket options that take effect at `bind`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BindOptions {
    /// `IPV6_V6ONLY`: an IPv6 socket that takes no IPv4. A v6-only `[::]`
    /// socket shares its port with IPv4 sockets; a dual-stack one serves
    /// IPv4 too and holds the port for it. Its default is
    /// [`NetConfig::bindv6only`](super::NetConfig::bindv6only).
    pub v6only: bool,
    /// `SO_REUSEPORT`: sockets that all set it may bind the same address and
    /// port; each connection (TCP) or datagram (UDP) goes to one of them,
    /// chosen by a hash of its addresses keyed by the network's seed (Linux
    /// keys it with a secret drawn at boot): one flow, one socket.
    pub reuse_port: bool,
}

impl Network {
    /// Runs `f` with `options` for every socket it makes: Linux's per-socket
    /// `IPV6_V6ONLY` and `SO_REUSEPORT`, set before `bind`. Outside it a new
    /// socket is dual stack unless [`NetConfig::bindv6only`](super::NetConfig::bindv6only),
    /// and shares no port.
    pub fn with_bind_options<R>(
        &mut self,
        options: BindOptions,
        f: impl FnOnce(&mut Self) -> R,
    ) -> R {
        let outer = self.creating.replace(options);
        let r = f(self);
        self.creating = outer;
        r
    }

    /// The options of a socket made now.
    pub(crate) fn new_socket_options(&self) -> BindOptions {
        self.creating.unwrap_or(BindOptions {
            v6only: self.cfg.bindv6only,
            reuse_port: false,
        })
    }

    /// `IPV6_V6ONLY` of a socket made now.
    pub(crate) fn new_socket_v6only(&self) -> bool {
        self.new_socket_options().v6only
    }

    /// The options of socket `id` (a new socket's for one that is gone).
    pub(crate) fn socket_options(&self, id: SocketId) -> BindOptions {
        self.sockets
            .get(&id)
            .map_or_else(|| self.new_socket_options(), |e| e.options)
    }

    /// `IPV6_V6ONLY` of socket `id`.
    pub(crate) fn socket_v6only(&self, id: SocketId) -> bool {
        self.socket_options(id).v6only
    }
}

/// Which of the `n` sockets of a `SO_REUSEPORT` group (in bind order) takes
/// what `from` sends to `to`. Linux hashes the addresses with a secret drawn
/// at boot; here the secret is the network's seed, so one flow always lands
/// on one socket, flows spread over the group, and which flow goes where
/// replays with the seed and changes with it.
pub(crate) fn reuseport_pick(seed: u64, from: SocketAddr, to: SocketAddr, n: usize) -> usize {
    if n <= 1 {
        return 0;
    }
    let mut h = Fnv(0xcbf2_9ce4_8422_2325 ^ seed);
    for addr in [from, to] {
        match addr.ip() {
            std::net::IpAddr::V4(ip) => h.write(&ip.octets()),
            std::net::IpAddr::V6(ip) => h.write(&ip.octets()),
        }
        h.write(&addr.port().to_be_bytes());
    }
    (h.finish() % n as u64) as usize
}

/// FNV-1a: small and stable across Rust releases (std's `DefaultHasher` is
/// not promised to be), which replay needs.
struct Fnv(u64);

impl Hasher for Fnv {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flow_keeps_its_socket_and_flows_spread_over_the_group() {
        let to: SocketAddr = "10.0.0.1:80".parse().unwrap();
        let from = |port: u16| SocketAddr::from(([10, 0, 0, 2], port));
        assert_eq!(reuseport_pick(7, from(5000), to, 1), 0);
        let picks: Vec<usize> = (0..64)
            .map(|p| reuseport_pick(7, from(40000 + p), to, 4))
            .collect();
        assert!(picks.iter().all(|&i| i < 4));
        for i in 0..4 {
            assert!(picks.contains(&i), "socket {i} never picked: {picks:?}");
        }
        let again: Vec<usize> = (0..64)
            .map(|p| reuseport_pick(7, from(40000 + p), to, 4))
            .collect();
        assert_eq!(picks, again);
        let other: Vec<usize> = (0..64)
            .map(|p| reuseport_pick(8, from(40000 + p), to, 4))
            .collect();
        assert_ne!(picks, other, "another seed spreads the flows otherwise");
    }
}
