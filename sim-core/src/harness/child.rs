//! Per-seed isolation: every seed runs in a process of its own, forked from
//! a pristine copy of the test.
//!
//! The parent starts the test binary again, `<test binary> <test name>
//! --exact --include-ignored --nocapture` (or, outside libtest, the same
//! program with the same arguments), with `SIM_CHILD_SWEEP` naming the sweep
//! of the test to serve (a test may run several). That child runs the test
//! function as usual up to the sweep, runs no seed itself, and becomes a
//! seed server: for every seed the parent writes to its standard input it
//! forks, the fork runs the one seed on a fresh thread and hands the outcome
//! back through a socket, and the server prints it on one marked line (see
//! [`wire`](super::wire)). A fork starts from the server's state, which no
//! seed has touched: nothing of one seed (statics, `OnceLock` caches,
//! tokio's task ids and `select!` seed counter, threads it leaked) exists in
//! the process of another, and every seed starts from the same state, the
//! one a `SIM_SEED` replay starts from too. Forking a served process costs
//! far less than starting a binary, so the parent keeps one server per
//! worker thread for the whole sweep.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::sync::{Arc, Mutex};

use super::plan::Plan;
use super::replay::TestId;
use super::sweep::Sweep;
use super::wire::{self, Outcome};
use super::{FailureCause, Harness, Isolation};
use crate::sim::Sim;

const SWEEP_VAR: &str = "SIM_CHILD_SWEEP";

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

/// This process is a seed server for sweep number `sweep` of its test.
pub(super) struct ChildOrder {
    sweep: u64,
}

impl ChildOrder {
    /// The order in the environment, if this process is a seed server.
    pub(super) fn from_env() -> Option<ChildOrder> {
        let value = std::env::var(SWEEP_VAR).ok()?;
        match value.trim().parse() {
            Ok(sweep) => Some(ChildOrder { sweep }),
            Err(_) => panic!("{SWEEP_VAR}={value:?} is malformed (the harness sets it)"),
        }
    }

    /// Serves seeds if this is the ordered sweep, until the parent closes
    /// standard input, then ends the process; an earlier sweep of the test
    /// runs as usual, in-process.
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
        let mut line = String::new();
        loop {
            line.clear();
            if std::io::stdin().lock().read_line(&mut line).unwrap_or(0) == 0 {
                std::process::exit(0);
            }
            let order = line
                .trim()
                .split_once(',')
                .and_then(|(s, r)| Some((s.parse::<u64>().ok()?, r == "1")));
            let outcome = match order {
                Some((seed, record)) => run_forked(harness, seed, record, setup.clone()),
                None => Err(FailureCause::ChildFailed(format!("bad order {line:?}"))),
            };
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "\n{}", wire::encode(&outcome));
            let _ = out.flush();
        }
    }
}

/// Runs `seed` in a fork of this process and returns its outcome.
fn run_forked<F>(harness: &Harness, seed: u64, record: bool, setup: Arc<F>) -> Outcome
where
    F: Fn(&mut Sim) + Send + Sync + 'static,
{
    let failed = |m: String| Err(FailureCause::ChildFailed(m));
    let (mut ours, theirs) = match UnixStream::pair() {
        Ok(pair) => pair,
        Err(e) => return failed(format!("cannot make a socket pair: {e}")),
    };
    let _ = std::io::stdout().flush();
    // SAFETY: fork has no memory-safety preconditions. The fork holds only
    // this thread; the server's other threads (libtest's) wait on a channel
    // and hold no lock the fork could need. The fork leaves with `_exit`, so
    // it never returns into the server's code.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        drop(ours);
        let outcome = harness.run_in_process(seed, record, setup);
        let mut theirs = theirs;
        let _ = theirs.write_all(wire::encode(&outcome).as_bytes());
        let _ = std::io::stdout().flush();
        // SAFETY: ends the fork without running the server's exit handlers.
        unsafe { libc::_exit(0) };
    }
    drop(theirs);
    if pid < 0 {
        return failed(format!("fork failed: {}", std::io::Error::last_os_error()));
    }
    let mut text = String::new();
    let _ = ours.read_to_string(&mut text);
    let mut status = 0;
    // SAFETY: waits for our own child; `status` is a valid out-pointer.
    while unsafe { libc::waitpid(pid, &mut status, 0) } < 0
        && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
    {}
    if let Some(outcome) = wire::decode(&text) {
        return outcome;
    }
    let how = if libc::WIFSIGNALED(status) {
        format!("was killed by signal {}", libc::WTERMSIG(status))
    } else {
        format!("exited with status {}", libc::WEXITSTATUS(status))
    };
    failed(format!(
        "the process of seed {seed} {how} before handing back its outcome"
    ))
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

/// The last lines a server printed that were not outcomes, for the report
/// when it dies.
type Tail = Arc<Mutex<VecDeque<String>>>;

fn keep(tail: &Tail, line: &str) {
    if line.trim().is_empty() {
        return;
    }
    let mut tail = tail.lock().unwrap_or_else(|p| p.into_inner());
    if tail.len() == 12 {
        tail.pop_front();
    }
    tail.push_back(line.trim_end().to_string());
}

/// A seed server, seen from the parent.
struct Server {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    tail: Tail,
}

/// The seed servers of one sweep: one per worker thread, started on first
/// use and ended when the sweep ends.
pub(super) struct Servers {
    rerun: Rerun,
    sweep: u64,
    idle: Mutex<Vec<Server>>,
}

impl Servers {
    pub(super) fn new(rerun: Rerun, sweep: u64) -> Servers {
        Servers {
            rerun,
            sweep,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn shown(&self) -> String {
        let exe = std::env::current_exe().unwrap_or_default();
        match &self.rerun {
            Rerun::Test(test) => format!("{} {} --exact", exe.display(), test.name),
            Rerun::Program => exe.display().to_string(),
        }
    }

    fn start(&self) -> Result<Server, FailureCause> {
        let exe = std::env::current_exe().map_err(|e| {
            FailureCause::ChildFailed(format!("cannot find the binary to re-run: {e}"))
        })?;
        let mut command = Command::new(&exe);
        match &self.rerun {
            Rerun::Test(test) => command.args([
                test.name.as_str(),
                "--exact",
                "--include-ignored",
                "--nocapture",
                "--test-threads=1",
            ]),
            Rerun::Program => command.args(std::env::args_os().skip(1)),
        };
        let mut child = command
            .env(SWEEP_VAR, self.sweep.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| {
                FailureCause::ChildFailed(format!("cannot start `{}`: {e}", self.shown()))
            })?;
        let tail: Tail = Arc::default();
        if let Some(stderr) = child.stderr.take() {
            let tail = tail.clone();
            // Drained all the time, so a chatty child never blocks on a
            // full pipe.
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines() {
                    match line {
                        Ok(line) => keep(&tail, &line),
                        Err(_) => break,
                    }
                }
            });
        }
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(FailureCause::ChildFailed("no pipes to the child".into()));
        };
        Ok(Server {
            child,
            stdin,
            stdout: BufReader::new(stdout),
            tail,
        })
    }

    /// Runs `seed` in a fork of a server.
    pub(super) fn run(&self, seed: u64, record: bool) -> Outcome {
        let idle = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut server = match idle {
            Some(server) => server,
            None => self.start()?,
        };
        match self.ask(&mut server, seed, record) {
            Some(outcome) => {
                self.idle
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push(server);
                outcome
            }
            None => {
                let _ = server.child.kill();
                let status = server
                    .child
                    .wait()
                    .map_or("an unknown status".to_string(), |s| s.to_string());
                // What the drain thread has read so far (it is not joined:
                // a fork of the dead server may still hold the pipe).
                let tail = server.tail.lock().unwrap_or_else(|p| p.into_inner());
                let tail: Vec<&str> = tail.iter().map(String::as_str).collect();
                Err(FailureCause::ChildFailed(format!(
                    "`{}` exited with {status} before serving the sweep; its last output:\n{}",
                    self.shown(),
                    tail.join("\n")
                )))
            }
        }
    }

    /// Sends one order and reads lines up to its outcome; `None` if the
    /// server is gone.
    fn ask(&self, server: &mut Server, seed: u64, record: bool) -> Option<Outcome> {
        writeln!(server.stdin, "{seed},{}", u8::from(record)).ok()?;
        server.stdin.flush().ok()?;
        let mut line = String::new();
        loop {
            line.clear();
            if server.stdout.read_line(&mut line).ok()? == 0 {
                return None;
            }
            if line.starts_with(wire::MARKER) {
                return wire::decode(&line);
            }
            keep(&server.tail, &line);
        }
    }
}

impl Drop for Servers {
    fn drop(&mut self) {
        let servers = std::mem::take(&mut *self.idle.lock().unwrap_or_else(|p| p.into_inner()));
        for Server {
            mut child, stdin, ..
        } in servers
        {
            // End of input: the server exits.
            drop(stdin);
            let _ = child.wait();
        }
    }
}
