//! `heartbeats`: many hosts ticking a 1 s `tokio::time::interval` for a long
//! virtual time. It checks the scheduler's timer discovery (every tick fires,
//! at its exact virtual instant, never twice) and the clock interposition
//! (every clock a host reads follows virtual time), and it is the workload
//! the benchmark measures.
//!
//! Each host sleeps a seed-drawn offset of 1 to 999 ms, then ticks every
//! second. The offsets never fall on a whole second, so no tick shares an
//! instant with the checker's wake-up at `--virtual-secs`: after `T`
//! virtual seconds every host has ticked exactly `T` times, whatever the
//! tie-break.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, SystemTime};

use rand::Rng;
use sim_core::Sim;

use crate::clocks::ClockAnchor;
use crate::params::{Param, Params};
use crate::registry::Scenario;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "heartbeats",
    description: "hosts tick a 1 s tokio interval from staggered offsets; a checker asserts \
                  exact tick counts and that Instant, SystemTime and tokio Instant follow virtual time",
    params: &[Param::Hosts, Param::VirtualSecs],
    in_all: true,
    setup,
    virtual_duration,
};

/// The heartbeat period.
pub const PERIOD: Duration = Duration::from_secs(1);

/// How many hosts report a wrong count in one failure message, at most.
const REPORTED_HOSTS: usize = 5;

fn virtual_duration(params: &Params) -> Duration {
    Duration::from_secs(params.virtual_secs)
}

/// What the hosts share with the checker.
struct Shared {
    /// Ticks counted by each host.
    ticks: Vec<Cell<u64>>,
    /// Each host's start offset.
    offsets: Vec<Duration>,
    /// What `SystemTime` read at virtual time zero, seen from the setup.
    epoch: SystemTime,
}

/// Adds `params.hosts` heartbeat hosts and the checker client.
pub fn setup(sim: &mut Sim, params: &Params) {
    // The setup runs on the simulation thread, before any host: the
    // simulation's own random stream draws the offsets (so each seed
    // staggers differently) and `SystemTime` reads the epoch.
    let mut rng = sim_core::rng();
    let hosts = params.hosts as usize;
    let shared = Rc::new(Shared {
        ticks: (0..hosts).map(|_| Cell::new(0)).collect(),
        offsets: (0..hosts)
            .map(|_| Duration::from_millis(rng.random_range(1..1000)))
            .collect(),
        epoch: ClockAnchor::now().epoch(),
    });
    for index in 0..hosts {
        let shared = shared.clone();
        sim.host(host_name(index), move || heartbeat(index, shared.clone()));
    }
    let duration = virtual_duration(params);
    sim.client("checker", check(duration, shared));
}

fn host_name(index: usize) -> String {
    format!("heartbeat-{index}")
}

/// One host: wait for its offset, then tick forever, checking each tick's
/// instant and the clocks.
async fn heartbeat(index: usize, shared: Rc<Shared>) -> sim_core::Result {
    let anchor = ClockAnchor::now();
    if anchor.epoch() != shared.epoch {
        return Err(format!(
            "SystemTime reads epoch {:?} on this host but {:?} in the setup",
            anchor.epoch(),
            shared.epoch
        )
        .into());
    }
    let offset = shared.offsets[index];
    tokio::time::sleep(offset).await;
    let mut interval = tokio::time::interval(PERIOD);
    for k in 0u32.. {
        let scheduled = interval.tick().await;
        let expected = offset + PERIOD * k;
        let elapsed = anchor.virtual_elapsed();
        if elapsed != expected {
            return Err(
                format!("tick {k} fired {elapsed:?} after start, expected {expected:?}").into(),
            );
        }
        if scheduled != tokio::time::Instant::now() {
            return Err(format!(
                "tick {k} was scheduled for another instant than the one it fired at"
            )
            .into());
        }
        anchor.check()?;
        shared.ticks[index].set(u64::from(k) + 1);
    }
    Ok(())
}

/// The checker: sleep the whole duration, then compare every count.
async fn check(duration: Duration, shared: Rc<Shared>) -> sim_core::Result {
    let anchor = ClockAnchor::now();
    tokio::time::sleep(duration).await;
    anchor.check()?;
    if anchor.virtual_elapsed() != duration {
        return Err(format!(
            "the checker slept {duration:?} but woke {:?} later",
            anchor.virtual_elapsed()
        )
        .into());
    }
    let expected = duration.as_secs();
    let wrong: Vec<String> = shared
        .ticks
        .iter()
        .enumerate()
        .filter(|(_, ticks)| ticks.get() != expected)
        .map(|(i, ticks)| {
            format!(
                "`{}` ticked {} times (offset {:?})",
                host_name(i),
                ticks.get(),
                shared.offsets[i]
            )
        })
        .collect();
    if wrong.is_empty() {
        return Ok(());
    }
    let shown = wrong
        .iter()
        .take(REPORTED_HOSTS)
        .cloned()
        .collect::<Vec<_>>()
        .join(", ");
    Err(format!(
        "{} of {} hosts did not tick exactly {expected} times in {expected} virtual seconds: {shown}{}",
        wrong.len(),
        shared.ticks.len(),
        if wrong.len() > REPORTED_HOSTS { ", ..." } else { "" }
    )
    .into())
}
