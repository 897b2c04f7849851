//! `epoll_create`, `epoll_create1`, `epoll_ctl`, `epoll_wait`,
//! `epoll_pwait`: virtual epoll instances on a simulation thread, which
//! never sleep: "nothing ready" becomes a report that the host's runtime
//! parked (see [`crate::park`]).

use std::borrow::Cow;
use std::rc::Rc;

use super::descriptors::lookup;
use super::forward::count;
use super::refuse::{refuse, unsupported};
use super::set_errno;
use crate::thread_state::is_sim_thread;
use crate::vfd::{self, is_virtual, EpollTarget};

fn create_virtual(cloexec: bool) -> Option<libc::c_int> {
    if !is_sim_thread() {
        return None;
    }
    let factory = vfd::epoll_factory()?;
    let made =
        factory(vfd::current_owner()).and_then(|file| vfd::open(file, libc::O_RDWR, cloexec));
    Some(made.unwrap_or_else(|e| {
        set_errno(e);
        -1
    }))
}

/// A virtual epoll instance on a simulation thread (once one is
/// registered, see [`crate::vfd::set_epoll_factory`]); elsewhere the real
/// call.
///
/// # Safety
/// As libc's `epoll_create1`.
#[no_mangle]
pub unsafe extern "C" fn epoll_create1(flags: libc::c_int) -> libc::c_int {
    if flags & !libc::EPOLL_CLOEXEC != 0 {
        set_errno(libc::EINVAL);
        return -1;
    }
    if let Some(fd) = create_virtual(flags & libc::EPOLL_CLOEXEC != 0) {
        return fd;
    }
    count("epoll_create1");
    // SAFETY: plain system call with an integer argument.
    unsafe { libc::syscall(libc::SYS_epoll_create1, flags) as libc::c_int }
}

/// As [`epoll_create1`] without flags; `size` must be positive.
///
/// # Safety
/// As libc's `epoll_create`.
#[no_mangle]
pub unsafe extern "C" fn epoll_create(size: libc::c_int) -> libc::c_int {
    if size <= 0 {
        set_errno(libc::EINVAL);
        return -1;
    }
    if let Some(fd) = create_virtual(false) {
        return fd;
    }
    count("epoll_create");
    // SAFETY: plain system call with an integer argument.
    unsafe { libc::syscall(libc::SYS_epoll_create1, 0) as libc::c_int }
}

/// On a virtual epoll: adds, changes or removes `fd`, which may be virtual
/// or real (a real one is accepted and never reported ready). A virtual
/// `fd` cannot join a real epoll (`EPERM`, reported).
///
/// # Safety
/// As libc's `epoll_ctl`.
#[no_mangle]
pub unsafe extern "C" fn epoll_ctl(
    epfd: libc::c_int,
    op: libc::c_int,
    fd: libc::c_int,
    event: *mut libc::epoll_event,
) -> libc::c_int {
    if is_virtual(epfd) {
        let event = if event.is_null() {
            None
        } else {
            // SAFETY: a non-null event points to a readable epoll_event.
            Some(unsafe { std::ptr::read_unaligned(event) })
        };
        return ctl_virtual(epfd, op, fd, event);
    }
    if is_virtual(fd) {
        let advice = format!(
            "`epoll_ctl` added virtual descriptor {fd} to a real epoll instance ({epfd}); \
             create the epoll instance on the simulation thread"
        );
        refuse("epoll_ctl", Cow::Owned(advice), libc::EPERM);
        return -1;
    }
    count("epoll_ctl");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_epoll_ctl, epfd, op, fd, event) as libc::c_int }
}

fn ctl_virtual(
    epfd: libc::c_int,
    op: libc::c_int,
    fd: libc::c_int,
    event: Option<libc::epoll_event>,
) -> libc::c_int {
    let Some(open) = lookup("epoll_ctl", epfd) else {
        return -1;
    };
    let Some(epoll) = open.file.as_epoll() else {
        set_errno(libc::EINVAL);
        return -1;
    };
    if fd == epfd {
        set_errno(libc::EINVAL);
        return -1;
    }
    let target = if is_virtual(fd) {
        match vfd::get(fd) {
            Some(o) => EpollTarget::Virtual(Rc::clone(&o.file)),
            None => {
                set_errno(libc::EBADF);
                return -1;
            }
        }
    } else {
        EpollTarget::Real
    };
    if op != libc::EPOLL_CTL_DEL && event.is_none() {
        set_errno(libc::EFAULT);
        return -1;
    }
    match epoll.ctl(op, fd, target, event) {
        Ok(()) => 0,
        Err(e) => {
            set_errno(e);
            -1
        }
    }
}

/// Waits on a virtual epoll without waiting: returns the ready events, and
/// reports the park (with `timeout` when none is ready) to the scheduler.
fn wait_virtual(
    epfd: libc::c_int,
    events: *mut libc::epoll_event,
    maxevents: libc::c_int,
    timeout: libc::c_int,
) -> libc::c_int {
    if maxevents <= 0 || events.is_null() {
        set_errno(libc::EINVAL);
        return -1;
    }
    // Every park of every host comes here. With no event queued in any
    // virtual epoll (the waker never queues one), the answer is a park.
    if !vfd::any_events_queued() && vfd::is_epoll(epfd) {
        crate::park::on_epoll_wait(timeout, 0);
        return 0;
    }
    let Some(open) = vfd::get(epfd) else {
        if is_sim_thread() {
            set_errno(libc::EBADF);
        } else {
            unsupported("epoll_wait", epfd, libc::EBADF);
        }
        return -1;
    };
    let Some(epoll) = open.file.as_epoll() else {
        set_errno(libc::EINVAL);
        return -1;
    };
    // SAFETY: the caller passed room for `maxevents` events.
    let out = unsafe { std::slice::from_raw_parts_mut(events, maxevents as usize) };
    let n = epoll.wait(out);
    crate::park::on_epoll_wait(timeout, n);
    n as libc::c_int
}

/// A real epoll on a simulation thread: a zero timeout polls the kernel;
/// any other reports the park and returns no event, so that nothing ever
/// sleeps (sim-clock used without a registered epoll factory).
fn wait_real(
    epfd: libc::c_int,
    events: *mut libc::epoll_event,
    maxevents: libc::c_int,
    timeout: libc::c_int,
    sigmask: *const libc::sigset_t,
) -> libc::c_int {
    let sim = is_sim_thread();
    if sim && timeout != 0 {
        crate::park::on_epoll_wait(timeout, 0);
        return 0;
    }
    count("epoll_wait");
    // SAFETY: forwarding the caller's arguments; epoll_pwait with a null
    // sigmask is epoll_wait (which not every architecture has).
    let n = unsafe {
        libc::syscall(
            libc::SYS_epoll_pwait,
            epfd,
            events,
            maxevents,
            timeout,
            sigmask,
            8usize,
        ) as libc::c_int
    };
    if sim {
        crate::park::on_epoll_wait(0, n.max(0) as usize);
    }
    n
}

/// # Safety
/// As libc's `epoll_wait`.
#[no_mangle]
pub unsafe extern "C" fn epoll_wait(
    epfd: libc::c_int,
    events: *mut libc::epoll_event,
    maxevents: libc::c_int,
    timeout: libc::c_int,
) -> libc::c_int {
    if is_virtual(epfd) {
        return wait_virtual(epfd, events, maxevents, timeout);
    }
    wait_real(epfd, events, maxevents, timeout, std::ptr::null())
}

/// As [`epoll_wait`]; the signal mask does not matter to a wait that never
/// sleeps.
///
/// # Safety
/// As libc's `epoll_pwait`.
#[no_mangle]
pub unsafe extern "C" fn epoll_pwait(
    epfd: libc::c_int,
    events: *mut libc::epoll_event,
    maxevents: libc::c_int,
    timeout: libc::c_int,
    sigmask: *const libc::sigset_t,
) -> libc::c_int {
    if is_virtual(epfd) {
        return wait_virtual(epfd, events, maxevents, timeout);
    }
    wait_real(epfd, events, maxevents, timeout, sigmask)
}
