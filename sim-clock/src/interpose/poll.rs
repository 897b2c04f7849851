//! `poll` and `ppoll` over virtual descriptors: answered from the objects'
//! readiness, never waiting.

use std::borrow::Cow;

use super::forward::count;
use super::refuse::refuse;
use crate::vfd::{self, is_virtual};

/// Fills `revents` of every virtual entry; returns how many are ready, or
/// `None` if the set holds no virtual descriptor.
fn poll_virtual(fds: &mut [libc::pollfd]) -> Option<libc::c_int> {
    if !fds.iter().any(|p| is_virtual(p.fd)) {
        return None;
    }
    let mut ready = 0;
    for p in fds.iter_mut() {
        p.revents = 0;
        if p.fd < 0 {
            continue;
        }
        if is_virtual(p.fd) {
            p.revents = match vfd::file(p.fd) {
                Some(f) => {
                    let always = (libc::POLLERR | libc::POLLHUP) as u32;
                    let wanted = p.events as u16 as u32 | always;
                    (f.readiness() & wanted) as libc::c_short
                }
                None => libc::POLLNVAL,
            };
        } else {
            // A real descriptor beside virtual ones: asked without waiting.
            let mut one = libc::pollfd {
                fd: p.fd,
                events: p.events,
                revents: 0,
            };
            count("poll");
            // SAFETY: one valid pollfd, zero timeout.
            unsafe {
                libc::syscall(
                    libc::SYS_ppoll,
                    &mut one,
                    1,
                    &libc::timespec {
                        tv_sec: 0,
                        tv_nsec: 0,
                    },
                    std::ptr::null::<libc::sigset_t>(),
                    8usize,
                )
            };
            p.revents = one.revents;
        }
        if p.revents != 0 {
            ready += 1;
        }
    }
    Some(ready)
}

/// Answers a set with virtual descriptors at once; a call that would wait
/// for one of them is reported (every host shares the simulation thread).
fn answer(fds: *mut libc::pollfd, nfds: libc::nfds_t, waits: bool) -> Option<libc::c_int> {
    if fds.is_null() || nfds == 0 {
        return None;
    }
    // SAFETY: the caller passed `nfds` pollfds.
    let set = unsafe { std::slice::from_raw_parts_mut(fds, nfds as usize) };
    let ready = poll_virtual(set)?;
    if ready == 0 && waits {
        let advice = "`poll` would wait for a virtual descriptor: every host shares the \
                      simulation thread; use the async (tokio) API instead";
        refuse("poll", Cow::Borrowed(advice), libc::EAGAIN);
        return Some(0);
    }
    Some(ready)
}

/// # Safety
/// As libc's `poll`.
#[no_mangle]
pub unsafe extern "C" fn poll(
    fds: *mut libc::pollfd,
    nfds: libc::nfds_t,
    timeout: libc::c_int,
) -> libc::c_int {
    if let Some(n) = answer(fds, nfds, timeout != 0) {
        return n;
    }
    count("poll");
    let ts;
    let tsp = if timeout < 0 {
        std::ptr::null()
    } else {
        ts = libc::timespec {
            tv_sec: (timeout / 1000) as libc::time_t,
            tv_nsec: ((timeout % 1000) * 1_000_000) as libc::c_long,
        };
        &ts as *const libc::timespec
    };
    // SAFETY: forwarding the caller's set; ppoll with a null mask is poll.
    unsafe {
        libc::syscall(
            libc::SYS_ppoll,
            fds,
            nfds,
            tsp,
            std::ptr::null::<libc::sigset_t>(),
            8usize,
        ) as libc::c_int
    }
}

/// # Safety
/// As libc's `ppoll`.
#[no_mangle]
pub unsafe extern "C" fn ppoll(
    fds: *mut libc::pollfd,
    nfds: libc::nfds_t,
    timeout: *const libc::timespec,
    sigmask: *const libc::sigset_t,
) -> libc::c_int {
    let waits = timeout.is_null() || {
        // SAFETY: a non-null timeout points to a readable timespec.
        let t = unsafe { &*timeout };
        t.tv_sec != 0 || t.tv_nsec != 0
    };
    if let Some(n) = answer(fds, nfds, waits) {
        return n;
    }
    count("ppoll");
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_ppoll, fds, nfds, timeout, sigmask, 8usize) as libc::c_int }
}
