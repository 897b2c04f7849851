//! The real clocks, read with raw system calls so that they bypass the
//! interposers even on a simulation thread (for wall-clock limits and
//! benchmarks).

use std::time::{Duration, SystemTime, UNIX_EPOCH};

fn raw_clock(clock: libc::clockid_t) -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec for the duration of the call.
    unsafe {
        libc::syscall(
            libc::SYS_clock_gettime,
            clock,
            &mut ts as *mut libc::timespec,
        );
    }
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// The real monotonic clock (time since boot), whatever thread asks.
pub fn monotonic() -> Duration {
    raw_clock(libc::CLOCK_MONOTONIC)
}

/// The real wall clock, whatever thread asks.
pub fn system_time() -> SystemTime {
    UNIX_EPOCH + raw_clock(libc::CLOCK_REALTIME)
}

/// A stopwatch on the real monotonic clock, usable inside a simulation
/// (where `std::time::Instant` reads virtual time).
#[derive(Clone, Copy, Debug)]
pub struct Stopwatch(Duration);

impl Stopwatch {
    /// Starts a stopwatch now.
    pub fn start() -> Stopwatch {
        Stopwatch(monotonic())
    }

    /// Real time elapsed since [`Stopwatch::start`].
    pub fn elapsed(&self) -> Duration {
        monotonic().saturating_sub(self.0)
    }
}
