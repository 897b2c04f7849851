//! The last line of defence against a hang: a host task that runs without
//! ever awaiting (a CPU-bound loop) keeps the simulation thread inside one
//! step, where the scheduler's own wall-clock check cannot run.
//!
//! Each simulation publishes a [`Beacon`]: the event count, whether a host
//! step is in progress and which host. One process-wide watchdog thread
//! looks at every beacon four times a second; if a step has made no progress
//! for longer than the simulation's wall-clock limit, it prints the seed, the
//! host, the virtual time and the cause, and aborts the process (a thread
//! stuck in user code cannot be stopped any other way). The hot path only
//! does relaxed atomic stores.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Once, Weak};
use std::time::Duration;

const NO_HOST: u32 = u32::MAX;
const POLL: Duration = Duration::from_millis(250);

/// What one simulation publishes for the watchdog.
pub(crate) struct Beacon {
    seed: u64,
    limit: Duration,
    events: AtomicU64,
    stepping: AtomicU32,
    virtual_nanos: AtomicU64,
    host_names: Mutex<Vec<String>>,
}

static BEACONS: Mutex<Vec<Weak<Beacon>>> = Mutex::new(Vec::new());

impl Beacon {
    /// Registers a beacon (and starts the watchdog thread on first use).
    /// Returns `None` when the simulation has no wall-clock limit.
    pub(crate) fn register(seed: u64, limit: Option<Duration>) -> Option<Arc<Beacon>> {
        let limit = limit?;
        let beacon = Arc::new(Beacon {
            seed,
            limit,
            events: AtomicU64::new(0),
            stepping: AtomicU32::new(NO_HOST),
            virtual_nanos: AtomicU64::new(0),
            host_names: Mutex::new(Vec::new()),
        });
        start_thread();
        if let Ok(mut beacons) = BEACONS.lock() {
            beacons.retain(|b| b.strong_count() > 0);
            beacons.push(Arc::downgrade(&beacon));
        }
        Some(beacon)
    }

    pub(crate) fn add_host(&self, name: &str) {
        if let Ok(mut names) = self.host_names.lock() {
            names.push(name.to_string());
        }
    }

    /// Marks the start of a host step.
    pub(crate) fn step_begins(&self, host: u32, virtual_nanos: u64) {
        // Only the simulation thread writes: no read-modify-write needed.
        let events = self.events.load(Ordering::Relaxed);
        self.events.store(events.wrapping_add(1), Ordering::Relaxed);
        self.virtual_nanos.store(virtual_nanos, Ordering::Relaxed);
        self.stepping.store(host, Ordering::Relaxed);
    }

    /// Marks the end of a host step.
    pub(crate) fn step_ends(&self) {
        self.stepping.store(NO_HOST, Ordering::Relaxed);
    }
}

fn start_thread() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = std::thread::Builder::new()
            .name("sim-watchdog".into())
            .spawn(watch);
    });
}

/// A step seen in progress: since when (real time) and at which event count.
struct Stuck {
    beacon: Weak<Beacon>,
    events: u64,
    since: Duration,
}

fn watch() {
    let mut stuck: Vec<Stuck> = Vec::new();
    loop {
        std::thread::sleep(POLL);
        let now = sim_clock::real::monotonic();
        let beacons: Vec<Arc<Beacon>> = match BEACONS.lock() {
            Ok(b) => b.iter().filter_map(Weak::upgrade).collect(),
            Err(_) => continue,
        };
        stuck.retain(|s| s.beacon.strong_count() > 0);
        for beacon in beacons {
            let host = beacon.stepping.load(Ordering::Relaxed);
            let events = beacon.events.load(Ordering::Relaxed);
            let entry = stuck
                .iter_mut()
                .find(|s| s.beacon.as_ptr() == Arc::as_ptr(&beacon));
            match entry {
                Some(s) if host != NO_HOST && s.events == events => {
                    if now.saturating_sub(s.since) > beacon.limit {
                        report_and_abort(&beacon, host, now.saturating_sub(s.since));
                    }
                }
                Some(s) => {
                    s.events = events;
                    s.since = now;
                }
                None => stuck.push(Stuck {
                    beacon: Arc::downgrade(&beacon),
                    events,
                    since: now,
                }),
            }
        }
    }
}

fn report_and_abort(beacon: &Beacon, host: u32, stuck_for: Duration) -> ! {
    let name = beacon
        .host_names
        .lock()
        .ok()
        .and_then(|n| n.get(host as usize).cloned())
        .unwrap_or_else(|| format!("host#{host}"));
    let time = sim_clock::SimTime::from_nanos(beacon.virtual_nanos.load(Ordering::Relaxed));
    eprintln!(
        "seed {}, virtual time {time}, host `{name}`: a step has run for {stuck_for:?} of wall time \
         without returning (wall-clock limit {:?}): a task of this host runs without awaiting \
         (a CPU-bound loop or a blocking call). The simulation cannot interrupt it; aborting the \
         process. Replay with SIM_SEED={} to investigate.",
        beacon.seed, beacon.limit, beacon.seed
    );
    std::process::abort()
}
