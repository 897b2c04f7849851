//! `buggify!`: false outside a simulation, each site enabled or not for a
//! whole run by the seed, the same choices when a seed replays.

use std::sync::{Arc, Mutex};

use sim_core::{buggify, Builder, Harness};

#[test]
fn buggify_is_false_outside_a_simulation() {
    for _ in 0..1000 {
        assert!(!buggify!(1.0));
        assert!(!buggify!());
    }
}

/// What two sites (each firing with probability 1 when enabled) did on
/// each of 10 calls, per seed.
fn site_outcomes(builder: Builder, seeds: std::ops::Range<u64>) -> Vec<(Vec<bool>, Vec<bool>)> {
    let out = Arc::new(Mutex::new(Vec::new()));
    let o = out.clone();
    Harness::new()
        .builder(builder)
        .seeds(seeds)
        .jobs(1)
        .ignore_env()
        .run(move |sim| {
            let o = o.clone();
            sim.client("c", async move {
                let (mut a, mut b) = (Vec::new(), Vec::new());
                for _ in 0..10 {
                    a.push(buggify!(1.0));
                    b.push(buggify!(1.0));
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                o.lock().unwrap().push((a, b));
                Ok(())
            });
        });
    let v = out.lock().unwrap().clone();
    v
}

#[test]
fn each_site_is_enabled_or_not_for_the_whole_run() {
    let runs = site_outcomes(Builder::new(), 0..80);
    let mut enabled = [0, 0];
    let mut differ = false;
    for (a, b) in &runs {
        // An enabled site fires every time (probability 1), a disabled one never.
        assert!(a.iter().all(|x| *x == a[0]), "{a:?}");
        assert!(b.iter().all(|x| *x == b[0]), "{b:?}");
        enabled[0] += usize::from(a[0]);
        enabled[1] += usize::from(b[0]);
        differ |= a[0] != b[0];
    }
    // A quarter of the sites by default: 20 expected of 80 for each site.
    for n in enabled {
        assert!((8..=35).contains(&n), "enabled in {n} of 80 runs");
    }
    assert!(differ, "two sites are enabled independently");
    // The same seeds make the same choices.
    assert_eq!(runs, site_outcomes(Builder::new(), 0..80));
}

#[test]
fn the_builder_sets_the_share_of_enabled_sites() {
    for (a, b) in site_outcomes(Builder::new().buggify(0.0), 0..20) {
        assert!(!a.contains(&true) && !b.contains(&true));
    }
    for (a, b) in site_outcomes(Builder::new().buggify(1.0), 0..20) {
        assert!(!a.contains(&false) && !b.contains(&false));
    }
}

#[test]
fn an_enabled_site_fires_with_its_probability_and_replays() {
    let fired = |seed: u64| {
        let out = Arc::new(Mutex::new(Vec::new()));
        let o = out.clone();
        Harness::new()
            .builder(Builder::new().buggify(1.0))
            .seeds([seed])
            .ignore_env()
            .run(move |sim| {
                let o = o.clone();
                sim.client("c", async move {
                    let v: Vec<bool> = (0..400).map(|_| buggify!(0.5)).collect();
                    *o.lock().unwrap() = v;
                    Ok(())
                });
            });
        let v = out.lock().unwrap().clone();
        v
    };
    let a = fired(1);
    let n = a.iter().filter(|x| **x).count();
    assert!((150..=250).contains(&n), "{n} of 400 at p = 0.5");
    assert_eq!(a, fired(1), "a seed replays its draws");
    assert_ne!(a, fired(2), "another seed draws otherwise");
}
