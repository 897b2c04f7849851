//! Bundled scenarios of the deterministic network simulator, and the
//! machinery the `scenarios` command uses to run them over many seeds.
//!
//! A scenario is a real test of the simulator: a setup that adds hosts and
//! clients to a [`sim_core::Sim`], with assertions that fail the run when
//! the simulator breaks a promise (a timer fires late, a crashed host's task
//! runs again, a clock drifts from virtual time). The [`registry`] names
//! them; [`runner`] sweeps seeds and keeps every failure with the command
//! that replays it.
//!
//! From the command line:
//!
//! ```text
//! cargo run --release -p scenarios -- list
//! cargo run --release -p scenarios -- run --all
//! cargo run --release -p scenarios -- run heartbeats --seeds 20 --hosts 50 --json
//! cargo run --release -p scenarios -- run broken --seed 3      # a replay
//! ```
//!
//! From a test, through [`sim_core::Harness`] (so `SIM_SEED` and `SIM_SEEDS`
//! apply):
//!
//! ```
//! use scenarios::{registry, Params};
//!
//! let heartbeats = registry::find("heartbeats").unwrap();
//! let params = Params { hosts: 5, virtual_secs: 30, ..Params::DEFAULT };
//! let reports = heartbeats
//!     .harness(&params)
//!     .seeds(0..2)
//!     .ignore_env()
//!     .run(heartbeats.setup_with(&params));
//! assert_eq!(reports.len(), 2);
//! assert_ne!(reports[0].trace_hash, reports[1].trace_hash, "each seed staggers the hosts differently");
//! ```
//!
//! Scenarios: [`heartbeats`], [`crash_restart`], the network scenarios on
//! sim-net ([`echo`], [`udp_ping`], [`partition_heal`], [`bulk`],
//! [`pingpong`], [`swizzle`]), gRPC
//! with tonic over sim-net ([`grpc_ping`], on the [`pinger`] service), HTTP
//! with axum and hyper over sim-net ([`http_allowlist`], the [`p2p_relay`]
//! variants), a replicated store under the built-in fault schedule
//! checked with properties ([`kv_quorum`]), and
//! [`broken`], which is broken on purpose to show replay and stays out of
//! `--all`.

#![cfg(target_os = "linux")]
#![warn(missing_docs)]

pub mod bench_env;
pub mod broken;
pub mod bulk;
pub mod clocks;
pub mod crash_restart;
pub mod echo;
pub mod grpc_caller;
pub mod grpc_ping;
pub mod heartbeats;
pub mod http_allowlist;
pub mod kv_quorum;
pub mod memory;
pub mod p2p_relay;
pub mod params;
pub mod partition_heal;
pub mod pattern;
pub mod pinger;
pub mod pingpong;
pub mod registry;
pub mod runner;
pub mod swizzle;
pub mod udp_ping;
pub mod web;
pub mod wire;

pub use params::{Param, Params};
pub use registry::Scenario;

/// The guide's chapters whose `rust` code blocks stand alone, compiled and
/// run as doctests of this crate (which depends on every crate of the
/// workspace). The HTTP and gRPC chapters are checked another way: their
/// code blocks are copies of compiled examples, and `tests/grpc.rs` and
/// `tests/http.rs` check the copies.
/// `tests/guide_code_blocks.rs` checks that every `rust` block of the guide
/// is one or the other, or marked `ignore` with a reason.
#[cfg(doctest)]
pub mod guide {
    #[doc = include_str!("../../docs/src/introduction.md")]
    pub mod introduction {}
    #[doc = include_str!("../../docs/src/concepts.md")]
    pub mod concepts {}
    #[doc = include_str!("../../docs/src/writing-tests.md")]
    pub mod writing_tests {}
    #[doc = include_str!("../../docs/src/faults.md")]
    pub mod faults {}
    #[doc = include_str!("../../docs/src/network.md")]
    pub mod network {}
    #[doc = include_str!("../../docs/src/sockets.md")]
    pub mod sockets {}
    #[doc = include_str!("../../docs/src/names-and-blocking.md")]
    pub mod names_and_blocking {}
    #[doc = include_str!("../../docs/src/exploring-faults.md")]
    pub mod exploring_faults {}
    #[doc = include_str!("../../docs/src/internals.md")]
    pub mod internals {}
}
