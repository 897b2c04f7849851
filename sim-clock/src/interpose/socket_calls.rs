//! The C entry points of the socket calls: a virtual descriptor goes to
//! [`super::sockets`], a real one to the C library.

use super::forward::{count, next_fn};
use super::set_errno;
use super::sockets;
use crate::vfd::is_virtual;

type Sockaddr = *const libc::sockaddr;
type SockaddrOut = *mut libc::sockaddr;
type Len = libc::socklen_t;
type LenOut = *mut libc::socklen_t;
type Buf = *const libc::c_void;
type BufOut = *mut libc::c_void;

/// Defines an interposer whose first argument is the descriptor: `$virt`
/// on a virtual one, the C library's function otherwise.
macro_rules! socket_call {
    ($(
        $name:ident($fd:ident $(, $arg:ident: $ty:ty)*) -> $ret:ty => $virt:expr;
    )*) => {$(
        /// The simulated call on a virtual descriptor (see the module); the
        /// C library's function otherwise.
        ///
        /// # Safety
        /// As the C library's function of this name.
        #[no_mangle]
        pub unsafe extern "C" fn $name($fd: libc::c_int $(, $arg: $ty)*) -> $ret {
            if is_virtual($fd) {
                return $virt;
            }
            count(stringify!($name));
            match next_fn!(@ident $name as unsafe extern "C" fn(libc::c_int $(, $ty)*) -> $ret) {
                // SAFETY: forwarding the caller's arguments unchanged.
                Some(real) => unsafe { real($fd $(, $arg)*) },
                None => {
                    set_errno(libc::ENOSYS);
                    -1
                }
            }
        }
    )*};
}

/// # Safety
/// `ptr` must be valid for `len` bytes (or `len` zero).
unsafe fn bytes<'a>(ptr: Buf, len: usize) -> &'a [u8] {
    // SAFETY: the caller's guarantee.
    unsafe { super::descriptors::bytes(ptr, len) }
}

/// # Safety
/// `ptr` must be valid for `len` writable bytes (or `len` zero).
unsafe fn bytes_mut<'a>(ptr: BufOut, len: usize) -> &'a mut [u8] {
    // SAFETY: the caller's guarantee.
    unsafe { super::descriptors::bytes_mut(ptr, len) }
}

/// `recvfrom` on a virtual socket.
///
/// # Safety
/// As libc's `recvfrom`.
unsafe fn recvfrom_virtual(
    call: &'static str,
    fd: libc::c_int,
    buf: BufOut,
    n: libc::size_t,
    flags: libc::c_int,
    addr: SockaddrOut,
    len: LenOut,
) -> libc::ssize_t {
    // SAFETY: the caller passed `n` writable bytes.
    let data = unsafe { bytes_mut(buf, n) };
    match sockets::recv_common(call, fd, data, flags) {
        Ok((got, from)) => {
            if let Some(from) = from {
                // SAFETY: the caller's buffer and length.
                unsafe { from.write(addr, len) };
            } else if !len.is_null() && !addr.is_null() {
                // A stream socket leaves the address alone; Linux sets
                // the length to 0.
                // SAFETY: the caller's length.
                unsafe { len.write(0) };
            }
            got as libc::ssize_t
        }
        Err(ret) => ret,
    }
}

/// # Safety
/// `msg` must be a valid `msghdr` for reading (and its iovecs valid).
unsafe fn gather(msg: *const libc::msghdr) -> Option<Vec<u8>> {
    if msg.is_null() {
        return None;
    }
    // SAFETY: the caller's guarantee.
    let m = unsafe { &*msg };
    let n = m.msg_iovlen;
    if n > libc::UIO_MAXIOV as usize {
        return None;
    }
    let mut data = Vec::new();
    for i in 0..n {
        // SAFETY: `msg_iov` holds `msg_iovlen` iovecs.
        let v = unsafe { &*m.msg_iov.add(i) };
        // SAFETY: each iovec is valid for `iov_len` readable bytes.
        data.extend_from_slice(unsafe { bytes(v.iov_base, v.iov_len) });
    }
    Some(data)
}

/// `sendmsg` on a virtual socket.
///
/// # Safety
/// As libc's `sendmsg`.
unsafe fn sendmsg_virtual(
    fd: libc::c_int,
    msg: *const libc::msghdr,
    flags: libc::c_int,
) -> libc::ssize_t {
    // SAFETY: the caller's message.
    let Some(data) = (unsafe { gather(msg) }) else {
        set_errno(if msg.is_null() {
            libc::EFAULT
        } else {
            libc::EMSGSIZE
        });
        return -1;
    };
    // SAFETY: checked non-null by `gather`.
    let m = unsafe { &*msg };
    let to = (!m.msg_name.is_null()).then_some((m.msg_name as Sockaddr, m.msg_namelen));
    sockets::send_common("sendmsg", fd, &data, flags, to)
}

/// `recvmsg` on a virtual socket: the data scattered over the iovecs, the
/// sender in `msg_name`, no control messages.
///
/// # Safety
/// As libc's `recvmsg`.
unsafe fn recvmsg_virtual(
    fd: libc::c_int,
    msg: *mut libc::msghdr,
    flags: libc::c_int,
) -> libc::ssize_t {
    if msg.is_null() {
        set_errno(libc::EFAULT);
        return -1;
    }
    // SAFETY: the caller's message.
    let m = unsafe { &mut *msg };
    if m.msg_iovlen > libc::UIO_MAXIOV as usize {
        set_errno(libc::EMSGSIZE);
        return -1;
    }
    // SAFETY: `msg_iov` holds `msg_iovlen` iovecs.
    let iov = unsafe { std::slice::from_raw_parts(m.msg_iov, m.msg_iovlen) };
    let total: usize = iov.iter().map(|v| v.iov_len).sum();
    let mut tmp = vec![0u8; total];
    let (got, from) = match sockets::recv_common("recvmsg", fd, &mut tmp, flags) {
        Ok(r) => r,
        Err(ret) => return ret,
    };
    let mut done = 0;
    for v in iov {
        let take = v.iov_len.min(got - done);
        // SAFETY: each iovec is valid for `iov_len` writable bytes.
        unsafe { bytes_mut(v.iov_base, take) }.copy_from_slice(&tmp[done..done + take]);
        done += take;
    }
    let mut namelen = m.msg_namelen;
    match from {
        Some(from) if !m.msg_name.is_null() => {
            // SAFETY: `msg_name` holds `msg_namelen` bytes.
            unsafe { from.write(m.msg_name.cast(), &mut namelen) };
        }
        _ => namelen = 0,
    }
    m.msg_namelen = namelen;
    m.msg_controllen = 0;
    m.msg_flags = 0;
    got as libc::ssize_t
}

socket_call! {
    bind(fd, addr: Sockaddr, len: Len) -> libc::c_int => sockets::bind(fd, addr, len);
    connect(fd, addr: Sockaddr, len: Len) -> libc::c_int => sockets::connect(fd, addr, len);
    listen(fd, backlog: libc::c_int) -> libc::c_int => sockets::listen(fd, backlog);
    accept(fd, addr: SockaddrOut, len: LenOut) -> libc::c_int =>
        sockets::accept4(fd, addr, len, 0, "accept");
    accept4(fd, addr: SockaddrOut, len: LenOut, flags: libc::c_int) -> libc::c_int =>
        sockets::accept4(fd, addr, len, flags, "accept4");
    getsockname(fd, addr: SockaddrOut, len: LenOut) -> libc::c_int =>
        sockets::getsockname(fd, addr, len);
    getpeername(fd, addr: SockaddrOut, len: LenOut) -> libc::c_int =>
        sockets::getpeername(fd, addr, len);
    setsockopt(fd, level: libc::c_int, name: libc::c_int, value: Buf, len: Len) -> libc::c_int =>
        sockets::setsockopt(fd, level, name, value, len);
    getsockopt(fd, level: libc::c_int, name: libc::c_int, value: BufOut, len: LenOut) -> libc::c_int =>
        sockets::getsockopt(fd, level, name, value, len);
    shutdown(fd, how: libc::c_int) -> libc::c_int => sockets::shutdown(fd, how);
    // SAFETY (each below): the caller's buffers, as the C function takes them.
    send(fd, buf: Buf, n: libc::size_t, flags: libc::c_int) -> libc::ssize_t =>
        sockets::send_common("send", fd, unsafe { bytes(buf, n) }, flags, None);
    sendto(fd, buf: Buf, n: libc::size_t, flags: libc::c_int, addr: Sockaddr, len: Len) -> libc::ssize_t =>
        sockets::send_common("sendto", fd, unsafe { bytes(buf, n) }, flags, Some((addr, len)));
    sendmsg(fd, msg: *const libc::msghdr, flags: libc::c_int) -> libc::ssize_t =>
        unsafe { sendmsg_virtual(fd, msg, flags) };
    recv(fd, buf: BufOut, n: libc::size_t, flags: libc::c_int) -> libc::ssize_t =>
        unsafe { recvfrom_virtual("recv", fd, buf, n, flags, std::ptr::null_mut(), std::ptr::null_mut()) };
    recvfrom(fd, buf: BufOut, n: libc::size_t, flags: libc::c_int, addr: SockaddrOut, len: LenOut) -> libc::ssize_t =>
        unsafe { recvfrom_virtual("recvfrom", fd, buf, n, flags, addr, len) };
    recvmsg(fd, msg: *mut libc::msghdr, flags: libc::c_int) -> libc::ssize_t =>
        unsafe { recvmsg_virtual(fd, msg, flags) };
}

/// A virtual socket inside a simulated host; the kernel's elsewhere.
///
/// # Safety
/// As libc's `socket`.
#[no_mangle]
pub unsafe extern "C" fn socket(
    domain: libc::c_int,
    ty: libc::c_int,
    protocol: libc::c_int,
) -> libc::c_int {
    sockets::socket(domain, ty, protocol)
}

/// Inside a simulated host, two connected Unix domain sockets of the
/// simulation (see [`sockets::socketpair`]); the C library's elsewhere.
///
/// # Safety
/// As libc's `socketpair`.
#[no_mangle]
pub unsafe extern "C" fn socketpair(
    domain: libc::c_int,
    ty: libc::c_int,
    protocol: libc::c_int,
    sv: *mut libc::c_int,
) -> libc::c_int {
    if sockets::socketpair_is_virtual() {
        return sockets::socketpair(domain, ty, protocol, sv);
    }
    sockets::real_socketpair(domain, ty, protocol, sv)
}
