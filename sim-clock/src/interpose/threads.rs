//! `pthread_create`: a thread started by host code belongs to the host.
//!
//! On a simulation thread, while a host is stepped or its runtime is built
//! or stopped, the new thread is counted at once and starts in a
//! trampoline that holds it until the scheduler lets the host's threads run
//! (see [`crate::threads`]). Every other thread is created as usual.

use super::forward::next_fn;
use crate::threads::{self, Ticket};

type StartRoutine = extern "C" fn(*mut libc::c_void) -> *mut libc::c_void;
type PthreadCreate = unsafe extern "C" fn(
    *mut libc::pthread_t,
    *const libc::pthread_attr_t,
    StartRoutine,
    *mut libc::c_void,
) -> libc::c_int;

/// What the trampoline needs: the caller's routine and argument, and the
/// ticket that orders the thread among its host's.
struct Start {
    routine: StartRoutine,
    arg: *mut libc::c_void,
    ticket: Ticket,
}

extern "C" fn trampoline(start: *mut libc::c_void) -> *mut libc::c_void {
    // SAFETY: made by `Box::into_raw` in `pthread_create` below, for this
    // thread only.
    let start = unsafe { Box::from_raw(start.cast::<Start>()) };
    let Start {
        routine,
        arg,
        ticket,
    } = *start;
    ticket.enter();
    let result = routine(arg);
    ticket.exit();
    result
}

fn in_host_code() -> bool {
    crate::is_sim_thread()
        && (crate::wakers::stepping().is_some() || crate::wakers::building().is_some())
}

/// Creates the thread; from host code, through the trampoline.
///
/// # Safety
/// As libc's `pthread_create`.
#[no_mangle]
pub unsafe extern "C" fn pthread_create(
    thread: *mut libc::pthread_t,
    attr: *const libc::pthread_attr_t,
    routine: StartRoutine,
    arg: *mut libc::c_void,
) -> libc::c_int {
    let Some(real) = next_fn!(@ident pthread_create as PthreadCreate) else {
        return libc::EAGAIN;
    };
    let ticket = if in_host_code() {
        threads::new_ticket()
    } else {
        None
    };
    let Some(ticket) = ticket else {
        // SAFETY: the caller's arguments, unchanged.
        return unsafe { real(thread, attr, routine, arg) };
    };
    let start = Box::into_raw(Box::new(Start {
        routine,
        arg,
        ticket,
    }));
    // SAFETY: the caller's thread and attributes; our routine and argument,
    // which the new thread owns from here on.
    let r = unsafe { real(thread, attr, trampoline, start.cast()) };
    if r != 0 {
        // SAFETY: the thread was not created, so the box is still ours.
        let start = unsafe { Box::from_raw(start) };
        start.ticket.cancel();
    }
    r
}
