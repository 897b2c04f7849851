//! Checks shared by the scenario test files: a scenario passes on seeds,
//! replays event for event, and draws another run from another seed. All go
//! through `sim_core::Harness`, so `SIM_SEED=S` replays one seed and
//! `SIM_SEEDS=N` widens a sweep.
#![allow(dead_code)]

use scenarios::{registry, Params};
use sim_core::RunReport;

/// Runs scenario `name` (which must be part of `--all`) on `seeds`; every
/// seed must pass and run at least one event.
pub fn run_included(
    name: &str,
    params: &Params,
    seeds: impl IntoIterator<Item = u64>,
) -> Vec<RunReport> {
    let scenario = registry::find(name).unwrap();
    assert!(scenario.in_all, "`{name}` should be part of --all");
    let reports = scenario
        .harness(params)
        .seeds(seeds)
        .run(scenario.setup_with(params));
    assert!(!reports.is_empty());
    for r in &reports {
        assert!(r.events > 0, "{name}: seed {} ran no event", r.seed);
    }
    reports
}

/// Each scenario run twice on one seed gives the same trace, event for event.
pub fn assert_replays_event_for_event(names: &[&str], params: &Params) {
    for name in names {
        let scenario = registry::find(name).unwrap();
        scenario
            .harness(params)
            .ignore_env()
            .seeds([11])
            .check_determinism(true)
            .run(scenario.setup_with(params));
    }
}

/// Seeds 0 and 1 of each scenario run different traces.
pub fn assert_seeds_differ(names: &[&str], params: &Params) {
    for name in names {
        let scenario = registry::find(name).unwrap();
        let reports = scenario
            .harness(params)
            .ignore_env()
            .seeds(0..2)
            .run(scenario.setup_with(params));
        assert_ne!(
            reports[0].trace_hash, reports[1].trace_hash,
            "{name}: seeds 0 and 1 ran the same trace"
        );
    }
}
