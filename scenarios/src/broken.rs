//! `broken`: a deliberately broken scenario, kept to demonstrate replay.
//!
//! Two clients wake at the same virtual instant. Which one the scheduler
//! steps first is decided by its seeded tie-break, and `first` asserts that
//! it was first, an assumption real code makes by accident. So the scenario
//! fails on some seeds and passes on others, and a failing seed fails again,
//! identically, every time it is replayed. `--all` leaves it out.

use std::cell::Cell;
use std::rc::Rc;
use std::time::Duration;

use sim_core::Sim;

use crate::params::Params;
use crate::registry::Scenario;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "broken",
    description: "DELIBERATELY BROKEN: two clients race at one instant and one asserts it won; \
                  fails on some seeds, passes on others, to demonstrate replay",
    params: &[],
    in_all: false,
    setup,
    virtual_duration,
};

/// When both clients wake.
const RACE_AT: Duration = Duration::from_secs(1);

fn virtual_duration(_: &Params) -> Duration {
    RACE_AT
}

/// Adds the two racing clients.
pub fn setup(sim: &mut Sim, _: &Params) {
    // Who reached the finish line first, if anyone has.
    let winner: Rc<Cell<Option<&'static str>>> = Rc::new(Cell::new(None));
    sim.client("first", race("first", winner.clone()));
    sim.client("second", race("second", winner));
}

/// Sleeps until the race instant and claims the win; `first` insists on it.
async fn race(me: &'static str, winner: Rc<Cell<Option<&'static str>>>) -> sim_core::Result {
    tokio::time::sleep(RACE_AT).await;
    let won_by = winner.get().unwrap_or(me);
    winner.set(Some(won_by));
    if me == "first" && won_by != me {
        // The simulator prefixes the seed, the virtual time and the host.
        return Err(format!(
            "`first` assumed it runs before `second` when both wake at {RACE_AT:?}, \
             but the tie-break ran `{won_by}` first"
        )
        .into());
    }
    Ok(())
}
