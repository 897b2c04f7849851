//! Virtual time for a whole process, one simulation thread at a time.
//!
//! This crate defines `clock_gettime`, `gettimeofday`, `time`, `epoll_wait`,
//! `getrandom`, `getentropy`, `eventfd`, `write`, `nanosleep`,
//! `clock_nanosleep` and `socket` in place of the C library's. On a thread
//! that runs a simulation (one holding a [`SimThreadGuard`]):
//!
//! - monotonic clocks (`std::time::Instant`, `tokio::time::Instant`) read
//!   the virtual instant, realtime clocks (`SystemTime`) read a configurable
//!   epoch plus virtual elapsed time plus the current host's skew;
//! - `epoll_wait` never sleeps: it tells the scheduler that the host's tokio
//!   runtime is idle and when its next timer is due ([`park`]);
//! - `getrandom`/`getentropy` draw from the simulation's seeded generator, so
//!   `HashMap` order and `tokio::select!` choices follow the seed;
//! - a write to a host runtime's waker is recorded so the scheduler can step
//!   that host at the same instant ([`wakers`]);
//! - blocking sleeps and real sockets inside a host are refused and reported
//!   ([`take_violations`]).
//!
//! On every other thread each call goes to the real implementation. This is
//! the low layer of the simulator; users normally meet it through `sim-core`.
//!
//! ```
//! use sim_clock::{enter, set_now, SimTime, ThreadConfig};
//! use std::time::{Duration, SystemTime, UNIX_EPOCH};
//!
//! let sim = std::thread::spawn(|| {
//!     let _guard = enter(ThreadConfig { epoch_unix_nanos: 1_000_000_000_000_000_000 }).unwrap();
//!     set_now(SimTime::ZERO + Duration::from_millis(250));
//!     SystemTime::now().duration_since(UNIX_EPOCH).unwrap()
//! });
//! assert_eq!(sim.join().unwrap(), Duration::from_nanos(1_000_000_000_250_000_000));
//! // This thread was never a simulation thread: it reads the real clock.
//! assert!(SystemTime::now().duration_since(UNIX_EPOCH).unwrap() > Duration::from_secs(1_700_000_000));
//! ```
//!
//! Linux only: the interposed symbols are glibc's. macOS would need
//! `mach_absolute_time` and kqueue.

#![cfg(target_os = "linux")]
#![warn(missing_docs)]

mod interpose;
pub mod park;
pub mod real;
mod thread_state;
mod time;
pub mod wakers;

pub use thread_state::{
    enter, is_sim_thread, now, set_entropy_source, set_now, set_realtime_adjustment,
    take_violations, AlreadyActive, EntropySource, SimThreadGuard, ThreadConfig, Violation,
    DEFAULT_EPOCH_UNIX_NANOS, MONOTONIC_BASE_NANOS,
};
pub use time::SimTime;

/// Keeps the interposers linked into the final executable. `enter` calls it,
/// so any program that runs a simulation has them.
pub fn ensure_linked() -> usize {
    std::hint::black_box(interpose::keep())
}
