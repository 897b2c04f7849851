//! The libc functions this crate defines in place of the C library's.
//!
//! Each is `#[no_mangle] extern "C"`: the executable's own definition wins
//! over libc's for every call made from Rust code (std, tokio, mio), which is
//! all we need. On a simulation thread each does the simulated thing; on any
//! other thread it forwards to the real implementation. None of them may
//! panic (a panic cannot unwind out of an `extern "C"` function), so every
//! thread-local access is fallible and falls back to the real call.

mod blocking;
mod clock;
mod epoll;
mod random;
mod waker_fd;

/// Sets `errno` for the calling thread.
fn set_errno(code: libc::c_int) {
    // SAFETY: __errno_location always returns a valid pointer to this thread's errno.
    unsafe { *libc::__errno_location() = code };
}

/// Makes sure the linker keeps this module's object code, whatever the
/// crate graph looks like (the interposers are never called by name).
#[inline(never)]
pub fn keep() -> usize {
    clock::clock_gettime as *const () as usize
        ^ clock::gettimeofday as *const () as usize
        ^ clock::time as *const () as usize
        ^ epoll::epoll_wait as *const () as usize
        ^ random::getrandom as *const () as usize
        ^ random::getentropy as *const () as usize
        ^ waker_fd::eventfd as *const () as usize
        ^ waker_fd::write as *const () as usize
        ^ blocking::nanosleep as *const () as usize
        ^ blocking::clock_nanosleep as *const () as usize
        ^ blocking::socket as *const () as usize
}
