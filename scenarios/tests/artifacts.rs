//! `scenarios run --artifacts`: the files a seed leaves, byte for byte the
//! same from two processes, and written only for failed seeds of a sweep.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn scenarios(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scenarios"))
        .args(args)
        .output()
        .expect("the scenarios binary runs")
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("simnet-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

const FILES: [&str; 4] = [
    "trace.jsonl",
    "packets.pcapng",
    "dropped.pcapng",
    "timeline.html",
];

fn run_partition_heal(dir: &Path) -> String {
    let d = dir.to_str().unwrap();
    let out = scenarios(&[
        "run",
        "partition-heal",
        "--seed",
        "3",
        "--bytes",
        "65536",
        "--artifacts",
        d,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn one_seed_writes_the_same_artifacts_in_two_processes() {
    let (a, b) = (temp_dir("a"), temp_dir("b"));
    let printed = run_partition_heal(&a);
    run_partition_heal(&b);
    let seed_dir = |d: &Path| d.join("partition-heal").join("3");
    assert!(
        printed.contains(&format!("seed 3: artifacts: {}", seed_dir(&a).display())),
        "{printed}"
    );
    for file in FILES {
        let x = std::fs::read(seed_dir(&a).join(file)).unwrap();
        let y = std::fs::read(seed_dir(&b).join(file)).unwrap();
        assert!(!x.is_empty(), "{file} is empty");
        assert!(x == y, "{file} differs between two processes");
    }
    // The partition is in the journal, as a band the heal closes.
    let journal = std::fs::read_to_string(seed_dir(&a).join("trace.jsonl")).unwrap();
    let faults: Vec<Value> = journal
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["kind"] == "fault")
        .collect();
    let ops: Vec<&str> = faults.iter().map(|f| f["op"].as_str().unwrap()).collect();
    assert_eq!(ops, ["partition", "heal"]);
    for d in [a, b] {
        std::fs::remove_dir_all(d).unwrap();
    }
}

#[test]
fn a_sweep_writes_artifacts_for_its_failed_seeds_only() {
    let dir = temp_dir("sweep");
    let d = dir.to_str().unwrap();
    let out = scenarios(&["run", "broken", "--seeds", "8", "--artifacts", d, "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let failures = report["failures"].as_array().unwrap();
    assert!(!failures.is_empty() && failures.len() < 8);
    for seed in 0..8u64 {
        let seed_dir = dir.join("broken").join(seed.to_string());
        let failure = failures.iter().find(|f| f["seed"] == seed);
        match failure {
            Some(f) => {
                assert_eq!(f["artifacts"], seed_dir.to_str().unwrap());
                let journal = std::fs::read_to_string(seed_dir.join("trace.jsonl")).unwrap();
                let last: Value = serde_json::from_str(journal.lines().last().unwrap()).unwrap();
                assert_eq!(last["kind"], "failure");
                assert!(seed_dir.join("timeline.html").is_file());
            }
            None => assert!(!seed_dir.exists(), "seed {seed} passed but wrote artifacts"),
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}
