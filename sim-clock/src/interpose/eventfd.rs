//! `eventfd`: a virtual eventfd on a simulation thread.

use super::forward::count;
use super::set_errno;
use crate::thread_state::is_sim_thread;
use crate::vfd;

/// A virtual eventfd on a simulation thread (once one is registered, see
/// [`crate::vfd::set_eventfd_factory`]); elsewhere the real call.
///
/// # Safety
/// As libc's `eventfd`.
#[no_mangle]
pub unsafe extern "C" fn eventfd(initval: libc::c_uint, flags: libc::c_int) -> libc::c_int {
    let known = libc::EFD_CLOEXEC | libc::EFD_NONBLOCK | libc::EFD_SEMAPHORE;
    if flags & !known != 0 {
        set_errno(libc::EINVAL);
        return -1;
    }
    if is_sim_thread() {
        if let Some(factory) = vfd::eventfd_factory() {
            let semaphore = flags & libc::EFD_SEMAPHORE != 0;
            let status = libc::O_RDWR | (flags & libc::EFD_NONBLOCK);
            let cloexec = flags & libc::EFD_CLOEXEC != 0;
            let made = factory(initval, semaphore, vfd::current_owner())
                .and_then(|file| vfd::open(file, status, cloexec));
            return match made {
                Ok(fd) => {
                    // The eventfd a runtime makes while it is built is its
                    // waker: writes to it go straight to the scheduler.
                    if let Some(host) = crate::wakers::building() {
                        vfd::with_table(|t| t.mark_waker(fd, host));
                    }
                    fd
                }
                Err(e) => {
                    set_errno(e);
                    -1
                }
            };
        }
    }
    count("eventfd");
    // SAFETY: plain system call with integer arguments.
    unsafe { libc::syscall(libc::SYS_eventfd2, initval, flags) as libc::c_int }
}
