//! `grpc-ping` (tonic over sim-net) passes a sweep of 100 seeds, replays
//! event for event, and draws another run from each seed; the guide's
//! tonic chapter shows the `grpc_hello` example verbatim, and it passes.
//! Through `sim_core::Harness`, so `SIM_SEED=S` replays one seed and
//! `SIM_SEEDS=N` changes the sweep.

use scenarios::{registry, Params};

#[path = "../examples/grpc_hello.rs"]
mod grpc_hello;

/// Twenty calls per phase keep the 100-seed sweep near 10 s in a debug
/// build; every phase still has unary calls and streams, and the lossy one
/// loses packets on most seeds.
const SMALL: Params = Params {
    messages: 20,
    ..Params::DEFAULT
};

#[test]
fn grpc_ping_passes_100_seeds() {
    let scenario = registry::find("grpc-ping").unwrap();
    assert!(scenario.in_all, "grpc-ping should be part of --all");
    let reports = scenario
        .harness(&SMALL)
        .seeds(0..100)
        .run(scenario.setup_with(&SMALL));
    for r in &reports {
        assert!(r.events > 0, "seed {} ran no event", r.seed);
    }
}

#[test]
fn grpc_ping_replays_event_for_event_and_seeds_differ() {
    let scenario = registry::find("grpc-ping").unwrap();
    let reports = scenario
        .harness(&SMALL)
        .ignore_env()
        .seeds(7..9)
        .check_determinism(true)
        .run(scenario.setup_with(&SMALL));
    assert_ne!(reports[0].trace_hash, reports[1].trace_hash);
}

#[test]
fn the_tonic_chapter_shows_the_tested_example() {
    let chapter = include_str!("../../docs/src/grpc.md");
    let example = include_str!("../examples/grpc_hello.rs");
    assert!(
        chapter.contains(example.trim()),
        "docs/src/grpc.md must contain scenarios/examples/grpc_hello.rs verbatim"
    );
}

#[test]
fn the_grpc_hello_example_passes() {
    grpc_hello::main();
}
