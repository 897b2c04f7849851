//! A host: one tokio current-thread runtime running the host's code.
//!
//! Each host owns a `LocalRuntime` (tokio's current-thread runtime that also
//! runs `!Send` tasks) built with I/O and time enabled (not paused), so
//! `tokio::spawn` and `spawn_local` inside host code land on that host, and
//! host futures need not be `Send`. Stepping a host runs
//! `block_on(ParkProbe)`: every ready task runs until the
//! runtime parks, and the interposed `epoll_wait` reports when its next timer
//! is due (see `sim_clock::park`). Crashing a host drops the runtime, and
//! with it every task, as a real crash would.

use std::cell::Cell;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};
use std::pin::Pin;
use std::rc::Rc;
use std::time::Duration;

use sim_clock::park::{self, ParkOutcome, ParkProbe};
use sim_clock::threads::{self, ThreadsError};
use sim_clock::{wakers, SimTime};
use tokio::runtime::{LocalOptions, LocalRuntime};

use crate::panics::{payload_message, CatchUnwind};

/// The error type host and client futures may return.
pub type BoxError = Box<dyn std::error::Error>;

/// What host and client futures return: `Ok(())` or any error.
pub type Result<T = (), E = BoxError> = std::result::Result<T, E>;

/// A host's or client's main future.
pub(crate) type HostFuture = Pin<Box<dyn Future<Output = Result>>>;

/// Makes a host's main future; called again on every restart.
pub(crate) type Factory = Rc<dyn Fn() -> HostFuture>;

pub(crate) enum Role {
    /// A host: restartable, runs until it returns or the run ends.
    Server(Factory),
    /// A client: runs once; the run succeeds when every client returns `Ok`.
    Client(Option<HostFuture>),
}

/// How a main future ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum MainOutcome {
    Ok,
    Err(String),
    Panicked(String),
}

pub(crate) enum Life {
    NotStarted,
    Running(Box<HostRuntime>),
    /// Crashed or killed; `restart` brings it back.
    Down,
    /// Its main future returned `Ok` (a server) and its process exited.
    Exited,
    /// A client that returned `Ok`.
    Finished,
}

pub(crate) struct HostSlot {
    pub(crate) name: String,
    pub(crate) role: Role,
    pub(crate) life: Life,
    pub(crate) paused: bool,
    /// Woken (or a timer came due) while paused: step on resume.
    pub(crate) wake_pending: bool,
    pub(crate) clock_offset_nanos: i64,
    pub(crate) clock_drift_ppm: i64,
    pub(crate) incarnation: u32,
}

impl HostSlot {
    pub(crate) fn new(name: String, role: Role) -> HostSlot {
        HostSlot {
            name,
            role,
            life: Life::NotStarted,
            paused: false,
            wake_pending: false,
            clock_offset_nanos: 0,
            clock_drift_ppm: 0,
            incarnation: 0,
        }
    }

    pub(crate) fn is_client(&self) -> bool {
        matches!(self.role, Role::Client(_))
    }

    pub(crate) fn runtime(&self) -> Option<&HostRuntime> {
        match &self.life {
            Life::Running(rt) => Some(rt),
            _ => None,
        }
    }
}

/// Seeds the generator behind `tokio::select!` (and tokio's other random
/// choices) from the host's stream. Without `--cfg tokio_unstable` tokio has
/// no such setting and seeds it from a process-wide counter, so select!
/// choices can differ between two runs of one seed in the same process.
#[cfg(tokio_unstable)]
fn seed_select(builder: &mut tokio::runtime::Builder, seed: &[u8; 32]) {
    builder.rng_seed(tokio::runtime::RngSeed::from_bytes(seed));
}

#[cfg(not(tokio_unstable))]
fn seed_select(_builder: &mut tokio::runtime::Builder, _seed: &[u8; 32]) {}

/// Whether `tokio::select!` choices replay exactly: true when built with
/// `--cfg tokio_unstable`, which lets each host runtime be given a seed.
pub const SELECT_IS_SEEDED: bool = cfg!(tokio_unstable);

/// How many I/O events tokio's driver takes from the epoll per park. tokio's
/// default (1,024) gives every runtime a 12 KiB event buffer; with the
/// virtual epoll, events left over are simply returned by the next park, so
/// a small buffer costs nothing but saves memory on 100,000 hosts.
const IO_EVENTS_PER_TICK: usize = 64;

/// A running incarnation of a host.
pub(crate) struct HostRuntime {
    rt: LocalRuntime,
    index: u32,
    started_at: SimTime,
    main: Rc<Cell<Option<MainOutcome>>>,
    /// A thread of this host never finished: dropping the runtime would
    /// wait for it forever, so the runtime is leaked instead.
    stuck: Cell<bool>,
}

impl HostRuntime {
    /// Builds the runtime of host `index` at virtual time `now` and spawns
    /// the main future made by `make_main` (called inside the runtime's
    /// context, so a factory may call `tokio::spawn`).
    pub(crate) fn start(
        index: u32,
        now: SimTime,
        rng_seed: [u8; 32],
        make_main: impl FnOnce() -> HostFuture,
    ) -> std::io::Result<HostRuntime> {
        let mut builder = tokio::runtime::Builder::new_current_thread();
        builder
            .enable_io()
            .enable_time()
            .max_io_events_per_tick(IO_EVENTS_PER_TICK)
            // Blocking tasks (`spawn_blocking`, `lookup_host`) run one at a
            // time, in spawn order, on a thread that exits as soon as they
            // are done: the scheduler runs them after each step and waits
            // until that thread is gone (see `sim_clock::threads`).
            .max_blocking_threads(1)
            .thread_keep_alive(Duration::ZERO);
        seed_select(&mut builder, &rng_seed);
        // The runtime's epoll, waker eventfd and signal-pipe duplicate are
        // virtual descriptors owned by this host (see `crate::descriptors`).
        wakers::begin_build(index);
        let built = builder.build_local(LocalOptions::default());
        wakers::end_build();
        let rt = match built {
            Ok(rt) => rt,
            Err(e) => {
                sim_clock::vfd::close_host(index);
                return Err(e);
            }
        };
        let main = Rc::new(Cell::new(None));
        let done = main.clone();
        let future = {
            let _enter = rt.enter();
            make_main()
        };
        rt.spawn_local(async move {
            let outcome = match CatchUnwind::new(future).await {
                Ok(Ok(())) => MainOutcome::Ok,
                Ok(Err(e)) => MainOutcome::Err(e.to_string()),
                Err(panic) => MainOutcome::Panicked(panic),
            };
            done.set(Some(outcome));
        });
        Ok(HostRuntime {
            rt,
            index,
            started_at: now,
            main,
            stuck: Cell::new(false),
        })
    }

    /// Runs the threads this host's code started (its blocking tasks) to
    /// completion, at the current instant, before anything else happens.
    /// Call it in the host's context, after every step, start and stop.
    #[inline]
    pub(crate) fn run_threads(&self, limit: Duration) -> std::result::Result<(), ThreadsError> {
        if !threads::pending() {
            return Ok(());
        }
        // Queued behind the host's own tasks: from there on tokio's pool
        // thread reads the real clock for its idle wait, and exits.
        drop(self.rt.handle().spawn_blocking(threads::end_of_tasks));
        let r = threads::run_host_threads(self.index, limit);
        if matches!(r, Err(ThreadsError::Stuck(_))) {
            self.stuck.set(true);
        }
        r
    }

    /// Runs every ready task until the runtime parks. `Err` carries the
    /// message of a panic that escaped the runtime itself.
    pub(crate) fn step(&self) -> std::result::Result<ParkOutcome, String> {
        park::begin_step();
        panic::catch_unwind(AssertUnwindSafe(|| self.rt.block_on(ParkProbe)))
            .map_err(|p| payload_message(&*p))
    }

    /// The main future's outcome, once it has ended.
    pub(crate) fn take_main_outcome(&self) -> Option<MainOutcome> {
        self.main.take()
    }

    /// The virtual instant of a timer `ms` wheel ticks after `now`.
    ///
    /// tokio's timer wheel counts whole milliseconds from the instant the
    /// runtime was built, and parks for `next_tick - current_tick` ms where
    /// `current_tick` rounds `now` down. The due instant is therefore on that
    /// millisecond grid, not `now + ms`.
    pub(crate) fn timer_deadline(&self, now: SimTime, ms: u64) -> SimTime {
        let rel = now.saturating_since(self.started_at);
        let tick = rel.as_millis() as u64;
        self.started_at + Duration::from_millis(tick.saturating_add(ms))
    }

    /// Drops every task, then the runtime, then whatever descriptors the
    /// host still has open, as the kernel closes a dead process's files.
    pub(crate) fn shutdown(self) -> std::result::Result<(), String> {
        let index = self.index;
        if self.stuck.get() {
            // Its blocking pool would join a thread that never ends.
            std::mem::forget(self);
            sim_clock::vfd::close_host(index);
            return Ok(());
        }
        let dropped = panic::catch_unwind(AssertUnwindSafe(move || drop(self)))
            .map_err(|p| payload_message(&*p));
        sim_clock::vfd::close_host(index);
        dropped
    }
}
