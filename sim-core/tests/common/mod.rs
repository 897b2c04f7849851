//! Helpers shared by sim-core's integration tests.
#![allow(dead_code)]

use std::cell::RefCell;
use std::rc::Rc;

use sim_core::{Builder, RunReport, Sim, SimError};

/// Runs `f` on a fresh thread (a simulation needs one) and returns its result.
pub fn on_fresh_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(32 << 20)
        .spawn(f)
        .unwrap()
        .join()
        .unwrap()
}

/// Builds a sim from `builder` on a fresh thread, lets `setup` add hosts and
/// return something to inspect afterwards, runs it, and returns the run's
/// result plus what `inspect` extracted (on the simulation thread).
pub fn run_with<S, T>(
    builder: Builder,
    setup: impl FnOnce(&mut Sim) -> S + Send + 'static,
    inspect: impl FnOnce(&mut Sim, S) -> T + Send + 'static,
) -> (Result<RunReport, SimError>, T)
where
    T: Send + 'static,
{
    on_fresh_thread(move || {
        let mut sim = builder.build();
        let state = setup(&mut sim);
        let result = sim.run();
        let out = inspect(&mut sim, state);
        (result, out)
    })
}

/// A log shared between hosts of one simulation (all on one thread).
pub type Log<T> = Rc<RefCell<Vec<T>>>;

pub fn log<T>() -> Log<T> {
    Rc::new(RefCell::new(Vec::new()))
}
