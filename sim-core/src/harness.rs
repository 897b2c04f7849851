//! Running a simulation from `cargo test`: seeds from the environment, sweeps
//! on several threads, shards and time budgets for CI, remembered failures,
//! per-seed process isolation, replay commands and the determinism check.
//!
//! | variable | effect |
//! |---|---|
//! | `SIM_SEED=S` | run seed `S` only (the replay of a failure) |
//! | `SIM_SEEDS=N` | sweep `N` seeds, starting from the first configured one |
//! | `SIM_CHECK_DETERMINISM=1` | run each seed twice and compare the traces event by event |
//! | `SIM_ARTIFACTS=1` / `=0` | every seed writes its artifacts / none does (default: failed seeds; see [`crate::artifacts`]) |
//! | `SIM_JOBS=N` | run seeds on `N` threads (default: the machine's cores) |
//! | `SIM_KEEP_GOING=1` | go on past failures and list every failing seed |
//! | `SIM_SHARD=i/n` | run the `i`-th of `n` disjoint slices of the seeds |
//! | `SIM_SWEEP_SECS=T` | run seeds from the first one on for `T` wall seconds |
//! | `SIM_ISOLATE=1` | run each seed in a fresh child process |
//! | `SIM_REGRESSIONS=0` | neither replay nor record `sim-regressions/` (a path: use that folder) |
//! | `SIM_REQUIRE_COVERAGE=1` / `=0` | a coverage hole fails the sweep / only warns (see [`Harness::require_coverage`]) |
//!
//! Results come back in seed order and are the same for any `SIM_JOBS`. On
//! failure [`Harness::run`] panics with the seed, the cause, and the exact
//! command that replays it:
//!
//! ```text
//! seed 17, virtual time 2.000000000s, host `client`: client panicked: lost a write at tests/kv.rs:40
//! replay: SIM_SEED=17 cargo test -p my-service --test kv -- kv_survives_crash --exact
//! artifacts: target/simnet/my-service/kv_survives_crash/17
//! ```
//!
//! ```
//! use sim_core::Harness;
//!
//! let reports = Harness::new().seeds(10..12).ignore_env().run(|sim| {
//!     sim.client("hello", async { Ok(()) });
//! });
//! assert_eq!(reports.iter().map(|r| r.seed).collect::<Vec<_>>(), vec![10, 11]);
//! ```

mod child;
mod coverage;
mod plan;
mod pool;
mod regressions;
mod replay;
mod sweep;
mod warning;
mod wire;

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::artifacts::{self, ArtifactPolicy};
use crate::builder::Builder;
use crate::error::SimError;
use crate::sim::{RunReport, Sim};
use crate::trace::{first_divergence, Divergence, TraceEvent};

pub use coverage::{coverage_text, failed_property, tally_properties, PropertyTally};
pub use plan::Shard;
pub use replay::replay_command;
pub use sweep::{SeedRun, Sweep};

/// Runs a setup closure once per seed, each on a fresh thread (or in a
/// fresh child process, see [`Isolation`]).
#[derive(Clone, Debug)]
pub struct Harness {
    builder: Builder,
    seeds: Vec<u64>,
    check_determinism: bool,
    use_env: bool,
    pub(crate) artifacts: artifacts::Settings,
    jobs: Option<usize>,
    keep_going: bool,
    shard: Option<Shard>,
    budget: Option<Duration>,
    isolation: Option<Isolation>,
    remember_failures: bool,
    require_coverage: bool,
}

/// Where each seed runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Isolation {
    /// On a fresh thread of the test process. Fast; `HashMap` order and the
    /// seeded tie-breaks replay, but process-wide state (statics, tokio's task
    /// ids and, without `--cfg tokio_unstable`, the generator behind
    /// `tokio::select!`) is shared between seeds, so a seed of a sweep may run
    /// differently when replayed alone.
    Thread,
    /// In a process of its own: the test binary runs again as a child, up to
    /// the same sweep, and forks a process per seed from there, so every
    /// seed starts from the same state, untouched by any other seed.
    /// Statics, `OnceLock` caches, tokio's process-wide counters and leaked
    /// threads of one seed cannot reach another, so `select!` choices and the
    /// drop order of a crashed host's tasks replay exactly, with or without
    /// `--cfg tokio_unstable`. Needs a libtest test (re-run by name) or a
    /// program's main thread (re-run with the same arguments).
    Process,
}

/// Why a harness run failed, with the command that replays it.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The failing seed.
    pub seed: u64,
    /// What went wrong.
    pub cause: FailureCause,
    /// A shell command that runs this seed again.
    pub replay: String,
    /// The folder holding the seed's artifacts, if they were written.
    pub artifacts: Option<PathBuf>,
}

/// What went wrong in a failed seed.
#[derive(Clone, Debug)]
pub enum FailureCause {
    /// The run ended with an error.
    Run(Box<SimError>),
    /// The setup closure panicked before the run started.
    SetupPanicked(String),
    /// Two runs of the same seed produced different traces.
    Nondeterministic(Box<Divergence>),
    /// The child process of an isolated seed ended without a result (it
    /// crashed, was killed, or the test panicked before reaching the sweep).
    ChildFailed(String),
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.cause {
            FailureCause::Run(e) => write!(f, "{e}")?,
            FailureCause::SetupPanicked(m) => {
                write!(f, "seed {}: the setup closure panicked: {m}", self.seed)?
            }
            FailureCause::Nondeterministic(d) => {
                write!(f, "seed {} is not deterministic: {d}", self.seed)?
            }
            FailureCause::ChildFailed(m) => write!(
                f,
                "seed {}: the child process running it ended without a result: {m}",
                self.seed
            )?,
        }
        write!(f, "\nreplay: {}", self.replay)?;
        if let Some(dir) = &self.artifacts {
            write!(f, "\nartifacts: {}", dir.display())?;
        }
        Ok(())
    }
}

impl std::error::Error for Failure {}

impl Default for Harness {
    fn default() -> Self {
        Harness::new()
    }
}

impl Harness {
    /// Seed 0, default [`Builder`], reading `SIM_*` variables when it runs.
    pub fn new() -> Harness {
        Harness {
            builder: Builder::new(),
            seeds: vec![0],
            check_determinism: false,
            use_env: true,
            artifacts: artifacts::Settings::default(),
            jobs: None,
            keep_going: false,
            shard: None,
            budget: None,
            isolation: None,
            remember_failures: true,
            require_coverage: false,
        }
    }

    /// The settings for every run (the seed is set per run).
    pub fn builder(mut self, builder: Builder) -> Harness {
        self.builder = builder;
        self
    }

    /// The seeds to run when the environment does not say.
    pub fn seeds(mut self, seeds: impl IntoIterator<Item = u64>) -> Harness {
        self.seeds = seeds.into_iter().collect();
        self
    }

    /// Runs each seed twice and compares the traces. The second run is in a
    /// fresh child process when one can be started (see [`Isolation`]), so
    /// the check also catches a seed that would not replay alone.
    pub fn check_determinism(mut self, check: bool) -> Harness {
        self.check_determinism = check;
        self
    }

    /// Runs seeds on `jobs` threads (`SIM_JOBS` overrides; default: the
    /// machine's cores). Results do not depend on it.
    pub fn jobs(mut self, jobs: usize) -> Harness {
        self.jobs = Some(jobs.max(1));
        self
    }

    /// Goes on past failing seeds (`SIM_KEEP_GOING` overrides); `run` then
    /// lists every failure.
    pub fn keep_going(mut self, keep_going: bool) -> Harness {
        self.keep_going = keep_going;
        self
    }

    /// Runs one slice of the seeds (`SIM_SHARD=i/n` overrides).
    pub fn shard(mut self, shard: Shard) -> Harness {
        self.shard = Some(shard);
        self
    }

    /// Runs seeds from the first configured one on, as many as fit in
    /// `budget` of wall time (`SIM_SWEEP_SECS` overrides).
    pub fn time_budget(mut self, budget: Duration) -> Harness {
        self.budget = Some(budget);
        self
    }

    /// Where each seed runs (`SIM_ISOLATE` overrides). Default:
    /// [`Isolation::Thread`].
    pub fn isolation(mut self, isolation: Isolation) -> Harness {
        self.isolation = Some(isolation);
        self
    }

    /// Whether failing seeds are written to the test's regressions file
    /// (default: yes; off for a test that fails on purpose). Remembered
    /// seeds are replayed first either way.
    pub fn remember_failures(mut self, remember: bool) -> Harness {
        self.remember_failures = remember;
        self
    }

    /// Whether [`run`](Self::run) fails a sweep that left a coverage hole: a
    /// `sometimes!` or `reachable!` that no seed hit, or an `always!` that no
    /// seed evaluated (`SIM_REQUIRE_COVERAGE` overrides). Default: no, the
    /// holes are printed as a warning.
    pub fn require_coverage(mut self, require: bool) -> Harness {
        self.require_coverage = require;
        self
    }

    /// Ignores the `SIM_*` variables, starts no child process and reads or
    /// writes no regressions file: the harness as a plain library call (for
    /// tests of the harness itself and for runners with their own options).
    pub fn ignore_env(mut self) -> Harness {
        self.use_env = false;
        self
    }

    /// The seeds (after `SIM_SEED`, `SIM_SEEDS` and `SIM_SHARD`, before the
    /// remembered failures are put first) and the check flag, after applying
    /// the environment.
    pub fn resolved(&self) -> (Vec<u64>, bool) {
        let plan = plan::Plan::resolve(self);
        (plan.configured_seeds(), plan.check)
    }

    /// Runs every seed; panics with the first failure and its replay command
    /// (with `keep_going`: with every failure).
    pub fn run<F>(&self, setup: F) -> Vec<RunReport>
    where
        F: Fn(&mut Sim) + Send + Sync + 'static,
    {
        let sweep = self.sweep(setup);
        if sweep.budget.is_some() {
            // Straight to the terminal, past libtest's capture: how many
            // seeds a budget bought is what a nightly job's log is for.
            let line = format!("{}\n", sweep.summary());
            let _ = std::io::Write::write_all(&mut std::io::stderr(), line.as_bytes());
        }
        // The properties and faults of the sweep, straight to the
        // terminal as well: what the seeds covered is the point of a sweep.
        let coverage = sweep.coverage_report();
        if !coverage.is_empty() {
            let _ = std::io::Write::write_all(&mut std::io::stderr(), coverage.as_bytes());
        }
        match sweep.failures().count() {
            0 => {}
            1 => panic!("{}", sweep.failures().next().unwrap()),
            _ => panic!("{}", sweep.failure_list()),
        }
        let require = self
            .use_env
            .then(|| plan::env_flag("SIM_REQUIRE_COVERAGE"))
            .flatten()
            .unwrap_or(self.require_coverage);
        let holes = sweep.coverage_holes();
        if !holes.is_empty() {
            let names: Vec<String> = holes
                .iter()
                .map(|p| format!("{} \"{}\"", p.kind, p.name))
                .collect();
            let message = format!(
                "coverage holes: no seed of {} hit {}",
                sweep.runs.len(),
                names.join(", ")
            );
            if require {
                panic!("{message}\n{}", sweep.summary());
            }
            eprintln!("simnet: warning: {message}");
        }
        sweep.into_reports()
    }

    /// Runs every seed; returns the first failure in seed order.
    pub fn try_run<F>(&self, setup: F) -> Result<Vec<RunReport>, Failure>
    where
        F: Fn(&mut Sim) + Send + Sync + 'static,
    {
        let sweep = self.sweep(setup);
        if let Some(f) = sweep.failures().next() {
            return Err(f.clone());
        }
        Ok(sweep.into_reports())
    }

    /// Runs every seed and returns each outcome, in seed order: the sweep a
    /// CI job reports on.
    pub fn sweep<F>(&self, setup: F) -> Sweep
    where
        F: Fn(&mut Sim) + Send + Sync + 'static,
    {
        let setup = Arc::new(setup);
        if self.use_env {
            if let Some(child) = child::ChildOrder::from_env() {
                return child.serve(self, setup);
            }
        }
        let plan = plan::Plan::resolve(self);
        sweep::run(self, &plan, setup)
    }

    /// Where `seed` records its artifacts from the start, when every seed
    /// does (`SIM_ARTIFACTS=1`).
    fn artifacts_always(&self, seed: u64) -> Option<PathBuf> {
        (self.artifacts.policy(self.use_env) == ArtifactPolicy::Always)
            .then(|| self.artifacts.dir(seed, self.use_env))
    }

    /// Runs `seed` on a fresh thread of this process.
    fn run_in_process<F>(
        &self,
        seed: u64,
        record: bool,
        artifacts_dir: Option<PathBuf>,
        setup: Arc<F>,
    ) -> Result<(RunReport, Option<Vec<TraceEvent>>), FailureCause>
    where
        F: Fn(&mut Sim) + Send + Sync + 'static,
    {
        let builder = self.builder.clone().seed(seed).record_trace(record);
        let options = self.artifacts.options(self.use_env);
        run_on_fresh_thread(seed, move || {
            let mut sim = builder.try_build()?;
            let _log = artifacts_dir
                .as_ref()
                .map(|_| artifacts::harness::start(&mut sim, options));
            setup(&mut sim);
            let result = sim.run();
            if let Some(dir) = &artifacts_dir {
                artifacts::harness::finish(&mut sim, dir);
            }
            let report = result?;
            Ok((report, sim.take_trace_events()))
        })
    }
}

/// Compares two recorded runs of one seed.
fn compare_runs(
    first: Option<Vec<TraceEvent>>,
    second: Option<Vec<TraceEvent>>,
) -> Result<(), FailureCause> {
    let (a, b) = (first.unwrap_or_default(), second.unwrap_or_default());
    match first_divergence(&a, &b) {
        Some(d) => Err(FailureCause::Nondeterministic(Box::new(d))),
        None => Ok(()),
    }
}

/// Runs `f` on a new thread named after the seed, turning a panic of `f`
/// (outside the simulation's own error handling) into `SetupPanicked`.
fn run_on_fresh_thread<T: Send + 'static>(
    seed: u64,
    f: impl FnOnce() -> Result<T, SimError> + Send + 'static,
) -> Result<T, FailureCause> {
    let handle = std::thread::Builder::new()
        .name(format!("sim-seed-{seed}"))
        .stack_size(64 << 20)
        .spawn(f)
        .map_err(|e| FailureCause::SetupPanicked(format!("could not start a thread: {e}")))?;
    match handle.join() {
        Ok(result) => result.map_err(|e| FailureCause::Run(Box::new(e))),
        Err(p) => Err(FailureCause::SetupPanicked(crate::panics::payload_message(
            &*p,
        ))),
    }
}
