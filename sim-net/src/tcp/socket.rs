//! [`TcpSocket`]: a TCP socket configured before it connects or listens.

use std::cell::Cell;
use std::future::poll_fn;
use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::model::{Keepalive, SocketId, TcpConfig, SECS};
use crate::state::NetState;
use crate::tcp::listener::close_socket;
use crate::tcp::stream::poll_connected;
use crate::{TcpListener, TcpStream};

/// Linux's keepalive when `SO_KEEPALIVE` is set without further tuning:
/// 2 hours of silence, then 9 probes 75 s apart.
const LINUX_KEEPALIVE: Keepalive = Keepalive {
    idle: 7200 * SECS,
    interval: 75 * SECS,
    count: 9,
};

/// A TCP socket configured before it connects or listens, like
/// `tokio::net::TcpSocket`.
///
/// Code uses it to choose per-socket buffer sizes (the simulated kernel
/// applies them exactly, so backpressure tests can name their sizes), to
/// connect from a chosen local address or port, to listen with a chosen
/// backlog, and to set `SO_REUSEADDR` so that a restarted server or client
/// can bind a port its old connections still hold in TIME_WAIT.
///
/// ```
/// use sim_net::{Net, TcpSocket};
///
/// std::thread::spawn(|| {
///     let mut sim = sim_core::Builder::new().build();
///     sim.host("server", || async {
///         let socket = TcpSocket::new_v4()?;
///         socket.set_reuseaddr(true)?;
///         socket.set_recv_buffer_size(8 * 1024)?;
///         socket.bind("0.0.0.0:80".parse().unwrap())?;
///         let listener = socket.listen(16)?;
///         let (_stream, _peer) = listener.accept().await?;
///         std::future::pending().await
///     });
///     sim.client("client", async {
///         let server = sim_net::lookup_host("server:80").await?.next().unwrap();
///         let socket = TcpSocket::new_v4()?;
///         socket.set_send_buffer_size(4 * 1024)?;
///         socket.bind("0.0.0.0:4000".parse().unwrap())?;
///         let stream = socket.connect(server).await?;
///         assert_eq!(stream.local_addr()?.port(), 4000);
///         Ok(())
///     });
///     Net::install(&mut sim);
///     sim.run().unwrap();
/// }).join().unwrap();
/// ```
///
/// How it differs from tokio's on Linux:
/// - Buffer sizes are exact bytes of payload; Linux doubles the value given
///   (for its bookkeeping) and reports the doubled value back.
/// - `set_reuseport`, `set_linger`, `set_tos` and `bind_device` are not
///   offered: the simulated kernel has no port sharing between listeners, no
///   lingering close and no devices, and a call that did nothing would
///   mislead a test.
#[derive(Debug)]
pub struct TcpSocket {
    v6: bool,
    /// The bound socket in the model, holding its port, and its address;
    /// taken over by `connect` or `listen`, closed on drop otherwise.
    bound: Cell<Option<(SocketId, SocketAddr)>>,
    reuse_addr: Cell<bool>,
    nodelay: Cell<bool>,
    keepalive: Cell<bool>,
    send_buffer: Cell<Option<u32>>,
    recv_buffer: Cell<Option<u32>>,
}

impl TcpSocket {
    /// A socket for IPv4 addresses.
    pub fn new_v4() -> io::Result<TcpSocket> {
        Ok(TcpSocket::new(false))
    }

    /// A socket for IPv6 addresses. As on Linux by default, it also talks
    /// IPv4 through IPv4-mapped addresses: bound to `[::]` and listening, it
    /// accepts IPv4 connections; connected to `[::ffff:a.b.c.d]:p`, it
    /// speaks IPv4 (see [`NetBuilder::bindv6only`](crate::NetBuilder::bindv6only)
    /// to turn this off).
    pub fn new_v6() -> io::Result<TcpSocket> {
        Ok(TcpSocket::new(true))
    }

    fn new(v6: bool) -> TcpSocket {
        TcpSocket {
            v6,
            bound: Cell::new(None),
            reuse_addr: Cell::new(false),
            nodelay: Cell::new(false),
            keepalive: Cell::new(false),
            send_buffer: Cell::new(None),
            recv_buffer: Cell::new(None),
        }
    }

    /// `SO_REUSEADDR`: lets the socket bind a port that connections in
    /// TIME_WAIT still hold (a restarted server on its old port). Without
    /// it, that bind fails with `AddrInUse`, as on Linux.
    pub fn set_reuseaddr(&self, reuseaddr: bool) -> io::Result<()> {
        self.reuse_addr.set(reuseaddr);
        Ok(())
    }

    /// The value of `SO_REUSEADDR`.
    pub fn reuseaddr(&self) -> io::Result<bool> {
        Ok(self.reuse_addr.get())
    }

    /// The send buffer in bytes of payload (written and not yet
    /// acknowledged): writes wait once it is full. 0 accepts a write only
    /// into the peer's open receive window.
    pub fn set_send_buffer_size(&self, size: u32) -> io::Result<()> {
        self.send_buffer.set(Some(size));
        Ok(())
    }

    /// The send buffer size: the value set, or the network's default.
    pub fn send_buffer_size(&self) -> io::Result<u32> {
        match self.send_buffer.get() {
            Some(size) => Ok(size),
            None => Ok(clamp(default_tcp()?.send_buffer)),
        }
    }

    /// The receive buffer in bytes, which is the window advertised to the
    /// peer. 0 opens the window only while a read waits (with a send buffer
    /// of 0 on the peer, a rendezvous). Set it before `listen` for accepted
    /// connections, before `connect` for this one.
    pub fn set_recv_buffer_size(&self, size: u32) -> io::Result<()> {
        self.recv_buffer.set(Some(size));
        Ok(())
    }

    /// The receive buffer size: the value set, or the network's default.
    pub fn recv_buffer_size(&self) -> io::Result<u32> {
        match self.recv_buffer.get() {
            Some(size) => Ok(size),
            None => Ok(clamp(default_tcp()?.recv_buffer)),
        }
    }

    /// `TCP_NODELAY`, passed on to the stream. The simulated kernel sends
    /// every write at once anyway, so it changes no timing.
    pub fn set_nodelay(&self, nodelay: bool) -> io::Result<()> {
        self.nodelay.set(nodelay);
        Ok(())
    }

    /// The value of `TCP_NODELAY`.
    pub fn nodelay(&self) -> io::Result<bool> {
        Ok(self.nodelay.get())
    }

    /// `SO_KEEPALIVE` with Linux's default timing: after 2 hours of silence,
    /// 9 probes 75 s apart, then `TimedOut`. For other timings, use
    /// [`TcpStream::set_keepalive`] on the connection.
    pub fn set_keepalive(&self, keepalive: bool) -> io::Result<()> {
        self.keepalive.set(keepalive);
        Ok(())
    }

    /// The value of `SO_KEEPALIVE`.
    pub fn keepalive(&self) -> io::Result<bool> {
        Ok(self.keepalive.get())
    }

    /// Binds the socket to `addr` and takes the port at once, as on Linux:
    /// another socket binding it gets `AddrInUse` from then on. Port 0 picks
    /// a free ephemeral port now, which [`local_addr`](Self::local_addr)
    /// shows. The port is held until the socket connects, listens, or is
    /// dropped.
    ///
    /// An IPv6 socket may bind `[::]` (which, dual stack, also holds the
    /// port for IPv4) or an IPv4-mapped address (which stands for that IPv4
    /// address).
    ///
    /// Errors: `InvalidInput` for an address of the other IP version (or a
    /// second bind, or a mapped address with `bindv6only`),
    /// `AddrNotAvailable` if the host does not have the address, `AddrInUse`
    /// if a socket holds the port (connections in TIME_WAIT count unless
    /// [`set_reuseaddr`](Self::set_reuseaddr) was called first); outside a
    /// host, an error saying so.
    pub fn bind(&self, addr: SocketAddr) -> io::Result<()> {
        if addr.is_ipv6() != self.v6 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot bind {addr}: {}", self.family_mismatch()),
            ));
        }
        if let Some((_, bound)) = self.bound.get() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot bind {addr}: the socket is already bound to {bound}"),
            ));
        }
        let state = NetState::current()?;
        let node = state.current_node("TcpSocket::bind")?;
        let reuse_addr = self.reuse_addr.get();
        let bound = state.op(|m, now| {
            let id = m.tcp_bind(now, node, addr, reuse_addr)?;
            Ok::<_, io::Error>((id, m.local_addr(id)?))
        })?;
        self.bound.set(Some(bound));
        Ok(())
    }

    /// The address the socket is bound to (with the port chosen for port
    /// 0), or the unspecified address with port 0 if it is not bound.
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        Ok(self
            .bound
            .get()
            .map_or_else(|| self.unspecified(), |(_, addr)| addr))
    }

    /// Connects to `addr` from the bound address, if any, with this socket's
    /// settings; errors as [`TcpStream::connect`]'s, plus `InvalidInput` for an
    /// address of the other IP version. An IPv6 socket connects to an
    /// IPv4-mapped address over IPv4, from `[::]` or unbound (it then takes
    /// one of the host's IPv4 addresses) or from a mapped address; bound to a
    /// real IPv6 address it cannot (`InvalidInput`).
    pub async fn connect(self, addr: SocketAddr) -> io::Result<TcpStream> {
        if addr.is_ipv6() != self.v6 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("cannot connect to {addr}: {}", self.family_mismatch()),
            ));
        }
        let id = {
            let state = NetState::current()?;
            let node = state.current_node("TcpSocket::connect")?;
            let cfg = self.tcp_config()?;
            let bound = self.bound.take();
            state.op(|m, now| {
                let local = match bound {
                    Some((id, _)) => Some(m.tcp_take_bound(id)?),
                    None => None,
                };
                m.tcp_connect_with(now, node, local, addr, cfg)
            })?
        };
        let stream = TcpStream::from_id(id);
        stream.set_nodelay(self.nodelay.get())?;
        poll_fn(|cx| poll_connected(cx, id)).await?;
        Ok(stream)
    }

    /// Listens on the bound address (or every address of the host, on an
    /// ephemeral port) with room for `backlog` connections that completed
    /// their handshake but were not accepted yet; further SYNs are dropped
    /// and retried, as on Linux. Accepted connections get this socket's
    /// buffer sizes and keepalive.
    pub fn listen(self, backlog: u32) -> io::Result<TcpListener> {
        let state = NetState::current()?;
        let node = state.current_node("TcpSocket::listen")?;
        let cfg = self.tcp_config()?;
        let unbound = self.unspecified();
        let bound = self.bound.take();
        let id = state.op(|m, now| {
            let addr = match bound {
                Some((id, _)) => m.tcp_take_bound(id)?,
                None => unbound,
            };
            m.tcp_listen_with(now, node, addr, backlog as usize, cfg)
        })?;
        Ok(TcpListener::from_id(id))
    }

    /// The network's TCP settings with this socket's changes.
    fn tcp_config(&self) -> io::Result<TcpConfig> {
        let mut cfg = default_tcp()?;
        if let Some(size) = self.send_buffer.get() {
            cfg.send_buffer = size as usize;
        }
        if let Some(size) = self.recv_buffer.get() {
            cfg.recv_buffer = size as usize;
        }
        if self.keepalive.get() {
            cfg.keepalive = Some(LINUX_KEEPALIVE);
        }
        cfg.reuse_addr = self.reuse_addr.get();
        Ok(cfg)
    }

    fn unspecified(&self) -> SocketAddr {
        if self.v6 {
            SocketAddr::from((Ipv6Addr::UNSPECIFIED, 0))
        } else {
            SocketAddr::from((Ipv4Addr::UNSPECIFIED, 0))
        }
    }

    fn family_mismatch(&self) -> &'static str {
        if self.v6 {
            "this is an IPv6 socket (TcpSocket::new_v6)"
        } else {
            "this is an IPv4 socket (TcpSocket::new_v4)"
        }
    }
}

impl Drop for TcpSocket {
    fn drop(&mut self) {
        // A bound socket that never connected or listened gives its port
        // back. Outside the simulation, or after its host crashed, there is
        // nothing left to release.
        if let Some((id, _)) = self.bound.take() {
            let _ = close_socket(id);
        }
    }
}

/// The network's TCP settings, which a socket starts from.
fn default_tcp() -> io::Result<TcpConfig> {
    Ok(NetState::current()?.model.borrow().config().tcp.clone())
}

fn clamp(size: usize) -> u32 {
    u32::try_from(size).unwrap_or(u32::MAX)
}
