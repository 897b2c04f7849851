//! The libc functions this crate defines in place of the C library's.
//!
//! Each is `#[no_mangle] extern "C"`: the executable's own definition wins
//! over libc's for every call made from Rust code (std, tokio, mio), which is
//! all we need. On a simulation thread each does the simulated thing; on any
//! other thread it forwards to the real implementation. None of them may
//! panic (a panic cannot unwind out of an `extern "C"` function), so every
//! thread-local access is fallible and falls back to the real call.
//!
//! Calls that take a descriptor first check whether it is virtual (one
//! comparison, see [`crate::vfd`]); a real descriptor goes to the kernel
//! whatever the thread, so a log file or temp file opened inside a host
//! keeps working.

mod blocking;
mod clock;
mod descriptors;
mod epoll;
mod eventfd;
pub(crate) mod forward;
mod names;
mod poll;
mod random;
mod refuse;
mod sockaddr;
mod socket_calls;
mod sockets;
mod threads;
mod unsupported;

/// Sets `errno` for the calling thread.
fn set_errno(code: libc::c_int) {
    // SAFETY: __errno_location always returns a valid pointer to this thread's errno.
    unsafe { *libc::__errno_location() = code };
}

/// Makes sure the linker keeps this module's object code, whatever the
/// crate graph looks like (the interposers are never called by name).
#[inline(never)]
pub fn keep() -> usize {
    let all: &[*const ()] = &[
        clock::clock_gettime as *const (),
        clock::gettimeofday as *const (),
        clock::time as *const (),
        random::getrandom as *const (),
        random::getentropy as *const (),
        blocking::nanosleep as *const (),
        blocking::clock_nanosleep as *const (),
        socket_calls::socket as *const (),
        socket_calls::socketpair as *const (),
        names::getaddrinfo as *const (),
        names::freeaddrinfo as *const (),
        threads::pthread_create as *const (),
        epoll::epoll_create as *const (),
        epoll::epoll_create1 as *const (),
        epoll::epoll_ctl as *const (),
        epoll::epoll_wait as *const (),
        epoll::epoll_pwait as *const (),
        eventfd::eventfd as *const (),
        descriptors::read as *const (),
        descriptors::write as *const (),
        descriptors::readv as *const (),
        descriptors::writev as *const (),
        descriptors::close as *const (),
        descriptors::dup as *const (),
        descriptors::dup2 as *const (),
        descriptors::dup3 as *const (),
        descriptors::fcntl as *const (),
        descriptors::ioctl as *const (),
        poll::poll as *const (),
        poll::ppoll as *const (),
        unsupported::fstat as *const (),
        unsupported::fstat64 as *const (),
        unsupported::fstatfs as *const (),
        unsupported::statx as *const (),
        unsupported::lseek as *const (),
        unsupported::lseek64 as *const (),
        unsupported::pread as *const (),
        unsupported::pread64 as *const (),
        unsupported::pwrite as *const (),
        unsupported::pwrite64 as *const (),
        unsupported::preadv as *const (),
        unsupported::pwritev as *const (),
        unsupported::fsync as *const (),
        unsupported::fdatasync as *const (),
        unsupported::ftruncate as *const (),
        unsupported::ftruncate64 as *const (),
        unsupported::fallocate as *const (),
        unsupported::fchmod as *const (),
        unsupported::fchown as *const (),
        unsupported::flock as *const (),
        unsupported::mmap as *const (),
        unsupported::mmap64 as *const (),
        unsupported::sendfile as *const (),
        unsupported::sendfile64 as *const (),
        unsupported::splice as *const (),
        unsupported::copy_file_range as *const (),
        socket_calls::recv as *const (),
        socket_calls::recvfrom as *const (),
        socket_calls::recvmsg as *const (),
        socket_calls::send as *const (),
        socket_calls::sendto as *const (),
        socket_calls::sendmsg as *const (),
        socket_calls::bind as *const (),
        socket_calls::connect as *const (),
        socket_calls::listen as *const (),
        socket_calls::accept as *const (),
        socket_calls::accept4 as *const (),
        socket_calls::getsockname as *const (),
        socket_calls::getpeername as *const (),
        socket_calls::setsockopt as *const (),
        socket_calls::getsockopt as *const (),
        socket_calls::shutdown as *const (),
    ];
    all.iter().fold(0, |acc, f| acc ^ (*f as usize))
}
