//! Sleeps that would block the simulation thread: refused and reported.
//!
//! A host that sleeps the OS thread would stall every other host (they share
//! one thread). That is a bug in the code under test; the simulation reports
//! it with advice instead of hanging.

use crate::thread_state::{is_sim_thread, record_violation, Violation};

fn in_host_step() -> bool {
    is_sim_thread() && crate::wakers::stepping().is_some()
}

/// A sleep inside host code: on the simulation thread, or on a thread the
/// host started (a `spawn_blocking` task), which runs while virtual time
/// stands still and every host waits for it.
fn sleep_refused(call: &'static str) -> bool {
    if in_host_step() {
        refuse_sleep(call);
        return true;
    }
    if crate::threads::is_host_thread() {
        crate::threads::record_violation(&Violation {
            call,
            advice:
                "a blocking task (spawn_blocking) of a simulated host slept on the real clock; \
                     its host's threads run while virtual time stands still, so the sleep would \
                     never end in virtual time: use tokio::time::sleep in async code"
                    .into(),
        });
        return true;
    }
    false
}

fn refuse_sleep(call: &'static str) {
    record_violation(Violation {
        call,
        advice: "std::thread::sleep (or another blocking sleep) inside a simulated host blocks \
                 every host; use tokio::time::sleep, which advances virtual time"
            .into(),
    });
}

/// Returns at once inside a host step (and reports it); sleeps elsewhere.
///
/// # Safety
/// As libc's `nanosleep`.
#[no_mangle]
pub unsafe extern "C" fn nanosleep(
    req: *const libc::timespec,
    rem: *mut libc::timespec,
) -> libc::c_int {
    if sleep_refused("nanosleep") {
        return 0;
    }
    // SAFETY: forwarding the caller's arguments unchanged.
    unsafe { libc::syscall(libc::SYS_nanosleep, req, rem) as libc::c_int }
}

/// Returns at once inside a host step (and reports it); sleeps elsewhere.
///
/// # Safety
/// As libc's `clock_nanosleep`.
#[no_mangle]
pub unsafe extern "C" fn clock_nanosleep(
    clock: libc::clockid_t,
    flags: libc::c_int,
    req: *const libc::timespec,
    rem: *mut libc::timespec,
) -> libc::c_int {
    if sleep_refused("clock_nanosleep") {
        return 0;
    }
    // SAFETY: forwarding the caller's arguments unchanged.
    let r = unsafe { libc::syscall(libc::SYS_clock_nanosleep, clock, flags, req, rem) };
    // clock_nanosleep returns the error number instead of setting errno.
    if r < 0 {
        std::io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EINVAL)
    } else {
        0
    }
}
