//! [`UdpSocket`]: simulated UDP with tokio's API.
//!
//! Datagrams cross links with their latency, loss, duplication, corruption
//! and partitions; each socket has a byte-limited receive buffer whose
//! overflow drops are counted; a datagram over the MTU is an `InvalidInput`
//! error. Broadcast needs [`UdpSocket::set_broadcast`] on the sender, as on
//! Linux. As on Linux, broadcast and multicast loop back to the sending
//! host's own sockets, and a connected socket whose datagram reached a host
//! where nothing listens on that port gets `ConnectionRefused` from its next
//! send or receive (an ICMP port unreachable came back).
//!
//! ```
//! use sim_net::{Net, UdpSocket};
//!
//! std::thread::spawn(|| {
//!     let mut sim = sim_core::Builder::new().build();
//!     sim.host("echo", || async {
//!         let socket = UdpSocket::bind("0.0.0.0:9000").await?;
//!         let mut buf = [0u8; 1500];
//!         loop {
//!             let (n, from) = socket.recv_from(&mut buf).await?;
//!             socket.send_to(&buf[..n], from).await?;
//!         }
//!     });
//!     sim.client("pinger", async {
//!         let socket = UdpSocket::bind("0.0.0.0:0").await?;
//!         socket.connect("echo:9000").await?;
//!         let t0 = tokio::time::Instant::now();
//!         socket.send(b"ping").await?;
//!         let mut buf = [0u8; 16];
//!         let n = socket.recv(&mut buf).await?;
//!         assert_eq!(&buf[..n], b"ping");
//!         // Two hops over the default 1 ms links.
//!         assert_eq!(t0.elapsed(), std::time::Duration::from_millis(2));
//!         Ok(())
//!     });
//!     Net::install(&mut sim);
//!     sim.run().unwrap();
//! }).join().unwrap();
//! ```

use std::future::poll_fn;
use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};

use tokio::io::ReadBuf;

use crate::addr::{resolve, ToSocketAddrs};
use crate::model::{InjectedError, SocketId};
use crate::state::{Interest, NetState};
use crate::tcp::listener_close as close_socket;

mod options;
mod ready;

/// A UDP socket on the simulated network, like `tokio::net::UdpSocket`.
#[derive(Debug)]
pub struct UdpSocket {
    id: SocketId,
    broadcast: AtomicBool,
}

fn state() -> io::Result<std::rc::Rc<NetState>> {
    NetState::current()
}

impl UdpSocket {
    /// Binds to the first of `addr`'s addresses that works (`0.0.0.0:0`: any
    /// address of the host, an ephemeral port).
    pub async fn bind(addr: impl ToSocketAddrs) -> io::Result<UdpSocket> {
        let state = state()?;
        let node = state.current_node("UdpSocket::bind")?;
        let mut last = None;
        for a in resolve(addr)? {
            match state.op(|m, now| m.udp_bind(now, node, a)) {
                Ok(id) => {
                    return Ok(UdpSocket {
                        id,
                        broadcast: AtomicBool::new(false),
                    })
                }
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| io::Error::other("no address to bind")))
    }

    /// Sets the default peer: `send`/`recv` use it, and datagrams from other
    /// addresses are filtered out.
    pub async fn connect(&self, addr: impl ToSocketAddrs) -> io::Result<()> {
        let peer = resolve(addr)?[0];
        state()?.op(|m, now| m.udp_connect(now, self.id, peer))
    }

    /// The local address.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        state()?.model.borrow().local_addr(self.id)
    }

    /// The connected peer's address.
    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        state()?.model.borrow().peer_addr(self.id)
    }

    /// Sends to the connected peer. UDP never waits for buffer space.
    pub async fn send(&self, buf: &[u8]) -> io::Result<usize> {
        self.try_send(buf)
    }

    /// Sends to the connected peer without waiting.
    pub fn try_send(&self, buf: &[u8]) -> io::Result<usize> {
        state()?.op(|m, now| m.udp_send(now, self.id, buf))
    }

    /// Sends one datagram to `target` (a name is resolved first).
    pub async fn send_to(&self, buf: &[u8], target: impl ToSocketAddrs) -> io::Result<usize> {
        let target = resolve(target)?[0];
        self.try_send_to(buf, target)
    }

    /// Sends one datagram to `target` without waiting.
    pub fn try_send_to(&self, buf: &[u8], target: SocketAddr) -> io::Result<usize> {
        state()?.op(|m, now| m.udp_send_to(now, self.id, buf, target))
    }

    /// Receives one datagram: from the connected peer, or from any sender on
    /// an unconnected socket, as Linux's `recv` does (the excess of a
    /// datagram longer than `buf` is discarded, as with a real socket).
    pub async fn recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        poll_fn(|cx| self.poll_recv_slice(cx, buf)).await
    }

    /// Receives one datagram without waiting.
    pub fn try_recv(&self, buf: &mut [u8]) -> io::Result<usize> {
        state()?.op(|m, now| m.udp_recv(now, self.id, buf))
    }

    /// Receives one datagram and its sender's address.
    pub async fn recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_recv_from_slice(cx, buf)).await
    }

    /// Receives one datagram and its sender without waiting.
    pub fn try_recv_from(&self, buf: &mut [u8]) -> io::Result<(usize, SocketAddr)> {
        state()?.op(|m, now| m.udp_recv_from(now, self.id, buf))
    }

    /// The size and sender of the next datagram, without receiving it (a
    /// pending error is reported first, as by every receive).
    pub async fn peek_sender_len(&self) -> io::Result<(usize, SocketAddr)> {
        poll_fn(|cx| self.poll_peek_slice(cx, &mut []))
            .await
            .map(|(_, len, from)| (len, from))
    }

    /// Copies the next datagram into `buf` without taking it: bytes copied,
    /// full length, sender.
    fn poll_peek_slice(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, usize, SocketAddr)>> {
        match state() {
            Ok(s) => s.poll_op(cx, self.id, Interest::Read, |m, now| {
                m.udp_peek(now, self.id, buf)
            }),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_recv_slice(&self, cx: &mut Context<'_>, buf: &mut [u8]) -> Poll<io::Result<usize>> {
        match state() {
            Ok(s) => s.poll_op(cx, self.id, Interest::Read, |m, now| {
                m.udp_recv(now, self.id, buf)
            }),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    fn poll_recv_from_slice(
        &self,
        cx: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<(usize, SocketAddr)>> {
        match state() {
            Ok(s) => s.poll_op(cx, self.id, Interest::Read, |m, now| {
                m.udp_recv_from(now, self.id, buf)
            }),
            Err(e) => Poll::Ready(Err(e)),
        }
    }

    /// Polls for a datagram from the connected peer into `buf`.
    pub fn poll_recv(&self, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        let dst = buf.initialize_unfilled();
        match self.poll_recv_slice(cx, dst) {
            Poll::Ready(Ok(n)) => {
                buf.advance(n);
                Poll::Ready(Ok(()))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Polls for a datagram and its sender into `buf`.
    pub fn poll_recv_from(
        &self,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<SocketAddr>> {
        let dst = buf.initialize_unfilled();
        match self.poll_recv_from_slice(cx, dst) {
            Poll::Ready(Ok((n, from))) => {
                buf.advance(n);
                Poll::Ready(Ok(from))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => Poll::Pending,
        }
    }

    /// Polls to send to the connected peer (never pending).
    pub fn poll_send(&self, _cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(self.try_send(buf))
    }

    /// Polls to send to `target` (never pending).
    pub fn poll_send_to(
        &self,
        _cx: &mut Context<'_>,
        buf: &[u8],
        target: SocketAddr,
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(self.try_send_to(buf, target))
    }

    /// Waits until a datagram can be received.
    pub async fn readable(&self) -> io::Result<()> {
        poll_fn(|cx| match state() {
            Ok(s) if s.model.borrow().can_read(self.id) => Poll::Ready(Ok(())),
            Ok(s) => {
                s.register(cx, self.id, Interest::Read);
                Poll::Pending
            }
            Err(e) => Poll::Ready(Err(e)),
        })
        .await
    }

    /// Waits until a datagram can be sent: at once, UDP does not block.
    pub async fn writable(&self) -> io::Result<()> {
        state().map(|_| ())
    }

    /// Allows sending to broadcast addresses.
    pub fn set_broadcast(&self, on: bool) -> io::Result<()> {
        state()?.op(|m, _| m.udp_set_broadcast(self.id, on))?;
        self.broadcast.store(on, Ordering::Relaxed);
        Ok(())
    }

    /// Whether broadcast is allowed.
    pub fn broadcast(&self) -> io::Result<bool> {
        Ok(self.broadcast.load(Ordering::Relaxed))
    }

    /// Joins an IPv4 multicast group (the interface is ignored: every host
    /// has one).
    pub fn join_multicast_v4(&self, group: Ipv4Addr, _interface: Ipv4Addr) -> io::Result<()> {
        state()?.op(|m, _| m.udp_join_multicast(self.id, IpAddr::V4(group)))
    }

    /// Leaves an IPv4 multicast group.
    pub fn leave_multicast_v4(&self, group: Ipv4Addr, _interface: Ipv4Addr) -> io::Result<()> {
        state()?.op(|m, _| m.udp_leave_multicast(self.id, IpAddr::V4(group)))
    }

    /// Joins an IPv6 multicast group.
    pub fn join_multicast_v6(&self, group: &Ipv6Addr, _interface: u32) -> io::Result<()> {
        state()?.op(|m, _| m.udp_join_multicast(self.id, IpAddr::V6(*group)))
    }

    /// Leaves an IPv6 multicast group.
    pub fn leave_multicast_v6(&self, group: &Ipv6Addr, _interface: u32) -> io::Result<()> {
        state()?.op(|m, _| m.udp_leave_multicast(self.id, IpAddr::V6(*group)))
    }

    /// Sets the receive buffer size in bytes; datagrams that do not fit are
    /// dropped and counted (`SO_RCVBUF`).
    pub fn set_recv_buffer_size(&self, bytes: usize) -> io::Result<()> {
        state()?.op(|m, _| m.udp_set_recv_buffer(self.id, bytes))
    }

    /// Makes receives fail with `err` until cleared (Go's nettest `SetReadError`).
    pub fn set_read_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        let s = state()?;
        s.op(|m, _| m.set_read_error(self.id, err.clone()))?;
        s.note_socket_fault("set_read_error", self.id, &err);
        Ok(())
    }

    /// Makes sends fail with `err` until cleared.
    pub fn set_write_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        let s = state()?;
        s.op(|m, _| m.set_write_error(self.id, err.clone()))?;
        s.note_socket_fault("set_write_error", self.id, &err);
        Ok(())
    }

    /// Whether a receive would return at once.
    pub fn can_read(&self) -> bool {
        state().is_ok_and(|s| s.model.borrow().can_read(self.id))
    }

    /// Whether the socket is closed.
    pub fn is_closed(&self) -> bool {
        state().is_ok_and(|s| s.model.borrow().is_closed(self.id))
    }
}

impl Drop for UdpSocket {
    fn drop(&mut self) {
        let _ = close_socket(self.id);
    }
}
