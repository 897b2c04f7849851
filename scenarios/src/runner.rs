//! Running a scenario over a range of seeds and collecting every outcome.
//!
//! Each seed runs through [`sim_core::Harness`] on its own fresh thread
//! (which is what makes `HashMap` order and `select!` replay), and a failing
//! seed does not stop the sweep: every failure is kept, with the command
//! that replays it. Seeds may run on several worker threads at once; each
//! run is still alone on its thread, so results do not depend on `jobs`.
//!
//! ```
//! use scenarios::{registry, runner, Params};
//!
//! let broken = registry::find("broken").unwrap();
//! let run = runner::run_seeds(broken, &Params::default(), &[0, 1, 2, 3], 1, &|_| {});
//! assert_eq!(run.outcomes.len(), 4);
//! for failure in run.failures() {
//!     assert!(failure.replay.ends_with(&format!("run broken --seed {}", failure.seed)));
//! }
//! ```
//!
//! With an [`ArtifactRequest`] ([`run_seeds_with`]), seeds also leave their
//! artifacts (`trace.jsonl`, `packets.pcapng`, `dropped.pcapng`,
//! `timeline.html`) in `<dir>/<scenario>/<seed>/`: failed seeds only, or
//! every seed.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sim_core::artifacts::ArtifactPolicy;
use std::collections::BTreeMap;

use sim_core::harness::{failed_property, tally_properties, FailureCause, PropertyTally};
use sim_core::nemesis::FaultKind;
use sim_core::{Harness, RecordOptions, RunReport};

use crate::params::Params;
use crate::registry::Scenario;

/// How one seed ended.
#[derive(Clone, Debug)]
pub enum SeedOutcome {
    /// The run passed.
    Passed(RunReport),
    /// The run failed.
    Failed(SeedFailure),
}

impl SeedOutcome {
    /// The seed.
    pub fn seed(&self) -> u64 {
        match self {
            SeedOutcome::Passed(r) => r.seed,
            SeedOutcome::Failed(f) => f.seed,
        }
    }
}

/// A failed seed: what went wrong, when, and how to see it again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeedFailure {
    /// The seed.
    pub seed: u64,
    /// Virtual time of the failure, in nanoseconds.
    pub virtual_ns: u64,
    /// The simulator's description of the failure (it names the seed).
    pub message: String,
    /// The command line that replays this seed.
    pub replay: String,
    /// Real time the run took.
    pub wall: Duration,
    /// The folder of the seed's artifacts, if it wrote them.
    pub artifacts: Option<PathBuf>,
    /// The property that failed the seed, if one did.
    pub property: Option<String>,
}

/// Which seeds of a run leave artifacts, and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArtifactRequest {
    /// Seed `s` of scenario `n` writes into `dir/n/s/`.
    pub dir: PathBuf,
    /// Every seed, not only the failed ones.
    pub every_seed: bool,
    /// How much a recording run keeps.
    pub options: RecordOptions,
}

impl ArtifactRequest {
    /// The folder of `seed` of `scenario`.
    pub fn seed_dir(&self, scenario: &Scenario, seed: u64) -> PathBuf {
        self.dir.join(scenario.name).join(seed.to_string())
    }
}

/// Every outcome of one scenario over a set of seeds.
#[derive(Clone, Debug)]
pub struct ScenarioRun {
    /// The scenario.
    pub scenario: &'static Scenario,
    /// The parameters every seed ran with.
    pub params: Params,
    /// One outcome per seed, in the order the seeds were given.
    pub outcomes: Vec<SeedOutcome>,
    /// Real time of the whole sweep.
    pub wall: Duration,
}

impl ScenarioRun {
    /// The failed seeds.
    pub fn failures(&self) -> impl Iterator<Item = &SeedFailure> {
        self.outcomes.iter().filter_map(|o| match o {
            SeedOutcome::Failed(f) => Some(f),
            SeedOutcome::Passed(_) => None,
        })
    }

    /// The reports of the passed seeds.
    pub fn passed(&self) -> impl Iterator<Item = &RunReport> {
        self.outcomes.iter().filter_map(|o| match o {
            SeedOutcome::Passed(r) => Some(r),
            SeedOutcome::Failed(_) => None,
        })
    }

    /// The seeds, in order.
    pub fn seeds(&self) -> Vec<u64> {
        self.outcomes.iter().map(SeedOutcome::seed).collect()
    }

    /// For one seed, the run's trace hash (`None` if it failed). For a
    /// sweep, a hash of every seed with its trace hash, or with a failure
    /// mark: equal for equal sweeps of the same binary.
    pub fn trace_hash(&self) -> Option<u64> {
        if let [only] = self.outcomes.as_slice() {
            return match only {
                SeedOutcome::Passed(r) => Some(r.trace_hash),
                SeedOutcome::Failed(_) => None,
            };
        }
        let mut bytes = Vec::with_capacity(self.outcomes.len() * 16);
        for o in &self.outcomes {
            bytes.extend_from_slice(&o.seed().to_le_bytes());
            match o {
                SeedOutcome::Passed(r) => bytes.extend_from_slice(&r.trace_hash.to_le_bytes()),
                SeedOutcome::Failed(_) => bytes.extend_from_slice(b"failed"),
            }
        }
        Some(sim_core::rng::stable_hash(&bytes))
    }

    /// Every property the seeds met, with the number of seeds that hit it
    /// and that it failed (see [`sim_core::harness::tally_properties`]).
    pub fn properties(&self) -> Vec<PropertyTally> {
        let failed = self.failures().filter_map(|f| f.property.as_deref());
        tally_properties(self.passed(), failed)
    }

    /// Faults the built-in schedule injected, by kind, summed over the
    /// passed seeds; every kind is listed (zero included) when the schedule
    /// ran, none when it did not.
    pub fn faults(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for r in self.passed() {
            for (kind, n) in &r.faults {
                *out.entry(kind.clone()).or_insert(0) += n;
            }
        }
        if self.params.faults || !out.is_empty() {
            for kind in FaultKind::ALL {
                out.entry(kind.as_str().to_string()).or_insert(0);
            }
        }
        out
    }

    /// Events dispatched, summed over the passed seeds.
    pub fn events(&self) -> u64 {
        self.passed().map(|r| r.events).sum()
    }

    /// Virtual time simulated, summed over every seed (a failed seed counts
    /// up to its failure), in nanoseconds.
    pub fn virtual_ns(&self) -> u64 {
        self.outcomes
            .iter()
            .map(|o| match o {
                SeedOutcome::Passed(r) => r.virtual_time.as_nanos(),
                SeedOutcome::Failed(f) => f.virtual_ns,
            })
            .sum()
    }
}

/// Runs `seeds` of `scenario` with `params` on up to `jobs` worker threads,
/// calling `on_done` as each seed finishes (in completion order).
pub fn run_seeds(
    scenario: &'static Scenario,
    params: &Params,
    seeds: &[u64],
    jobs: usize,
    on_done: &(dyn Fn(&SeedOutcome) + Sync),
) -> ScenarioRun {
    run_seeds_with(scenario, params, seeds, jobs, None, on_done)
}

/// Like [`run_seeds`], writing artifacts as `artifacts` asks.
pub fn run_seeds_with(
    scenario: &'static Scenario,
    params: &Params,
    seeds: &[u64],
    jobs: usize,
    artifacts: Option<&ArtifactRequest>,
    on_done: &(dyn Fn(&SeedOutcome) + Sync),
) -> ScenarioRun {
    let started = Instant::now();
    let next = AtomicUsize::new(0);
    let slots: Mutex<Vec<Option<SeedOutcome>>> = Mutex::new(vec![None; seeds.len()]);
    let worker = || loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        let Some(&seed) = seeds.get(i) else {
            return;
        };
        let outcome = run_seed_with(scenario, params, seed, artifacts);
        on_done(&outcome);
        // A worker never panics while holding the lock, so it is not poisoned.
        slots.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(outcome);
    };
    std::thread::scope(|scope| {
        for _ in 1..jobs.clamp(1, seeds.len().max(1)) {
            scope.spawn(worker);
        }
        worker();
    });
    let outcomes = slots
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .flatten()
        .collect();
    ScenarioRun {
        scenario,
        params: *params,
        outcomes,
        wall: started.elapsed(),
    }
}

/// Runs one seed on a fresh thread and describes how it ended.
pub fn run_seed(scenario: &'static Scenario, params: &Params, seed: u64) -> SeedOutcome {
    run_seed_with(scenario, params, seed, None)
}

/// Like [`run_seed`], writing artifacts as `artifacts` asks.
pub fn run_seed_with(
    scenario: &'static Scenario,
    params: &Params,
    seed: u64,
    artifacts: Option<&ArtifactRequest>,
) -> SeedOutcome {
    let started = Instant::now();
    let mut harness = Harness::new()
        .ignore_env()
        .builder(scenario.builder(params))
        .seeds([seed])
        .artifacts(ArtifactPolicy::Never);
    if let Some(a) = artifacts {
        harness = harness
            .artifacts(if a.every_seed {
                ArtifactPolicy::Always
            } else {
                ArtifactPolicy::OnFailure
            })
            .artifacts_dir(a.dir.join(scenario.name))
            .record_options(a.options);
    }
    let result = harness.try_run(scenario.setup_with(params));
    let mut written = None;
    let mut property = None;
    let failure = match result {
        Ok(mut reports) => match reports.pop() {
            Some(report) => return SeedOutcome::Passed(report),
            None => (0, format!("seed {seed}: the harness ran no simulation")),
        },
        Err(f) => {
            written = f.artifacts.clone();
            match f.cause {
                FailureCause::Run(e) => {
                    property = failed_property(&e).map(str::to_string);
                    (e.time.as_nanos(), e.to_string())
                }
                FailureCause::SetupPanicked(m) => (
                    0,
                    format!("seed {seed}: the scenario's setup panicked: {m}"),
                ),
                FailureCause::Nondeterministic(d) => {
                    (0, format!("seed {seed} is not deterministic: {d}"))
                }
                FailureCause::ChildFailed(m) => (0, format!("seed {seed}: {m}")),
            }
        }
    };
    SeedOutcome::Failed(SeedFailure {
        seed,
        virtual_ns: failure.0,
        message: failure.1,
        replay: scenario.replay_command(seed, params),
        wall: started.elapsed(),
        artifacts: written,
        property,
    })
}

/// Whether `dir` holds a seed's artifacts.
pub fn has_artifacts(dir: &Path) -> bool {
    dir.join("trace.jsonl").is_file()
}
