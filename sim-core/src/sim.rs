//! [`Sim`]: hosts, clients and actors, and the event loop that runs them.

use std::any::{Any, TypeId};
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::future::Future;
use std::rc::Rc;
use std::time::Duration;

use rand::RngCore;
use sim_clock::park::ParkOutcome;
use sim_clock::real::Stopwatch;
use sim_clock::{SimThreadGuard, SimTime, ThreadConfig};

use crate::actor::{Actor, HostEvent};
use crate::builder::Builder;
use crate::error::{ErrorKind, SimError};
use crate::host::{HostFuture, HostSlot, Life, MainOutcome, Role};
use crate::ids::{ActorId, HostId};
use crate::properties::PropertyCount;
use crate::queue::{EventQueue, Target};
use crate::trace::{TraceEvent, TraceKind};
use crate::world::{Command, World};
use crate::{panics, rng};

/// How often (in events) the wall-clock limit is checked.
const WALL_CHECK_EVERY: u64 = 1024;

/// Summary of a run (or of a run so far).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReport {
    /// The seed.
    pub seed: u64,
    /// Events dispatched (host steps, actor steps, lifecycle changes).
    pub events: u64,
    /// Virtual time reached.
    pub virtual_time: SimTime,
    /// Hash of the event trace: equal for the same binary and seed.
    pub trace_hash: u64,
    /// Real time spent running.
    pub wall: Duration,
    /// What the run saw of each property it evaluated, by name (see
    /// [`properties`](crate::properties)).
    pub properties: BTreeMap<String, PropertyCount>,
    /// Faults the built-in schedule injected, by kind (see
    /// [`nemesis`](crate::nemesis)).
    pub faults: BTreeMap<String, u64>,
}

/// The state of a host as the test sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HostState {
    /// `run` has not started it yet.
    NotStarted,
    /// Its code runs (or waits on timers and I/O).
    Running,
    /// Running, but paused: none of its tasks is polled.
    Paused,
    /// Crashed or killed; `restart` brings it back.
    Down,
    /// Its main future returned `Ok` and its process exited.
    Exited,
    /// A client whose future returned `Ok`.
    Finished,
}

pub(crate) struct ActorSlot {
    pub(crate) actor: Rc<RefCell<dyn Actor>>,
    pub(crate) name: String,
}

/// A simulation: hosts and clients on a virtual clock, stepped by one
/// event-driven scheduler from one seed.
///
/// ```
/// use std::time::Duration;
/// use sim_core::Builder;
///
/// std::thread::spawn(|| {
///     let mut sim = Builder::new().seed(1).build();
///     sim.host("server", || async {
///         loop {
///             tokio::time::sleep(Duration::from_secs(1)).await;
///         }
///     });
///     sim.client("client", async {
///         let start = tokio::time::Instant::now();
///         tokio::time::sleep(Duration::from_millis(500)).await;
///         assert_eq!(start.elapsed(), Duration::from_millis(500));
///         Ok(())
///     });
///     let report = sim.run().unwrap();
///     assert_eq!(report.virtual_time.as_duration(), Duration::from_millis(500));
/// })
/// .join()
/// .unwrap();
/// ```
pub struct Sim {
    pub(crate) world: Rc<World>,
    pub(crate) config: Builder,
    pub(crate) hosts: Vec<HostSlot>,
    pub(crate) actors: Vec<ActorSlot>,
    pub(crate) queue: EventQueue,
    setup_error: Option<SimError>,
    pub(crate) failure: Option<SimError>,
    started: bool,
    events: u64,
    /// Clients that have not returned `Ok` yet.
    pub(crate) clients_unfinished: usize,
    instant_events: u64,
    /// Hosts that reported `Busy` at the current instant (for livelock reports).
    busy_now: Vec<HostId>,
    woken_buf: Vec<u32>,
    dirty_buf: Vec<ActorId>,
    wall: Stopwatch,
    watchdog: Option<std::sync::Arc<crate::watchdog::Beacon>>,
    // Last: the thread stays a simulation thread until everything above is gone.
    _guard: SimThreadGuard,
}

impl Sim {
    pub(crate) fn new(config: Builder) -> Result<Sim, SimError> {
        let epoch_unix_nanos = config
            .epoch
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX))
            .unwrap_or(0);
        let guard = sim_clock::enter(ThreadConfig { epoch_unix_nanos }).map_err(|e| SimError {
            seed: config.seed,
            time: SimTime::ZERO,
            host: None,
            kind: ErrorKind::InvalidOperation(e.to_string()),
        })?;
        panics::install_hook();
        crate::descriptors::install();
        let world = Rc::new(World::new(config.seed, config.record_trace));
        world.buggify.borrow_mut().sites = config.buggify_sites;
        World::install(world.clone());
        let weak = Rc::downgrade(&world);
        sim_clock::set_entropy_source(Box::new(move |buf| {
            let Some(w) = weak.upgrade() else {
                buf.fill(0);
                return;
            };
            let host = w.current_host.get().map(|h| h.index());
            match w.streams.try_borrow_mut() {
                Ok(mut s) => s.entropy(host).fill_bytes(buf),
                Err(_) => buf.fill(0),
            };
        }));
        Ok(Sim {
            queue: EventQueue::new(rng::stream(config.seed, "scheduler")),
            watchdog: crate::watchdog::Beacon::register(config.seed, config.wall_clock_limit),
            world,
            config,
            hosts: Vec::new(),
            actors: Vec::new(),
            setup_error: None,
            failure: None,
            started: false,
            events: 0,
            clients_unfinished: 0,
            instant_events: 0,
            busy_now: Vec::new(),
            woken_buf: Vec::new(),
            dirty_buf: Vec::new(),
            wall: Stopwatch::start(),
            _guard: guard,
        })
    }

    // ----- setup -----

    fn add_host(&mut self, name: String, role: Role) -> HostId {
        let id = HostId(self.hosts.len() as u32);
        if name.is_empty() {
            // A host is named in faults, DNS and replay lines: it needs one.
            self.setup_error.get_or_insert_with(|| {
                self.world.error(
                    None,
                    ErrorKind::InvalidOperation("a host name must not be empty".into()),
                )
            });
        } else if self.world.host_ids.borrow().contains_key(&name) {
            self.setup_error.get_or_insert_with(|| {
                self.world.error(
                    None,
                    ErrorKind::InvalidOperation(format!(
                        "two hosts are named `{name}`; host names must be unique"
                    )),
                )
            });
        } else {
            self.world.host_ids.borrow_mut().insert(name.clone(), id);
        }
        self.world.host_names.borrow_mut().push(name.clone());
        let is_client = matches!(role, Role::Client(_));
        self.world.client_flags.borrow_mut().push(is_client);
        self.clients_unfinished += usize::from(is_client);
        self.world.streams.borrow_mut().add_host(&name);
        if let Some(w) = &self.watchdog {
            w.add_host(&name);
        }
        self.hosts.push(HostSlot::new(name, role));
        if self.started {
            if let Err(e) = self.start_host(id) {
                self.failure.get_or_insert(e);
            }
        }
        id
    }

    /// Adds a host running the future `factory` makes. The factory is called
    /// when the run starts and again on every restart, so a restarted host
    /// starts from fresh state. A host whose future returns `Ok` exits (its
    /// process ends); one that returns `Err` fails the run.
    pub fn host<F, Fut>(&mut self, name: impl Into<String>, factory: F) -> HostId
    where
        F: Fn() -> Fut + 'static,
        Fut: Future<Output = crate::Result> + 'static,
    {
        let factory: Rc<dyn Fn() -> HostFuture> = Rc::new(move || Box::pin(factory()));
        self.add_host(name.into(), Role::Server(factory))
    }

    /// Adds a client: a host that runs `future` once. The run succeeds when
    /// every client has returned `Ok`, and fails on the first `Err` or panic.
    pub fn client<Fut>(&mut self, name: impl Into<String>, future: Fut) -> HostId
    where
        Fut: Future<Output = crate::Result> + 'static,
    {
        self.add_host(name.into(), Role::Client(Some(Box::pin(future))))
    }

    /// Plugs an actor into the scheduler (see [`Actor`]).
    pub fn add_actor<A: Actor + 'static>(&mut self, actor: Rc<RefCell<A>>) -> ActorId {
        let id = ActorId(self.actors.len() as u32);
        let name = actor.borrow().name().to_string();
        self.actors.push(ActorSlot { actor, name });
        self.refresh_actor(id);
        id
    }

    /// Asks the scheduler to read `actor`'s deadline again.
    pub fn actor_changed(&mut self, actor: ActorId) {
        self.refresh_actor(actor);
    }

    /// Stores a value that code inside the simulation can reach with
    /// [`crate::extension`] (one per type; a second insert replaces it).
    pub fn insert_extension<T: 'static>(&mut self, value: Rc<T>) {
        let value: Rc<dyn Any> = value;
        let id = TypeId::of::<T>();
        let mut extensions = self.world.extensions.borrow_mut();
        let old = match extensions.iter_mut().find(|(t, _)| *t == id) {
            Some((_, slot)) => Some(std::mem::replace(slot, value)),
            None => {
                extensions.push((id, value));
                None
            }
        };
        drop(extensions);
        drop(old);
    }

    /// The extension of type `T`, if one was inserted.
    pub fn extension<T: 'static>(&self) -> Option<Rc<T>> {
        crate::api::extension_in(&self.world)
    }

    // ----- queries -----

    /// Fails the run before it starts, with
    /// [`ErrorKind::InvalidOperation`](crate::ErrorKind::InvalidOperation)
    /// and `message`: for an extension that finds its settings invalid when
    /// it is installed (the first such error wins, as for host names).
    pub fn fail_setup(&mut self, message: impl Into<String>) {
        let message = message.into();
        self.setup_error
            .get_or_insert_with(|| self.world.error(None, ErrorKind::InvalidOperation(message)));
    }

    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.world.seed
    }

    /// Current virtual time.
    pub fn now(&self) -> SimTime {
        self.world.now.get()
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now().as_duration()
    }

    /// The id of the host called `name`.
    pub fn host_id(&self, name: &str) -> Option<HostId> {
        self.world.host_ids.borrow().get(name).copied()
    }

    /// The name of host `id`.
    pub fn host_name(&self, id: HostId) -> Option<&str> {
        self.hosts.get(id.index()).map(|h| h.name.as_str())
    }

    /// Every host, in the order they were added.
    pub fn hosts(&self) -> Vec<HostId> {
        (0..self.hosts.len()).map(|i| HostId(i as u32)).collect()
    }

    /// The state of the host called `name`.
    pub fn host_state(&self, name: &str) -> Result<HostState, SimError> {
        let id = self.world.lookup(name)?;
        let slot = &self.hosts[id.index()];
        Ok(match &slot.life {
            Life::NotStarted => HostState::NotStarted,
            Life::Running(_) if slot.paused => HostState::Paused,
            Life::Running(_) => HostState::Running,
            Life::Down => HostState::Down,
            Life::Exited => HostState::Exited,
            Life::Finished => HostState::Finished,
        })
    }

    /// The report of the run so far.
    pub fn report(&self) -> RunReport {
        RunReport {
            seed: self.world.seed,
            events: self.events,
            virtual_time: self.now(),
            trace_hash: self.world.trace.borrow().hash(),
            wall: self.wall.elapsed(),
            properties: self
                .world
                .properties
                .borrow()
                .iter()
                .map(|(name, count)| (name.to_string(), *count))
                .collect(),
            faults: self
                .world
                .faults
                .borrow()
                .iter()
                .map(|(kind, n)| (kind.to_string(), *n))
                .collect(),
        }
    }

    /// The hash of the event trace so far.
    pub fn trace_hash(&self) -> u64 {
        self.world.trace.borrow().hash()
    }

    /// Takes the recorded trace events (with `Builder::record_trace`).
    pub fn take_trace_events(&mut self) -> Option<Vec<TraceEvent>> {
        self.world.trace.borrow_mut().take_events()
    }

    // ----- lifecycle from the test -----

    fn command(
        &mut self,
        op: &str,
        name: &str,
        make: impl FnOnce(HostId) -> Command,
    ) -> Result<(), SimError> {
        let id = crate::api::validate(&self.world, op, name)?;
        self.world.push(make(id));
        self.after_event()
    }

    /// Crashes the machine of host `name`: its tasks are dropped at once and
    /// its network goes silent. `restart` brings it back from its factory.
    pub fn crash(&mut self, name: &str) -> Result<(), SimError> {
        self.command("crash", name, Command::Crash)
    }

    /// Kills the process of host `name`: its tasks are dropped and the kernel
    /// closes its sockets (peers see FIN or RST).
    pub fn kill(&mut self, name: &str) -> Result<(), SimError> {
        self.command("kill", name, Command::Kill)
    }

    /// Restarts host `name` from its factory (crashing it first if it runs).
    pub fn restart(&mut self, name: &str) -> Result<(), SimError> {
        self.command("restart", name, Command::Restart)
    }

    /// Pauses host `name`: none of its tasks is polled; timers and wake-ups
    /// wait until `resume`.
    pub fn pause(&mut self, name: &str) -> Result<(), SimError> {
        self.command("pause", name, Command::Pause)
    }

    /// Resumes a paused host; overdue timers fire at once.
    pub fn resume(&mut self, name: &str) -> Result<(), SimError> {
        self.command("resume", name, Command::Resume)
    }

    /// Sets how far host `name`'s realtime clock (`SystemTime`) is off.
    pub fn set_clock_offset(
        &mut self,
        name: &str,
        offset: crate::ClockOffset,
    ) -> Result<(), SimError> {
        self.command("set_clock_offset", name, |h| {
            Command::SetClockOffset(h, offset.as_nanos())
        })
    }

    /// Steps host `name`'s realtime clock by `jump` (as NTP stepping would).
    pub fn jump_clock(&mut self, name: &str, jump: crate::ClockOffset) -> Result<(), SimError> {
        self.command("jump_clock", name, |h| {
            Command::JumpClock(h, jump.as_nanos())
        })
    }

    /// Makes host `name`'s realtime clock run fast (positive) or slow by
    /// `ppm` parts per million of virtual time.
    pub fn set_clock_drift(&mut self, name: &str, ppm: i64) -> Result<(), SimError> {
        self.command("set_clock_drift", name, |h| Command::SetClockDrift(h, ppm))
    }

    // ----- running -----

    fn fail(&mut self, e: SimError) -> Result<(), SimError> {
        self.failure.get_or_insert(e.clone());
        Err(e)
    }

    fn set_now(&self, t: SimTime) {
        self.world.now.set(t);
        sim_clock::set_now(t);
    }

    fn ensure_started(&mut self) -> Result<(), SimError> {
        if let Some(e) = self.setup_error.take() {
            return self.fail(e);
        }
        if let Some(e) = &self.failure {
            return Err(e.clone());
        }
        if !self.started {
            self.started = true;
            for i in 0..self.hosts.len() {
                if matches!(self.hosts[i].life, Life::NotStarted) {
                    if let Err(e) = self.start_host(HostId(i as u32)) {
                        return self.fail(e);
                    }
                }
            }
        }
        // Changes the test made since the last event (a partition, an actor
        // whose deadline moved) count before the next event is chosen.
        self.after_event()
    }

    fn waiting_clients(&self) -> Vec<String> {
        self.hosts
            .iter()
            .filter(|h| h.is_client() && !matches!(h.life, Life::Finished))
            .map(|h| h.name.clone())
            .collect()
    }

    fn next_event_time(&mut self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Runs until every client has returned `Ok` (or, with no clients, until
    /// no event is left or the time limit is reached).
    pub fn run(&mut self) -> Result<RunReport, SimError> {
        self.ensure_started()?;
        let has_clients = self.hosts.iter().any(|h| h.is_client());
        let limit = SimTime::ZERO + self.config.time_limit;
        loop {
            // A count, not a scan of every host: this runs once per event.
            let all_done = self.clients_unfinished == 0;
            if has_clients && all_done {
                return Ok(self.report());
            }
            match self.next_event_time() {
                None if all_done => return Ok(self.report()),
                None => {
                    let waiting = self.waiting_clients();
                    let e = self.world.error(None, ErrorKind::Deadlock { waiting });
                    return self.fail(e).map(|_| self.report());
                }
                Some(t) if t > limit => {
                    self.set_now(limit.max(self.now()));
                    if all_done {
                        return Ok(self.report());
                    }
                    let kind = ErrorKind::TimeLimit {
                        limit: self.config.time_limit,
                        waiting: self.waiting_clients(),
                    };
                    let e = self.world.error(None, kind);
                    return self.fail(e).map(|_| self.report());
                }
                Some(_) => self.dispatch_next()?,
            }
        }
    }

    /// Runs every event up to `now + duration`, then stops with virtual time
    /// at exactly that instant (clients finishing does not stop it).
    pub fn run_for(&mut self, duration: Duration) -> Result<RunReport, SimError> {
        self.ensure_started()?;
        let until = self.now() + duration;
        while matches!(self.next_event_time(), Some(t) if t <= until) {
            self.dispatch_next()?;
        }
        self.set_now(until);
        Ok(self.report())
    }

    /// Runs the next event only. Returns `Ok(false)` when no event is left.
    /// Between steps the test may inspect hosts and actors freely.
    pub fn step(&mut self) -> Result<bool, SimError> {
        self.ensure_started()?;
        if self.next_event_time().is_none() {
            return Ok(false);
        }
        self.dispatch_next()?;
        Ok(true)
    }

    /// Events allowed at one instant before the run fails as a livelock:
    /// the configured number plus ten per host, since every host may
    /// legitimately act at one instant (100,000 hosts all start at zero).
    fn livelock_limit(&self) -> u64 {
        let per_host = 10u64.saturating_mul(self.hosts.len() as u64);
        self.config.max_events_per_instant.saturating_add(per_host)
    }

    /// The hosts that reported `Busy` at the current instant.
    fn busy_host_names(&self) -> Vec<String> {
        self.busy_now
            .iter()
            .map(|h| self.hosts[h.index()].name.clone())
            .collect()
    }

    fn dispatch_next(&mut self) -> Result<(), SimError> {
        if let Some(e) = &self.failure {
            return Err(e.clone());
        }
        let Some((time, target)) = self.queue.pop() else {
            return Ok(());
        };
        if time > self.now() {
            self.instant_events = 0;
            self.busy_now.clear();
            self.set_now(time);
        }
        self.instant_events += 1;
        self.events += 1;
        if self.instant_events > self.livelock_limit() {
            let busy = self.busy_host_names();
            let kind = ErrorKind::Livelock {
                events: self.instant_events,
                busy,
            };
            let e = self.world.error(None, kind);
            return self.fail(e);
        }
        // Every event while a host is busy at this instant: one busy step
        // may take a long wall time (a task retrying an error at once runs
        // until tokio's budget and the busy-park limit stop it).
        if self.events % WALL_CHECK_EVERY == 0 || !self.busy_now.is_empty() {
            if let Some(limit) = self.config.wall_clock_limit {
                if self.wall.elapsed() > limit {
                    let waiting = self.waiting_clients();
                    let busy = self.busy_host_names();
                    let kind = ErrorKind::WallClockLimit {
                        limit,
                        waiting,
                        busy,
                    };
                    let e = self.world.error(None, kind);
                    return self.fail(e);
                }
            }
        }
        let result = match target {
            Target::Host(h) => self.step_host(HostId(h)),
            Target::Actor(a) => self.step_actor(ActorId(a), false),
            Target::ActorFinish(a) => self.step_actor(ActorId(a), true),
        };
        if let Err(e) = result {
            return self.fail(e);
        }
        self.after_event()
    }

    fn step_host(&mut self, id: HostId) -> Result<(), SimError> {
        let now = self.now();
        let slot = &mut self.hosts[id.index()];
        if slot.paused {
            slot.wake_pending = true;
            return Ok(());
        }
        let Some(rt) = slot.runtime() else {
            return Ok(());
        };
        let is_client = slot.is_client();
        if let Some(w) = &self.watchdog {
            w.step_begins(id.0, now.as_nanos());
        }
        let (outcome, main, threads) = {
            let _ctx = crate::api::HostContext::enter(&self.world, id, slot);
            let outcome = rt.step();
            // The blocking tasks the step spawned run now, at this instant.
            let threads = rt.run_threads(self.config.blocking_task_limit);
            (outcome, rt.take_main_outcome(), threads)
        };
        if let Some(w) = &self.watchdog {
            w.step_ends();
        }
        let caught = panics::take_caught();
        let violation =
            sim_clock::take_violation().or_else(|| threads.err().map(|e| e.violation()));
        let detail = match outcome {
            Ok(ParkOutcome::Busy) => u64::MAX - 1,
            Ok(ParkOutcome::Idle { timeout_ms: None }) => u64::MAX,
            Ok(ParkOutcome::Idle {
                timeout_ms: Some(ms),
            }) => ms,
            Err(_) => 0,
        };
        self.world
            .record(TraceKind::HostStep, id.0, detail, &slot.name);
        let panicked = |m: String| {
            if is_client {
                ErrorKind::ClientPanicked(m)
            } else {
                ErrorKind::HostPanicked(m)
            }
        };
        let outcome = match outcome {
            Ok(o) => o,
            Err(m) => {
                return Err(self
                    .world
                    .error(Some(id), panicked(caught.first().cloned().unwrap_or(m))))
            }
        };
        if let Some(v) = violation {
            let kind = ErrorKind::Unsupported {
                call: v.call.to_string(),
                advice: v.advice.to_string(),
            };
            return Err(self.world.error(Some(id), kind));
        }
        match main {
            Some(MainOutcome::Err(m)) => {
                let kind = if is_client {
                    ErrorKind::ClientFailed(m)
                } else {
                    ErrorKind::HostFailed(m)
                };
                return Err(self.world.error(Some(id), kind));
            }
            Some(MainOutcome::Panicked(m)) => {
                return Err(self
                    .world
                    .error(Some(id), panicked(caught.first().cloned().unwrap_or(m))));
            }
            _ => {}
        }
        if let Some(m) = caught.first() {
            if self.config.fail_on_task_panic {
                return Err(self.world.error(Some(id), panicked(m.clone())));
            }
        }
        if main == Some(MainOutcome::Ok) {
            return self.main_returned(id);
        }
        if outcome == ParkOutcome::Busy && !self.busy_now.contains(&id) {
            self.busy_now.push(id);
        }
        let slot = &mut self.hosts[id.index()];
        let next = match outcome {
            ParkOutcome::Busy => Some(now),
            ParkOutcome::Idle { timeout_ms: None } => None,
            ParkOutcome::Idle {
                timeout_ms: Some(ms),
            } => slot.runtime().map(|rt| rt.timer_deadline(now, ms)),
        };
        self.queue.set(Target::Host(id.0), next);
        Ok(())
    }

    /// Steps actor `id`: its ordinary step, or its end-of-instant step
    /// if `finish`.
    fn step_actor(&mut self, id: ActorId, finish: bool) -> Result<(), SimError> {
        let now = self.now();
        let slot = &self.actors[id.index()];
        let stepped = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut actor = slot.actor.borrow_mut();
            if finish {
                actor.finish_instant(now)
            } else {
                actor.step(now)
            }
        }));
        panics::clear_caught();
        if let Err(p) = stepped {
            let name = &slot.name;
            let kind = ErrorKind::Internal(format!(
                "actor `{name}` panicked: {}",
                panics::payload_message(&*p)
            ));
            return Err(self.world.error(None, kind));
        }
        let deadline = slot.actor.borrow().next_deadline();
        self.world.record(
            if finish {
                TraceKind::ActorFinish
            } else {
                TraceKind::ActorStep
            },
            id.0,
            deadline.map_or(u64::MAX, |d| d.as_nanos()),
            &slot.name,
        );
        self.schedule_actor(id, deadline);
        Ok(())
    }

    pub(crate) fn refresh_actor(&mut self, id: ActorId) {
        let Some(slot) = self.actors.get(id.index()) else {
            return;
        };
        let deadline = slot.actor.borrow().next_deadline();
        self.schedule_actor(id, deadline);
    }

    /// Schedules actor `id` at `deadline` (its `next_deadline`, just read)
    /// and its end-of-instant step at its `end_of_instant`.
    fn schedule_actor(&mut self, id: ActorId, deadline: Option<SimTime>) {
        let now = self.now();
        let finish = self.actors[id.index()].actor.borrow().end_of_instant();
        self.queue
            .set(Target::Actor(id.0), deadline.map(|d| d.max(now)));
        self.queue
            .set(Target::ActorFinish(id.0), finish.map(|d| d.max(now)));
    }

    /// Asks for a step of host `id` at the current instant.
    pub(crate) fn wake_host(&mut self, id: HostId) {
        let now = self.now();
        let Some(slot) = self.hosts.get_mut(id.index()) else {
            return;
        };
        if slot.runtime().is_none() {
            return;
        }
        if slot.paused {
            slot.wake_pending = true;
            return;
        }
        self.queue.request(Target::Host(id.0), now);
    }

    /// Handles what the last event caused: cross-host wake-ups, actors whose
    /// deadline changed, lifecycle commands, until none is left.
    pub(crate) fn after_event(&mut self) -> Result<(), SimError> {
        loop {
            // Scratch buffers kept in `self`, both empty here: this runs
            // after every event, so the common case (nothing to do) only
            // looks at three lists.
            sim_clock::wakers::drain_woken_into(&mut self.woken_buf);
            std::mem::swap(
                &mut self.dirty_buf,
                &mut *self.world.dirty_actors.borrow_mut(),
            );
            let commands = if self.world.commands.borrow().is_empty() {
                Vec::new()
            } else {
                std::mem::take(&mut *self.world.commands.borrow_mut())
            };
            if self.woken_buf.is_empty() && self.dirty_buf.is_empty() && commands.is_empty() {
                // A failed property or fault schedule fails the run at the
                // instant it was found.
                let pending = self.world.pending_failure.borrow_mut().take();
                if let Some(e) = pending {
                    return self.fail(e);
                }
                return Ok(());
            }
            // In host order, not wake order: a host's runtime shutdown drops
            // its tasks in an order that depends on tokio's process-wide task
            // ids, and the draws that order same-instant steps must not.
            self.woken_buf.sort_unstable();
            self.woken_buf.dedup();
            for i in 0..self.woken_buf.len() {
                self.wake_host(HostId(self.woken_buf[i]));
            }
            self.woken_buf.clear();
            for i in 0..self.dirty_buf.len() {
                self.refresh_actor(self.dirty_buf[i]);
            }
            self.dirty_buf.clear();
            for c in commands {
                if let Err(e) = self.apply(c) {
                    return self.fail(e);
                }
            }
        }
    }

    pub(crate) fn notify_actors(&mut self, host: HostId, event: HostEvent) {
        for i in 0..self.actors.len() {
            let actor = self.actors[i].actor.clone();
            actor.borrow_mut().host_event(host, event);
            self.refresh_actor(ActorId(i as u32));
        }
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        for i in 0..self.hosts.len() {
            let id = HostId(i as u32);
            let _ = self.stop_runtime(id);
        }
        self.actors.clear();
        World::uninstall();
    }
}
