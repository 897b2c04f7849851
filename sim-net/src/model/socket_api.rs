//! The calls every socket kind answers: addresses, close, injected faults
//! and non-blocking readiness checks.

use std::io;
use std::net::SocketAddr;

use super::fault::{FaultOp, InjectedError};
use super::ids::SocketId;
use super::ids::{NodeId, Time};
use super::network::Network;
use super::notify::Readiness;
use super::socket::{closed_socket, local_addr_of, SocketKind};

impl Network {
    /// The node a socket belongs to.
    pub fn socket_node(&self, id: SocketId) -> Option<NodeId> {
        self.sockets.get(&id).map(|e| e.node)
    }

    /// The local address of any socket, as the application sees it: a TCP
    /// connection of an IPv6 socket talking IPv4 (dual stack) shows the
    /// IPv4-mapped form, `[::ffff:10.0.0.1]:80`.
    pub fn local_addr(&self, id: SocketId) -> io::Result<SocketAddr> {
        match &self.entry(id)?.kind {
            SocketKind::Stream(c) => Ok(c.app_local()),
            kind => local_addr_of(kind).ok_or_else(|| closed_socket(id)),
        }
    }

    /// The peer of a TCP stream or of a connected UDP socket (IPv4-mapped
    /// like [`local_addr`](Self::local_addr)'s).
    pub fn peer_addr(&self, id: SocketId) -> io::Result<SocketAddr> {
        let not_connected = || {
            io::Error::new(
                io::ErrorKind::NotConnected,
                format!("{id} is not connected"),
            )
        };
        match &self.entry(id)?.kind {
            SocketKind::Stream(c) => Ok(c.app_remote()),
            SocketKind::Udp(u) => u.peer.ok_or_else(not_connected),
            SocketKind::Listener(_) | SocketKind::Bound(_) => Err(not_connected()),
        }
    }

    /// Closes (drops) any socket. A TCP stream sends FIN after its queued data, or
    /// RST if received data was never read; a listener resets the connections it
    /// had not handed out yet. An injected close error is returned, but the socket
    /// is closed all the same (as `close(2)` releases the descriptor on error).
    pub fn close(&mut self, now: Time, id: SocketId) -> io::Result<()> {
        self.touch(now);
        let entry = self.entry_mut(id)?;
        let injected = entry.faults.check(FaultOp::Close);
        match &mut entry.kind {
            SocketKind::Udp(_) => {
                self.notify(id, Readiness::Closed);
                self.remove_socket(id);
            }
            SocketKind::Bound(_) => self.remove_socket(id),
            SocketKind::Listener(l) => {
                let children = l.children();
                for child in children {
                    if let Some(SocketKind::Stream(c)) =
                        self.sockets.get_mut(&child).map(|e| &mut e.kind)
                    {
                        c.abort(now);
                    }
                    self.flush_conn(now, child);
                }
                self.notify(id, Readiness::Closed);
                self.remove_socket(id);
            }
            SocketKind::Stream(c) => {
                c.close(now);
                self.flush_conn(now, id);
            }
        }
        injected
    }

    /// Sets (or clears with `None`) the error returned by operations `op` of a
    /// socket until cleared.
    pub fn set_fault(
        &mut self,
        id: SocketId,
        op: FaultOp,
        err: Option<InjectedError>,
    ) -> io::Result<()> {
        self.entry_mut(id)?.faults.set(op, err);
        // Waiters must come back and see the error.
        let readiness = match op {
            FaultOp::Read => Readiness::Readable,
            FaultOp::Write => Readiness::Writable,
            FaultOp::Accept => Readiness::Acceptable,
            FaultOp::Close => return Ok(()),
        };
        self.notify(id, readiness);
        Ok(())
    }

    /// Error for the next reads (`read`, `recv_from`) until cleared.
    pub fn set_read_error(&mut self, id: SocketId, err: Option<InjectedError>) -> io::Result<()> {
        self.set_fault(id, FaultOp::Read, err)
    }

    /// Error for the next writes (`write`, `send_to`) until cleared.
    pub fn set_write_error(&mut self, id: SocketId, err: Option<InjectedError>) -> io::Result<()> {
        self.set_fault(id, FaultOp::Write, err)
    }

    /// Error for the next accepts until cleared (one of a connection's
    /// kinds, such as `ConnectionAborted`, only with a connection queued,
    /// which it takes and resets: see [`crate::SocketExt::set_accept_error`]).
    pub fn set_accept_error(&mut self, id: SocketId, err: Option<InjectedError>) -> io::Result<()> {
        self.set_fault(id, FaultOp::Accept, err)
    }

    /// Error that the next close reports until cleared.
    pub fn set_close_error(&mut self, id: SocketId, err: Option<InjectedError>) -> io::Result<()> {
        self.set_fault(id, FaultOp::Close, err)
    }

    /// A read (or `recv_from`) would not return `WouldBlock`.
    pub fn can_read(&self, id: SocketId) -> bool {
        // An injected read error is returned at once: a read would not block,
        // and a task waiting in `readable()` must wake to meet it (without
        // this, `readable()` stayed pending forever after `set_read_error`).
        if self.has_fault(id, FaultOp::Read) {
            return true;
        }
        match self.sockets.get(&id).map(|e| &e.kind) {
            Some(SocketKind::Stream(c)) => c.can_read(),
            Some(SocketKind::Udp(u)) => u.can_read(),
            Some(SocketKind::Listener(l)) => !l.accept_queue.is_empty(),
            Some(SocketKind::Bound(_)) => false,
            None => true,
        }
    }

    /// A write would not return `WouldBlock` (UDP sockets are always writable).
    pub fn can_write(&self, id: SocketId) -> bool {
        // As for reads: an injected write error is returned at once.
        if self.has_fault(id, FaultOp::Write) {
            return true;
        }
        match self.sockets.get(&id).map(|e| &e.kind) {
            Some(SocketKind::Stream(c)) => c.can_write(),
            Some(SocketKind::Udp(_)) => true,
            Some(SocketKind::Listener(_) | SocketKind::Bound(_)) => false,
            None => true,
        }
    }

    /// Whether an injected error is set for `op` on socket `id`.
    pub fn has_fault(&self, id: SocketId, op: FaultOp) -> bool {
        self.sockets.get(&id).is_some_and(|e| e.faults.is_set(op))
    }

    /// An injected accept error that `accept` returns with no connection
    /// queued (`EMFILE`-like, not one of a connection's errors).
    pub fn accept_fails_unqueued(&self, id: SocketId) -> bool {
        self.sockets.get(&id).is_some_and(|e| {
            e.faults.is_set(FaultOp::Accept) && !e.faults.accept_error_takes_connection()
        })
    }

    /// A connection is waiting to be accepted (an injected accept error does
    /// not count: this says whether `accept` would hand out a connection).
    pub fn can_accept(&self, id: SocketId) -> bool {
        match self.sockets.get(&id).map(|e| &e.kind) {
            Some(SocketKind::Listener(l)) => !l.accept_queue.is_empty(),
            _ => false,
        }
    }

    /// The socket is gone, failed, or (TCP) finished in both directions.
    pub fn is_closed(&self, id: SocketId) -> bool {
        match self.sockets.get(&id).map(|e| &e.kind) {
            Some(SocketKind::Stream(c)) => c.is_closed(),
            Some(_) => false,
            None => true,
        }
    }
}

/// What `poll(2)` reports for a TCP stream, in the model's terms.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StreamPoll {
    /// A read would not block (data, EOF, an error, an injected read error).
    pub readable: bool,
    /// A write would not block (connected with buffer space, or failed).
    pub writable: bool,
    /// The peer finished sending (its FIN arrived), or the stream failed.
    pub read_closed: bool,
    /// Closed in both directions, failed, or reset.
    pub hung_up: bool,
    /// The connection failed (refused, reset, timed out).
    pub failed: bool,
    /// The handshake has not finished (and not failed) yet.
    pub connecting: bool,
}

impl Network {
    /// Poll flags of TCP stream `id`; `None` if it is not a stream (a
    /// socket gone with its crashed node, for one).
    pub fn tcp_poll(&self, id: SocketId) -> Option<StreamPoll> {
        // One lookup: this runs for every event a host's epoll reports.
        let entry = self.sockets.get(&id)?;
        let SocketKind::Stream(c) = &entry.kind else {
            return None;
        };
        let failed = c.error_kind().is_some();
        Some(StreamPoll {
            readable: c.can_read() || entry.faults.is_set(FaultOp::Read),
            writable: c.can_write() || entry.faults.is_set(FaultOp::Write),
            read_closed: c.fin_received() || failed,
            hung_up: c.is_closed(),
            failed,
            connecting: c.connect_result().is_err() && !failed,
        })
    }
}
