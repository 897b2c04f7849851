//! The socket options Unix stream and datagram sockets answer alike.

use sim_clock::vfd::{self, Errno};

use super::stream::BUFFER;

/// `setsockopt` on a Unix socket: `SO_REUSEADDR` and the buffer sizes are
/// accepted and change nothing, as on Linux (the buffer stays the default
/// one); anything else is not modelled.
pub(super) fn set(level: libc::c_int, name: libc::c_int, value: &[u8]) -> Result<(), Errno> {
    if value.len() < 4 {
        return Err(libc::EINVAL);
    }
    match (level, name) {
        (libc::SOL_SOCKET, libc::SO_REUSEADDR | libc::SO_SNDBUF | libc::SO_RCVBUF) => Ok(()),
        _ => unmodelled("setsockopt", level, name),
    }
}

/// `getsockopt` of an int option on a Unix socket: `own` answers what
/// depends on the socket (`SO_ERROR`, `SO_TYPE`, `SO_ACCEPTCONN`), the rest
/// is common; writes the value into `out` and returns its full length.
pub(super) fn get_int(
    level: libc::c_int,
    name: libc::c_int,
    out: &mut [u8],
    own: impl FnOnce(libc::c_int) -> Option<libc::c_int>,
) -> Result<usize, Errno> {
    let value = match (level, name) {
        (libc::SOL_SOCKET, libc::SO_DOMAIN) => Some(libc::AF_UNIX),
        (libc::SOL_SOCKET, libc::SO_PROTOCOL) => Some(0),
        // Linux reports the buffer doubled, as it stores it.
        (libc::SOL_SOCKET, libc::SO_SNDBUF | libc::SO_RCVBUF) => Some(BUFFER as libc::c_int),
        (libc::SOL_SOCKET, name) => own(name),
        _ => None,
    };
    let Some(value) = value else {
        return unmodelled("getsockopt", level, name);
    };
    Ok(write(&value.to_ne_bytes(), out))
}

/// Copies `value` into `out` (as much as fits) and returns its full length.
pub(super) fn write(value: &[u8], out: &mut [u8]) -> usize {
    let n = out.len().min(value.len());
    out[..n].copy_from_slice(&value[..n]);
    value.len()
}

fn unmodelled<T>(call: &'static str, level: libc::c_int, name: libc::c_int) -> Result<T, Errno> {
    vfd::report_unsupported(
        call,
        format!(
            "option ({level}, {name}) of a Unix domain socket is not modelled by the simulator"
        ),
    );
    Err(libc::ENOPROTOOPT)
}
