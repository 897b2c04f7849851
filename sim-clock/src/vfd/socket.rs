//! Sockets behind virtual descriptors: the [`VirtualSocket`] trait a network
//! crate implements, and the factory that `socket(2)` calls.
//!
//! sim-clock decodes and encodes the C structures (`sockaddr`, `msghdr`,
//! option values stay bytes) and keeps the descriptor-level state
//! (`O_NONBLOCK`, close-on-exec); the object does what the protocol does.
//! Like [`VirtualFile`]'s, the methods never block: a call that would wait
//! returns `EAGAIN` (or `EINPROGRESS` from `connect`), and the interposer
//! reports it when the descriptor is blocking.

use std::net::SocketAddr;
use std::rc::Rc;

use super::{Errno, VirtualFile};

/// A socket behind a virtual descriptor (see [`VirtualFile::as_socket`]).
///
/// Every method answers with Linux's `errno` on failure. A call the object
/// does not model (an option it lacks, say) should also be reported with
/// [`crate::vfd::report_unsupported`], which ends the run with an error
/// naming the call.
pub trait VirtualSocket {
    /// `bind(2)`.
    fn bind(&self, addr: SocketAddr) -> Result<(), Errno>;

    /// `listen(2)` with the caller's backlog.
    fn listen(&self, backlog: libc::c_int) -> Result<(), Errno>;

    /// `connect(2)`. A TCP connect starts the handshake and returns
    /// `EINPROGRESS`; completion shows as `EPOLLOUT`, and the outcome as
    /// `SO_ERROR`.
    fn connect(&self, addr: SocketAddr) -> Result<(), Errno>;

    /// `accept4(2)`: the connected socket and its peer, or `EAGAIN`.
    fn accept(&self) -> Result<(Rc<dyn VirtualFile>, SocketAddr), Errno>;

    /// `getsockname(2)`.
    fn local_addr(&self) -> Result<SocketAddr, Errno>;

    /// `getpeername(2)`.
    fn peer_addr(&self) -> Result<SocketAddr, Errno>;

    /// `shutdown(2)` with `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
    fn shutdown(&self, how: libc::c_int) -> Result<(), Errno>;

    /// `send`/`sendto`/`sendmsg`: `to` is the destination given, if any.
    fn send(&self, buf: &[u8], to: Option<SocketAddr>) -> Result<usize, Errno>;

    /// `recv`/`recvfrom`/`recvmsg`: the bytes copied, and the sender for a
    /// datagram socket. `peek` leaves the data queued (`MSG_PEEK`).
    fn recv(&self, buf: &mut [u8], peek: bool) -> Result<(usize, Option<SocketAddr>), Errno>;

    /// `setsockopt(2)`; `value` is the caller's option bytes.
    fn set_option(&self, level: libc::c_int, name: libc::c_int, value: &[u8]) -> Result<(), Errno>;

    /// `getsockopt(2)`: writes the value into `out` (its length is the
    /// caller's) and returns the value's full length.
    fn get_option(
        &self,
        level: libc::c_int,
        name: libc::c_int,
        out: &mut [u8],
    ) -> Result<usize, Errno>;

    /// `ioctl(FIONREAD)`: bytes readable now (for a datagram socket, the
    /// size of the next datagram).
    fn readable_bytes(&self) -> Result<usize, Errno>;

    /// The calls that take a Unix domain name, for an `AF_UNIX` socket
    /// (`None`, the default, for an internet one). The interposer decodes
    /// `sockaddr_un` for such a socket and calls these instead of
    /// [`bind`](Self::bind), [`connect`](Self::connect),
    /// [`local_addr`](Self::local_addr) and [`peer_addr`](Self::peer_addr).
    fn as_unix(&self) -> Option<&dyn UnixCalls> {
        None
    }
}

/// The calls of a Unix domain socket that name an address. A name is the
/// bytes of `sun_path`: a pathname (without its NUL), or, starting with a
/// NUL byte, an abstract name; empty for an unnamed socket.
pub trait UnixCalls {
    /// `bind(2)`; an empty `name` asks for an abstract name of the
    /// object's choice (Linux's autobind).
    fn bind_name(&self, name: &[u8]) -> Result<(), Errno>;

    /// `connect(2)` to the listener named `name`: done at once (a Unix
    /// domain connect waits for nothing but room in the backlog).
    fn connect_name(&self, name: &[u8]) -> Result<(), Errno>;

    /// `getsockname(2)`.
    fn local_name(&self) -> Result<Vec<u8>, Errno>;

    /// `getpeername(2)`.
    fn peer_name(&self) -> Result<Vec<u8>, Errno>;

    /// `socketpair(2)`: connects this fresh socket to `other`, another
    /// fresh one from the same factory.
    fn pair_with(&self, other: &Rc<dyn VirtualFile>) -> Result<(), Errno>;

    /// `send`/`sendto`/`sendmsg`, with the destination's name if one was
    /// given.
    fn send_named(&self, buf: &[u8], to: Option<&[u8]>) -> Result<usize, Errno>;

    /// `recv`/`recvfrom`/`recvmsg`: the bytes copied, and the sender's name
    /// for a datagram socket (empty for an unnamed sender).
    fn recv_named(&self, buf: &mut [u8], peek: bool) -> Result<(usize, Option<Vec<u8>>), Errno>;
}

/// Makes the socket behind a new virtual `socket(domain, type, protocol)`
/// (`type` without `SOCK_NONBLOCK` and `SOCK_CLOEXEC`, which the descriptor
/// keeps); gets the index of the host that creates it.
pub type SocketFactory =
    Box<dyn Fn(libc::c_int, libc::c_int, libc::c_int, u32) -> Result<Rc<dyn VirtualFile>, Errno>>;
