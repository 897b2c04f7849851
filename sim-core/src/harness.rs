//! Running a simulation from `cargo test`: seeds from the environment, one
//! fresh thread per seed, replay commands and the determinism check.
//!
//! | variable | effect |
//! |---|---|
//! | `SIM_SEED=S` | run seed `S` only (the replay of a failure) |
//! | `SIM_SEEDS=N` | sweep `N` seeds, starting from the first configured one |
//! | `SIM_CHECK_DETERMINISM=1` | run each seed twice and compare the traces event by event |
//! | `SIM_ARTIFACTS=1` / `=0` | every seed writes its artifacts / none does (default: failed seeds; see [`crate::artifacts`]) |
//!
//! On failure [`Harness::run`] panics with the seed, the cause, and the
//! exact command that replays it:
//!
//! ```text
//! seed 17, virtual time 2.000000000s, host `client`: client panicked: lost a write at tests/kv.rs:40
//! replay: SIM_SEED=17 cargo test -p my-service -- kv_survives_crash --exact
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

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::artifacts::{self, ArtifactPolicy};
use crate::builder::Builder;
use crate::error::SimError;
use crate::sim::{RunReport, Sim};
use crate::trace::{first_divergence, Divergence, TraceEvent};

/// Runs a setup closure once per seed, each on a fresh thread.
#[derive(Clone, Debug)]
pub struct Harness {
    builder: Builder,
    seeds: Vec<u64>,
    check_determinism: bool,
    use_env: bool,
    pub(crate) artifacts: artifacts::Settings,
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

fn env_u64(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse() {
        Ok(v) => Some(v),
        Err(_) => panic!("{name}={value:?} is not a whole number; unset it or give e.g. {name}=42"),
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
        }
    }

    /// The same as [`Harness::new`]: the `SIM_*` variables are read at run
    /// time and take precedence over the seeds set in code.
    pub fn from_env() -> Harness {
        Harness::new()
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

    /// Runs each seed twice and compares the traces.
    pub fn check_determinism(mut self, check: bool) -> Harness {
        self.check_determinism = check;
        self
    }

    /// Ignores the `SIM_*` variables (for tests of the harness itself).
    pub fn ignore_env(mut self) -> Harness {
        self.use_env = false;
        self
    }

    /// The seeds and check flag after applying the environment.
    pub fn resolved(&self) -> (Vec<u64>, bool) {
        let mut seeds = self.seeds.clone();
        let mut check = self.check_determinism;
        if self.use_env {
            if let Some(n) = env_u64("SIM_SEEDS") {
                let start = seeds.first().copied().unwrap_or(0);
                seeds = (start..start.saturating_add(n)).collect();
            }
            if let Some(s) = env_u64("SIM_SEED") {
                seeds = vec![s];
            }
            if let Ok(v) = std::env::var("SIM_CHECK_DETERMINISM") {
                check = !matches!(v.trim(), "" | "0" | "false" | "no");
            }
        }
        (seeds, check)
    }

    /// Runs every seed; panics with the first failure and its replay command.
    pub fn run<F>(&self, setup: F) -> Vec<RunReport>
    where
        F: Fn(&mut Sim) + Send + Sync + 'static,
    {
        match self.try_run(setup) {
            Ok(reports) => reports,
            Err(failure) => panic!("{failure}"),
        }
    }

    /// Runs every seed; returns the first failure.
    pub fn try_run<F>(&self, setup: F) -> Result<Vec<RunReport>, Failure>
    where
        F: Fn(&mut Sim) + Send + Sync + 'static,
    {
        let setup = Arc::new(setup);
        let (seeds, check) = self.resolved();
        let mut reports = Vec::with_capacity(seeds.len());
        let policy = self.artifacts.policy(self.use_env);
        for seed in seeds {
            let dir = self.artifacts.dir(seed, self.use_env);
            let always = (policy == ArtifactPolicy::Always).then(|| dir.clone());
            let fail = |cause| {
                // A failed seed that did not record runs once more, recording.
                let artifacts = match (&cause, policy) {
                    (FailureCause::Run(_), ArtifactPolicy::OnFailure) => {
                        // Deterministic: it fails again, the same way.
                        let _ = self.run_seed(seed, false, Some(dir.clone()), setup.clone());
                        Some(dir.clone())
                    }
                    (_, ArtifactPolicy::Always) => Some(dir.clone()),
                    _ => None,
                };
                Failure {
                    seed,
                    cause,
                    replay: replay_command(seed),
                    artifacts: artifacts.filter(|d| d.join("trace.jsonl").exists()),
                }
            };
            let (report, first) = self
                .run_seed(seed, check, always.clone(), setup.clone())
                .map_err(fail)?;
            if check {
                let (_, second) = self
                    .run_seed(seed, check, None, setup.clone())
                    .map_err(fail)?;
                let (a, b) = (first.unwrap_or_default(), second.unwrap_or_default());
                if let Some(d) = first_divergence(&a, &b) {
                    return Err(fail(FailureCause::Nondeterministic(Box::new(d))));
                }
            }
            reports.push(report);
        }
        Ok(reports)
    }

    fn run_seed<F>(
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

/// The command that reruns `seed` of the current test: cargo sets
/// `CARGO_PKG_NAME` for the test process, and libtest names the test's
/// thread after the test.
pub fn replay_command(seed: u64) -> String {
    let mut cmd = format!("SIM_SEED={seed} cargo test");
    if let Ok(pkg) = std::env::var("CARGO_PKG_NAME") {
        cmd.push_str(&format!(" -p {pkg}"));
    }
    if let Some(name) = std::thread::current().name() {
        if name != "main" && !name.starts_with("sim-seed-") {
            cmd.push_str(&format!(" -- {name} --exact"));
        }
    }
    cmd
}
