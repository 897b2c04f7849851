//! The registry: every bundled scenario, by name, with what it reads and
//! how to replay one of its seeds.
//!
//! ```
//! use scenarios::{registry, Params};
//!
//! let broken = registry::find("broken").unwrap();
//! assert!(!broken.in_all, "the deliberately broken scenario stays out of --all");
//! assert_eq!(
//!     broken.replay_command(3, &Params::default()),
//!     "cargo run --release -p scenarios -- run broken --seed 3"
//! );
//! assert!(registry::find("nope").unwrap_err().to_string().contains("heartbeats"));
//! ```

use std::fmt;
use std::time::Duration;

use sim_core::nemesis::{self, Nemesis};
use sim_core::{Builder, Harness, Sim};

use crate::params::{Param, Params};
use crate::{
    broken, bulk, crash_restart, echo, grpc_ping, heartbeats, http_allowlist, kv_quorum, p2p_relay,
    partition_heal, pingpong, swizzle, udp_ping,
};

/// The command that runs this crate's binary; replay commands start with it.
pub const COMMAND_PREFIX: &str = "cargo run --release -p scenarios --";

/// Virtual time a run may take beyond the scenario's own length before the
/// simulator calls it a hang (a checker that never wakes, for instance).
const TIME_LIMIT_MARGIN: Duration = Duration::from_secs(60);

/// The wall-clock limit of a small run (the simulator's default).
const WALL_CLOCK_LIMIT: Duration = Duration::from_secs(120);

/// One bundled scenario: a setup for a [`Sim`] plus what the runner needs to
/// know about it.
#[derive(Clone, Copy, Debug)]
pub struct Scenario {
    /// The name used on the command line (`scenarios run <name>`).
    pub name: &'static str,
    /// One line for `scenarios list`.
    pub description: &'static str,
    /// The knobs the scenario reads; the others do not change its run.
    pub params: &'static [Param],
    /// Whether `scenarios run --all` includes it.
    pub in_all: bool,
    /// Adds the scenario's hosts and clients to a fresh simulation.
    pub setup: fn(&mut Sim, &Params),
    /// How much virtual time a passing run takes with these parameters.
    pub virtual_duration: fn(&Params) -> Duration,
}

impl Scenario {
    /// The simulation settings for this scenario: the default [`Builder`]
    /// with a time limit that leaves the scenario room to finish, and a
    /// wall-clock limit that grows with the work asked for (the default two
    /// minutes, plus 100 µs per host per virtual second), so that a run of
    /// 100,000 hosts is not stopped as a hang.
    pub fn builder(&self, params: &Params) -> Builder {
        let virtual_secs = (self.virtual_duration)(params).as_secs();
        let host_seconds = u64::from(params.hosts).saturating_mul(virtual_secs);
        let wall = WALL_CLOCK_LIMIT
            + Duration::from_micros(100)
                .saturating_mul(u32::try_from(host_seconds).unwrap_or(u32::MAX));
        Builder::new()
            .time_limit((self.virtual_duration)(params) + TIME_LIMIT_MARGIN)
            .wall_clock_limit(wall)
    }

    /// A [`Harness`] with this scenario's settings that reads `SIM_SEED` and
    /// `SIM_SEEDS`, for `cargo test`.
    pub fn harness(&self, params: &Params) -> Harness {
        Harness::new().builder(self.builder(params))
    }

    /// The setup as a closure a [`Harness`] can call once per seed. With
    /// `params.faults`, it then turns on the built-in fault schedule
    /// ([`Nemesis`]) over the scenario's server hosts for the scenario's
    /// whole length, unless the scenario installed one itself.
    pub fn setup_with(&self, params: &Params) -> impl Fn(&mut Sim) + Send + Sync + 'static {
        let (setup, params) = (self.setup, *params);
        let active = (self.virtual_duration)(&params);
        move |sim: &mut Sim| {
            setup(sim, &params);
            if params.faults && !nemesis::installed(sim) {
                Nemesis::new().active_for(active).install(sim);
            }
        }
    }

    /// The exact command line that runs `seed` of this scenario again with
    /// these parameters (only non-default knobs the scenario reads appear).
    pub fn replay_command(&self, seed: u64, params: &Params) -> String {
        let mut cmd = format!("{COMMAND_PREFIX} run {} --seed {seed}", self.name);
        for arg in params.non_default(self.params) {
            cmd.push(' ');
            cmd.push_str(&arg);
        }
        if params.faults {
            cmd.push_str(" --faults");
        }
        cmd
    }
}

/// Every bundled scenario, in the order `list` and `--all` use.
pub fn all() -> &'static [Scenario] {
    &SCENARIOS
}

static SCENARIOS: [Scenario; 17] = [
    heartbeats::SCENARIO,
    crash_restart::SCENARIO,
    echo::SCENARIO,
    pingpong::SCENARIO,
    udp_ping::SCENARIO,
    partition_heal::SCENARIO,
    swizzle::SCENARIO,
    bulk::SCENARIO,
    grpc_ping::SCENARIO,
    http_allowlist::SCENARIO,
    p2p_relay::SCENARIO,
    p2p_relay::PEER_RESTART,
    p2p_relay::RELAY_CRASH,
    p2p_relay::PARTITION,
    kv_quorum::SCENARIO,
    kv_quorum::BROKEN,
    broken::SCENARIO,
];

/// The scenario called `name`.
pub fn find(name: &str) -> Result<&'static Scenario, UnknownScenario> {
    all()
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| UnknownScenario {
            name: name.to_string(),
        })
}

/// A scenario name that no bundled scenario has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownScenario {
    /// The name asked for.
    pub name: String,
}

impl fmt::Display for UnknownScenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let known: Vec<&str> = all().iter().map(|s| s.name).collect();
        write!(
            f,
            "unknown scenario `{}`; known scenarios: {} (see `scenarios list`)",
            self.name,
            known.join(", ")
        )
    }
}

impl std::error::Error for UnknownScenario {}
