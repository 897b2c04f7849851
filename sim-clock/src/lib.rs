//! Virtual time for a whole process, one simulation thread at a time.
//!
//! This crate defines `clock_gettime`, `gettimeofday`, `time`, `getrandom`,
//! `getentropy`, `nanosleep`, `clock_nanosleep`, `socket`, the epoll and
//! eventfd calls, and the calls that take a file descriptor (`read`,
//! `write`, `close`, `fcntl`, ...) in place of the C library's. On a thread
//! that runs a simulation (one holding a [`SimThreadGuard`]):
//!
//! - monotonic clocks (`std::time::Instant`, `tokio::time::Instant`) read
//!   the virtual instant, realtime clocks (`SystemTime`) read a configurable
//!   epoch plus virtual elapsed time plus the current host's skew;
//! - every host's epoll instance, eventfd (and, provided by a network
//!   crate, sockets) are virtual descriptors in a per-simulation table
//!   ([`vfd`]): no host holds a real descriptor or makes a system call;
//! - `epoll_wait` never sleeps: it returns the virtual epoll's ready events,
//!   or tells the scheduler that the host's tokio runtime is idle and when
//!   its next timer is due ([`park`]);
//! - `getrandom`/`getentropy` draw from the simulation's seeded generator, so
//!   `HashMap` order and `tokio::select!` choices follow the seed;
//! - a write to a host runtime's waker makes the scheduler step that host at
//!   the same instant ([`wakers`]);
//! - `getaddrinfo` answers from the simulation's names ([`names`]), and
//!   threads a host starts (`spawn_blocking`) run alone, at the instant
//!   they were started, with the host's clock and randomness ([`threads`]);
//! - blocking sleeps, real sockets inside a host and calls the layer does
//!   not model on a virtual descriptor are refused and reported
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
pub mod names;
pub mod park;
pub mod real;
mod thread_state;
pub mod threads;
mod time;
pub mod vfd;
pub mod wakers;

pub use interpose::forward::forwarded_calls;

pub use thread_state::{
    enter, is_sim_thread, now, set_entropy_source, set_now, set_realtime_adjustment,
    take_violation, take_violations, EnterError, EntropySource, SimThreadGuard, ThreadConfig,
    Violation, DEFAULT_EPOCH_UNIX_NANOS, MONOTONIC_BASE_NANOS,
};
pub use time::SimTime;

/// Keeps the interposers linked into the final executable. `enter` calls it,
/// so any program that runs a simulation has them.
pub fn ensure_linked() -> usize {
    std::hint::black_box(interpose::keep())
}
