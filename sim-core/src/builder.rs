//! [`Builder`]: the settings of a simulation run.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::sim::Sim;

/// Settings of one simulation run. Cheap to clone and `Send`, so a harness
/// can build one `Sim` per seed on a fresh thread.
///
/// ```
/// use std::time::Duration;
/// let builder = sim_core::Builder::new()
///     .seed(42)
///     .time_limit(Duration::from_secs(3600))
///     .wall_clock_limit(Duration::from_secs(30));
/// assert_eq!(builder.seed_value(), 42);
/// ```
#[derive(Clone, Debug)]
pub struct Builder {
    pub(crate) seed: u64,
    pub(crate) epoch: SystemTime,
    pub(crate) time_limit: Duration,
    pub(crate) wall_clock_limit: Option<Duration>,
    pub(crate) fail_on_task_panic: bool,
    pub(crate) record_trace: bool,
    pub(crate) max_events_per_instant: u64,
    pub(crate) blocking_task_limit: Duration,
    pub(crate) buggify_sites: f64,
}

impl Default for Builder {
    fn default() -> Self {
        Builder::new()
    }
}

impl Builder {
    /// Defaults: seed 0, epoch 2025-01-01T00:00:00Z, one virtual hour,
    /// two wall-clock minutes, any task panic fails the run.
    pub fn new() -> Builder {
        Builder {
            seed: 0,
            epoch: UNIX_EPOCH + Duration::from_nanos(sim_clock::DEFAULT_EPOCH_UNIX_NANOS),
            time_limit: Duration::from_secs(3600),
            wall_clock_limit: Some(Duration::from_secs(120)),
            fail_on_task_panic: true,
            record_trace: false,
            max_events_per_instant: 100_000,
            blocking_task_limit: Duration::from_secs(10),
            buggify_sites: crate::buggify::DEFAULT_SITES,
        }
    }

    /// The seed of every random decision of the run.
    pub fn seed(mut self, seed: u64) -> Builder {
        self.seed = seed;
        self
    }

    /// The configured seed.
    pub fn seed_value(&self) -> u64 {
        self.seed
    }

    /// What `SystemTime::now()` reads at virtual time zero (before per-host
    /// skew). Times before 1970 read as 1970.
    pub fn epoch(mut self, epoch: SystemTime) -> Builder {
        self.epoch = epoch;
        self
    }

    /// `Sim::run` fails once virtual time passes this while clients still run.
    pub fn time_limit(mut self, limit: Duration) -> Builder {
        self.time_limit = limit;
        self
    }

    /// Fails the run once it has taken this much real time (`None`: no limit).
    /// A safety net against runaway scenarios; not part of the model.
    pub fn wall_clock_limit(mut self, limit: impl Into<Option<Duration>>) -> Builder {
        self.wall_clock_limit = limit.into();
        self
    }

    /// Whether a panic in any task of a host fails the run (default), or only
    /// a panic of the host's main future. tokio itself swallows task panics.
    pub fn fail_on_task_panic(mut self, fail: bool) -> Builder {
        self.fail_on_task_panic = fail;
        self
    }

    /// Keeps every trace event in memory (for the determinism check), not
    /// just the running hash.
    pub fn record_trace(mut self, record: bool) -> Builder {
        self.record_trace = record;
        self
    }

    /// Fails the run as a livelock after this many events at one instant,
    /// plus ten per host (default 100,000 plus ten per host).
    pub fn max_events_per_instant(mut self, max: u64) -> Builder {
        self.max_events_per_instant = max.max(1);
        self
    }

    /// How much real time a host's blocking task (`spawn_blocking`, which
    /// also runs `tokio::net::lookup_host`) may go without finishing or
    /// asking the simulation for anything before the run fails (default
    /// 10 s). Such a task runs while virtual time stands still, so one that
    /// waits this long waits for something outside the simulation (a lock,
    /// a channel fed by async code, `Handle::block_on`) and never finishes.
    pub fn blocking_task_limit(mut self, limit: Duration) -> Builder {
        self.blocking_task_limit = limit;
        self
    }

    /// The fraction of [`buggify!`](crate::buggify!) call sites a run
    /// enables (default 0.25; 0 turns every site off, 1 turns every one on).
    /// Values outside `0..=1` are clamped.
    pub fn buggify(mut self, sites: f64) -> Builder {
        self.buggify_sites = if sites.is_nan() {
            0.0
        } else {
            sites.clamp(0.0, 1.0)
        };
        self
    }

    /// Makes the current thread a simulation thread and returns the `Sim`.
    ///
    /// Run it on a fresh thread (the harness does): std draws `HashMap` keys
    /// once per thread, so only a thread that never used one before replays
    /// `HashMap` order exactly.
    ///
    /// # Panics
    /// If this thread already runs a simulation; see [`Builder::try_build`].
    pub fn build(self) -> Sim {
        match self.try_build() {
            Ok(sim) => sim,
            Err(e) => panic!("{e}"),
        }
    }

    /// Like [`Builder::build`], with an error if this thread already runs a
    /// simulation.
    pub fn try_build(self) -> Result<Sim, crate::SimError> {
        Sim::new(self)
    }
}
