//! Per-seed isolation: every seed runs in a process of its own, forked from
//! a pristine copy of the test.
//!
//! The parent starts the test binary again, `<test binary> <test name>
//! --exact --include-ignored --nocapture` (or, outside libtest, the same
//! program with the same arguments), with `SIM_CHILD_SWEEP` naming the sweep
//! of the test to serve (a test may run several). That child runs the test
//! function as usual up to the sweep, runs no seed itself, and becomes a
//! seed server: it keeps one fork of itself ready, the fork reads the next
//! seed the parent writes to standard input, runs it on a fresh thread,
//! prints the outcome on one marked line (see [`wire`](super::wire)) and
//! exits, and the server forks the next one. A fork starts from the
//! server's state, which no seed has touched: nothing of one seed (statics,
//! `OnceLock` caches, tokio's task ids and `select!` seed counter, threads it
//! leaked) exists in the process of another, and every seed starts from the
//! same state, the one a `SIM_SEED` replay starts from too. A fork costs far
//! less than starting a binary and is made while the previous seed's outcome
//! travels, so the parent keeps one server per worker thread for the whole
//! sweep.

use std::cell::Cell;
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Write};
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
        // Two forks wait for orders at any time, so when one takes a seed
        // the next is already made: the fork is off the seed's path.
        let mut waiting: Vec<libc::pid_t> = Vec::new();
        let mut closing = false;
        loop {
            while !closing && waiting.len() < SPARES {
                let _ = std::io::stdout().flush();
                // SAFETY: fork has no memory-safety preconditions. The fork
                // holds only this thread; the server's other threads
                // (libtest's) wait on a channel and hold no lock the fork
                // could need. The fork leaves with `_exit` and never returns
                // into the server's code.
                let pid = unsafe { libc::fork() };
                if pid == 0 {
                    serve_one(harness, setup);
                }
                if pid < 0 {
                    if waiting.is_empty() {
                        let e = std::io::Error::last_os_error();
                        answer_without_fork(&format!("could not fork a process for it: {e}"));
                    }
                    break;
                }
                waiting.push(pid);
            }
            if waiting.is_empty() {
                std::process::exit(0);
            }
            let (pid, ended) = wait_any();
            let Some(i) = waiting.iter().position(|p| *p == pid) else {
                continue;
            };
            waiting.swap_remove(i);
            match ended {
                Ended::Served => {}
                Ended::NoMoreSeeds => closing = true,
                Ended::Died(how) => {
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "\n{}", wire::encode_died(&how));
                    let _ = out.flush();
                }
            }
        }
    }
}

/// Forks kept waiting for an order.
const SPARES: usize = 2;

/// How a forked seed process ends when it handed back an outcome.
const SERVED: i32 = 77;
/// How it ends when the parent has no seed left (standard input closed).
const NO_MORE_SEEDS: i32 = 78;

/// Runs in the fork, made ahead of time: waits for the parent's next order
/// on standard input, runs that seed, prints its outcome and exits. The
/// fork is made while the parent still handles the previous outcome, so
/// the next seed starts without waiting for one.
fn serve_one<F>(harness: &Harness, setup: Arc<F>) -> !
where
    F: Fn(&mut Sim) + Send + Sync + 'static,
{
    let Some(line) = read_order() else {
        // SAFETY: ends the fork without running the server's exit handlers.
        unsafe { libc::_exit(NO_MORE_SEEDS) }
    };
    let order = line
        .trim()
        .split_once(',')
        .and_then(|(s, r)| Some((s.parse::<u64>().ok()?, r == "1")));
    let outcome = match order {
        Some((seed, record)) => {
            harness.run_in_process(seed, record, harness.artifacts_always(seed), setup)
        }
        None => Err(FailureCause::ChildFailed(format!("bad order {line:?}"))),
    };
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "\n{}", wire::encode(&outcome));
    let _ = out.flush();
    // SAFETY: as above.
    unsafe { libc::_exit(SERVED) }
}

/// One order from standard input, or `None` at the end of input. The
/// parent writes each order with one `write` of a few bytes, which a pipe
/// keeps whole, and only after the previous outcome came back; so one
/// `read` takes exactly one order, and of two forks waiting, one gets it
/// and the other goes on waiting.
fn read_order() -> Option<String> {
    let mut buf = [0u8; 128];
    loop {
        // SAFETY: reads into a valid buffer of the given length.
        let n = unsafe { libc::read(0, buf.as_mut_ptr().cast(), buf.len()) };
        match n {
            n if n > 0 => {
                return Some(String::from_utf8_lossy(&buf[..n as usize]).into_owned());
            }
            0 => return None,
            _ if std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted => {}
            _ => return None,
        }
    }
}

/// Answers the next order with a failure, when no process can run it.
fn answer_without_fork(why: &str) {
    match read_order() {
        Some(_) => {
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "\n{}", wire::encode_died(why));
            let _ = out.flush();
        }
        None => std::process::exit(0),
    }
}

/// How a forked seed process ended.
enum Ended {
    Served,
    NoMoreSeeds,
    /// It ended without handing back an outcome, as described.
    Died(String),
}

/// Waits for any child of the server; returns its id and how it ended.
fn wait_any() -> (libc::pid_t, Ended) {
    let mut status = 0;
    let pid = loop {
        // SAFETY: waits for a child of ours; `status` is a valid out-pointer.
        let pid = unsafe { libc::waitpid(-1, &mut status, 0) };
        if pid >= 0 {
            break pid;
        }
        if std::io::Error::last_os_error().kind() != std::io::ErrorKind::Interrupted {
            // No child left to wait for.
            std::process::exit(0);
        }
    };
    (pid, ended(status))
}

fn ended(status: i32) -> Ended {
    if libc::WIFEXITED(status) {
        match libc::WEXITSTATUS(status) {
            SERVED => Ended::Served,
            NO_MORE_SEEDS => Ended::NoMoreSeeds,
            code => Ended::Died(format!("exited with status {code}")),
        }
    } else if libc::WIFSIGNALED(status) {
        Ended::Died(format!("was killed by signal {}", libc::WTERMSIG(status)))
    } else {
        Ended::Died(format!("ended with wait status {status}"))
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
        // One write: a pipe keeps it whole for the fork that reads it.
        let order = format!("{seed},{}\n", u8::from(record));
        server.stdin.write_all(order.as_bytes()).ok()?;
        server.stdin.flush().ok()?;
        let mut line = String::new();
        loop {
            line.clear();
            if server.stdout.read_line(&mut line).ok()? == 0 {
                return None;
            }
            if line.starts_with(wire::MARKER) {
                if let Some(how) = wire::died(&line) {
                    return Some(Err(FailureCause::ChildFailed(format!(
                        "the process of seed {seed} {how} before handing back its outcome"
                    ))));
                }
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
