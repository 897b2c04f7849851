//! The harness: seeds from the environment, replay commands that reproduce
//! the failure as printed, and the determinism check.

use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use sim_core::harness::{FailureCause, Isolation, Shard};
use sim_core::{Harness, Sim};

/// A race the scheduler's seeded tie-break decides: two clients woken at the
/// same instant, and the second asserts it ran last. Fails for some seeds.
fn racy_setup(sim: &mut Sim) {
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    for name in ["first", "second"] {
        let order = order.clone();
        sim.client(name, async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            order.lock().unwrap().push(name);
            if name == "second" {
                assert_eq!(
                    order.lock().unwrap().len(),
                    2,
                    "`second` ran before `first`"
                );
            }
            Ok(())
        });
    }
}

/// Deliberately broken; run by the replay test below in a child process.
#[test]
#[ignore = "deliberately failing; driven by replaying_a_printed_failure_fails_the_same_way"]
fn broken_race() {
    Harness::new().seeds(0..32).run(racy_setup);
}

/// Prints what the harness resolved from the environment (child mode).
#[test]
#[ignore = "driven by environment_variables_choose_seeds_and_the_check"]
fn print_resolved() {
    println!("RESOLVED {:?}", Harness::new().seeds([7]).resolved());
}

/// A folder for one test's regressions files, empty at first.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("simnet-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `test` of this binary in a child process, with `env` on top of a
/// clean `SIM_*` environment (regressions off unless `env` names a folder).
fn run_self(test: &str, env: &[(&str, &str)]) -> (bool, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([test, "--exact", "--ignored", "--nocapture"]);
    for (var, _) in std::env::vars() {
        if var.starts_with("SIM_") {
            cmd.env_remove(var);
        }
    }
    cmd.env("SIM_REGRESSIONS", "0");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

#[test]
fn replaying_a_printed_failure_fails_the_same_way() {
    let (ok, output) = run_self("broken_race", &[]);
    assert!(!ok, "the broken test must fail:\n{output}");
    let cause = output
        .lines()
        .find(|l| l.starts_with("seed ") && l.contains("`second` ran before `first`"))
        .unwrap_or_else(|| panic!("no failure line in:\n{output}"))
        .to_string();
    let replay = output
        .lines()
        .find_map(|l| l.strip_prefix("replay: "))
        .unwrap_or_else(|| panic!("no replay line in:\n{output}"))
        .to_string();
    // e.g. SIM_SEED=1 cargo test -p sim-core --test harness -- broken_race --exact --include-ignored
    let seed = cause
        .strip_prefix("seed ")
        .unwrap()
        .split(',')
        .next()
        .unwrap()
        .to_string();
    assert!(
        replay.starts_with(&format!("SIM_SEED={seed} cargo test")),
        "{replay}"
    );
    assert!(
        replay.ends_with(" -p sim-core --test harness -- broken_race --exact --include-ignored"),
        "{replay}"
    );

    // Run it as printed (the test binary stands in for `cargo test -p sim-core`).
    let (ok, again) = run_self("broken_race", &[("SIM_SEED", &seed)]);
    assert!(!ok);
    assert!(
        again.contains(&cause),
        "replay should fail the same way: {cause}\n{again}"
    );

    // A seed where the race goes the other way passes.
    let passing = (0..32)
        .find(|s| {
            Harness::new()
                .ignore_env()
                .seeds([*s])
                .try_run(racy_setup)
                .is_ok()
        })
        .expect("some seed orders `first` first");
    let (ok, output) = run_self("broken_race", &[("SIM_SEED", &passing.to_string())]);
    assert!(ok, "{output}");
}

#[test]
fn environment_variables_choose_seeds_and_the_check() {
    let resolved = |env: &[(&str, &str)]| {
        let (ok, out) = run_self("print_resolved", env);
        assert!(ok, "{out}");
        out.lines()
            .find_map(|l| l.strip_prefix("RESOLVED ").map(str::to_string))
            .unwrap()
    };
    assert_eq!(resolved(&[]), "([7], false)");
    assert_eq!(resolved(&[("SIM_SEEDS", "3")]), "([7, 8, 9], false)");
    assert_eq!(resolved(&[("SIM_SEED", "123")]), "([123], false)");
    assert_eq!(resolved(&[("SIM_CHECK_DETERMINISM", "1")]), "([7], true)");
    assert_eq!(
        resolved(&[("SIM_SEEDS", "7"), ("SIM_SHARD", "2/3")]),
        "([8, 11], false)"
    );
    let (ok, out) = run_self("print_resolved", &[("SIM_SHARD", "3/2")]);
    assert!(
        !ok && out.contains("SIM_SHARD=\"3/2\": \"3/2\" is not a shard"),
        "{out}"
    );
    let (ok, out) = run_self("print_resolved", &[("SIM_SEED", "twelve")]);
    assert!(
        !ok && out.contains("SIM_SEED=\"twelve\" is not a whole number"),
        "{out}"
    );
}

#[test]
fn the_determinism_check_names_the_first_event_where_runs_part_ways() {
    // Process-global state that survives between the two runs of a seed:
    // exactly the kind of leak the check exists to catch.
    static RUNS: AtomicU64 = AtomicU64::new(0);
    let failure = Harness::new()
        .ignore_env()
        .seeds([4])
        .check_determinism(true)
        .try_run(|sim| {
            let run = RUNS.fetch_add(1, Ordering::SeqCst);
            sim.client("steady", async {
                tokio::time::sleep(Duration::from_millis(10)).await;
                Ok(())
            });
            sim.client("leaky", async move {
                tokio::time::sleep(Duration::from_millis(20 + run)).await;
                Ok(())
            });
        })
        .unwrap_err();
    let FailureCause::Nondeterministic(d) = &failure.cause else {
        panic!("unexpected {failure}")
    };
    let (a, b) = (d.first.as_ref().unwrap(), d.second.as_ref().unwrap());
    assert_eq!(
        (a.subject_name.as_str(), b.subject_name.as_str()),
        ("leaky", "leaky")
    );
    assert_eq!(a.time, b.time);
    let text = failure.to_string();
    assert!(
        text.starts_with("seed 4 is not deterministic: the runs part ways at event #"),
        "{text}"
    );
    assert!(text.contains("host-step of `leaky`"), "{text}");
}

#[test]
fn a_deterministic_setup_passes_the_check() {
    let reports = Harness::new()
        .ignore_env()
        .seeds(0..3)
        .check_determinism(true)
        .run(|sim| {
            sim.client("c", async {
                let m: std::collections::HashMap<u8, u8> = (0..32).map(|k| (k, k)).collect();
                let delay: u64 = m.keys().take(3).map(|k| *k as u64).sum();
                tokio::time::sleep(Duration::from_millis(delay)).await;
                Ok(())
            });
        });
    assert_eq!(reports.len(), 3);
}

#[test]
fn a_panicking_setup_is_a_failure_with_a_replay_command() {
    let failure = Harness::new()
        .ignore_env()
        .seeds([9])
        .try_run(|_sim| panic!("bad fixture"))
        .unwrap_err();
    assert!(matches!(&failure.cause, FailureCause::SetupPanicked(m) if m == "bad fixture"));
    assert_eq!(failure.seed, 9);
    assert!(
        failure
            .replay
            .starts_with("SIM_SEED=9 cargo test -p sim-core"),
        "{}",
        failure.replay
    );
}

/// Prints the seeds a sweep ran, in order (child mode).
#[test]
#[ignore = "driven by the shard and regressions tests"]
fn print_sweep() {
    let sweep = Harness::new().seeds([7]).sweep(|sim| {
        sim.client("c", async { Ok(()) });
    });
    println!("SWEPT {:?}", sweep.seeds());
}

fn swept(env: &[(&str, &str)]) -> Vec<u64> {
    let (ok, out) = run_self("print_sweep", env);
    assert!(ok, "{out}");
    let line = out.lines().find_map(|l| l.strip_prefix("SWEPT ")).unwrap();
    line.trim_matches(['[', ']'])
        .split(", ")
        .map(|s| s.parse().unwrap())
        .collect()
}

#[test]
fn shards_together_run_exactly_the_seeds_of_the_unsharded_sweep() {
    let all = swept(&[("SIM_SEEDS", "9")]);
    assert_eq!(all, (7..16).collect::<Vec<_>>());
    let one = swept(&[("SIM_SEEDS", "9"), ("SIM_SHARD", "1/2")]);
    let two = swept(&[("SIM_SEEDS", "9"), ("SIM_SHARD", "2/2")]);
    assert_eq!(one, [7, 9, 11, 13, 15]);
    let mut both: Vec<u64> = one.iter().chain(&two).copied().collect();
    both.sort_unstable();
    assert_eq!(both, all);
}

#[test]
fn a_failing_seed_is_remembered_and_replayed_first() {
    let dir = scratch("remembered");
    let folder = dir.to_str().unwrap();
    let (ok, output) = run_self("broken_race", &[("SIM_REGRESSIONS", folder)]);
    assert!(!ok);
    let text = std::fs::read_to_string(dir.join("broken_race.seeds")).unwrap();
    let entry = text.lines().find(|l| !l.starts_with('#')).unwrap();
    let (seed, comment) = entry.split_once(" # ").unwrap();
    assert!(
        comment.contains(&format!(
            "seed {seed}, virtual time 0.005000000s, host `second`"
        )),
        "{text}"
    );
    assert!(output.contains(&format!("seed {seed}, ")), "{output}");
    assert!(text.starts_with("# Seeds that failed in test `broken_race`"));

    // Seeds of a file are run before the sweep's own, each once.
    std::fs::write(dir.join("print_sweep.seeds"), "40 # by hand\n9\n").unwrap();
    assert_eq!(
        swept(&[("SIM_SEEDS", "3"), ("SIM_REGRESSIONS", folder)]),
        [40, 9, 7, 8]
    );
    // A replay runs its one seed only; sharding slices the whole list.
    assert_eq!(
        swept(&[("SIM_SEED", "3"), ("SIM_REGRESSIONS", folder)]),
        [3]
    );
    assert_eq!(
        swept(&[
            ("SIM_SEEDS", "3"),
            ("SIM_SHARD", "1/2"),
            ("SIM_REGRESSIONS", folder)
        ]),
        [40, 7]
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_sweep_that_keeps_going_lists_every_failure_the_same_for_any_number_of_jobs() {
    let sweep = |jobs| {
        Harness::new()
            .ignore_env()
            .seeds(0..24)
            .keep_going(true)
            .jobs(jobs)
            .sweep(racy_setup)
    };
    let one = sweep(1);
    let failing: Vec<u64> = one.failures().map(|f| f.seed).collect();
    assert!(failing.len() > 1 && failing.len() < 24, "{failing:?}");
    assert_eq!(one.seeds(), (0..24).collect::<Vec<_>>());
    let text = one.failure_list();
    assert!(
        text.starts_with(&format!("{} of 24 seeds failed: ", failing.len())),
        "{text}"
    );
    for seed in &failing {
        assert!(text.contains(&format!("replay: SIM_SEED={seed} cargo test")));
    }
    let three = sweep(3);
    assert_eq!(three.seeds(), one.seeds());
    let hashes = |s: &sim_core::harness::Sweep| -> Vec<String> {
        s.runs
            .iter()
            .map(|r| match &r.outcome {
                Ok(report) => format!("{}", report.trace_hash),
                Err(f) => f.to_string(),
            })
            .collect()
    };
    assert_eq!(hashes(&three), hashes(&one));

    // Without keep_going the sweep ends at the first failing seed.
    let stopped = Harness::new()
        .ignore_env()
        .seeds(0..24)
        .jobs(3)
        .sweep(racy_setup);
    assert_eq!(stopped.seeds(), (0..=failing[0]).collect::<Vec<_>>());
}

#[test]
fn a_time_budget_runs_consecutive_seeds_until_it_is_spent() {
    let sweep = Harness::new()
        .ignore_env()
        .seeds([100])
        .jobs(2)
        .time_budget(Duration::from_millis(300))
        .sweep(|sim| {
            sim.client("c", async { Ok(()) });
        });
    assert!(sweep.out_of_time);
    assert!(!sweep.runs.is_empty());
    let n = sweep.runs.len() as u64;
    assert_eq!(sweep.seeds(), (100..100 + n).collect::<Vec<_>>());
    assert!(
        sweep.summary().contains("stopped at the 0 s budget"),
        "{}",
        sweep.summary()
    );
    assert_eq!(Shard::new(3, 2), None);

    // The same from the environment, past the seeds set in code.
    let seeds = swept(&[("SIM_SWEEP_SECS", "0.3")]);
    assert!(!seeds.is_empty());
    assert_eq!(seeds, (7..7 + seeds.len() as u64).collect::<Vec<_>>());
}

/// Counts simulations set up in this process.
static SETUPS: AtomicU64 = AtomicU64::new(0);

/// A run whose length is set by process-global state: 10 ms plus the number
/// of simulations this process set up before it.
fn leaky_setup(sim: &mut Sim) {
    let earlier = SETUPS.fetch_add(1, Ordering::SeqCst);
    sim.client("leaky", async move {
        tokio::time::sleep(Duration::from_millis(10 + earlier)).await;
        Ok(())
    });
}

#[test]
fn isolated_seeds_each_run_in_a_fresh_process() {
    let reports = Harness::new()
        .seeds(0..4)
        .jobs(2)
        .isolation(Isolation::Process)
        .run(leaky_setup);
    assert_eq!(
        reports.iter().map(|r| r.seed).collect::<Vec<_>>(),
        [0, 1, 2, 3]
    );
    for r in &reports {
        assert_eq!(r.virtual_time.as_duration(), Duration::from_millis(10));
    }
}

#[test]
fn the_determinism_check_fails_a_seed_that_would_not_replay_alone() {
    let failure = Harness::new()
        .seeds(0..2)
        .jobs(1)
        .check_determinism(true)
        .remember_failures(false)
        .try_run(leaky_setup)
        .unwrap_err();
    // Seed 0 is the first simulation of this test in both processes; seed
    // 1 comes after it in the sweep, but first in a replay.
    assert_eq!(failure.seed, 1);
    assert!(matches!(failure.cause, FailureCause::Nondeterministic(_)));
    assert!(
        failure
            .replay
            .starts_with("SIM_SEED=1 SIM_CHECK_DETERMINISM=1 cargo test"),
        "{}",
        failure.replay
    );
}

#[test]
fn an_isolated_seed_whose_process_dies_is_a_failure_naming_the_signal() {
    let failure = Harness::new()
        .seeds([5])
        .isolation(Isolation::Process)
        .remember_failures(false)
        .try_run(|_sim| std::process::abort())
        .unwrap_err();
    let FailureCause::ChildFailed(m) = &failure.cause else {
        panic!("unexpected {failure}")
    };
    assert_eq!(
        m,
        "the process of seed 5 was killed by signal 6 before handing back its outcome"
    );
}
