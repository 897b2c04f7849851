//! The socket table entry shared by all socket kinds.

use super::BindOptions;
use std::io;
use std::net::SocketAddr;

use super::fault::SocketFaults;
use super::ids::{NodeId, SocketId, Time};
use super::stats::SocketStats;
use super::tcp::conn::TcpConn;
use super::tcp::listener::TcpListener;
use super::udp::socket::UdpSocket;

/// What a socket is.
#[derive(Debug)]
pub(crate) enum SocketKind {
    Udp(UdpSocket),
    /// A TCP socket bound to an address, neither connecting nor listening
    /// yet (`TcpSocket::bind`): it holds its port, as on Linux.
    Bound(SocketAddr),
    Listener(TcpListener),
    Stream(Box<TcpConn>),
}

/// One socket with its owner, injected faults, counters and indexed timer.
#[derive(Debug)]
pub(crate) struct SocketEntry {
    pub node: NodeId,
    pub kind: SocketKind,
    pub faults: SocketFaults,
    pub stats: SocketStats,
    /// The deadline under which this socket sits in the network's timer
    /// index: the authority, which the index's entries are checked against
    /// (see `timer_index`). Changed only through `TimerIndex::set`.
    pub timer: Option<Time>,
    /// `IPV6_V6ONLY` and `SO_REUSEPORT`, fixed when it was made.
    pub options: BindOptions,
}

impl SocketEntry {
    pub(crate) fn new(node: NodeId, kind: SocketKind, options: BindOptions) -> Self {
        SocketEntry {
            node,
            kind,
            options,
            faults: SocketFaults::default(),
            stats: SocketStats::default(),
            timer: None,
        }
    }
}

/// The local address of any socket kind.
pub(crate) fn local_addr_of(kind: &SocketKind) -> Option<SocketAddr> {
    Some(match kind {
        SocketKind::Udp(u) => u.local,
        SocketKind::Listener(l) => l.local,
        SocketKind::Bound(local) => *local,
        SocketKind::Stream(c) => c.local,
    })
}

/// The error for an operation on a socket that no longer exists.
pub(crate) fn closed_socket(id: SocketId) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotConnected,
        format!("{id} is closed (or its node crashed)"),
    )
}
