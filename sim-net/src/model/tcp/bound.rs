//! TCP sockets bound before they connect or listen (`TcpSocket::bind`).
//!
//! On Linux, `bind(2)` takes the port at once: a second socket binding it
//! gets `EADDRINUSE` even though the first neither connects nor listens yet,
//! and port 0 is given its ephemeral port then (`getsockname` shows it). The
//! model keeps such a socket in the table as [`SocketKind::Bound`], holding
//! its port, until it becomes a connection or a listener (which takes the
//! port over in the same operation) or is closed.

use std::io;
use std::net::SocketAddr;

use crate::model::ids::{NodeId, SocketId, Time};
use crate::model::network::Network;
use crate::model::node::Proto;
use crate::model::socket::SocketKind;

impl Network {
    /// Binds a TCP socket of `node` to `addr` (port 0: a free ephemeral port,
    /// chosen now) and holds the port until the socket connects, listens or
    /// closes. `addr` is kept as given (`[::]`, an IPv4-mapped address: see
    /// `addrs`). `AddrNotAvailable` if the node does not have the address,
    /// `AddrInUse` if a socket holds the port for an overlapping address
    /// (connections in TIME_WAIT do not count with `reuse_addr`).
    pub fn tcp_bind(
        &mut self,
        now: Time,
        node: NodeId,
        addr: SocketAddr,
        reuse_addr: bool,
    ) -> io::Result<SocketId> {
        self.bind_new_socket(now, node, Proto::Tcp, addr, reuse_addr, SocketKind::Bound)
    }

    /// Releases the bound socket `id` and returns its address, for a
    /// connection or listener to take over in the same operation (nothing
    /// can take the port in between). `InvalidInput` if `id` is not a bound
    /// socket; `NotConnected` if it is gone (its host crashed).
    pub fn tcp_take_bound(&mut self, id: SocketId) -> io::Result<SocketAddr> {
        match self.entry(id)?.kind {
            SocketKind::Bound(local) => {
                self.remove_socket(id);
                Ok(local)
            }
            _ => Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{id} is not a bound TCP socket"),
            )),
        }
    }
}
