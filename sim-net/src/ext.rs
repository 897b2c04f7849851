//! [`SocketExt`]: the simulator's extras on the sockets host code already
//! has (`tokio::net`, `std::net`, socket2 — anything with a descriptor),
//! without a type swap.

use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, RawFd};

use crate::fd::{FdSocket, Phase};
use crate::model::{FaultOp, InjectedError, Network, SocketId, SocketStats};

/// Go's nettest-style controls and probes for a simulated socket, on any
/// socket type with a raw descriptor: `tokio::net::{TcpStream,
/// TcpListener, UdpSocket}`, their std and socket2 counterparts.
///
/// The socket must be one a simulated host opened (its descriptor is
/// virtual); on any other descriptor the setters fail with `InvalidInput`
/// and the probes answer `false`.
///
/// ```
/// use sim_net::{InjectedError, Net, SocketExt};
/// use std::io::ErrorKind;
/// use tokio::io::AsyncReadExt;
///
/// std::thread::spawn(|| {
///     let mut sim = sim_core::Builder::new().build();
///     sim.host("server", || async {
///         let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
///         let (_stream, _) = listener.accept().await?;
///         std::future::pending().await
///     });
///     sim.client("client", async {
///         let mut stream = tokio::net::TcpStream::connect("10.0.0.1:80").await?;
///         stream.set_read_error(Some(InjectedError::new(ErrorKind::ConnectionReset, "injected")))?;
///         let err = stream.read(&mut [0u8; 8]).await.unwrap_err();
///         assert_eq!(err.kind(), ErrorKind::ConnectionReset);
///         Ok(())
///     });
///     Net::install(&mut sim);
///     sim.run().unwrap();
/// }).join().unwrap();
/// ```
pub trait SocketExt: AsRawFd {
    /// Makes reads (`read`, `recv`, `recv_from`) fail with `err` until
    /// cleared with `None`. The error reaches the caller as the `errno`
    /// Linux uses for its kind (`ConnectionReset` is `ECONNRESET`, ...),
    /// so the message is not kept.
    fn set_read_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        set_fault(self.as_raw_fd(), FaultOp::Read, err)
    }

    /// Makes writes (`write`, `send`, `send_to`) fail with `err` until
    /// cleared.
    fn set_write_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        set_fault(self.as_raw_fd(), FaultOp::Write, err)
    }

    /// Makes `accept` on a listener fail with `err` until cleared.
    ///
    /// An error of a connection's kind (`ConnectionAborted`,
    /// `ConnectionReset`, `NetworkDown`, `NetworkUnreachable`,
    /// `HostUnreachable`) comes as Linux reports `ECONNABORTED`: once per
    /// queued connection, which it takes (the listener's side resets it,
    /// so its peer reads `ECONNRESET`); with nothing queued, `accept`
    /// waits, so a server that retries such an error at once (axum's
    /// accept loop does) does not spin. Any other kind (a listener's own
    /// error, as `EMFILE` is on Linux: `OutOfMemory` gives `ENOMEM`) fails
    /// every `accept` at once, wakes a waiting one, and leaves queued
    /// connections queued.
    fn set_accept_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        set_fault(self.as_raw_fd(), FaultOp::Accept, err)
    }

    /// Makes closing the socket report `err` (the socket closes anyway, as
    /// `close(2)` releases a descriptor whatever it returns). Dropping a
    /// tokio socket ignores the result; the model records it.
    fn set_close_error(&self, err: Option<InjectedError>) -> io::Result<()> {
        set_fault(self.as_raw_fd(), FaultOp::Close, err)
    }

    /// A read would not block now (data, EOF, an error).
    fn can_read(&self) -> bool {
        probe(self.as_raw_fd(), |m, id| m.can_read(id))
    }

    /// A write would not block now.
    fn can_write(&self) -> bool {
        probe(self.as_raw_fd(), |m, id| m.can_write(id))
    }

    /// A listener has a connection waiting to be accepted.
    fn can_accept(&self) -> bool {
        probe(self.as_raw_fd(), |m, id| m.can_accept(id))
    }

    /// The connection is finished in both directions, failed or reset.
    fn is_closed(&self) -> bool {
        probe(self.as_raw_fd(), |m, id| m.is_closed(id))
    }

    /// Bytes and packets this socket sent and received, retransmits and
    /// drops.
    fn stats(&self) -> io::Result<SocketStats> {
        with_socket(self.as_raw_fd(), |socket, id| {
            let stats = socket.net.model.borrow().socket_stats(id);
            stats.ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, format!("{id} is closed")))
        })?
    }

    /// On a listener: accepts a connection that appears to come from
    /// `from`, with no client host, and returns the other end as a tokio
    /// stream the test reads and writes (call it inside a host or client,
    /// where a tokio runtime runs). For allow-list tests.
    fn inject_connection(&self, from: SocketAddr) -> io::Result<tokio::net::TcpStream> {
        let end = with_socket(self.as_raw_fd(), |socket, id| {
            if !matches!(socket.phase(), Phase::Listening(_)) {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "inject_connection needs a listening TCP socket",
                ));
            }
            let other = socket.net.op(|m, now| m.inject_connection(now, id, from))?;
            let options = crate::fd::Options::new(socket.net.model.borrow().config().bindv6only);
            Ok(FdSocket::for_stream(
                &socket.net,
                socket.node,
                from.is_ipv6(),
                other,
                options,
            ))
        })??;
        let fd = sim_clock::vfd::open(end, libc::O_RDWR | libc::O_NONBLOCK, true)
            .map_err(io::Error::from_raw_os_error)?;
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let std = unsafe { std::net::TcpStream::from_raw_fd(fd) };
        tokio::net::TcpStream::from_std(std)
    }
}

impl<T: AsRawFd + ?Sized> SocketExt for T {}

/// Runs `f` on the simulated socket behind `fd` and its socket in the
/// model.
fn with_socket<R>(fd: RawFd, f: impl FnOnce(&FdSocket, SocketId) -> R) -> io::Result<R> {
    let not_simulated = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("descriptor {fd} is not a socket of a simulated host"),
        )
    };
    let file = sim_clock::vfd::file(fd).ok_or_else(not_simulated)?;
    if file.as_any().is::<crate::unix::UnixStream>() {
        return Err(io::Error::new(
            io::ErrorKind::Unsupported,
            format!(
                "descriptor {fd} is a Unix domain socket: the SocketExt extras are for network \
                 sockets"
            ),
        ));
    }
    let socket = file
        .as_any()
        .downcast_ref::<FdSocket>()
        .ok_or_else(not_simulated)?;
    let id = socket.phase().id().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::NotConnected,
            format!("descriptor {fd} is neither bound, listening nor connected"),
        )
    })?;
    Ok(f(socket, id))
}

fn set_fault(fd: RawFd, op: FaultOp, err: Option<InjectedError>) -> io::Result<()> {
    with_socket(fd, |socket, id| {
        socket.net.op(|m, _| m.set_fault(id, op, err.clone()))?;
        let name = match op {
            FaultOp::Read => "set_read_error",
            FaultOp::Write => "set_write_error",
            FaultOp::Accept => "set_accept_error",
            FaultOp::Close => "set_close_error",
        };
        // Recorded in the run's journal (artifacts of a failed seed).
        socket.net.note_socket_fault(name, id, &err);
        Ok(())
    })?
}

fn probe(fd: RawFd, f: impl FnOnce(&Network, SocketId) -> bool) -> bool {
    with_socket(fd, |socket, id| f(&socket.net.model.borrow(), id)).unwrap_or(false)
}
