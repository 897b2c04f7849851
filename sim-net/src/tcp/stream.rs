//! [`TcpStream`]: a simulated TCP connection with tokio's API.

use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::addr::{resolve, ToSocketAddrs};
use crate::model::{InjectedError, Keepalive, SocketId};
use crate::state::{Interest, NetState};
use crate::tcp::listener::close_socket;
use crate::tcp::split::{self, OwnedReadHalf, OwnedWriteHalf, ReadHalf, WriteHalf};

/// A TCP connection on the simulated network, like `tokio::net::TcpStream`.
///
/// Dropping it closes the connection as the kernel would: FIN after the
/// queued data, or RST if received data was left unread.
#[derive(Debug)]
pub struct TcpStream {
    pub(super) id: SocketId,
    nodelay: AtomicBool,
    /// `IP_TTL`, recorded (see [`TcpStream::set_ttl`]).
    pub(super) ttl: AtomicU32,
}

/// Linux's default `IP_TTL`.
pub(super) const DEFAULT_TTL: u32 = 64;

/// `InvalidInput` unless `ttl` is 1 to 255, the values Linux accepts for
/// `IP_TTL`.
pub(super) fn check_ttl(ttl: u32) -> io::Result<()> {
    if !(1..=255).contains(&ttl) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("IP_TTL must be 1 to 255, got {ttl}"),
        ));
    }
    Ok(())
}

pub(super) fn state() -> io::Result<std::rc::Rc<NetState>> {
    NetState::current()
}

pub(super) fn ready<T>(
    r: io::Result<std::rc::Rc<NetState>>,
    f: impl FnOnce(&NetState) -> Poll<io::Result<T>>,
) -> Poll<io::Result<T>> {
    match r {
        Ok(s) => f(&s),
        Err(e) => Poll::Ready(Err(e)),
    }
}

/// Opens a connecting socket from the current host's node to `remote`.
fn start_connect(remote: SocketAddr) -> io::Result<SocketId> {
    let state = state()?;
    let node = state.current_node("TcpStream::connect")?;
    state.op(|m, now| m.tcp_connect(now, node, remote))
}

/// Ready once the handshake of `id` finished or failed.
pub(super) fn poll_connected(cx: &mut Context<'_>, id: SocketId) -> Poll<io::Result<()>> {
    ready(state(), |s| {
        s.poll_op(cx, id, Interest::Write, |m, _| m.tcp_connect_result(id))
    })
}

impl TcpStream {
    pub(crate) fn from_id(id: SocketId) -> TcpStream {
        TcpStream {
            id,
            nodelay: AtomicBool::new(false),
            ttl: AtomicU32::new(DEFAULT_TTL),
        }
    }

    /// Connects to the first of `addr`'s addresses that accepts. An
    /// IPv4-mapped address (`[::ffff:10.0.0.1]:80`) connects over IPv4, as
    /// an IPv6 socket on Linux does, and the stream's addresses show mapped
    /// (with [`NetBuilder::bindv6only`](crate::NetBuilder::bindv6only) set,
    /// it fails with `NetworkUnreachable` instead).
    ///
    /// Fails with `ConnectionRefused` after one round trip if the host is up
    /// but nothing listens, `TimedOut` after SYN retries if the host is
    /// unreachable (partitioned or crashed), and a `HostUnreachable` error
    /// naming the address if no host has it.
    pub async fn connect(addr: impl ToSocketAddrs) -> io::Result<TcpStream> {
        // Nothing that is not `Send` lives across an await here (the network
        // state is looked up on every poll), so the future is `Send` like
        // tokio's and can be handed to tonic, hyper or `tokio::spawn`.
        let mut last = None;
        for remote in resolve(addr)? {
            let id = match start_connect(remote) {
                Ok(id) => id,
                Err(e) => {
                    last = Some(e);
                    continue;
                }
            };
            let stream = TcpStream::from_id(id);
            match poll_fn(|cx| poll_connected(cx, id)).await {
                Ok(()) => return Ok(stream),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no address to connect to")))
    }

    /// The local address of the connection; IPv4-mapped for an IPv6 socket
    /// talking IPv4 (accepted by a `[::]` listener, or connected to a
    /// mapped address).
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        state()?.model.borrow().local_addr(self.id)
    }

    /// The peer's address, IPv4-mapped like [`local_addr`](Self::local_addr)'s.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        state()?.model.borrow().peer_addr(self.id)
    }

    /// Records `TCP_NODELAY`. The model sends every write at once anyway
    /// (there is no Nagle delay to turn off), so this changes no timing.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.nodelay.store(nodelay, Ordering::Relaxed);
        Ok(())
    }

    /// The value last given to [`TcpStream::set_nodelay`].
    pub fn nodelay(&self) -> io::Result<bool> {
        Ok(self.nodelay.load(Ordering::Relaxed))
    }

    /// Fails the connection with `TimedOut` if sent data stays unacknowledged
    /// this long (Linux's `TCP_USER_TIMEOUT`); `None` turns it off.
    pub fn set_user_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        let t = timeout.map(|d| d.as_nanos() as u64);
        state()?.op(|m, now| m.tcp_set_user_timeout(now, self.id, t))
    }

    /// Turns keepalive probes on (`Some`) or off.
    pub fn set_keepalive(&self, keepalive: Option<Keepalive>) -> io::Result<()> {
        state()?.op(|m, now| m.tcp_set_keepalive(now, self.id, keepalive))
    }

    /// Reads without consuming: the next read returns the same bytes.
    pub async fn peek(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_peek_slice(cx, buf)).await
    }

    pub(super) fn poll_peek_slice(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        ready(state(), |s| {
            s.poll_op(cx, self.id, Interest::Read, |m, now| {
                m.tcp_peek(now, self.id, buf)
            })
        })
    }

    /// Reads what is there without waiting; `WouldBlock` if nothing is.
    pub fn try_read(&self, buf: &mut [u8]) -> io::Result<usize> {
        state()?.op(|m, now| m.tcp_read(now, self.id, buf))
    }

    /// Writes what fits without waiting; `WouldBlock` if the send buffer is full.
    pub fn try_write(&self, buf: &[u8]) -> io::Result<usize> {
        state()?.op(|m, now| m.tcp_write(now, self.id, buf))
    }

    /// Waits until a read would not block (data, EOF or an error).
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_read_ready(cx)).await
    }

    /// Waits until a write would not block.
    pub async fn writable(&self) -> io::Result<()> {
        poll_fn(|cx| self.poll_write_ready(cx)).await
    }

    /// Polls for read readiness.
    pub fn poll_read_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready(state(), |s| {
            if s.model.borrow().can_read(self.id) {
                Poll::Ready(Ok(()))
            } else {
                s.register(cx, self.id, Interest::Read);
                Poll::Pending
            }
        })
    }

    /// Polls for write readiness.
    pub fn poll_write_ready(&self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        ready(state(), |s| {
            if s.model.borrow().can_write(self.id) {
                Poll::Ready(Ok(()))
            } else {
                s.register(cx, self.id, Interest::Write);
                Poll::Pending
            }
        })
    }

    pub(crate) fn poll_read_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        ready(state(), |s| {
            let dst = buf.initialize_unfilled();
            match s.poll_op(cx, self.id, Interest::Read, |m, now| {
                m.tcp_read(now, self.id, dst)
            }) {
                Poll::Ready(Ok(n)) => {
                    buf.advance(n);
                    Poll::Ready(Ok(()))
                }
                Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
                Poll::Pending => Poll::Pending,
            }
        })
    }

    pub(crate) fn poll_write_priv(
        &self,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        ready(state(), |s| {
            s.poll_op(cx, self.id, Interest::Write, |m, now| {
                m.tcp_write(now, self.id, buf)
            })
        })
    }

    pub(crate) fn shutdown_write(&self) -> io::Result<()> {
        state()?.op(|m, now| m.tcp_shutdown_write(now, self.id))
    }

    /// Splits into halves borrowing the stream (tokio's `split`).
    pub fn split(&mut self) -> (ReadHalf<'_>, WriteHalf<'_>) {
        split::split(self)
    }

    /// Splits into owned halves (tokio's `into_split`); dropping the write
    /// half shuts down the write direction.
    pub fn into_split(self) -> (OwnedReadHalf, OwnedWriteHalf) {
        split::into_split(self)
    }

    /// Makes reads fail with `err` until cleared with `None` (Go's nettest
    /// `SetReadError`).
    pub fn set_read_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        let s = state()?;
        s.op(|m, _| m.set_read_error(self.id, err.clone()))?;
        s.note_socket_fault("set_read_error", self.id, &err);
        Ok(())
    }

    /// Makes writes fail with `err` until cleared with `None`.
    pub fn set_write_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        let s = state()?;
        s.op(|m, _| m.set_write_error(self.id, err.clone()))?;
        s.note_socket_fault("set_write_error", self.id, &err);
        Ok(())
    }

    /// Makes [`TcpStream::close`] fail with `err`.
    pub fn set_close_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        let s = state()?;
        s.op(|m, _| m.set_close_error(self.id, err.clone()))?;
        s.note_socket_fault("set_close_error", self.id, &err);
        Ok(())
    }

    /// Whether a read would return at once (data, EOF or an error).
    pub fn can_read(&self) -> bool {
        state().is_ok_and(|s| s.model.borrow().can_read(self.id))
    }

    /// Whether a write would be accepted at once.
    pub fn can_write(&self) -> bool {
        state().is_ok_and(|s| s.model.borrow().can_write(self.id))
    }

    /// Whether the connection is closed (by either side, or failed).
    pub fn is_closed(&self) -> bool {
        state().is_ok_and(|s| s.model.borrow().is_closed(self.id))
    }

    /// Closes the connection, reporting an injected close error if one is
    /// set (dropping closes too, silently).
    pub fn close(self) -> io::Result<()> {
        let id = self.id;
        std::mem::forget(self);
        close_socket(id)
    }
}

impl Drop for TcpStream {
    fn drop(&mut self) {
        let _ = close_socket(self.id);
    }
}

impl AsyncRead for TcpStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        self.poll_read_priv(cx, buf)
    }
}

impl AsyncWrite for TcpStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        self.poll_write_priv(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        // Bytes in the send buffer are already on their way.
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(self.shutdown_write())
    }
}

/// Compile-time check: the futures users hand to `tokio::spawn`, tonic or
/// hyper are `Send`, as tokio's are.
#[allow(dead_code)]
fn futures_are_send() {
    fn is_send<T: Send>(_: T) {}
    is_send(TcpStream::connect("server:80"));
    is_send(crate::TcpListener::bind("0.0.0.0:80"));
    is_send(crate::UdpSocket::bind("0.0.0.0:0"));
}
