//! `struct sockaddr` to and from [`SocketAddr`], with the checks Linux
//! makes on the length and the family.

use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::vfd::Errno;

const V4_LEN: usize = std::mem::size_of::<libc::sockaddr_in>();
const V6_LEN: usize = std::mem::size_of::<libc::sockaddr_in6>();

/// Reads the address the caller passed: `EINVAL` if `len` is too short for
/// its family (or the pointer is null), `EAFNOSUPPORT` for a family other
/// than `AF_INET` and `AF_INET6`.
///
/// # Safety
/// `addr` must be valid for `len` readable bytes (or null).
pub(crate) unsafe fn read(
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
) -> Result<SocketAddr, Errno> {
    let len = len as usize;
    if addr.is_null() || len < std::mem::size_of::<libc::sa_family_t>() {
        return Err(libc::EINVAL);
    }
    // SAFETY: at least the family is readable (checked above).
    let family = unsafe { std::ptr::addr_of!((*addr).sa_family).read_unaligned() };
    match family as libc::c_int {
        libc::AF_INET if len >= V4_LEN => {
            // SAFETY: `len` covers a sockaddr_in.
            let a = unsafe { (addr as *const libc::sockaddr_in).read_unaligned() };
            Ok(SocketAddr::V4(SocketAddrV4::new(
                Ipv4Addr::from(u32::from_be(a.sin_addr.s_addr)),
                u16::from_be(a.sin_port),
            )))
        }
        libc::AF_INET6 if len >= V6_LEN => {
            // SAFETY: `len` covers a sockaddr_in6.
            let a = unsafe { (addr as *const libc::sockaddr_in6).read_unaligned() };
            Ok(SocketAddr::V6(SocketAddrV6::new(
                Ipv6Addr::from(a.sin6_addr.s6_addr),
                u16::from_be(a.sin6_port),
                u32::from_be(a.sin6_flowinfo),
                a.sin6_scope_id,
            )))
        }
        libc::AF_INET | libc::AF_INET6 => Err(libc::EINVAL),
        _ => Err(libc::EAFNOSUPPORT),
    }
}

/// Writes `value` where the caller asked (`getsockname`, `accept`,
/// `recvfrom`): as much as fits in `*len`, and `*len` set to the full
/// size, as Linux does. Nothing is written when either pointer is null.
///
/// # Safety
/// `addr` must be valid for `*len` writable bytes, `len` for one
/// `socklen_t` (either may be null).
pub(crate) unsafe fn write(
    value: SocketAddr,
    addr: *mut libc::sockaddr,
    len: *mut libc::socklen_t,
) {
    if addr.is_null() || len.is_null() {
        return;
    }
    // SAFETY: the caller's guarantee for `len`.
    let room = unsafe { len.read() } as usize;
    let mut storage: libc::sockaddr_storage = unsafe { std::mem::zeroed() };
    let size = match value {
        SocketAddr::V4(a) => {
            let sin = libc::sockaddr_in {
                sin_family: libc::AF_INET as libc::sa_family_t,
                sin_port: a.port().to_be(),
                sin_addr: libc::in_addr {
                    s_addr: u32::from(*a.ip()).to_be(),
                },
                sin_zero: [0; 8],
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in.
            unsafe {
                (&mut storage as *mut libc::sockaddr_storage as *mut libc::sockaddr_in).write(sin)
            };
            V4_LEN
        }
        SocketAddr::V6(a) => {
            let sin6 = libc::sockaddr_in6 {
                sin6_family: libc::AF_INET6 as libc::sa_family_t,
                sin6_port: a.port().to_be(),
                sin6_flowinfo: a.flowinfo().to_be(),
                sin6_addr: libc::in6_addr {
                    s6_addr: a.ip().octets(),
                },
                sin6_scope_id: a.scope_id(),
            };
            // SAFETY: sockaddr_storage is larger than sockaddr_in6.
            unsafe {
                (&mut storage as *mut libc::sockaddr_storage as *mut libc::sockaddr_in6).write(sin6)
            };
            V6_LEN
        }
    };
    let n = room.min(size);
    // SAFETY: `n` bytes fit in both; the caller's guarantee for `addr`.
    unsafe {
        std::ptr::copy_nonoverlapping(
            &storage as *const libc::sockaddr_storage as *const u8,
            addr as *mut u8,
            n,
        );
        len.write(size as libc::socklen_t);
    }
}

/// `offsetof(struct sockaddr_un, sun_path)`.
const UN_PATH_OFFSET: usize = std::mem::size_of::<libc::sa_family_t>();
const UN_LEN: usize = std::mem::size_of::<libc::sockaddr_un>();

/// Reads a `sockaddr_un` as Linux's `unix_validate_addr` and `unix_mkname`
/// do: the family must be `AF_UNIX` and the length fit the structure
/// (`EINVAL` otherwise); the name is a pathname up to its first NUL, or an
/// abstract name (leading NUL) of the length given. Only the family, for
/// `bind` (`autobind`), gives an empty name; `connect` needs a name.
///
/// # Safety
/// `addr` must be valid for `len` readable bytes (or null).
pub(crate) unsafe fn read_unix(
    addr: *const libc::sockaddr,
    len: libc::socklen_t,
    autobind: bool,
) -> Result<Vec<u8>, Errno> {
    let len = len as usize;
    if addr.is_null() || !(UN_PATH_OFFSET..=UN_LEN).contains(&len) {
        return Err(libc::EINVAL);
    }
    // SAFETY: at least the family is readable (checked above).
    let family = unsafe { std::ptr::addr_of!((*addr).sa_family).read_unaligned() };
    if family as libc::c_int != libc::AF_UNIX {
        return Err(libc::EINVAL);
    }
    if len == UN_PATH_OFFSET {
        return if autobind {
            Ok(Vec::new())
        } else {
            Err(libc::EINVAL)
        };
    }
    // SAFETY: the caller's `len` bytes, of which the path is the rest.
    let path = unsafe {
        std::slice::from_raw_parts(
            (addr as *const u8).add(UN_PATH_OFFSET),
            len - UN_PATH_OFFSET,
        )
    };
    if path[0] == 0 {
        return Ok(path.to_vec());
    }
    let end = path.iter().position(|&b| b == 0).unwrap_or(path.len());
    Ok(path[..end].to_vec())
}

/// Writes `name` as a `sockaddr_un` where the caller asked, as much as fits,
/// with `*len` set to the full size: the family alone for an unnamed
/// socket, a pathname with its NUL, an abstract name as it is.
///
/// # Safety
/// As [`write`].
pub(crate) unsafe fn write_unix(name: &[u8], addr: *mut libc::sockaddr, len: *mut libc::socklen_t) {
    if addr.is_null() || len.is_null() {
        return;
    }
    let mut bytes = Vec::with_capacity(UN_LEN);
    bytes.extend_from_slice(&(libc::AF_UNIX as libc::sa_family_t).to_ne_bytes());
    bytes.extend_from_slice(name);
    if name.first().is_some_and(|&b| b != 0) {
        bytes.push(0);
    }
    bytes.truncate(UN_LEN);
    // SAFETY: the caller's guarantee for `len`.
    let room = unsafe { len.read() } as usize;
    let n = room.min(bytes.len());
    // SAFETY: `n` bytes fit in both; the caller's guarantee for `addr`.
    unsafe {
        std::ptr::copy_nonoverlapping(bytes.as_ptr(), addr as *mut u8, n);
        len.write(bytes.len() as libc::socklen_t);
    }
}
