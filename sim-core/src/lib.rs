//! The deterministic core of the simulator: scheduler, hosts, seeds, replay.
//!
//! A [`Sim`] runs every host of a distributed system inside one thread, each
//! on its own tokio runtime, under a virtual clock and one seeded random
//! generator. Virtual time jumps straight from one event to the next: a host
//! is stepped only when a timer of it is due or something woke it, so an
//! hour of heartbeats takes a fraction of a second. The same seed replays
//! the same run, event for event.
//!
//! ```
//! use std::time::Duration;
//! use sim_core::Harness;
//!
//! // One simulation per seed, each on a fresh thread; a failure panics with
//! // the seed and the command that replays it.
//! Harness::new().seeds(0..3).run(|sim| {
//!     sim.host("ticker", || async {
//!         let mut tick = tokio::time::interval(Duration::from_secs(1));
//!         loop {
//!             tick.tick().await;
//!         }
//!     });
//!     sim.client("check", async {
//!         let t0 = std::time::Instant::now();
//!         tokio::time::sleep(Duration::from_secs(60)).await;
//!         assert_eq!(t0.elapsed(), Duration::from_secs(60));
//!         Ok(())
//!     });
//! });
//! ```
//!
//! Pieces:
//! - [`Builder`] / [`Sim`]: hosts, clients, actors, `run`, `step`, lifecycle
//!   (`crash`, `kill`, `restart`, `pause`, `resume`, clock skew);
//! - free functions ([`crash`], [`host_name`], [`rng()`], ...) for code inside
//!   the simulation;
//! - [`Actor`]: how model code such as the network plugs into the scheduler;
//! - [`Harness`]: seeds from the environment, replay, determinism check;
//! - [`logging`]: `tracing` output stamped with virtual time and host;
//! - finding bugs without writing a fault loop: [`nemesis`] (a fault
//!   schedule drawn from the seed), [`buggify!`] (rare paths on purpose),
//!   [`properties`] (`always!`, `sometimes!`, `reachable!`, `unreachable!`,
//!   counted over a sweep).
//!
//! Linux only (see `sim-clock`).

#![cfg(target_os = "linux")]
#![warn(missing_docs)]

mod actor;
mod api;
pub mod artifacts;
pub mod buggify;
mod builder;
mod descriptors;
mod error;
pub mod harness;
mod host;
mod ids;
pub mod journal;
mod lifecycle;
pub mod logging;
pub mod nemesis;
mod panics;
pub mod properties;
mod queue;
pub mod rng;
mod sim;
pub mod trace;
mod watchdog;
mod world;

pub use actor::{actor_changed, Actor, HostEvent};
pub use api::{
    crash, current_host, extension, host_id, host_name, host_stopping, in_simulation, jump_clock,
    kill, name_of, pause, restart, resume, seed, set_clock_drift, set_clock_offset, sim_time,
    trace_note, ClockOffset,
};
pub use artifacts::ArtifactSource;
pub use builder::Builder;
pub use error::{ErrorKind, SimError};
pub use harness::Harness;
pub use host::{BoxError, Result, SELECT_IS_SEEDED};
pub use ids::{ActorId, HostId};
pub use journal::RecordOptions;
pub use rng::{rng, SimRng};
pub use sim::{HostState, RunReport, Sim};
pub use sim_clock::SimTime;

/// What the exported macros need from other crates.
#[doc(hidden)]
pub mod __private {
    pub use linkme;
}
