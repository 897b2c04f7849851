//! The `scenarios` command, run as a separate process: determinism across
//! processes, replay of a failing seed as printed, `list`, and errors.

use std::process::{Command, Output};

use scenarios::registry;
use serde_json::Value;

/// Scaled down for a debug build.
const SMALL: [&str; 4] = ["--hosts", "10", "--virtual-secs", "60"];
/// The network scenarios, scaled down for a debug build.
const NET_SMALL: [&str; 6] = ["--clients", "3", "--messages", "12", "--bytes", "200000"];

fn scenarios(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scenarios"))
        .args(args)
        .output()
        .expect("the scenarios binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs with `--json` and parses the single object printed.
fn json(args: &[&str]) -> (Output, Value) {
    let mut all = args.to_vec();
    all.push("--json");
    let out = scenarios(&all);
    let value = serde_json::from_str(stdout(&out).trim()).unwrap_or_else(|e| {
        panic!(
            "stdout of {all:?} is not one JSON object ({e}): {}",
            stdout(&out)
        )
    });
    (out, value)
}

fn run_json(name: &str, seed: u64, extra: &[&str]) -> Value {
    let seed = seed.to_string();
    let mut args = vec!["run", name, "--seed", &seed];
    args.extend_from_slice(extra);
    let (out, value) = json(&args);
    assert!(out.status.success(), "{args:?} failed: {value}");
    value
}

#[test]
fn same_seed_same_trace_hash_across_processes() {
    let cases = [
        ("heartbeats", &SMALL[..]),
        ("crash-restart", &[][..]),
        ("echo", &NET_SMALL[..]),
        ("pingpong", &NET_SMALL[..]),
        ("udp-ping", &NET_SMALL[..]),
        ("partition-heal", &NET_SMALL[..]),
        ("swizzle", &[][..]),
        ("bulk", &NET_SMALL[..]),
        ("grpc-ping", &NET_SMALL[..]),
        ("http-allowlist", &NET_SMALL[..]),
        ("p2p-relay", &NET_SMALL[..]),
        ("p2p-relay-peer-restart", &NET_SMALL[..]),
        ("p2p-relay-relay-crash", &NET_SMALL[..]),
        ("p2p-relay-partition", &NET_SMALL[..]),
    ];
    for (name, extra) in cases {
        let a = run_json(name, 5, extra);
        let b = run_json(name, 5, extra);
        let c = run_json(name, 6, extra);
        assert_eq!(a["scenario"], name);
        assert!(a["trace_hash"].is_string(), "{a}");
        assert_eq!(
            a["trace_hash"], b["trace_hash"],
            "{name}: two processes, seed 5"
        );
        assert_eq!(a["events"], b["events"]);
        assert_eq!(a["virtual_ns"], b["virtual_ns"]);
        assert_ne!(a["trace_hash"], c["trace_hash"], "{name}: seeds 5 and 6");
        assert_eq!(a["failures"], Value::Array(vec![]));
    }
}

#[test]
fn a_sweep_does_not_depend_on_the_number_of_jobs() {
    let mut args = vec!["run", "heartbeats", "--seed", "3", "--seeds", "3"];
    args.extend_from_slice(&SMALL);
    let (_, one) = json(&[&args[..], &["--jobs", "1"]].concat());
    let (_, three) = json(&[&args[..], &["--jobs", "3"]].concat());
    assert_eq!(one["seeds"], 3);
    assert_eq!(one["trace_hash"], three["trace_hash"]);
    assert_eq!(one["events"], three["events"]);
    let runs = one["runs"].as_array().expect("a sweep lists its runs");
    let seeds: Vec<u64> = runs.iter().map(|r| r["seed"].as_u64().unwrap()).collect();
    assert_eq!(seeds, [3, 4, 5]);
    // The sweep's hash combines the per-seed hashes, which differ.
    assert_ne!(runs[0]["trace_hash"], runs[1]["trace_hash"]);
}

#[test]
fn broken_fails_on_some_seed_and_its_replay_fails_the_same_way() {
    let (out, sweep) = json(&["run", "broken", "--seeds", "12"]);
    assert_eq!(out.status.code(), Some(1), "a failing sweep exits with 1");
    let failures = sweep["failures"].as_array().unwrap();
    assert!(!failures.is_empty(), "no seed of 0..12 failed: {sweep}");
    let failure = &failures[0];
    let seed = failure["seed"].as_u64().unwrap();
    let message = failure["message"].as_str().unwrap();
    let replay = failure["replay"].as_str().unwrap();
    assert!(message.contains(&format!("seed {seed}")), "{message}");
    assert!(message.contains("tie-break"), "{message}");
    assert_eq!(failure["virtual_ns"], 1_000_000_000u64);

    // The replay command, as printed, is this binary's command line.
    let args = replay
        .strip_prefix(registry::COMMAND_PREFIX)
        .unwrap_or_else(|| {
            panic!(
                "`{replay}` does not start with `{}`",
                registry::COMMAND_PREFIX
            )
        });
    let args: Vec<&str> = args.split_whitespace().collect();
    assert_eq!(args, ["run", "broken", "--seed", &seed.to_string()]);
    let human = scenarios(&args);
    assert_eq!(human.status.code(), Some(1));
    assert!(
        stdout(&human).contains(message),
        "replay printed:\n{}",
        stdout(&human)
    );
    assert!(stdout(&human).contains(replay));
    let (_, again) = json(&args);
    assert_eq!(again["failures"][0]["message"], message);

    // A seed that passed in the sweep passes alone too.
    let passed = sweep["runs"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["passed"] == true)
        .expect("some seed of 0..12 passes");
    let ok = run_json("broken", passed["seed"].as_u64().unwrap(), &[]);
    assert_eq!(ok["trace_hash"], passed["trace_hash"]);
}

#[test]
fn replay_commands_carry_non_default_parameters() {
    let scenario = registry::find("heartbeats").unwrap();
    let params = scenarios::Params {
        hosts: 7,
        virtual_secs: 3600,
        ..scenarios::Params::DEFAULT
    };
    assert_eq!(
        scenario.replay_command(9, &params),
        "cargo run --release -p scenarios -- run heartbeats --seed 9 --hosts 7"
    );
    let bulk = registry::find("bulk").unwrap();
    let params = scenarios::Params {
        bytes: 5,
        hosts: 7,
        ..scenarios::Params::DEFAULT
    };
    assert_eq!(
        bulk.replay_command(2, &params),
        "cargo run --release -p scenarios -- run bulk --seed 2 --bytes 5",
        "only the knobs bulk reads"
    );
}

#[test]
fn all_runs_every_included_scenario() {
    let mut args = vec!["run", "--all"];
    args.extend_from_slice(&SMALL);
    args.extend_from_slice(&NET_SMALL);
    let (out, all) = json(&args);
    assert!(out.status.success(), "{all}");
    assert_eq!(all["failures"], 0);
    let names: Vec<&str> = all["scenarios"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["scenario"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
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

    let human = scenarios(&args);
    assert!(human.status.success());
    assert!(stdout(&human).contains("all passed"), "{}", stdout(&human));
}

#[test]
fn list_names_every_scenario() {
    let out = scenarios(&["list"]);
    assert!(out.status.success());
    let text = stdout(&out);
    for s in registry::all() {
        assert!(
            text.contains(s.name),
            "`list` does not name {}:\n{text}",
            s.name
        );
    }
    let broken = text.lines().find(|l| l.starts_with("broken")).unwrap();
    assert!(
        broken.contains("NOT in --all") && broken.contains("BROKEN"),
        "{broken}"
    );
}

#[test]
fn unknown_scenario_is_a_clear_error() {
    let out = scenarios(&["run", "no-such-scenario"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("unknown scenario `no-such-scenario`"), "{err}");
    assert!(
        err.contains("heartbeats"),
        "the error lists the known names: {err}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_arguments_are_clear_errors() {
    for args in [
        &["run"][..],
        &["run", "heartbeats", "--seeds", "0"],
        &["run", "heartbeats", "--hosts", "many"],
        &["run", "heartbeats", "--all"],
        &[
            "run",
            "heartbeats",
            "--seed",
            "18446744073709551615",
            "--seeds",
            "2",
        ],
    ] {
        let out = scenarios(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("error"), "{args:?}: {}", stderr(&out));
        assert!(
            !stderr(&out).contains("panicked"),
            "{args:?}: {}",
            stderr(&out)
        );
    }
}
