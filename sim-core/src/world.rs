//! The part of a simulation that code running inside it can reach.
//!
//! Host code, actors and test code all run on the simulation thread, inside
//! calls made by the scheduler. They reach the simulation through a
//! thread-local pointer to this shared state: the current host, the command
//! queue for lifecycle operations (applied by the scheduler after the current
//! step, at the same instant), random streams, extensions and the trace. The
//! scheduler never holds a borrow of these cells while it runs host code.

use std::any::{Any, TypeId};
use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use sim_clock::SimTime;

use crate::error::{ErrorKind, SimError};
use crate::ids::{ActorId, HostId};
use crate::properties::PropertyCount;
use crate::rng::Streams;
use crate::trace::{Trace, TraceKind};

/// A lifecycle operation requested by host or test code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Command {
    Crash(HostId),
    Kill(HostId),
    Restart(HostId),
    Pause(HostId),
    Resume(HostId),
    SetClockOffset(HostId, i64),
    JumpClock(HostId, i64),
    SetClockDrift(HostId, i64),
    /// Adds to the drift (the fault schedule's drift, undone exactly).
    AddClockDrift(HostId, i64),
}

pub(crate) struct World {
    pub(crate) seed: u64,
    pub(crate) now: Cell<SimTime>,
    pub(crate) current_host: Cell<Option<HostId>>,
    /// The current host's tasks are being dropped (see
    /// [`crate::host_stopping`]).
    pub(crate) stopping: Cell<bool>,
    pub(crate) host_names: RefCell<Vec<String>>,
    pub(crate) host_ids: RefCell<BTreeMap<String, HostId>>,
    /// `client_flags[h]`: whether host `h` is a client.
    pub(crate) client_flags: RefCell<Vec<bool>>,
    pub(crate) commands: RefCell<Vec<Command>>,
    pub(crate) dirty_actors: RefCell<Vec<ActorId>>,
    /// One value per type. A short list scanned in order: a simulation holds
    /// a handful, and sockets look one up on every call.
    pub(crate) extensions: RefCell<Vec<(TypeId, Rc<dyn Any>)>>,
    pub(crate) streams: RefCell<Streams>,
    pub(crate) trace: RefCell<Trace>,
    /// Writers of more artifact files (see [`crate::ArtifactSource`]).
    pub(crate) artifact_sources: RefCell<Vec<Rc<dyn crate::artifacts::ArtifactSource>>>,
    /// What this run saw of each property, by name.
    pub(crate) properties: RefCell<BTreeMap<&'static str, PropertyCount>>,
    /// Faults injected by the built-in schedule, by kind.
    pub(crate) faults: RefCell<BTreeMap<&'static str, u64>>,
    /// A failure found by code that cannot return one (a property, the
    /// fault schedule); the scheduler fails the run with it after the
    /// current event.
    pub(crate) pending_failure: RefCell<Option<SimError>>,
    pub(crate) buggify: RefCell<BuggifyState>,
}

/// The `buggify!` sites of a run: which are enabled, and the draws.
pub(crate) struct BuggifyState {
    /// Fraction of sites enabled.
    pub(crate) sites: f64,
    /// Enabled or not, by site address (decided on first use).
    pub(crate) enabled: BTreeMap<usize, bool>,
    pub(crate) rng: rand_chacha::ChaCha20Rng,
}

thread_local! {
    static CURRENT: RefCell<Option<Rc<World>>> = const { RefCell::new(None) };
}

impl World {
    pub(crate) fn new(seed: u64, record_trace: bool) -> World {
        World {
            seed,
            now: Cell::new(SimTime::ZERO),
            current_host: Cell::new(None),
            stopping: Cell::new(false),
            host_names: RefCell::new(Vec::new()),
            host_ids: RefCell::new(BTreeMap::new()),
            client_flags: RefCell::new(Vec::new()),
            commands: RefCell::new(Vec::new()),
            dirty_actors: RefCell::new(Vec::new()),
            extensions: RefCell::new(Vec::new()),
            streams: RefCell::new(Streams::new(seed)),
            trace: RefCell::new(Trace::new(record_trace)),
            artifact_sources: RefCell::new(Vec::new()),
            properties: RefCell::new(BTreeMap::new()),
            faults: RefCell::new(BTreeMap::new()),
            pending_failure: RefCell::new(None),
            buggify: RefCell::new(BuggifyState {
                sites: crate::buggify::DEFAULT_SITES,
                enabled: BTreeMap::new(),
                rng: crate::rng::stream(seed, "buggify"),
            }),
        }
    }

    /// Fails the run with `e` after the current event (the first such
    /// failure wins).
    pub(crate) fn fail_later(&self, e: SimError) {
        self.pending_failure.borrow_mut().get_or_insert(e);
    }

    pub(crate) fn install(world: Rc<World>) {
        CURRENT.with(|c| *c.borrow_mut() = Some(world));
    }

    pub(crate) fn uninstall() {
        let _ = CURRENT.try_with(|c| c.borrow_mut().take());
    }

    pub(crate) fn error(&self, host: Option<HostId>, kind: ErrorKind) -> SimError {
        SimError {
            seed: self.seed,
            time: self.now.get(),
            host: host.map(|h| self.host_name(h)),
            kind,
        }
    }

    pub(crate) fn host_name(&self, host: HostId) -> String {
        self.host_names
            .borrow()
            .get(host.index())
            .cloned()
            .unwrap_or_else(|| host.to_string())
    }

    pub(crate) fn lookup(&self, name: &str) -> Result<HostId, SimError> {
        self.host_ids.borrow().get(name).copied().ok_or_else(|| {
            let known = self.host_names.borrow().join(", ");
            self.error(
                None,
                ErrorKind::InvalidOperation(format!("no host is named `{name}` (hosts: {known})")),
            )
        })
    }

    pub(crate) fn push(&self, command: Command) {
        self.commands.borrow_mut().push(command);
    }

    pub(crate) fn record(&self, kind: TraceKind, subject: u32, detail: u64, name: &str) {
        self.trace
            .borrow_mut()
            .record(self.now.get(), kind, subject, detail, name);
    }
}

/// The world of the simulation running on this thread, if any.
pub(crate) fn try_current() -> Option<Rc<World>> {
    CURRENT.try_with(|c| c.borrow().clone()).ok().flatten()
}

/// Runs `f` on the world of the simulation running on this thread, if any,
/// without taking a reference count (the hot path of socket calls). `f` must
/// not install or uninstall a world.
#[inline]
pub(crate) fn with_current<R>(f: impl FnOnce(&World) -> R) -> Option<R> {
    CURRENT
        .try_with(|c| c.borrow().as_deref().map(f))
        .ok()
        .flatten()
}

/// The world, or an error saying the call needs a simulation.
pub(crate) fn current(what: &str) -> Result<Rc<World>, SimError> {
    try_current().ok_or_else(|| SimError {
        seed: 0,
        time: SimTime::ZERO,
        host: None,
        kind: ErrorKind::InvalidOperation(format!(
            "`{what}` was called outside a simulation (no simulation runs on this thread)"
        )),
    })
}
