//! Threads a host starts (tokio's blocking pool behind `spawn_blocking`,
//! which also runs `tokio::net::lookup_host`): run deterministically, with
//! the host's clock, randomness and names.
//!
//! A thread created (`pthread_create`) by host code on a simulation thread
//! belongs to that host. It is counted at once, on the simulation thread,
//! and held at a gate before it runs any code. After the host's step the
//! scheduler calls [`run_host_threads`]: the held threads run one at a
//! time, in the order they were created, while the simulation thread waits
//! and virtual time stands still. So a blocking task runs to completion at
//! the instant it was spawned, never concurrently with the simulation, and
//! in an order that depends only on the seed.
//!
//! While such a thread runs:
//! - its monotonic and realtime clocks read the host's virtual time at that
//!   instant (a snapshot: time does not move while it runs);
//! - `getrandom`/`getentropy` and name lookups (`getaddrinfo`) are carried
//!   out by the waiting simulation thread on its behalf,
//!   so they draw from the host's random stream and the simulation's DNS;
//! - a call that would wait for real (a sleep, a blocking read of a virtual
//!   descriptor) fails at once and ends the run with an error naming the
//!   host and the call; a thread that does not finish within a wall-clock
//!   bound (it waits on something outside the simulation) ends it too.
//!
//! tokio's pool thread waits for more work after its last task, with a
//! timeout computed from the monotonic clock, which must be the real one
//! then; the scheduler queues [`end_of_tasks`] behind the host's tasks, and
//! from there on the thread reads real clocks and exits at once (the host
//! runtime is built with a zero keep-alive).
//!
//! Waits use a futex with a relative timeout: `std`'s timed waits read the
//! monotonic clock, which is virtual on both sides of this handshake.

use std::any::Any;
use std::cell::Cell;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Mutex, MutexGuard, OnceLock};
use std::time::Duration;

use crate::vfd::SLOT_LIMIT;
use crate::Violation;

/// Work a host thread asks the simulation thread to do for it.
type Job = Box<dyn FnOnce() -> Box<dyn Any + Send> + Send>;

/// The hand-off between one simulation and the threads its hosts start.
pub(crate) struct HostThreads {
    state: Mutex<State>,
    /// Bumped (and futex-woken) on every change of `state`.
    seq: AtomicU32,
    /// Threads started and not finished (read without the lock after
    /// every host step).
    alive: AtomicUsize,
    /// The host's virtual clocks while its threads run.
    monotonic: AtomicU64,
    realtime: AtomicU64,
}

#[derive(Default)]
struct State {
    /// Which simulation holds the slot; a thread of an earlier one is
    /// let go without marks.
    generation: u64,
    /// Tickets of threads waiting to run, in creation order.
    waiting: VecDeque<u64>,
    next_ticket: u64,
    /// The ticket allowed to run, while the scheduler waits.
    admitted: Option<u64>,
    /// The scheduler waits for the threads (the gate is open).
    open: bool,
    /// The slot's simulation ended: every thread runs, unmarked.
    released: bool,
    job: Option<Job>,
    answer: Option<Box<dyn Any + Send>>,
    violations: Vec<Violation>,
    /// The host whose threads these are (for messages).
    host: u32,
    /// The kernel's id of the thread that runs (to say what it waits in).
    running_tid: Option<libc::pid_t>,
}

fn all() -> &'static [HostThreads] {
    static ALL: OnceLock<Vec<HostThreads>> = OnceLock::new();
    ALL.get_or_init(|| {
        (0..SLOT_LIMIT)
            .map(|_| HostThreads {
                state: Mutex::new(State::default()),
                seq: AtomicU32::new(0),
                alive: AtomicUsize::new(0),
                monotonic: AtomicU64::new(0),
                realtime: AtomicU64::new(0),
            })
            .collect()
    })
}

/// What marks a thread as a host's: its simulation's hand-off and the
/// generation of that simulation.
#[derive(Clone, Copy)]
struct Mark {
    threads: &'static HostThreads,
    generation: u64,
}

thread_local! {
    /// On a simulation thread: its slot's hand-off.
    static SIM_SLOT: Cell<Option<&'static HostThreads>> = const { Cell::new(None) };
    /// On a host thread: whose it is, until its start routine returns.
    static HOST_THREAD: Cell<Option<Mark>> = const { Cell::new(None) };
    /// On a host thread: its clocks read the host's virtual time (until
    /// [`end_of_tasks`]).
    static HOST_CLOCK: Cell<bool> = const { Cell::new(false) };
}

impl HostThreads {
    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Wakes everyone waiting on this slot (call after changing `state`).
    fn changed(&self) {
        self.seq.fetch_add(1, Ordering::Release);
        futex_wake(&self.seq);
    }

    /// Waits until `ready` holds, or (with a timeout) that much real time
    /// passed without a change; returns the guard and whether `ready` holds.
    fn wait_until<'a>(
        &'a self,
        mut state: MutexGuard<'a, State>,
        timeout: Option<Duration>,
        mut ready: impl FnMut(&State) -> bool,
    ) -> (MutexGuard<'a, State>, bool) {
        loop {
            if ready(&state) {
                return (state, true);
            }
            let seen = self.seq.load(Ordering::Acquire);
            drop(state);
            let woken = futex_wait(&self.seq, seen, timeout);
            state = self.lock();
            if !woken && timeout.is_some() {
                let ok = ready(&state);
                return (state, ok);
            }
        }
    }
}

/// Waits while `*word == expected`, at most `timeout` of real time (the
/// kernel measures a relative timeout itself: no clock is read here).
/// `false` if it timed out.
fn futex_wait(word: &AtomicU32, expected: u32, timeout: Option<Duration>) -> bool {
    let ts = timeout.map(|d| libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    });
    let ts_ptr = ts
        .as_ref()
        .map_or(std::ptr::null(), |t| t as *const libc::timespec);
    // SAFETY: `word` is a live atomic; FUTEX_WAIT reads it and sleeps.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT | libc::FUTEX_PRIVATE_FLAG,
            expected,
            ts_ptr,
        )
    };
    !(r < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ETIMEDOUT))
}

fn futex_wake(word: &AtomicU32) {
    // SAFETY: `word` is a live atomic; FUTEX_WAKE only reads its address.
    unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG,
            i32::MAX,
        );
    }
}

// ----- the simulation thread's side -----

/// Gives this simulation thread the hand-off of `slot` (called when it
/// enters a simulation).
pub(crate) fn attach(slot: u32) {
    let t = &all()[slot as usize];
    {
        let mut s = t.lock();
        let generation = s.generation + 1;
        *s = State {
            generation,
            ..State::default()
        };
    }
    t.alive.store(0, Ordering::Release);
    t.changed();
    SIM_SLOT.with(|s| s.set(Some(t)));
}

/// Lets every thread of this simulation go (they run unmarked) and forgets
/// the slot (called when the simulation ends).
pub(crate) fn detach() {
    let Ok(Some(t)) = SIM_SLOT.try_with(|s| s.replace(None)) else {
        return;
    };
    {
        let mut s = t.lock();
        s.released = true;
        s.generation += 1;
        s.waiting.clear();
        s.job = None;
    }
    t.changed();
}

#[inline]
fn sim_slot() -> Option<&'static HostThreads> {
    SIM_SLOT.try_with(|s| s.get()).ok().flatten()
}

/// Whether threads started by host code wait to run (one atomic load: the
/// scheduler asks after every host step).
#[inline]
pub fn pending() -> bool {
    sim_slot().is_some_and(|t| t.alive.load(Ordering::Acquire) > 0)
}

/// How [`run_host_threads`] failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ThreadsError {
    /// A thread did something the simulation cannot honour (it was refused
    /// and the thread went on; the run must end).
    Violation(Violation),
    /// A thread did not finish within the wall-clock bound: it waits for
    /// something outside the simulation. It is still alive; the host's
    /// runtime must not be dropped (that would wait for it forever).
    Stuck(Violation),
}

impl ThreadsError {
    /// What went wrong, as a violation (the call and advice).
    pub fn violation(self) -> Violation {
        match self {
            ThreadsError::Violation(v) | ThreadsError::Stuck(v) => v,
        }
    }
}

/// Runs the threads that host `host`'s code started, one at a time in the
/// order they were created, and returns once every one has finished, doing
/// on their behalf the work they ask of the simulation thread (random
/// bytes, name lookups). Their clocks read this thread's virtual time, as
/// adjusted for the host. A thread that makes no progress for `limit` of
/// real time is reported as [`ThreadsError::Stuck`].
pub fn run_host_threads(host: u32, limit: Duration) -> Result<(), ThreadsError> {
    let Some(t) = sim_slot() else {
        return Ok(());
    };
    if t.alive.load(Ordering::Acquire) == 0 {
        return Ok(());
    }
    if let Some((monotonic, realtime)) =
        crate::thread_state::with_sim_clock(|c| (c.monotonic_nanos(), c.realtime_nanos()))
    {
        t.monotonic.store(monotonic, Ordering::Release);
        t.realtime.store(realtime, Ordering::Release);
    }
    let mut state = t.lock();
    state.open = true;
    state.host = host;
    admit_next(&mut state);
    t.changed();
    let mut stalled = crate::real::Stopwatch::start();
    loop {
        let (s, _) = t.wait_until(state, Some(Duration::from_millis(100)), |s| {
            s.job.is_some() || t.alive.load(Ordering::Acquire) == 0
        });
        state = s;
        if let Some(job) = state.job.take() {
            // The asking thread waits; do its work here, unlocked (the job
            // may run host code's entropy source or the name resolver).
            drop(state);
            let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job))
                .unwrap_or_else(|_| Box::new(()));
            state = t.lock();
            state.answer = Some(answer);
            t.changed();
            stalled = crate::real::Stopwatch::start();
            continue;
        }
        if t.alive.load(Ordering::Acquire) == 0 {
            break;
        }
        if stalled.elapsed() > limit {
            state.open = false;
            let waits_in = state.running_tid.and_then(blocked_in);
            let call = waits_in.map_or("spawn_blocking", |(call, _)| call);
            let what = waits_in.map_or(String::new(), |(call, what)| {
                format!(" (it waits in `{call}`: {what})")
            });
            let v = Violation {
                call,
                advice: format!(
                    "a blocking task of this host (spawn_blocking, lookup_host, or a thread its \
                     code started) did not finish within {limit:?} of real time{what}: it waits \
                     for something outside the simulation (a lock or channel that async code \
                     would release, Handle::block_on, a blocking call); a host's blocking tasks \
                     run alone, while virtual time stands still"
                )
                .into(),
            };
            return Err(ThreadsError::Stuck(v));
        }
    }
    state.open = false;
    state.admitted = None;
    let first = (!state.violations.is_empty()).then(|| state.violations.remove(0));
    state.violations.clear();
    drop(state);
    match first {
        Some(v) => Err(ThreadsError::Violation(v)),
        None => Ok(()),
    }
}

/// The system call thread `tid` of this process is blocked in, with what
/// it usually means, from `/proc/self/task/TID/syscall` (read only when a
/// run fails this way).
fn blocked_in(tid: libc::pid_t) -> Option<(&'static str, &'static str)> {
    let text = std::fs::read_to_string(format!("/proc/self/task/{tid}/syscall")).ok()?;
    let number: libc::c_long = text.split_whitespace().next()?.parse().ok()?;
    let known: &[(libc::c_long, &str, &str)] = &[
        (
            libc::SYS_futex,
            "futex",
            "a lock, condition variable, channel or thread join",
        ),
        (
            libc::SYS_read,
            "read",
            "a blocking read of a real file, pipe or socket",
        ),
        (
            libc::SYS_recvfrom,
            "recvfrom",
            "a blocking receive on a real socket",
        ),
        (
            libc::SYS_recvmsg,
            "recvmsg",
            "a blocking receive on a real socket",
        ),
        (
            libc::SYS_accept4,
            "accept4",
            "a blocking accept on a real socket",
        ),
        (
            libc::SYS_connect,
            "connect",
            "a blocking connect of a real socket",
        ),
        (libc::SYS_ppoll, "ppoll", "waiting for real descriptors"),
        (libc::SYS_epoll_pwait, "epoll_pwait", "a real event loop"),
        (libc::SYS_wait4, "wait4", "waiting for a child process"),
    ];
    // Calls only some architectures have (aarch64 has just the ones above).
    #[cfg(target_arch = "x86_64")]
    let legacy: &[(libc::c_long, &str, &str)] = &[
        (
            libc::SYS_accept,
            "accept",
            "a blocking accept on a real socket",
        ),
        (libc::SYS_poll, "poll", "waiting for real descriptors"),
        (libc::SYS_epoll_wait, "epoll_wait", "a real event loop"),
    ];
    #[cfg(not(target_arch = "x86_64"))]
    let legacy: &[(libc::c_long, &str, &str)] = &[];
    known
        .iter()
        .chain(legacy)
        .find(|(n, _, _)| *n == number)
        .map(|(_, call, what)| (*call, *what))
}

/// Lets the first waiting thread run, if none runs.
fn admit_next(state: &mut State) {
    if state.open && state.admitted.is_none() {
        state.admitted = state.waiting.pop_front();
    }
}

// ----- the host thread's side -----

/// A thread being created for host code: counted now, on the simulation
/// thread; `None` if the current thread runs no simulation.
pub(crate) struct Ticket {
    threads: &'static HostThreads,
    generation: u64,
    ticket: u64,
}

/// Counts a thread about to be created by host code (on the simulation
/// thread, before `pthread_create`).
pub(crate) fn new_ticket() -> Option<Ticket> {
    let t = sim_slot()?;
    let mut s = t.lock();
    let ticket = s.next_ticket;
    s.next_ticket += 1;
    s.waiting.push_back(ticket);
    t.alive.fetch_add(1, Ordering::AcqRel);
    Some(Ticket {
        threads: t,
        generation: s.generation,
        ticket,
    })
}

impl Ticket {
    /// The thread could not be created: uncount it.
    pub(crate) fn cancel(self) {
        let mut s = self.threads.lock();
        s.waiting.retain(|&k| k != self.ticket);
        self.threads.alive.fetch_sub(1, Ordering::AcqRel);
        drop(s);
        self.threads.changed();
    }

    /// On the new thread: waits for its turn, then marks the thread as its
    /// host's. Returns whether it was marked (a thread whose simulation
    /// ended runs unmarked).
    pub(crate) fn enter(&self) -> bool {
        let t = self.threads;
        let state = t.lock();
        let (state, _) = t.wait_until(state, None, |s| {
            s.generation != self.generation || s.released || s.admitted == Some(self.ticket)
        });
        let marked = state.generation == self.generation && !state.released;
        let mut state = state;
        if marked {
            // SAFETY: gettid has no preconditions.
            state.running_tid = Some(unsafe { libc::gettid() });
        }
        drop(state);
        if marked {
            let _ = HOST_THREAD.try_with(|h| {
                h.set(Some(Mark {
                    threads: t,
                    generation: self.generation,
                }))
            });
            let _ = HOST_CLOCK.try_with(|c| c.set(true));
        }
        marked
    }

    /// On the new thread, when its start routine returned: uncounts it and
    /// lets the next one run.
    pub(crate) fn exit(self) {
        let _ = HOST_THREAD.try_with(|h| h.set(None));
        let _ = HOST_CLOCK.try_with(|c| c.set(false));
        let t = self.threads;
        let mut s = t.lock();
        if s.generation == self.generation {
            if s.admitted == Some(self.ticket) {
                s.admitted = None;
                s.running_tid = None;
            }
            s.waiting.retain(|&k| k != self.ticket);
            admit_next(&mut s);
            t.alive.fetch_sub(1, Ordering::AcqRel);
        }
        drop(s);
        t.changed();
    }
}

fn host_mark() -> Option<Mark> {
    HOST_THREAD.try_with(|h| h.get()).ok().flatten()
}

/// Whether the current thread is a host's thread running its host's work.
#[inline]
pub(crate) fn is_host_thread() -> bool {
    HOST_THREAD.try_with(|h| h.get().is_some()).unwrap_or(false)
}

/// The host's virtual monotonic and realtime clocks, on a host thread.
#[inline]
pub(crate) fn host_clock() -> Option<(u64, u64)> {
    if !HOST_CLOCK.try_with(|c| c.get()).unwrap_or(false) {
        return None;
    }
    let m = host_mark()?;
    Some((
        m.threads.monotonic.load(Ordering::Acquire),
        m.threads.realtime.load(Ordering::Acquire),
    ))
}

/// Runs `job` on the simulation thread on behalf of this host thread and
/// returns its result; `None` if this is not a host thread (or its
/// simulation ended).
pub(crate) fn on_sim_thread<R: Send + 'static>(
    job: impl FnOnce() -> R + Send + 'static,
) -> Option<R> {
    let m = host_mark()?;
    let t = m.threads;
    let mut s = t.lock();
    if s.generation != m.generation || s.released || !s.open {
        return None;
    }
    s.answer = None;
    s.job = Some(Box::new(move || Box::new(job()) as Box<dyn Any + Send>));
    t.changed();
    let (mut s, _) = t.wait_until(s, None, |s| {
        s.answer.is_some() || s.generation != m.generation || s.released
    });
    let answer = s.answer.take()?;
    answer.downcast::<R>().ok().map(|b| *b)
}

/// Records, on a host thread, something it did that the simulation cannot
/// honour; `false` if this is not a host thread.
pub(crate) fn record_violation(v: &Violation) -> bool {
    let Some(m) = host_mark() else {
        return false;
    };
    let mut s = m.threads.lock();
    if s.generation == m.generation {
        s.violations.push(v.clone());
    }
    true
}

/// Marks the end of the host's queued blocking tasks: from here on this
/// thread (tokio's pool thread, about to wait for more work and exit) reads
/// the real clock. The scheduler queues it with `spawn_blocking` behind
/// every task a host step spawned. (A task spawned by a blocking task is
/// queued behind it and reads the real clock; its randomness and names
/// remain the host's.)
pub fn end_of_tasks() {
    let _ = HOST_CLOCK.try_with(|c| c.set(false));
}
