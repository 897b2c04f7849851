//! The model's `io::Error`s as the `errno` values Linux gives for them.

use std::io;

use sim_clock::vfd::Errno;

/// The `errno` for a model error: its OS code if it has one, else the
/// code Linux uses for that kind of failure.
pub(crate) fn errno_of(e: &io::Error) -> Errno {
    if let Some(code) = e.raw_os_error() {
        return code;
    }
    use io::ErrorKind as K;
    match e.kind() {
        K::WouldBlock => libc::EAGAIN,
        K::AddrInUse => libc::EADDRINUSE,
        K::AddrNotAvailable => libc::EADDRNOTAVAIL,
        K::ConnectionRefused => libc::ECONNREFUSED,
        K::ConnectionReset => libc::ECONNRESET,
        K::ConnectionAborted => libc::ECONNABORTED,
        K::NotConnected => libc::ENOTCONN,
        K::BrokenPipe => libc::EPIPE,
        K::TimedOut => libc::ETIMEDOUT,
        K::InvalidInput | K::InvalidData => libc::EINVAL,
        K::PermissionDenied => libc::EACCES,
        K::HostUnreachable => libc::EHOSTUNREACH,
        K::NetworkUnreachable => libc::ENETUNREACH,
        K::NetworkDown => libc::ENETDOWN,
        K::Unsupported => libc::EOPNOTSUPP,
        K::Interrupted => libc::EINTR,
        K::OutOfMemory => libc::ENOMEM,
        K::AlreadyExists => libc::EEXIST,
        K::NotFound => libc::ENOENT,
        K::UnexpectedEof => libc::EPIPE,
        _ => libc::EIO,
    }
}

/// The `errno` of a model result's error.
pub(crate) fn check<T>(r: io::Result<T>) -> Result<T, Errno> {
    r.map_err(|e| errno_of(&e))
}
