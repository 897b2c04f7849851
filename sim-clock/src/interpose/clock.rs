//! `clock_gettime`, `gettimeofday` and `time`.

use std::sync::OnceLock;

use crate::thread_state::with_sim_clock;

type ClockGettime = unsafe extern "C" fn(libc::clockid_t, *mut libc::timespec) -> libc::c_int;
type Gettimeofday = unsafe extern "C" fn(*mut libc::timeval, *mut libc::c_void) -> libc::c_int;

/// libc's own function, found past ours, so that threads outside a
/// simulation keep the fast vDSO path (a raw syscall is several times slower,
/// which would handicap turmoil running beside us in a benchmark).
fn next_symbol(name: &'static [u8]) -> usize {
    // SAFETY: `name` is NUL-terminated; RTLD_NEXT lookups have no other preconditions.
    unsafe { libc::dlsym(libc::RTLD_NEXT, name.as_ptr().cast()) as usize }
}

fn real_clock_gettime() -> Option<ClockGettime> {
    static REAL: OnceLock<usize> = OnceLock::new();
    let f = *REAL.get_or_init(|| next_symbol(b"clock_gettime\0"));
    // SAFETY: a non-null result of dlsym("clock_gettime") is libc's function of that type.
    (f != 0).then(|| unsafe { std::mem::transmute::<usize, ClockGettime>(f) })
}

fn real_gettimeofday() -> Option<Gettimeofday> {
    static REAL: OnceLock<usize> = OnceLock::new();
    let f = *REAL.get_or_init(|| next_symbol(b"gettimeofday\0"));
    // SAFETY: a non-null result of dlsym("gettimeofday") is libc's function of that type.
    (f != 0).then(|| unsafe { std::mem::transmute::<usize, Gettimeofday>(f) })
}

fn write_timespec(tp: *mut libc::timespec, nanos: u64) {
    if tp.is_null() {
        return;
    }
    // SAFETY: the caller passed a writable timespec, as clock_gettime requires.
    unsafe {
        (*tp).tv_sec = (nanos / 1_000_000_000) as libc::time_t;
        (*tp).tv_nsec = (nanos % 1_000_000_000) as libc::c_long;
    }
}

/// Virtual on a simulation thread for the monotonic and realtime clock ids;
/// CPU-time clocks and every other thread get the real clock.
///
/// # Safety
/// As libc's `clock_gettime`: `tp` must be valid for writes.
#[no_mangle]
pub unsafe extern "C" fn clock_gettime(
    clock: libc::clockid_t,
    tp: *mut libc::timespec,
) -> libc::c_int {
    let virtual_nanos = with_sim_clock(|c| match clock {
        libc::CLOCK_MONOTONIC
        | libc::CLOCK_MONOTONIC_RAW
        | libc::CLOCK_MONOTONIC_COARSE
        | libc::CLOCK_BOOTTIME => Some(c.monotonic_nanos()),
        libc::CLOCK_REALTIME | libc::CLOCK_REALTIME_COARSE | libc::CLOCK_TAI => {
            Some(c.realtime_nanos())
        }
        _ => None,
    });
    match virtual_nanos {
        Some(Some(nanos)) => {
            write_timespec(tp, nanos);
            0
        }
        // SAFETY: the caller's arguments, unchanged.
        _ => unsafe { forward_clock_gettime(clock, tp) },
    }
}

/// The host's clock on a thread its host started (see [`crate::threads`]).
fn host_thread_nanos(clock: libc::clockid_t) -> Option<u64> {
    let (monotonic, realtime) = crate::threads::host_clock()?;
    match clock {
        libc::CLOCK_MONOTONIC
        | libc::CLOCK_MONOTONIC_RAW
        | libc::CLOCK_MONOTONIC_COARSE
        | libc::CLOCK_BOOTTIME => Some(monotonic),
        libc::CLOCK_REALTIME | libc::CLOCK_REALTIME_COARSE | libc::CLOCK_TAI => Some(realtime),
        _ => None,
    }
}

/// The real `clock_gettime` (or, on a host's thread, the host's clock),
/// out of line so that the simulated path above stays short.
///
/// # Safety
/// As libc's `clock_gettime`.
#[cold]
#[inline(never)]
unsafe fn forward_clock_gettime(clock: libc::clockid_t, tp: *mut libc::timespec) -> libc::c_int {
    if let Some(nanos) = host_thread_nanos(clock) {
        write_timespec(tp, nanos);
        return 0;
    }
    match real_clock_gettime() {
        // SAFETY: forwarding the caller's arguments unchanged.
        Some(real) => unsafe { real(clock, tp) },
        // SAFETY: as above, through the kernel directly.
        None => unsafe { libc::syscall(libc::SYS_clock_gettime, clock, tp) as libc::c_int },
    }
}

/// The realtime clock in microseconds, virtual on a simulation thread.
///
/// # Safety
/// As libc's `gettimeofday`: `tv` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn gettimeofday(
    tv: *mut libc::timeval,
    tz: *mut libc::c_void,
) -> libc::c_int {
    if let Some(nanos) = with_sim_clock(|c| c.realtime_nanos()) {
        if !tv.is_null() {
            // SAFETY: checked non-null; the caller passed a writable timeval.
            unsafe {
                (*tv).tv_sec = (nanos / 1_000_000_000) as libc::time_t;
                (*tv).tv_usec = ((nanos % 1_000_000_000) / 1_000) as libc::suseconds_t;
            }
        }
        return 0;
    }
    if let Some(nanos) = host_thread_nanos(libc::CLOCK_REALTIME) {
        if !tv.is_null() {
            // SAFETY: checked non-null; the caller passed a writable timeval.
            unsafe {
                (*tv).tv_sec = (nanos / 1_000_000_000) as libc::time_t;
                (*tv).tv_usec = ((nanos % 1_000_000_000) / 1_000) as libc::suseconds_t;
            }
        }
        return 0;
    }
    match real_gettimeofday() {
        // SAFETY: forwarding the caller's arguments unchanged.
        Some(real) => unsafe { real(tv, tz) },
        // SAFETY: as above, through the kernel directly.
        None => unsafe { libc::syscall(libc::SYS_gettimeofday, tv, tz) as libc::c_int },
    }
}

/// Seconds since the Unix epoch, virtual on a simulation thread.
///
/// # Safety
/// As libc's `time`: `out` must be null or valid for writes.
#[no_mangle]
pub unsafe extern "C" fn time(out: *mut libc::time_t) -> libc::time_t {
    let secs = if let Some(nanos) = with_sim_clock(|c| c.realtime_nanos()) {
        (nanos / 1_000_000_000) as libc::time_t
    } else if let Some(nanos) = host_thread_nanos(libc::CLOCK_REALTIME) {
        (nanos / 1_000_000_000) as libc::time_t
    } else {
        crate::real::system_time()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as libc::time_t)
            .unwrap_or(0)
    };
    if !out.is_null() {
        // SAFETY: checked non-null; the caller passed a writable time_t.
        unsafe { *out = secs };
    }
    secs
}
