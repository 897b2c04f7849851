//! `epoll_wait`: never blocks on a simulation thread; reports the park.

use crate::thread_state::is_sim_thread;

/// On a simulation thread: records the runtime's park timeout (see
/// [`crate::park`]) and returns 0 events at once. Elsewhere: the real call.
///
/// # Safety
/// As libc's `epoll_wait`.
#[no_mangle]
pub unsafe extern "C" fn epoll_wait(
    epfd: libc::c_int,
    events: *mut libc::epoll_event,
    maxevents: libc::c_int,
    timeout: libc::c_int,
) -> libc::c_int {
    if is_sim_thread() {
        crate::park::on_epoll_wait(timeout);
        return 0;
    }
    // SAFETY: forwarding the caller's arguments; epoll_pwait with a null
    // sigmask is epoll_wait (x86_64 has no epoll_wait on every architecture).
    unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait,
            epfd,
            events,
            maxevents,
            timeout,
            std::ptr::null::<libc::sigset_t>(),
            8usize,
        ) as libc::c_int
    }
}
