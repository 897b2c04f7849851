//! `eventfd` and `write`: runtime wake-ups seen by the scheduler (see
//! [`crate::wakers`]).

use crate::thread_state::is_sim_thread;

/// Creates the descriptor for real and, while a host's runtime is being
/// built on a simulation thread, records it as that host's waker.
///
/// # Safety
/// As libc's `eventfd`.
#[no_mangle]
pub unsafe extern "C" fn eventfd(initval: libc::c_uint, flags: libc::c_int) -> libc::c_int {
    // SAFETY: plain system call with integer arguments.
    let fd = unsafe { libc::syscall(libc::SYS_eventfd2, initval, flags) as libc::c_int };
    if fd >= 0 && is_sim_thread() {
        crate::wakers::on_eventfd_created(fd);
    }
    fd
}

/// A write to a simulated host's waker is recorded, not performed; every
/// other write goes to the kernel.
///
/// # Safety
/// As libc's `write`: `buf` must be valid for `count` readable bytes.
#[no_mangle]
pub unsafe extern "C" fn write(
    fd: libc::c_int,
    buf: *const libc::c_void,
    count: libc::size_t,
) -> libc::ssize_t {
    if is_sim_thread() && crate::wakers::on_write(fd) {
        return count as libc::ssize_t;
    }
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_write, fd, buf, count) as libc::ssize_t }
}
