//! Benchmark: 100 hosts with a 1 s `tokio::time::interval`, on our
//! simulator for one virtual hour, then the same workload on turmoil for a
//! shorter virtual time (turmoil steps every host every 1 ms tick, so an
//! hour would take hours), and the ratio of their speeds.
//!
//! ```text
//! CARGO_TARGET_DIR=/work/target-scen cargo bench -p scenarios --bench heartbeats
//! ```
//!
//! `TURMOIL_VIRTUAL_SECS=N` changes turmoil's virtual time (default 8, about 20 s wall here).
//! turmoil runs on the main thread, which never runs a `sim_core::Sim`, so
//! our clock interposition forwards its clock reads to the real clock.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use scenarios::bench_env::env_count;
use scenarios::runner::{self, SeedOutcome};
use scenarios::{registry, Params};

const HOSTS: u32 = 100;
const OUR_VIRTUAL_SECS: u64 = 3600;
const TURMOIL_VIRTUAL_SECS: u64 = 8;
const PERIOD: Duration = Duration::from_secs(1);

/// Speeds of one run.
struct Rates {
    wall: Duration,
    virtual_secs: f64,
    ticks: u64,
}

impl Rates {
    fn virtual_per_wall(&self) -> f64 {
        self.virtual_secs / self.wall.as_secs_f64()
    }

    fn print(&self, who: &str) {
        println!(
            "{who:8} {HOSTS} hosts, {:>6.0} virtual s, {:>8} ticks: {:>9.3} s wall, {:>12.1} virtual s/wall s, {:>14.0} ticks/wall s",
            self.virtual_secs,
            self.ticks,
            self.wall.as_secs_f64(),
            self.virtual_per_wall(),
            self.ticks as f64 / self.wall.as_secs_f64(),
        );
    }
}

fn main() {
    let ours = ours();
    ours.print("ours");
    let secs = env_count("TURMOIL_VIRTUAL_SECS", TURMOIL_VIRTUAL_SECS);
    let turmoil = turmoil(secs);
    turmoil.print("turmoil");
    println!(
        "ratio (virtual s per wall s, ours / turmoil): {:.0}x",
        ours.virtual_per_wall() / turmoil.virtual_per_wall()
    );
}

/// Our `heartbeats` scenario, which asserts that every host ticked once per
/// virtual second: a passing run did `HOSTS * OUR_VIRTUAL_SECS` ticks.
fn ours() -> Rates {
    let scenario = registry::find("heartbeats").expect("the heartbeats scenario is registered");
    let params = Params {
        hosts: HOSTS,
        virtual_secs: OUR_VIRTUAL_SECS,
        ..Params::DEFAULT
    };
    match runner::run_seed(scenario, &params, 0) {
        SeedOutcome::Passed(report) => Rates {
            wall: report.wall,
            virtual_secs: report.virtual_time.as_duration().as_secs_f64(),
            ticks: u64::from(HOSTS) * OUR_VIRTUAL_SECS,
        },
        SeedOutcome::Failed(f) => panic!("heartbeats failed: {}\nreplay: {}", f.message, f.replay),
    }
}

/// The same workload on turmoil, stepped until `secs` virtual seconds.
fn turmoil(secs: u64) -> Rates {
    let ticks = Rc::new(Cell::new(0u64));
    let mut sim = turmoil::Builder::new()
        .simulation_duration(Duration::from_secs(secs + 60))
        .tick_duration(Duration::from_millis(1))
        .build();
    for h in 0..u64::from(HOSTS) {
        let ticks = ticks.clone();
        // The same stagger as ours: an offset of 1 to 999 ms per host.
        let offset = Duration::from_millis(h * 7919 % 999 + 1);
        sim.host(format!("h{h}"), move || {
            let ticks = ticks.clone();
            async move {
                tokio::time::sleep(offset).await;
                let mut interval = tokio::time::interval(PERIOD);
                loop {
                    interval.tick().await;
                    ticks.set(ticks.get() + 1);
                }
            }
        });
    }
    let target = Duration::from_secs(secs);
    let started = Instant::now();
    while sim.elapsed() < target {
        sim.step().expect("turmoil step");
    }
    Rates {
        wall: started.elapsed(),
        virtual_secs: sim.elapsed().as_secs_f64(),
        ticks: ticks.get(),
    }
}
