//! The per-thread simulation state that the interposers read.
//!
//! Everything here is thread-local: a thread becomes a simulation thread by
//! holding a [`SimThreadGuard`], and only that thread sees virtual time. Every
//! other thread of the process (the test harness, turmoil in a benchmark, a
//! second simulation) keeps the real clock. The interposers may run while
//! thread-locals are being torn down, so they use `try_with` and fall back to
//! the real call rather than panic inside an `extern "C"` function.

use std::cell::{Cell, RefCell};

use crate::SimTime;

/// Virtual monotonic clocks start at this many nanoseconds (one day), so that
/// code subtracting a few hours from `Instant::now()` does not underflow, as on
/// a machine that has been up for a while.
pub const MONOTONIC_BASE_NANOS: u64 = 86_400 * 1_000_000_000;

/// Default realtime epoch: 2025-01-01T00:00:00Z, in nanoseconds since 1970.
pub const DEFAULT_EPOCH_UNIX_NANOS: u64 = 1_735_689_600 * 1_000_000_000;

/// A source of bytes for `getrandom`/`getentropy` on a simulation thread.
pub type EntropySource = Box<dyn FnMut(&mut [u8])>;

/// What the clock interposers read, in one thread-local so that a clock
/// read on the hot path costs one thread-local access.
pub(crate) struct Clock {
    active: Cell<bool>,
    now: Cell<u64>,
    epoch_unix_nanos: Cell<u64>,
    realtime_offset: Cell<i64>,
    realtime_drift_ppm: Cell<i64>,
    /// Whether `VIOLATIONS` may be non-empty (checked after every step).
    violated: Cell<bool>,
}

impl Clock {
    /// Virtual monotonic nanoseconds: the base plus virtual elapsed time.
    #[inline]
    pub(crate) fn monotonic_nanos(&self) -> u64 {
        MONOTONIC_BASE_NANOS + self.now.get()
    }

    /// Virtual realtime nanoseconds since the Unix epoch, adjusted for the
    /// current host's offset and drift. Never below zero. (Out of line: it
    /// is the rarer clock, and inlined it would slow the monotonic path.)
    #[inline(never)]
    pub(crate) fn realtime_nanos(&self) -> u64 {
        let now = self.now.get() as i128;
        let epoch = self.epoch_unix_nanos.get() as i128;
        let offset = self.realtime_offset.get() as i128;
        let drift = self.realtime_drift_ppm.get() as i128;
        let t = epoch + now + now * drift / 1_000_000 + offset;
        t.clamp(0, u64::MAX as i128) as u64
    }
}

thread_local! {
    static CLOCK: Clock = const {
        Clock {
            active: Cell::new(false),
            now: Cell::new(0),
            epoch_unix_nanos: Cell::new(DEFAULT_EPOCH_UNIX_NANOS),
            realtime_offset: Cell::new(0),
            realtime_drift_ppm: Cell::new(0),
            violated: Cell::new(false),
        }
    };
    pub(crate) static ENTROPY: RefCell<Option<EntropySource>> = const { RefCell::new(None) };
    pub(crate) static VIOLATIONS: RefCell<Vec<Violation>> = const { RefCell::new(Vec::new()) };
}

/// Something host code did that a simulation cannot honour: a blocking call
/// or real I/O. The interposer refuses it (returns at once, or fails with
/// `EPERM`) and records it here so the scheduler can end the run with a clear
/// error instead of hanging.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The libc function that was called, e.g. `"nanosleep"`.
    pub call: &'static str,
    /// What it means and what to use instead.
    pub advice: std::borrow::Cow<'static, str>,
}

/// Settings of a simulation thread.
#[derive(Clone, Copy, Debug)]
pub struct ThreadConfig {
    /// Unix time, in nanoseconds, that `SystemTime::now()` reads at virtual
    /// time zero (before per-host skew).
    pub epoch_unix_nanos: u64,
}

impl Default for ThreadConfig {
    fn default() -> Self {
        ThreadConfig {
            epoch_unix_nanos: DEFAULT_EPOCH_UNIX_NANOS,
        }
    }
}

/// While alive, the current thread is a simulation thread: clocks read
/// virtual time, `epoll_wait` never blocks, randomness comes from the
/// simulation's generator. Dropping it restores the real behaviour.
///
/// ```
/// use sim_clock::{enter, set_now, SimTime, ThreadConfig};
/// use std::time::Duration;
///
/// std::thread::spawn(|| {
///     let _guard = enter(ThreadConfig::default()).unwrap();
///     let before = std::time::Instant::now();
///     set_now(SimTime::ZERO + Duration::from_secs(5));
///     assert_eq!(before.elapsed(), Duration::from_secs(5));
/// })
/// .join()
/// .unwrap();
/// ```
#[derive(Debug)]
pub struct SimThreadGuard {
    _not_send: std::marker::PhantomData<*const ()>,
}

/// Why [`enter`] could not make this thread a simulation thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EnterError {
    /// The current thread already runs a simulation.
    AlreadyActive,
    /// [`crate::vfd::SLOT_LIMIT`] simulations already run in this process,
    /// each with its own band of virtual descriptor numbers.
    TooManySimulations,
    /// The process may open real descriptors as high as the virtual range
    /// (its `RLIMIT_NOFILE` hard limit reaches [`crate::vfd::VIRTUAL_FD_BASE`]),
    /// so a real and a virtual descriptor could share a number.
    DescriptorLimitTooHigh {
        /// The hard limit found.
        hard_limit: u64,
    },
}

impl std::fmt::Display for EnterError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EnterError::AlreadyActive => f.write_str(
                "this thread already runs a simulation; run each simulation on its own thread",
            ),
            EnterError::TooManySimulations => write!(
                f,
                "{} simulations already run in this process; each needs its own band of virtual \
                 descriptors (finish some first)",
                crate::vfd::SLOT_LIMIT
            ),
            EnterError::DescriptorLimitTooHigh { hard_limit } => write!(
                f,
                "the open-file hard limit ({hard_limit}) reaches the virtual descriptor range, \
                 which starts at {}; lower it (ulimit -Hn) below that",
                crate::vfd::VIRTUAL_FD_BASE
            ),
        }
    }
}

impl std::error::Error for EnterError {}

/// Fails if real descriptors could reach the virtual range.
fn check_descriptor_limit() -> Result<(), EnterError> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: a valid rlimit out-pointer.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) } != 0 {
        return Ok(());
    }
    let hard_limit: u64 = lim.rlim_max;
    if hard_limit > crate::vfd::VIRTUAL_FD_BASE as u64 {
        return Err(EnterError::DescriptorLimitTooHigh { hard_limit });
    }
    Ok(())
}

/// Makes the current thread a simulation thread at virtual time zero, with
/// an empty virtual descriptor table.
pub fn enter(config: ThreadConfig) -> Result<SimThreadGuard, EnterError> {
    crate::ensure_linked();
    if CLOCK.with(|c| c.active.get()) {
        return Err(EnterError::AlreadyActive);
    }
    check_descriptor_limit()?;
    reset_thread_state();
    crate::interpose::forward::reset();
    crate::vfd::open_table().map_err(|_| EnterError::TooManySimulations)?;
    CLOCK.with(|c| {
        c.epoch_unix_nanos.set(config.epoch_unix_nanos);
        c.active.set(true);
    });
    Ok(SimThreadGuard {
        _not_send: std::marker::PhantomData,
    })
}

impl Drop for SimThreadGuard {
    fn drop(&mut self) {
        // The descriptors go first, while this is still a simulation
        // thread: their objects' destructors may use the layer.
        crate::vfd::close_table();
        let _ = CLOCK.try_with(|c| c.active.set(false));
        reset_thread_state();
    }
}

fn reset_thread_state() {
    let _ = CLOCK.try_with(|c| {
        c.now.set(0);
        c.realtime_offset.set(0);
        c.realtime_drift_ppm.set(0);
    });
    let _ = ENTROPY.try_with(|e| e.borrow_mut().take());
    let _ = VIOLATIONS.try_with(|v| v.borrow_mut().clear());
    let _ = CLOCK.try_with(|c| c.violated.set(false));
    crate::wakers::reset();
    crate::park::reset();
}

/// Whether the current thread is a simulation thread.
pub fn is_sim_thread() -> bool {
    CLOCK.try_with(|c| c.active.get()).unwrap_or(false)
}

/// Sets the current virtual time of this thread.
pub fn set_now(now: SimTime) {
    CLOCK.with(|c| c.now.set(now.as_nanos()));
}

/// The current virtual time of this thread.
pub fn now() -> SimTime {
    SimTime::from_nanos(CLOCK.with(|c| c.now.get()))
}

/// Sets how the realtime clock (`SystemTime`) of the code about to run differs
/// from the simulation's: a fixed offset in nanoseconds (positive = ahead) and
/// a drift in parts per million of elapsed virtual time. The scheduler sets
/// this to the stepped host's values before each step.
pub fn set_realtime_adjustment(offset_nanos: i64, drift_ppm: i64) {
    CLOCK.with(|c| {
        c.realtime_offset.set(offset_nanos);
        c.realtime_drift_ppm.set(drift_ppm);
    });
}

/// Installs the byte source for `getrandom`/`getentropy` on this thread.
pub fn set_entropy_source(source: EntropySource) {
    ENTROPY.with(|e| *e.borrow_mut() = Some(source));
}

/// Takes the violations recorded since the last call.
pub fn take_violations() -> Vec<Violation> {
    if !CLOCK.with(|c| c.violated.replace(false)) {
        return Vec::new();
    }
    VIOLATIONS.with(|v| std::mem::take(&mut *v.borrow_mut()))
}

/// Takes the first violation recorded since the last call, and forgets the
/// others (the scheduler's check after every step: cheap when there is none).
pub fn take_violation() -> Option<Violation> {
    if !CLOCK.with(|c| c.violated.replace(false)) {
        return None;
    }
    VIOLATIONS.with(|v| {
        let mut v = v.borrow_mut();
        let first = (!v.is_empty()).then(|| v.swap_remove(0));
        v.clear();
        first
    })
}

pub(crate) fn record_violation(v: Violation) {
    let _ = VIOLATIONS.try_with(|list| {
        if let Ok(mut list) = list.try_borrow_mut() {
            list.push(v);
            let _ = CLOCK.try_with(|c| c.violated.set(true));
        }
    });
}

/// Runs `f` on this thread's clock state if it is a simulation thread
/// (`None` on any other thread, or while thread-locals are torn down).
#[inline]
pub(crate) fn with_sim_clock<R>(f: impl FnOnce(&Clock) -> R) -> Option<R> {
    CLOCK
        .try_with(|c| if c.active.get() { Some(f(c)) } else { None })
        .ok()
        .flatten()
}
