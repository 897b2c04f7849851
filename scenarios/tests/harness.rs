//! Every scenario that `--all` runs passes on a handful of seeds, through
//! `sim_core::Harness` so that `SIM_SEED=S` replays one seed and
//! `SIM_SEEDS=N` widens the sweep. The deliberately broken one fails on
//! some seeds and passes on others.

mod common;

use scenarios::{registry, Params};

/// Small enough for a debug build on two cores, big enough to stagger
/// hosts and cross many timer-wheel levels.
const SMALL: Params = Params {
    hosts: 20,
    virtual_secs: 120,
    ..Params::DEFAULT
};

fn run_included(name: &str, seeds: std::ops::Range<u64>) {
    common::run_included(name, &SMALL, seeds);
}

#[test]
fn heartbeats_passes() {
    run_included("heartbeats", 0..4);
}

#[test]
fn crash_restart_passes() {
    run_included("crash-restart", 0..8);
}

#[test]
fn every_scenario_in_all_is_tested() {
    let included: Vec<&str> = registry::all()
        .iter()
        .filter(|s| s.in_all)
        .map(|s| s.name)
        .collect();
    // The network scenarios are tested in tests/network.rs, gRPC in
    // tests/grpc.rs, HTTP in tests/http.rs, kv-quorum in tests/kv_quorum.rs.
    assert_eq!(
        included,
        [
            "heartbeats",
            "crash-restart",
            "echo",
            "pingpong",
            "udp-ping",
            "partition-heal",
            "swizzle",
            "bulk",
            "grpc-ping",
            "http-allowlist",
            "p2p-relay",
            "p2p-relay-peer-restart",
            "p2p-relay-relay-crash",
            "p2p-relay-partition",
            "kv-quorum"
        ]
    );
}

#[test]
fn heartbeats_runs_for_exactly_its_virtual_duration() {
    let scenario = registry::find("heartbeats").unwrap();
    let reports = scenario
        .harness(&SMALL)
        .ignore_env()
        .seeds([7])
        .run(scenario.setup_with(&SMALL));
    assert_eq!(
        reports[0].virtual_time.as_duration().as_secs(),
        SMALL.virtual_secs
    );
}

#[test]
fn broken_fails_on_some_seeds_and_passes_on_others() {
    let scenario = registry::find("broken").unwrap();
    assert!(!scenario.in_all);
    let outcomes: Vec<bool> = (0..16)
        .map(|seed| {
            scenario
                .harness(&SMALL)
                .ignore_env()
                .seeds([seed])
                .try_run(scenario.setup_with(&SMALL))
                .is_ok()
        })
        .collect();
    assert!(
        outcomes.contains(&true),
        "no seed of 0..16 passed: {outcomes:?}"
    );
    assert!(
        outcomes.contains(&false),
        "no seed of 0..16 failed: {outcomes:?}"
    );
}
