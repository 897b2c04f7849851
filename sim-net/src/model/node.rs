//! A node: a host's kernel as the network sees it (addresses, up/down, sockets).

use std::collections::BTreeSet;
use std::net::IpAddr;

use rand_chacha::ChaCha20Rng;

use super::ids::SocketId;

/// Transport protocol of a port binding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Proto {
    Udp,
    Tcp,
}

/// One node.
#[derive(Debug)]
pub(crate) struct Node {
    pub name: String,
    pub addrs: Vec<IpAddr>,
    pub up: bool,
    /// Initial sequence numbers; its own stream so TCP traffic on one node does not
    /// shift another node's choices.
    pub rng: ChaCha20Rng,
    pub sockets: BTreeSet<SocketId>,
    /// Next ephemeral port to try, per protocol (deterministic round robin).
    pub next_udp_port: u16,
    pub next_tcp_port: u16,
}

impl Node {
    pub(crate) fn new(seed: u64, name: &str, addrs: Vec<IpAddr>, first_port: u16) -> Self {
        Node {
            name: name.to_string(),
            addrs,
            up: true,
            rng: sim_core::rng::stream(seed, &format!("node:{name}")),
            sockets: BTreeSet::new(),
            next_udp_port: first_port,
            next_tcp_port: first_port,
        }
    }

    /// The node's first address of the same family as `like`.
    pub(crate) fn addr_like(&self, like: IpAddr) -> Option<IpAddr> {
        self.addrs
            .iter()
            .copied()
            .find(|a| a.is_ipv4() == like.is_ipv4())
    }

    /// Whether a socket of this node may bind `ip`.
    pub(crate) fn may_bind(&self, ip: IpAddr) -> bool {
        ip.is_unspecified() || ip.is_loopback() || self.addrs.contains(&ip)
    }

    /// Its addresses, for error messages.
    pub(crate) fn addr_list(&self) -> String {
        let v: Vec<String> = self.addrs.iter().map(|a| a.to_string()).collect();
        v.join(", ")
    }
}
