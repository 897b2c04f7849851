//! `crash-restart`: a server is crashed and restarted at seed-drawn times.
//! It checks the lifecycle guarantees users build on:
//!
//! - a crashed host's tasks never run again: nothing it counts moves while
//!   it is down, and no task of an old incarnation runs after the restart;
//! - a restarted host starts from its factory: fresh state (its counters
//!   start from zero) and the next incarnation number.
//!
//! The server's main future beats every second and a spawned task ticks
//! every 100 ms. Every phase the chaos client waits lasts a whole number of
//! ticks plus half a tick, so its checks never share an instant with a tick
//! and the expected counts do not depend on the tie-break.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::Duration;

use rand::Rng;
use sim_core::Sim;

use crate::params::Params;
use crate::registry::Scenario;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "crash-restart",
    description: "a chaos client crashes and restarts a server at seed-drawn times; asserts dead \
                  tasks never run again and each restart starts fresh from the factory",
    params: &[],
    in_all: true,
    setup,
    virtual_duration,
};

/// How many times the server is crashed and restarted.
const CYCLES: u32 = 5;
/// The period of the server's spawned ticker task.
const TICK: Duration = Duration::from_millis(100);
/// The period of the server's main loop.
const BEAT: Duration = Duration::from_secs(1);
/// Bounds (in ticks) of how long the server runs between crashes.
const UP_TICKS: std::ops::RangeInclusive<u32> = 5..=50;
/// Bounds (in ms) of how long the server stays down.
const DOWN_MS: std::ops::RangeInclusive<u64> = 1..=5000;
/// The server's name.
const SERVER: &str = "server";

fn virtual_duration(_: &Params) -> Duration {
    let longest_up = TICK * (*UP_TICKS.end()) + TICK / 2;
    let longest_down = Duration::from_millis(*DOWN_MS.end());
    longest_up * (CYCLES + 1) + longest_down * CYCLES
}

/// What the server's incarnations share with the chaos client. Index `i`
/// of the vectors is incarnation `i + 1`.
#[derive(Default)]
struct Shared {
    /// The last incarnation the factory started.
    incarnation: Cell<u32>,
    /// Set by the chaos client from the crash until the restart.
    down: Cell<bool>,
    /// Ticks of each incarnation's spawned task.
    ticks: RefCell<Vec<u64>>,
    /// Beats of each incarnation's main future.
    beats: RefCell<Vec<u64>>,
    /// Tasks that ran when they should not have.
    violations: RefCell<Vec<String>>,
}

impl Shared {
    /// Records that task `what` of incarnation `inc` runs now, unless that
    /// incarnation should be dead.
    fn alive(&self, inc: u32, what: &str) {
        let current = self.incarnation.get();
        if self.down.get() || current != inc {
            let now = sim_core::sim_time().unwrap_or(sim_core::SimTime::ZERO);
            let state = if self.down.get() { "down" } else { "restarted" };
            self.violations.borrow_mut().push(format!(
                "the {what} of incarnation {inc} ran at {now} while the server was {state} (current incarnation {current})"
            ));
        }
    }
}

/// Adds the server and the chaos client.
pub fn setup(sim: &mut Sim, _: &Params) {
    let shared = Rc::new(Shared::default());
    let factory_shared = shared.clone();
    sim.host(SERVER, move || {
        // The factory itself runs on every (re)start: it numbers the
        // incarnation and opens its counters at zero.
        let shared = factory_shared.clone();
        let inc = shared.incarnation.get() + 1;
        shared.incarnation.set(inc);
        shared.ticks.borrow_mut().push(0);
        shared.beats.borrow_mut().push(0);
        server(inc, shared)
    });
    sim.client("chaos", chaos(shared));
}

/// One incarnation of the server: fresh state, a spawned ticker, a main loop.
async fn server(inc: u32, shared: Rc<Shared>) -> sim_core::Result {
    let state = Rc::new(Cell::new(0u64));
    let ticker_shared = shared.clone();
    tokio::task::spawn_local(async move {
        let mut interval = tokio::time::interval(TICK);
        loop {
            interval.tick().await;
            ticker_shared.alive(inc, "ticker task");
            state.set(state.get() + 1);
            ticker_shared.ticks.borrow_mut()[inc as usize - 1] = state.get();
        }
    });
    loop {
        tokio::time::sleep(BEAT).await;
        shared.alive(inc, "main future");
        shared.beats.borrow_mut()[inc as usize - 1] += 1;
    }
}

/// The chaos client: run, crash, wait, restart, checking after each phase.
async fn chaos(shared: Rc<Shared>) -> sim_core::Result {
    let mut rng = sim_core::rng();
    // Counts of incarnations already crashed, as they were at the crash.
    let mut frozen: Vec<(u64, u64)> = Vec::new();
    for cycle in 1..=CYCLES + 1 {
        let up_ticks = rng.random_range(UP_TICKS);
        tokio::time::sleep(TICK * up_ticks + TICK / 2).await;
        check_fresh(&shared, cycle, up_ticks)?;
        check_frozen(&shared, &frozen)?;
        if cycle > CYCLES {
            break;
        }
        sim_core::crash(SERVER)?;
        // The crash applies right after this step; the server cannot run
        // before it, so marking it down here is exact.
        shared.down.set(true);
        let i = cycle as usize - 1;
        frozen.push((shared.ticks.borrow()[i], shared.beats.borrow()[i]));
        tokio::time::sleep(Duration::from_millis(rng.random_range(DOWN_MS))).await;
        check_frozen(&shared, &frozen)?;
        sim_core::restart(SERVER)?;
        shared.down.set(false);
    }
    Ok(())
}

/// Incarnation `cycle` runs, started from its factory `up_ticks` ticks and
/// a half ago: its counters hold exactly what it did since.
fn check_fresh(shared: &Shared, cycle: u32, up_ticks: u32) -> Result<(), String> {
    no_violations(shared)?;
    let inc = shared.incarnation.get();
    if inc != cycle {
        return Err(format!(
            "after {} restarts the server runs incarnation {inc}, expected {cycle}",
            cycle - 1
        ));
    }
    let i = inc as usize - 1;
    // The ticker ticks at once and then every tick; the main loop sleeps first.
    let up = TICK * up_ticks + TICK / 2;
    let expected_ticks = u64::from(up_ticks) + 1;
    let expected_beats = (up.as_nanos() / BEAT.as_nanos()) as u64;
    let (ticks, beats) = (shared.ticks.borrow()[i], shared.beats.borrow()[i]);
    if (ticks, beats) != (expected_ticks, expected_beats) {
        return Err(format!(
            "incarnation {inc} counted {ticks} ticks and {beats} beats in its first {up:?}, expected \
             {expected_ticks} and {expected_beats}: it did not start from fresh state"
        ));
    }
    Ok(())
}

/// No crashed incarnation counted anything since its crash.
fn check_frozen(shared: &Shared, frozen: &[(u64, u64)]) -> Result<(), String> {
    no_violations(shared)?;
    let (ticks, beats) = (shared.ticks.borrow(), shared.beats.borrow());
    for (i, &(t, b)) in frozen.iter().enumerate() {
        if (ticks[i], beats[i]) != (t, b) {
            return Err(format!(
                "incarnation {} counted {} ticks and {} beats, but had {t} and {b} when it crashed",
                i + 1,
                ticks[i],
                beats[i]
            ));
        }
    }
    Ok(())
}

fn no_violations(shared: &Shared) -> Result<(), String> {
    match shared.violations.borrow().first() {
        Some(v) => Err(v.clone()),
        None => Ok(()),
    }
}
