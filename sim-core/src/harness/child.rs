//! Per-seed isolation: the test binary runs again, for one test and one
//! seed, in a fresh child process.
//!
//! The parent starts `<test binary> <test name> --exact --include-ignored
//! --nocapture` with `SIM_CHILD_ORDER` saying which seed to run and which
//! sweep of the test it belongs to (a test may run several). The child's
//! test function runs as usual up to that sweep; the harness there runs the
//! one seed on a fresh thread, prints the outcome on one marked line (see
//! [`wire`](super::wire)) and ends the process. Nothing of one seed (statics,
//! `OnceLock` caches, tokio's task ids and `select!` seed counter, threads it
//! leaked) exists in the process of another.

use std::cell::Cell;
use std::io::Write;
use std::process::{Command, Stdio};
use std::sync::Arc;

use super::plan::Plan;
use super::replay::TestId;
use super::sweep::Sweep;
use super::wire::{self, Outcome};
use super::{FailureCause, Harness, Isolation};
use crate::sim::Sim;

const ORDER: &str = "SIM_CHILD_ORDER";

thread_local! {
    /// Sweeps (that read the environment) started on this thread so far.
    static SWEEPS: Cell<u64> = const { Cell::new(0) };
}

/// The position of the next sweep of the test running on this thread.
pub(super) fn next_sweep() -> u64 {
    SWEEPS.with(|n| {
        let k = n.get();
        n.set(k + 1);
        k
    })
}

/// What a parent asked this child process to run.
pub(super) struct ChildOrder {
    seed: u64,
    sweep: u64,
    record: bool,
}

impl ChildOrder {
    /// The order in the environment, if this process is a child.
    pub(super) fn from_env() -> Option<ChildOrder> {
        let order = std::env::var(ORDER).ok()?;
        let mut fields = order.split(',').map(|f| f.trim().parse::<u64>());
        match (fields.next(), fields.next(), fields.next()) {
            (Some(Ok(seed)), Some(Ok(sweep)), Some(Ok(record))) => Some(ChildOrder {
                seed,
                sweep,
                record: record == 1,
            }),
            _ => panic!("{ORDER}={order:?} is malformed (the harness sets it for its children)"),
        }
    }

    /// Runs the ordered seed if this is the ordered sweep, and ends the
    /// process; an earlier sweep of the test runs as usual, in-process.
    pub(super) fn serve<F>(self, harness: &Harness, setup: Arc<F>) -> Sweep
    where
        F: Fn(&mut Sim) + Send + Sync + 'static,
    {
        if next_sweep() != self.sweep {
            let mut plan = Plan::resolve(harness);
            plan.isolation = Isolation::Thread;
            plan.regressions = None;
            plan.remembered.clear();
            return super::sweep::run_plan(harness, &plan, setup, true);
        }
        let outcome = harness.run_in_process(self.seed, self.record, setup);
        let line = wire::encode(&outcome);
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "\n{line}");
        let _ = out.flush();
        std::process::exit(0);
    }
}

/// What the child process re-runs to reach the sweep.
#[derive(Clone, Debug)]
pub(super) enum Rerun {
    /// One libtest test, by name.
    Test(TestId),
    /// A program without libtest (a `harness = false` benchmark, a
    /// `main`): the same binary with the same arguments, whose main thread
    /// reaches the same sweep.
    Program,
}

impl Rerun {
    /// How to re-run what runs on this thread, if a child can reach it.
    pub(super) fn here(test: Option<&TestId>) -> Option<Rerun> {
        if let Some(test) = test {
            return Some(Rerun::Test(test.clone()));
        }
        (std::thread::current().name() == Some("main")).then_some(Rerun::Program)
    }
}

/// Runs `seed` of sweep number `sweep` in a fresh child process.
pub(super) fn run_in_child(rerun: &Rerun, sweep: u64, seed: u64, record: bool) -> Outcome {
    let exe = std::env::current_exe()
        .map_err(|e| FailureCause::ChildFailed(format!("cannot find the binary to re-run: {e}")))?;
    let mut command = Command::new(&exe);
    let shown = match rerun {
        Rerun::Test(test) => {
            command.args([
                test.name.as_str(),
                "--exact",
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
            ]);
            format!("{} {} --exact", exe.display(), test.name)
        }
        Rerun::Program => {
            command.args(std::env::args_os().skip(1));
            exe.display().to_string()
        }
    };
    let output = command
        .env(ORDER, format!("{seed},{sweep},{}", u8::from(record)))
        .stdin(Stdio::null())
        .output()
        .map_err(|e| FailureCause::ChildFailed(format!("cannot start {shown}: {e}")))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    if let Some(outcome) = wire::decode(&stdout) {
        return outcome;
    }
    let all = format!("{stdout}{}", String::from_utf8_lossy(&output.stderr));
    let lines: Vec<&str> = all.lines().filter(|l| !l.trim().is_empty()).collect();
    let tail = lines[lines.len().saturating_sub(12)..].join("\n");
    Err(FailureCause::ChildFailed(format!(
        "`{shown}` exited with {}; its last output:\n{tail}",
        output.status
    )))
}
