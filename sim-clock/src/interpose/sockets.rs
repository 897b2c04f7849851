//! The socket calls: `socket`, `bind`, `listen`, `accept`/`accept4`,
//! `connect`, `getsockname`, `getpeername`, `setsockopt`/`getsockopt`,
//! `shutdown`, `send`/`sendto`/`sendmsg`, `recv`/`recvfrom`/`recvmsg` and
//! `socketpair`.
//!
//! Inside a simulated host, `socket` makes a virtual descriptor whose
//! object comes from the network crate's factory
//! ([`crate::vfd::set_socket_factory`]); the other calls decode their C
//! arguments and call the object ([`VirtualSocket`]). On a real descriptor
//! each is the C library's own function, whatever the thread.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::rc::Rc;

use super::descriptors::lookup;
use super::forward::{count, next_fn};
use super::refuse::{refuse, unsupported, would_block};
use super::set_errno;
use super::sockaddr;
use crate::thread_state::is_sim_thread;
use crate::vfd::{self, Errno, OpenFile, SocketFactory, UnixCalls, VirtualFile, VirtualSocket};

/// Flags of `send`/`recv` the simulator understands. `MSG_NOSIGNAL` has
/// nothing to do (no signal is ever raised), `MSG_WAITALL` and `MSG_MORE`
/// change no outcome of a non-blocking call here.
const SEND_FLAGS: libc::c_int =
    libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL | libc::MSG_MORE | libc::MSG_EOR;
const RECV_FLAGS: libc::c_int =
    libc::MSG_DONTWAIT | libc::MSG_PEEK | libc::MSG_WAITALL | libc::MSG_CMSG_CLOEXEC;

/// A simulated host is running on this thread (or its runtime is built).
fn in_host() -> bool {
    is_sim_thread() && vfd::current_owner() != vfd::NO_OWNER
}

/// Installs `file` under a new descriptor with the `SOCK_NONBLOCK` and
/// `SOCK_CLOEXEC` bits of `flags` (as `socket` and `accept4` take them).
fn open_with_flags(file: Rc<dyn VirtualFile>, flags: libc::c_int) -> Result<libc::c_int, Errno> {
    let status = if flags & libc::SOCK_NONBLOCK != 0 {
        libc::O_RDWR | libc::O_NONBLOCK
    } else {
        libc::O_RDWR
    };
    vfd::open(file, status, flags & libc::SOCK_CLOEXEC != 0)
}

/// The network crate's socket factory; without one (no network installed)
/// `call` is refused, with the advice to install it.
fn factory_or_refuse(call: &'static str) -> Option<Rc<SocketFactory>> {
    let factory = vfd::socket_factory();
    if factory.is_none() {
        refuse(
            call,
            Cow::Owned(format!(
                "a simulated host called `{call}`, but this simulation has no network: call \
                 sim_net::Net::install(&mut sim) in the setup"
            )),
            libc::EPERM,
        );
    }
    factory
}

/// `socket(2)`: a virtual socket inside a host, the kernel's elsewhere.
pub(crate) fn socket(domain: libc::c_int, ty: libc::c_int, protocol: libc::c_int) -> libc::c_int {
    if !in_host() {
        if crate::threads::is_host_thread() {
            // A blocking task of a host: the host's sockets live in the
            // simulation thread's table, and a real one would reach the
            // real network.
            refuse(
                "socket",
                Cow::Borrowed(
                    "a blocking task (spawn_blocking) of a simulated host opened a socket; a \
                     host's sockets belong to its async code (tokio::net), and a blocking task \
                     cannot wait on them",
                ),
                libc::EPERM,
            );
            return -1;
        }
        count("socket");
        // SAFETY: plain system call with integer arguments.
        return unsafe { libc::syscall(libc::SYS_socket, domain, ty, protocol) as libc::c_int };
    }
    let Some(factory) = factory_or_refuse("socket") else {
        return -1;
    };
    let flags = ty & (libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC);
    let file = match factory(domain, ty & !flags, protocol, vfd::current_owner()) {
        Ok(file) => file,
        Err(e) => {
            set_errno(e);
            return -1;
        }
    };
    match open_with_flags(file, flags) {
        Ok(fd) => fd,
        Err(e) => {
            set_errno(e);
            -1
        }
    }
}

/// The socket behind virtual `fd`, or `errno` set (`EBADF`, or
/// `ENOTSOCK` for an object that is not a socket, reported).
fn socket_of(call: &'static str, fd: libc::c_int) -> Option<Rc<OpenFile>> {
    let open = lookup(call, fd)?;
    if open.file.as_socket().is_none() {
        unsupported(call, fd, libc::ENOTSOCK);
        return None;
    }
    Some(open)
}

fn sock(open: &OpenFile) -> &dyn VirtualSocket {
    open.file
        .as_socket()
        .expect("checked by socket_of: the object is a socket")
}

/// The C convention for a call returning 0 on success.
fn status(r: Result<(), Errno>) -> libc::c_int {
    match r {
        Ok(()) => 0,
        Err(e) => {
            set_errno(e);
            -1
        }
    }
}

/// The C convention for a transfer, reporting one that would wait on a
/// blocking descriptor.
fn transferred(
    call: &'static str,
    fd: libc::c_int,
    open: &OpenFile,
    nonblocking: bool,
    r: Result<usize, Errno>,
) -> libc::ssize_t {
    match r {
        Ok(n) => n as libc::ssize_t,
        Err(libc::EAGAIN) if !nonblocking => {
            would_block(call, fd, open.file.kind());
            -1
        }
        Err(e) => {
            set_errno(e);
            -1
        }
    }
}

/// Refuses `flags` bits outside `known` (reported, `EOPNOTSUPP`).
fn check_flags(call: &'static str, flags: libc::c_int, known: libc::c_int) -> bool {
    let unknown = flags & !known;
    if unknown == 0 {
        return true;
    }
    refuse(
        call,
        Cow::Owned(format!(
            "`{call}` with flags {unknown:#x} (MSG_OOB, MSG_ERRQUEUE, MSG_TRUNC, ...) is not \
             modelled by the simulator"
        )),
        libc::EOPNOTSUPP,
    );
    false
}

pub(crate) fn bind(
    fd: libc::c_int,
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
) -> libc::c_int {
    let Some(open) = socket_of("bind", fd) else {
        return -1;
    };
    if let Some(unix) = sock(&open).as_unix() {
        // SAFETY: the caller passed `len` readable bytes.
        let name = unsafe { sockaddr::read_unix(addr, len, true) };
        return status(name.and_then(|n| unix.bind_name(&n)));
    }
    // SAFETY: the caller passed `len` readable bytes.
    status(unsafe { sockaddr::read(addr, len) }.and_then(|a| sock(&open).bind(a)))
}

pub(crate) fn listen(fd: libc::c_int, backlog: libc::c_int) -> libc::c_int {
    let Some(open) = socket_of("listen", fd) else {
        return -1;
    };
    status(sock(&open).listen(backlog))
}

pub(crate) fn connect(
    fd: libc::c_int,
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
) -> libc::c_int {
    let Some(open) = socket_of("connect", fd) else {
        return -1;
    };
    if let Some(unix) = sock(&open).as_unix() {
        // SAFETY: the caller passed `len` readable bytes.
        let name = unsafe { sockaddr::read_unix(addr, len, false) };
        return match name.and_then(|n| unix.connect_name(&n)) {
            // A full backlog: Linux would wait for room.
            Err(libc::EAGAIN) if !open.nonblocking() => {
                would_block("connect", fd, open.file.kind());
                -1
            }
            r => status(r),
        };
    }
    // SAFETY: the caller passed `len` readable bytes.
    let r = unsafe { sockaddr::read(addr, len) }.and_then(|a| sock(&open).connect(a));
    match r {
        Err(libc::EINPROGRESS) if !open.nonblocking() => {
            refuse(
                "connect",
                Cow::Owned(format!(
                    "a blocking `connect` on descriptor {fd} would wait for the handshake, and \
                     every host shares one thread; use tokio's TcpStream::connect, or set \
                     O_NONBLOCK"
                )),
                libc::EINPROGRESS,
            );
            -1
        }
        r => status(r),
    }
}

pub(crate) fn accept4(
    fd: libc::c_int,
    addr: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
    flags: libc::c_int,
    call: &'static str,
) -> libc::c_int {
    let Some(open) = socket_of(call, fd) else {
        return -1;
    };
    if flags & !(libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC) != 0 {
        set_errno(libc::EINVAL);
        return -1;
    }
    let (file, peer) = match sock(&open).accept() {
        Ok(accepted) => accepted,
        Err(libc::EAGAIN) if !open.nonblocking() => {
            would_block(call, fd, open.file.kind());
            return -1;
        }
        Err(e) => {
            set_errno(e);
            return -1;
        }
    };
    let peer = match file.as_socket().and_then(|s| s.as_unix()) {
        Some(unix) => Address::Unix(unix.peer_name().unwrap_or_default()),
        None => Address::Inet(peer),
    };
    match open_with_flags(file, flags) {
        Ok(new) => {
            // SAFETY: the caller's buffer and length.
            unsafe { peer.write(addr, len) };
            new
        }
        Err(e) => {
            set_errno(e);
            -1
        }
    }
}

fn name_of(
    call: &'static str,
    fd: libc::c_int,
    addr: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
    get: impl FnOnce(&dyn VirtualSocket) -> Result<SocketAddr, Errno>,
    get_unix: impl FnOnce(&dyn UnixCalls) -> Result<Vec<u8>, Errno>,
) -> libc::c_int {
    let Some(open) = socket_of(call, fd) else {
        return -1;
    };
    if addr.is_null() || len.is_null() {
        set_errno(libc::EFAULT);
        return -1;
    }
    let name = match sock(&open).as_unix() {
        Some(unix) => get_unix(unix).map(Address::Unix),
        None => get(sock(&open)).map(Address::Inet),
    };
    match name {
        Ok(name) => {
            // SAFETY: the caller's buffer and length.
            unsafe { name.write(addr, len) };
            0
        }
        Err(e) => {
            set_errno(e);
            -1
        }
    }
}

pub(crate) fn getsockname(
    fd: libc::c_int,
    addr: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
) -> libc::c_int {
    name_of(
        "getsockname",
        fd,
        addr,
        len,
        |s| s.local_addr(),
        |u| u.local_name(),
    )
}

pub(crate) fn getpeername(
    fd: libc::c_int,
    addr: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
) -> libc::c_int {
    name_of(
        "getpeername",
        fd,
        addr,
        len,
        |s| s.peer_addr(),
        |u| u.peer_name(),
    )
}

pub(crate) fn setsockopt(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
    value: *const libc::c_void,
    len: libc::socklen_t,
) -> libc::c_int {
    let Some(open) = socket_of("setsockopt", fd) else {
        return -1;
    };
    if value.is_null() && len > 0 {
        set_errno(libc::EFAULT);
        return -1;
    }
    // SAFETY: the caller passed `len` readable bytes.
    let bytes = unsafe { super::descriptors::bytes(value, len as usize) };
    status(sock(&open).set_option(level, name, bytes))
}

pub(crate) fn getsockopt(
    fd: libc::c_int,
    level: libc::c_int,
    name: libc::c_int,
    value: *mut libc::c_void,
    len: *mut libc::socklen_t,
) -> libc::c_int {
    let Some(open) = socket_of("getsockopt", fd) else {
        return -1;
    };
    if len.is_null() {
        set_errno(libc::EFAULT);
        return -1;
    }
    // SAFETY: the caller's length.
    let room = unsafe { len.read() } as usize;
    let mut tmp = vec![0u8; room];
    match sock(&open).get_option(level, name, &mut tmp) {
        Ok(full) => {
            let n = full.min(room);
            if n > 0 && value.is_null() {
                set_errno(libc::EFAULT);
                return -1;
            }
            // SAFETY: the caller passed `room` writable bytes; `n <= room`.
            unsafe {
                std::ptr::copy_nonoverlapping(tmp.as_ptr(), value as *mut u8, n);
                // Linux reports the length it wrote.
                len.write(n as libc::socklen_t);
            }
            0
        }
        Err(e) => {
            set_errno(e);
            -1
        }
    }
}

pub(crate) fn shutdown(fd: libc::c_int, how: libc::c_int) -> libc::c_int {
    let Some(open) = socket_of("shutdown", fd) else {
        return -1;
    };
    if !matches!(how, libc::SHUT_RD | libc::SHUT_WR | libc::SHUT_RDWR) {
        set_errno(libc::EINVAL);
        return -1;
    }
    status(sock(&open).shutdown(how))
}

/// `send`, `sendto` and `sendmsg` once decoded.
pub(crate) fn send_common(
    call: &'static str,
    fd: libc::c_int,
    data: &[u8],
    flags: libc::c_int,
    to: Option<(*const libc::sockaddr, libc::socklen_t)>,
) -> libc::ssize_t {
    let Some(open) = socket_of(call, fd) else {
        return -1;
    };
    if !check_flags(call, flags, SEND_FLAGS) {
        return -1;
    }
    let nonblocking = open.nonblocking() || flags & libc::MSG_DONTWAIT != 0;
    if let Some(unix) = sock(&open).as_unix() {
        let r = match to {
            Some((addr, len)) if !addr.is_null() => {
                // SAFETY: the caller passed `len` readable bytes.
                unsafe { sockaddr::read_unix(addr, len, false) }
                    .and_then(|name| unix.send_named(data, Some(&name)))
            }
            _ => unix.send_named(data, None),
        };
        return transferred(call, fd, &open, nonblocking, r);
    }
    let dest = match to {
        Some((addr, len)) if !addr.is_null() => {
            // SAFETY: the caller passed `len` readable bytes.
            match unsafe { sockaddr::read(addr, len) } {
                Ok(a) => Some(a),
                Err(e) => {
                    set_errno(e);
                    return -1;
                }
            }
        }
        _ => None,
    };
    let r = sock(&open).send(data, dest);
    transferred(call, fd, &open, nonblocking, r)
}

/// A socket address as the C calls hand it out (a datagram's sender, a
/// socket's own or peer's name): an internet address, or a Unix domain
/// name.
pub(crate) enum Address {
    Inet(SocketAddr),
    Unix(Vec<u8>),
}

impl Address {
    /// Writes the address where the caller asked, as much as fits, with
    /// `*len` set to its full size.
    ///
    /// # Safety
    /// As [`sockaddr::write`].
    pub(crate) unsafe fn write(&self, addr: *mut libc::sockaddr, len: *mut libc::socklen_t) {
        match self {
            // SAFETY: the caller's guarantee.
            Address::Inet(a) => unsafe { sockaddr::write(*a, addr, len) },
            // SAFETY: the caller's guarantee.
            Address::Unix(name) => unsafe { sockaddr::write_unix(name, addr, len) },
        }
    }
}

/// `recv`, `recvfrom` and `recvmsg` once decoded: the count and sender.
pub(crate) fn recv_common(
    call: &'static str,
    fd: libc::c_int,
    buf: &mut [u8],
    flags: libc::c_int,
) -> Result<(usize, Option<Address>), libc::ssize_t> {
    let Some(open) = socket_of(call, fd) else {
        return Err(-1);
    };
    if !check_flags(call, flags, RECV_FLAGS) {
        return Err(-1);
    }
    let nonblocking = open.nonblocking() || flags & libc::MSG_DONTWAIT != 0;
    let peek = flags & libc::MSG_PEEK != 0;
    let r = match sock(&open).as_unix() {
        Some(unix) => unix
            .recv_named(buf, peek)
            .map(|(n, from)| (n, from.map(Address::Unix))),
        None => sock(&open)
            .recv(buf, peek)
            .map(|(n, from)| (n, from.map(Address::Inet))),
    };
    r.map_err(|e| transferred(call, fd, &open, nonblocking, Err(e)))
}

/// `ioctl(FIONREAD)` on a virtual socket.
pub(crate) fn readable_bytes(open: &OpenFile) -> Option<Result<usize, Errno>> {
    open.file.as_socket().map(|s| s.readable_bytes())
}

/// Whether `socketpair(2)` is the simulation's: inside a host step. While
/// a runtime is built it is the kernel's: tokio's signal driver makes its
/// process-wide pair then, once.
pub(crate) fn socketpair_is_virtual() -> bool {
    is_sim_thread() && crate::wakers::building().is_none() && crate::wakers::stepping().is_some()
}

/// `socketpair(2)` inside a host step: two connected Unix domain sockets
/// from the network crate's factory (`EOPNOTSUPP` for any other domain, as
/// Linux says for internet sockets).
pub(crate) fn socketpair(
    domain: libc::c_int,
    ty: libc::c_int,
    protocol: libc::c_int,
    sv: *mut libc::c_int,
) -> libc::c_int {
    if domain != libc::AF_UNIX {
        set_errno(libc::EOPNOTSUPP);
        return -1;
    }
    if sv.is_null() {
        set_errno(libc::EFAULT);
        return -1;
    }
    let Some(factory) = factory_or_refuse("socketpair") else {
        return -1;
    };
    let flags = ty & (libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC);
    let owner = vfd::current_owner();
    let pair = factory(domain, ty & !flags, protocol, owner).and_then(|a| {
        let b = factory(domain, ty & !flags, protocol, owner)?;
        let unix = a
            .as_socket()
            .and_then(|s| s.as_unix())
            .ok_or(libc::EOPNOTSUPP)?;
        unix.pair_with(&b)?;
        Ok((a, b))
    });
    let (a, b) = match pair {
        Ok(pair) => pair,
        Err(e) => {
            set_errno(e);
            return -1;
        }
    };
    let fd_a = match open_with_flags(a, flags) {
        Ok(fd) => fd,
        Err(e) => {
            set_errno(e);
            return -1;
        }
    };
    match open_with_flags(b, flags) {
        Ok(fd_b) => {
            // SAFETY: the caller passed room for two descriptors.
            unsafe {
                sv.write(fd_a);
                sv.add(1).write(fd_b);
            }
            0
        }
        Err(e) => {
            // SAFETY: `fd_a` was just opened here and is nobody else's.
            unsafe { super::descriptors::close(fd_a) };
            set_errno(e);
            -1
        }
    }
}

/// The C library's `socketpair`.
pub(crate) fn real_socketpair(
    domain: libc::c_int,
    ty: libc::c_int,
    protocol: libc::c_int,
    sv: *mut libc::c_int,
) -> libc::c_int {
    count("socketpair");
    match next_fn!(
        "socketpair"
            as unsafe extern "C" fn(
                libc::c_int,
                libc::c_int,
                libc::c_int,
                *mut libc::c_int,
            ) -> libc::c_int
    ) {
        // SAFETY: forwarding the caller's arguments unchanged.
        Some(real) => unsafe { real(domain, ty, protocol, sv) },
        None => {
            set_errno(libc::ENOSYS);
            -1
        }
    }
}
