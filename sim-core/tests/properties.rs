//! Properties (`always!`, `sometimes!`, `reachable!`, `unreachable!`): what
//! a run records, how a failed one fails its seed, and the exact counts a
//! sweep reports.

use sim_core::harness::FailureCause;
use sim_core::properties::PropertyKind;
use sim_core::{always, reachable, sometimes, ErrorKind, Harness};

/// Never called: its `reachable!` is a coverage hole in every sweep of this
/// crate's properties.
#[allow(dead_code)]
fn never_called() {
    reachable!("a line no seed reaches");
}

#[test]
fn a_sweep_counts_the_seeds_that_hit_each_property_exactly() {
    let sweep = Harness::new().seeds(0..10).ignore_env().sweep(|sim| {
        sim.client("c", async {
            let seed = sim_core::seed().unwrap();
            for _ in 0..2 {
                always!(seed < 10, "count: the seed is below ten");
                sometimes!(seed % 3 == 0, "count: the seed is a multiple of three");
            }
            if seed % 2 == 0 {
                reachable!("count: an even seed");
            }
            Ok(())
        });
    });
    assert_eq!(sweep.failures().count(), 0);

    // One run's counts: seed 3 evaluated each property twice.
    let seed3 = &sweep.runs[3].outcome.as_ref().unwrap().properties;
    let multiple = &seed3["count: the seed is a multiple of three"];
    assert_eq!(
        (multiple.kind, multiple.evaluations, multiple.hits),
        (PropertyKind::Sometimes, 2, 2)
    );
    let four = &sweep.runs[4].outcome.as_ref().unwrap().properties;
    assert_eq!(four["count: the seed is a multiple of three"].hits, 0);
    assert_eq!(four["count: an even seed"].hits, 1);
    assert!(!seed3.contains_key("count: an even seed"));

    let props = sweep.properties();
    let get = |name: &str| props.iter().find(|p| p.name == name).unwrap().clone();
    assert_eq!(get("count: the seed is below ten").seeds_hit, 10);
    assert_eq!(get("count: the seed is a multiple of three").seeds_hit, 4);
    assert_eq!(get("count: an even seed").seeds_hit, 5);
    let hole = get("a line no seed reaches");
    assert_eq!((hole.kind, hole.seeds_hit), (PropertyKind::Reachable, 0));
    assert!(hole.is_hole());
    assert!(hole.location.unwrap().ends_with("tests/properties.rs:13"));
    assert!(sweep
        .coverage_report()
        .contains("\"a line no seed reaches\""));
}

#[test]
fn a_false_always_fails_the_seed_with_the_property_name() {
    let sweep = Harness::new()
        .seeds(0..4)
        .keep_going(true)
        .ignore_env()
        .sweep(|sim| {
            sim.client("c", async {
                let seed = sim_core::seed().unwrap();
                always!(seed != 2, "fail: seed two is refused");
                Ok(())
            });
        });
    let failed: Vec<u64> = sweep.failures().map(|f| f.seed).collect();
    assert_eq!(failed, vec![2]);
    let f = sweep.failures().next().unwrap();
    let FailureCause::Run(e) = &f.cause else {
        panic!("{f}")
    };
    assert_eq!(e.host.as_deref(), Some("c"));
    match &e.kind {
        ErrorKind::PropertyFailed { property, detail } => {
            assert_eq!(property, "fail: seed two is refused");
            assert!(detail.contains("tests/properties.rs:"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    assert!(f
        .to_string()
        .contains("property `fail: seed two is refused` failed"));
    let tally = sweep
        .properties()
        .into_iter()
        .find(|p| p.name == "fail: seed two is refused")
        .unwrap();
    assert_eq!((tally.seeds_hit, tally.failures), (3, 1));
}

#[test]
fn reaching_an_unreachable_fails_the_seed_at_that_instant() {
    let result = Harness::new().seeds([5]).ignore_env().try_run(|sim| {
        sim.client("c", async {
            tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
            sim_core::unreachable!("unreachable: after a second and a half");
            // The client goes on to the end of its step; the run fails after it.
            tokio::time::sleep(std::time::Duration::from_secs(10)).await;
            Ok(())
        });
    });
    let failure = result.unwrap_err();
    let FailureCause::Run(e) = failure.cause else {
        panic!()
    };
    assert_eq!(e.time.as_duration(), std::time::Duration::from_millis(1500));
    assert!(
        matches!(e.kind, ErrorKind::PropertyFailed { ref property, .. }
        if property == "unreachable: after a second and a half")
    );
}

#[test]
fn require_coverage_fails_a_sweep_with_a_hole() {
    let run = std::panic::catch_unwind(|| {
        Harness::new()
            .seeds(0..3)
            .ignore_env()
            .require_coverage(true)
            .run(|sim| {
                sim.client("c", async {
                    sometimes!(sim_core::seed() == Some(99), "hole: seed ninety-nine");
                    Ok(())
                });
            })
    });
    let message = sim_core_panic_message(run.unwrap_err());
    assert!(message.contains("coverage holes"), "{message}");
    assert!(
        message.contains("sometimes \"hole: seed ninety-nine\""),
        "{message}"
    );

    // Without it, the same sweep passes (and warns).
    let reports = Harness::new().seeds(0..3).ignore_env().run(|sim| {
        sim.client("c", async {
            sometimes!(sim_core::seed() == Some(99), "hole: seed ninety-nine");
            Ok(())
        });
    });
    assert_eq!(reports.len(), 3);
}

#[test]
fn outside_a_simulation_properties_do_nothing() {
    always!(false, "outside: a false always");
    sim_core::unreachable!("outside: an unreachable");
    sometimes!(true, "outside: a sometimes");
}

fn sim_core_panic_message(p: Box<dyn std::any::Any + Send>) -> String {
    p.downcast_ref::<String>()
        .cloned()
        .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_default()
}
