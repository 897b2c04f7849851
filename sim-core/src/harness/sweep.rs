//! A sweep: every seed of a plan run on worker threads (each seed alone on a
//! fresh thread or in a fresh process), the outcomes in seed order, and the
//! failures remembered.

use std::fmt::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::plan::{Plan, Shard};
use super::replay::{self, TestId};
use super::{child, compare_runs, pool, warning, Failure, FailureCause, Harness, Isolation};
use crate::artifacts::ArtifactPolicy;
use crate::sim::{RunReport, Sim};
use crate::trace::TraceEvent;
use std::path::PathBuf;

/// How one seed of a sweep ended.
#[derive(Clone, Debug)]
pub struct SeedRun {
    /// The seed.
    pub seed: u64,
    /// Its report, or why it failed.
    pub outcome: Result<RunReport, Failure>,
}

/// Every outcome of a sweep, in seed order, and how the sweep went.
#[derive(Clone, Debug)]
pub struct Sweep {
    /// One entry per seed run, in sweep order: remembered failures first,
    /// then the configured seeds. Without `keep_going` the list ends at the
    /// first failure.
    pub runs: Vec<SeedRun>,
    /// Real time of the whole sweep.
    pub wall: Duration,
    /// The time budget, if the sweep had one.
    pub budget: Option<Duration>,
    /// The budget ran out before the seeds did.
    pub out_of_time: bool,
    /// Worker threads used.
    pub jobs: usize,
    /// Where the seeds ran.
    pub isolation: Isolation,
    /// The slice of the seeds this sweep ran, if sharded.
    pub shard: Option<Shard>,
    /// The regressions file the failing seeds were written to, if any.
    pub remembered_in: Option<std::path::PathBuf>,
}

impl Sweep {
    /// The failures, in seed order.
    pub fn failures(&self) -> impl Iterator<Item = &Failure> {
        self.runs.iter().filter_map(|r| r.outcome.as_ref().err())
    }

    /// The reports of the seeds that passed, in seed order.
    pub fn reports(&self) -> impl Iterator<Item = &RunReport> {
        self.runs.iter().filter_map(|r| r.outcome.as_ref().ok())
    }

    /// The reports of the seeds that passed, in seed order.
    pub fn into_reports(self) -> Vec<RunReport> {
        self.runs
            .into_iter()
            .filter_map(|r| r.outcome.ok())
            .collect()
    }

    /// The seeds run, in order.
    pub fn seeds(&self) -> Vec<u64> {
        self.runs.iter().map(|r| r.seed).collect()
    }

    /// Seeds run per second of wall time.
    pub fn seeds_per_second(&self) -> f64 {
        self.runs.len() as f64 / self.wall.as_secs_f64().max(1e-9)
    }

    /// One line: how many seeds ran, how fast, how many failed.
    pub fn summary(&self) -> String {
        let mut s = format!(
            "simnet sweep: {} seeds in {:.1} s ({:.1} seeds/s, {} jobs, {}), {} failed",
            self.runs.len(),
            self.wall.as_secs_f64(),
            self.seeds_per_second(),
            self.jobs,
            match self.isolation {
                Isolation::Thread => "in-process",
                Isolation::Process => "a process per seed",
            },
            self.failures().count(),
        );
        if let Some(shard) = self.shard {
            let _ = write!(s, ", shard {shard}");
        }
        if let (Some(b), true) = (self.budget, self.out_of_time) {
            let _ = write!(s, "; stopped at the {:.0} s budget", b.as_secs_f64());
        }
        s
    }

    /// Every failure with its replay command, after a count and the sweep's
    /// summary (the panic message of a sweep that kept going).
    pub fn failure_list(&self) -> String {
        let mut s = format!(
            "{} of {} seeds failed: {}\n{}",
            self.failures().count(),
            self.runs.len(),
            self.failures()
                .map(|f| f.seed.to_string())
                .collect::<Vec<_>>()
                .join(", "),
            self.summary()
        );
        for f in self.failures() {
            let _ = write!(s, "\n\n{f}");
        }
        if let Some(path) = &self.remembered_in {
            let _ = write!(s, "\n\nremembered in {}", path.display());
        }
        s
    }
}

/// Runs the sweep `plan` describes.
pub(super) fn run<F>(harness: &Harness, plan: &Plan, setup: Arc<F>) -> Sweep
where
    F: Fn(&mut Sim) + Send + Sync + 'static,
{
    run_plan(harness, plan, setup, false)
}

/// Runs the sweep `plan` describes; `quiet`: no warning (a child re-running
/// an earlier sweep of its test).
pub(super) fn run_plan<F>(harness: &Harness, plan: &Plan, setup: Arc<F>, quiet: bool) -> Sweep
where
    F: Fn(&mut Sim) + Send + Sync + 'static,
{
    let started = Instant::now();
    let sweep_no = harness.use_env.then(child::next_sweep).unwrap_or(0);
    // A child process re-runs the test by name (or the program); without
    // one, seeds run in-process.
    let rerun = harness
        .use_env
        .then(|| child::Rerun::here(plan.test.as_ref()))
        .flatten();
    let isolation = match (plan.isolation, &rerun) {
        (Isolation::Process, None) => {
            if !quiet {
                warning::isolation_unavailable();
            }
            Isolation::Thread
        }
        (i, _) => i,
    };
    if isolation == Isolation::Thread && harness.use_env && !quiet {
        warning::in_process();
    }
    let runner = SeedRunner {
        harness,
        setup,
        servers: rerun.map(|r| child::Servers::new(r, sweep_no)),
        isolation,
        check: plan.check,
    };
    let env: Vec<&str> = if plan.isolation_from_env {
        vec!["SIM_ISOLATE=1"]
    } else {
        vec![]
    };
    let ran = pool::run(
        plan.seeds(),
        plan.jobs,
        plan.budget,
        !plan.keep_going,
        |r: &Result<RunReport, FailureCause>| r.is_err(),
        |seed| runner.run(seed),
    );
    // Replays name the test even for a harness that ignores the
    // environment: the command is still the way to see the seed again.
    let named = plan.test.clone().or_else(TestId::current);
    let runs: Vec<SeedRun> = ran
        .results
        .into_iter()
        .map(|(seed, outcome)| SeedRun {
            seed,
            outcome: outcome.map_err(|cause| {
                let mut env = env.clone();
                if matches!(cause, FailureCause::Nondeterministic(_)) {
                    env.insert(0, "SIM_CHECK_DETERMINISM=1");
                }
                let replay = replay::command(seed, named.as_ref(), &env);
                let artifacts = runner.artifacts_of_failure(seed, &cause);
                Failure {
                    seed,
                    cause,
                    replay,
                    artifacts,
                }
            }),
        })
        .collect();
    let mut sweep = Sweep {
        runs,
        wall: started.elapsed(),
        budget: plan.budget,
        out_of_time: ran.out_of_time,
        jobs: plan.jobs,
        isolation,
        shard: plan.shard,
        remembered_in: None,
    };
    if let Some(file) = plan
        .regressions
        .as_ref()
        .filter(|_| harness.remember_failures)
    {
        if sweep.failures().next().is_some() {
            match file.remember(sweep.failures()) {
                Ok(()) => sweep.remembered_in = Some(file.path().to_path_buf()),
                Err(e) => eprintln!(
                    "simnet: could not remember the failing seeds in {}: {e}",
                    file.path().display()
                ),
            }
        }
    }
    sweep
}

/// Runs one seed the way the sweep asks.
struct SeedRunner<'a, F> {
    harness: &'a Harness,
    setup: Arc<F>,
    servers: Option<child::Servers>,
    isolation: Isolation,
    check: bool,
}

type Ran = Result<(RunReport, Option<Vec<TraceEvent>>), FailureCause>;

impl<F> SeedRunner<'_, F>
where
    F: Fn(&mut Sim) + Send + Sync + 'static,
{
    fn once(&self, seed: u64, isolation: Isolation) -> Ran {
        match (isolation, &self.servers) {
            (Isolation::Process, Some(servers)) => servers.run(seed, self.check),
            _ => self.harness.run_in_process(
                seed,
                self.check,
                self.harness.artifacts_always(seed),
                self.setup.clone(),
            ),
        }
    }

    /// The artifact folder of a failed seed: with the default policy the
    /// seed runs once more in this process, recording (it fails again the
    /// same way: it is deterministic); with `SIM_ARTIFACTS=1` it recorded
    /// the first time. `None` if nothing was written.
    fn artifacts_of_failure(&self, seed: u64, cause: &FailureCause) -> Option<PathBuf> {
        let harness = self.harness;
        let dir = harness.artifacts.dir(seed, harness.use_env);
        match (cause, harness.artifacts.policy(harness.use_env)) {
            (FailureCause::Run(_), ArtifactPolicy::OnFailure) => {
                let _ = harness.run_in_process(seed, false, Some(dir.clone()), self.setup.clone());
            }
            (_, ArtifactPolicy::Always) => {}
            _ => return None,
        }
        dir.join("trace.jsonl").exists().then_some(dir)
    }

    fn run(&self, seed: u64) -> Result<RunReport, FailureCause> {
        let (report, first) = self.once(seed, self.isolation)?;
        if self.check {
            // The second run is in a fresh process whenever one can be
            // started: that is how a replay runs the seed, so the check
            // also catches a seed of a sweep that would not replay alone.
            let (_, second) = self.once(seed, Isolation::Process)?;
            compare_runs(first, second)?;
        }
        Ok(report)
    }
}
