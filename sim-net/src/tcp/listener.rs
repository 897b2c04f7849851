//! [`TcpListener`]: accepts simulated TCP connections.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll};

use crate::addr::{resolve, ToSocketAddrs};
use crate::model::{InjectedError, SocketId};
use crate::state::{Interest, NetState};
use crate::tcp::stream::{check_ttl, DEFAULT_TTL};
use crate::TcpStream;

/// The accept backlog tokio uses for `TcpListener::bind`.
const BACKLOG: usize = 1024;

/// A TCP socket listening for connections, like `tokio::net::TcpListener`.
#[derive(Debug)]
pub struct TcpListener {
    id: SocketId,
    /// `IP_TTL`, which accepted streams inherit (recorded only).
    ttl: AtomicU32,
}

impl TcpListener {
    pub(crate) fn from_id(id: SocketId) -> TcpListener {
        TcpListener {
            id,
            ttl: AtomicU32::new(DEFAULT_TTL),
        }
    }

    /// Listens on the first of `addr`'s addresses that works. `0.0.0.0:p`
    /// listens on every IPv4 address of the host; `[::]:p` on every IPv6
    /// one and, dual stack as on Linux, on every IPv4 one too: connections
    /// made to an IPv4 address are accepted with IPv4-mapped addresses
    /// (`[::ffff:10.0.0.2]:49152`), unless
    /// [`NetBuilder::bindv6only`](crate::NetBuilder::bindv6only) is set. An
    /// IPv4-mapped address (`[::ffff:10.0.0.1]:80`) listens on that IPv4
    /// address. Port 0 picks an ephemeral port.
    ///
    /// Errors: `AddrInUse` if the port is taken (a dual-stack `[::]:p` and
    /// any IPv4 binding of `p` exclude each other), `AddrNotAvailable` if
    /// the host does not have the address, `InvalidInput` for a mapped
    /// address with `bindv6only`; outside a host, an error saying so.
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<TcpListener> {
        let state = NetState::current()?;
        let node = state.current_node("TcpListener::bind")?;
        let mut last = None;
        for a in resolve(addr)? {
            match state.op(|m, now| m.tcp_listen(now, node, a, BACKLOG)) {
                Ok(id) => return Ok(TcpListener::from_id(id)),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no address to bind")))
    }

    /// Waits for the next connection: the stream and the peer's address
    /// (IPv4-mapped for an IPv4 client of a `[::]` listener).
    pub async fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        poll_fn(|cx| self.poll_accept(cx)).await
    }

    /// Polls for a connection (for `Listener` traits of other crates).
    pub fn poll_accept(&self, cx: &mut Context<'_>) -> Poll<io::Result<(TcpStream, SocketAddr)>> {
        let state = match NetState::current() {
            Ok(s) => s,
            Err(e) => return Poll::Ready(Err(e)),
        };
        state
            .poll_op(cx, self.id, Interest::Read, |m, now| {
                m.tcp_accept(now, self.id)
            })
            .map_ok(|(id, peer)| {
                let stream = TcpStream::from_id(id);
                stream
                    .ttl
                    .store(self.ttl.load(Ordering::Relaxed), Ordering::Relaxed);
                (stream, peer)
            })
    }

    /// `IP_TTL` of the listener, which accepted streams inherit, as on
    /// Linux (64 by default).
    pub fn ttl(&self) -> io::Result<u32> {
        Ok(self.ttl.load(Ordering::Relaxed))
    }

    /// Sets `IP_TTL`: 1 to 255, as Linux accepts; `InvalidInput` otherwise.
    /// Recorded only: the network is one hop deep, so any TTL delivers.
    pub fn set_ttl(&self, ttl: u32) -> io::Result<()> {
        check_ttl(ttl)?;
        self.ttl.store(ttl, Ordering::Relaxed);
        Ok(())
    }

    /// The address this listener is bound to.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        NetState::current()?.model.borrow().local_addr(self.id)
    }

    /// Makes the listener accept a connection that appears to come from
    /// `from`, without any client host: the returned stream is the other end
    /// (usable from the test or from any host). For allow-list tests. An
    /// IPv4 `from` into a `[::]` listener is accepted as a real IPv4 client
    /// would be: `accept` reports it IPv4-mapped.
    pub fn inject_connection(&self, from: SocketAddr) -> io::Result<TcpStream> {
        let state = NetState::current()?;
        let id = state.op(|m, now| m.inject_connection(now, self.id, from))?;
        Ok(TcpStream::from_id(id))
    }

    /// Makes `accept` fail with `err` until cleared with `None` (Go's
    /// nettest `SetAcceptError`). The error reaches the caller as a normal
    /// `io::Error`.
    pub fn set_accept_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        let s = NetState::current()?;
        s.op(|m, _| m.set_accept_error(self.id, err.clone()))?;
        s.note_socket_fault("set_accept_error", self.id, &err);
        Ok(())
    }

    /// Makes [`TcpListener::close`] fail with `err` (Go's nettest `SetCloseError`).
    pub fn set_close_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        let s = NetState::current()?;
        s.op(|m, _| m.set_close_error(self.id, err.clone()))?;
        s.note_socket_fault("set_close_error", self.id, &err);
        Ok(())
    }

    /// Whether `accept` would return at once (without blocking).
    pub fn can_accept(&self) -> bool {
        NetState::current().is_ok_and(|s| s.model.borrow().can_accept(self.id))
    }

    /// Whether the listener has been closed.
    pub fn is_closed(&self) -> bool {
        NetState::current().is_ok_and(|s| s.model.borrow().is_closed(self.id))
    }

    /// Closes the listener, reporting an injected close error if one is set.
    pub fn close(self) -> io::Result<()> {
        let id = self.id;
        std::mem::forget(self);
        close_socket(id)
    }
}

/// Closes socket `id` and forgets its waiters.
pub(crate) fn close_socket(id: SocketId) -> io::Result<()> {
    let state = NetState::current()?;
    state.forget(id);
    if sim_core::host_stopping() {
        // Dropped with its host's tasks, in tokio's order, which the seed
        // does not decide: the network closes every socket of a stopped
        // host itself, in socket order (crashed hosts' sockets are gone).
        return Ok(());
    }
    state.op(|m, now| m.close(now, id))
}

impl Drop for TcpListener {
    fn drop(&mut self) {
        // Outside the simulation (or after a crash removed it) there is
        // nothing left to close.
        let _ = close_socket(self.id);
    }
}
