//! `kv-quorum`: the correct store passes under the fault schedule with every
//! property hit, the broken variant is caught within the first 50 seeds,
//! and `--faults` turns the schedule on for any scenario.

mod common;

use scenarios::runner::{self, SeedOutcome};
use scenarios::{registry, Params};
use sim_core::nemesis::FaultKind;
use sim_core::properties::PropertyKind;

#[test]
fn kv_quorum_passes_with_every_property_and_fault_kind_hit() {
    let scenario = registry::find("kv-quorum").unwrap();
    let run = runner::run_seeds(
        scenario,
        &Params::default(),
        &(0..100).collect::<Vec<_>>(),
        2,
        &|_| {},
    );
    let failures: Vec<String> = run.failures().map(|f| f.message.clone()).collect();
    assert!(failures.is_empty(), "{failures:#?}");
    let props = run.properties();
    let names: Vec<&str> = props.iter().map(|p| p.name.as_str()).collect();
    for expected in [
        "reads are never older than the last acknowledged write",
        "no acknowledged write is lost",
        "a write is rejected for lack of quorum",
        "a replica catches up after a restart",
        "a read finds a stale replica and repairs it",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for p in &props {
        assert!(!p.is_hole(), "no seed hit {p:?}");
        if p.kind == PropertyKind::Always {
            assert_eq!(p.seeds_hit, 100, "{p:?}");
        }
    }
    let faults = run.faults();
    for kind in FaultKind::ALL {
        assert!(faults[kind.as_str()] > 0, "{kind}: {faults:?}");
    }
}

#[test]
fn the_broken_variant_is_caught_within_the_first_50_seeds() {
    let broken = registry::find("kv-quorum-broken").unwrap();
    assert!(!broken.in_all);
    let run = runner::run_seeds(
        broken,
        &Params::default(),
        &(0..50).collect::<Vec<_>>(),
        2,
        &|_| {},
    );
    let first = run.failures().next().expect("a seed of the first 50 fails");
    let property = first.property.as_deref().unwrap_or_default();
    assert!(
        [
            "reads are never older than the last acknowledged write",
            "no acknowledged write is lost"
        ]
        .contains(&property),
        "{}",
        first.message
    );
    assert_eq!(
        first.replay,
        format!(
            "cargo run --release -p scenarios -- run kv-quorum-broken --seed {}",
            first.seed
        )
    );
    // The replay fails the same way.
    match runner::run_seed(broken, &Params::default(), first.seed) {
        SeedOutcome::Failed(again) => assert_eq!(again.message, first.message),
        SeedOutcome::Passed(_) => panic!("seed {} passed when replayed", first.seed),
    }
}

#[test]
fn kv_quorum_replays_event_for_event_in_another_process() {
    common::assert_replays_event_for_event(&["kv-quorum"], &Params::default());
}

#[test]
fn faults_turn_the_schedule_on_for_any_scenario() {
    let params = Params {
        hosts: 3,
        virtual_secs: 20,
        faults: true,
        ..Params::DEFAULT
    };
    let heartbeats = registry::find("heartbeats").unwrap();
    assert_eq!(
        heartbeats.replay_command(4, &params),
        "cargo run --release -p scenarios -- run heartbeats --seed 4 --hosts 3 --virtual-secs 20 --faults"
    );
    // heartbeats asserts exact timer and clock behaviour, so faults make it
    // fail: the point is that they are injected.
    let outcome = runner::run_seed(heartbeats, &params, 4);
    let SeedOutcome::Failed(f) = outcome else {
        panic!("heartbeats passed under faults")
    };
    assert!(f.message.contains("heartbeat"), "{}", f.message);
    let without = Params {
        faults: false,
        ..params
    };
    assert!(matches!(
        runner::run_seed(heartbeats, &without, 4),
        SeedOutcome::Passed(r) if r.faults.is_empty()
    ));
}
