//! Benchmark: seeds per second of a sweep, on one and two threads and with
//! each seed in a fresh process, and whether descriptors and resident memory
//! stay flat over the sweep.
//!
//! ```text
//! cargo bench -p scenarios --bench sweep
//! ```
//!
//! The workload is the bundled `echo` scenario with 2 clients of 4 messages
//! (a server, two clients, links of seed-drawn latency, a TCP connection
//! each): small enough that the sweep machinery's own cost shows.
//! `SWEEP_SEEDS=N` (default 10,000) sets the in-process sweeps' size,
//! `SWEEP_ISOLATED_SEEDS=N` (default 10,000) the isolated one's.
//! `SWEEP_EMPTY=1` sweeps an empty simulation (one client that returns at
//! once) instead, which leaves the sweep machinery's own cost.
//!
//! The isolated sweep comes first: its child processes run this program's
//! `main` again up to that sweep, so nothing may run before it.

use std::time::Duration;

use scenarios::bench_env::env_count;
use scenarios::{registry, Params};
use sim_core::harness::{Isolation, Sweep};
use sim_core::{Builder, Harness, Sim};

const PARAMS: Params = Params {
    clients: 2,
    messages: 4,
    ..Params::DEFAULT
};

/// Open descriptors of this process.
fn open_fds() -> usize {
    std::fs::read_dir("/proc/self/fd").map_or(0, |d| d.count())
}

/// Resident memory of this process, in KiB.
fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn check(sweep: &Sweep, what: &str) {
    if let Some(f) = sweep.failures().next() {
        eprintln!("{what}: {f}");
        std::process::exit(1);
    }
}

/// A setup closure a harness can run on any thread.
type Setup = Box<dyn Fn(&mut Sim) + Send + Sync>;

/// The simulation settings and setup of the workload.
fn workload() -> (Builder, Setup) {
    let echo = registry::find("echo").expect("echo is bundled");
    if env_count("SWEEP_EMPTY", 0) == 1 {
        return (
            Builder::new(),
            Box::new(|sim: &mut Sim| {
                sim.client("client", async { Ok(()) });
            }),
        );
    }
    (echo.builder(&PARAMS), Box::new(echo.setup_with(&PARAMS)))
}

/// An in-process sweep of `seeds` seeds in chunks of a thousand, printing
/// descriptors and memory after each chunk; returns the wall time.
fn in_process(seeds: u64, jobs: usize) -> Duration {
    let mut wall = Duration::ZERO;
    let mut samples = Vec::new();
    let mut start = 0;
    while start < seeds {
        let end = (start + 1_000).min(seeds);
        let (builder, setup) = workload();
        let sweep = Harness::new()
            .ignore_env()
            .builder(builder)
            .seeds(start..end)
            .jobs(jobs)
            .sweep(setup);
        check(&sweep, "in-process");
        wall += sweep.wall;
        samples.push(format!("{}:{}fd/{}MiB", end, open_fds(), rss_kib() / 1024));
        start = end;
    }
    println!(
        "in-process, SIM_JOBS={jobs}: {seeds} seeds in {:.2} s wall, {:.0} seeds/s, {:.0} us per \
         seed; after each 1,000 seeds: {}",
        wall.as_secs_f64(),
        seeds as f64 / wall.as_secs_f64(),
        wall.as_secs_f64() * 1e6 / seeds as f64,
        samples.join(" ")
    );
    wall
}

fn main() {
    let seeds = env_count("SWEEP_SEEDS", 10_000);
    let isolated_seeds = env_count("SWEEP_ISOLATED_SEEDS", 10_000);
    let (builder, setup) = workload();
    let before = (open_fds(), rss_kib());
    // The only sweep that reads the environment, and the first: a child
    // runs `main` up to here, runs its seed and exits.
    let isolated = Harness::new()
        .builder(builder)
        .seeds(0..isolated_seeds)
        .jobs(1)
        .isolation(Isolation::Process)
        .sweep(setup);
    check(&isolated, "isolated");
    let after = (open_fds(), rss_kib());
    let one = in_process(seeds, 1);
    let two = in_process(seeds, 2);
    let per_seed = |wall: Duration, n: u64| wall.as_secs_f64() * 1e6 / n as f64;
    let isolated_us = per_seed(isolated.wall, isolated_seeds);
    println!(
        "SIM_JOBS=2 runs {:.2}x the seeds per second of SIM_JOBS=1",
        one.as_secs_f64() / two.as_secs_f64()
    );
    println!(
        "a process per seed, SIM_JOBS=1: {isolated_seeds} seeds in {:.2} s wall, {:.0} seeds/s, \
         {isolated_us:.0} us per seed, so isolation costs {:.0} us per seed; descriptors {} -> {}, \
         resident memory {} -> {} MiB",
        isolated.wall.as_secs_f64(),
        isolated.seeds_per_second(),
        isolated_us - per_seed(one, seeds),
        before.0,
        after.0,
        before.1 / 1024,
        after.1 / 1024
    );
}
