//! Benchmark: what a host's blocking tasks cost. A client spawns three
//! `spawn_blocking` tasks per step and awaits them, 2,000 times; then it
//! resolves a host name with `tokio::net::lookup_host` (one blocking task
//! each, answered by the simulation's DNS) 2,000 times. Each batch of
//! blocking tasks runs on a fresh thread after the step that spawned them
//! (see the guide's "Name lookups and blocking tasks"), so the figure is
//! mostly thread creation and two futex hand-offs.
//!
//! ```text
//! cargo bench -p scenarios --bench blocking
//! ```
//!
//! `BLOCKING_ROUNDS=N` changes the count.

use std::time::Duration;

use scenarios::bench_env::env_count;
use sim_core::{Builder, Harness};

const ROUNDS: u64 = 2_000;

fn run(
    label: &str,
    rounds: u64,
    work: fn(u64) -> std::pin::Pin<Box<dyn std::future::Future<Output = sim_core::Result>>>,
) {
    let reports = Harness::new()
        .ignore_env()
        .builder(Builder::new().time_limit(Duration::from_secs(86_400)))
        .seeds([0])
        .run(move |sim| {
            sim.host("server", || async { std::future::pending().await });
            sim.client("client", async move {
                for i in 0..rounds {
                    work(i).await?;
                    tokio::time::sleep(Duration::from_millis(1)).await;
                }
                Ok(())
            });
            sim_net::Net::install(sim);
        });
    let report = &reports[0];
    let wall = report.wall.as_secs_f64();
    println!(
        "{label}: {rounds} rounds, {} scheduler events, {:.3} s wall, {:.1} us wall per round",
        report.events,
        wall,
        wall * 1e6 / rounds as f64
    );
}

/// What this machine charges for creating and joining a thread, outside
/// any simulation: the floor under a round with blocking tasks.
fn thread_reference(rounds: u64) {
    let watch = std::time::Instant::now();
    for i in 0..rounds {
        let n = std::thread::spawn(move || i + 1).join().unwrap_or(0);
        std::hint::black_box(n);
    }
    let wall = watch.elapsed().as_secs_f64();
    println!(
        "reference (std::thread::spawn + join, no simulation): {rounds} threads, {:.3} s wall, \
         {:.1} us wall per thread",
        wall,
        wall * 1e6 / rounds as f64
    );
}

fn main() {
    let rounds = env_count("BLOCKING_ROUNDS", ROUNDS);
    thread_reference(rounds);
    run(
        "baseline (a 1 ms sleep per round, no blocking task)",
        rounds,
        |_| Box::pin(async { Ok(()) }),
    );
    run("three spawn_blocking tasks per round", rounds, |i| {
        Box::pin(async move {
            let tasks: Vec<_> = (0..3u64)
                .map(|k| tokio::task::spawn_blocking(move || i * 3 + k))
                .collect();
            for (k, t) in tasks.into_iter().enumerate() {
                if t.await? != i * 3 + k as u64 {
                    return Err("a blocking task answered out of order".into());
                }
            }
            Ok(())
        })
    });
    run("one tokio::net::lookup_host per round", rounds, |_| {
        Box::pin(async {
            let n = tokio::net::lookup_host("server:80").await?.count();
            if n != 1 {
                return Err(format!("server resolved to {n} addresses").into());
            }
            Ok(())
        })
    });
}
