//! `kv-quorum`: a small replicated key-value store (quorum writes and reads
//! over TCP on three replicas) under the built-in fault schedule, checked
//! with properties.
//!
//! Each replica keeps its values on a "disk" that outlives crashes and
//! kills. A client sends each request to a replica of its choice, which
//! coordinates: a write (`PUT`) is stored there and sent to the peers, and
//! acknowledged once a quorum (two of three) has it; a read (`GET`) asks
//! the peers too, answers the newest version of a quorum's answers, and
//! repairs the stale replicas it saw. A replica that restarts asks its
//! peers for what it missed. The client numbers its writes per key, so the
//! versions say which write a read returns.
//!
//! Properties (see [`sim_core::properties`]):
//! - `always` "reads are never older than the last acknowledged write";
//! - `always` "a read returns the value written with its version";
//! - `always` "no acknowledged write is lost" (read once the faults stop);
//! - `always` "after the faults stop, every key can be read";
//! - `sometimes` "a write is rejected for lack of quorum";
//! - `sometimes` "a replica catches up after a restart";
//! - `sometimes` "a read finds a stale replica and repairs it".
//!
//! Buggify points: a slow disk write, and a coordinator's early timeout.
//!
//! The faults come from [`sim_core::nemesis`], over the three replicas, for
//! [`ACTIVE`]; then the client waits for the quiet period and reads every
//! key. [`BROKEN`] (`kv-quorum-broken`, not in `--all`) acknowledges a write
//! before the quorum answers; the properties catch it.

mod protocol;
mod replica;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use sim_core::nemesis::Nemesis;
use sim_core::{always, Sim};
use sim_net::{LinkConfig, Net};

use crate::params::{Param, Params};
use crate::registry::Scenario;
use protocol::{ask_line, Versioned};
use replica::{Disk, Replica};

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "kv-quorum",
    description: "a replicated key-value store (quorum writes and reads over TCP, 3 replicas) \
                  under the built-in fault schedule; always/sometimes properties, buggify points",
    params: &[Param::Messages],
    in_all: true,
    setup,
    virtual_duration,
};

/// The registry entry of the broken variant.
pub const BROKEN: Scenario = Scenario {
    name: "kv-quorum-broken",
    description: "kv-quorum whose coordinators acknowledge a write before the quorum answers \
                  (broken on purpose: the properties catch it)",
    params: &[Param::Messages],
    in_all: false,
    setup: setup_broken,
    virtual_duration,
};

/// The replicas' TCP port.
pub const PORT: u16 = 7100;
/// The replicas.
pub const REPLICAS: [&str; 3] = ["kv1", "kv2", "kv3"];
/// The fault schedule's active window.
pub const ACTIVE: Duration = Duration::from_secs(6);
/// The quiet period after it, in which the cluster must converge.
pub const QUIET: Duration = Duration::from_secs(10);

const CLIENT: &str = "client";
const KEYS: usize = 4;
/// How long the client waits for a coordinator's answer.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(1);
/// Bounds of the client's pause between operations, in ms.
const THINK_MS: std::ops::RangeInclusive<u64> = 10..=100;

fn virtual_duration(_: &Params) -> Duration {
    ACTIVE + QUIET
}

/// Adds the replicas, the client, the network and the fault schedule.
pub fn setup(sim: &mut Sim, params: &Params) {
    add(sim, params, false);
}

fn setup_broken(sim: &mut Sim, params: &Params) {
    add(sim, params, true);
}

fn add(sim: &mut Sim, params: &Params, ack_early: bool) {
    for name in REPLICAS {
        let replica = Replica {
            name: name.to_string(),
            peers: REPLICAS
                .iter()
                .filter(|p| **p != name)
                .map(|p| p.to_string())
                .collect(),
            disk: Arc::new(Mutex::new(Disk::default())),
            ack_early,
        };
        sim.host(name, move || replica.clone().run());
    }
    sim.client(CLIENT, client(params.messages));
    Net::builder()
        .default_link(LinkConfig::fixed(2_000_000))
        .install(sim);
    Nemesis::new()
        .active_for(ACTIVE)
        .quiet_for(QUIET)
        .mean_gap(Duration::from_millis(400))
        .install(sim);
}

/// What the client knows: per key, the next version to write and the
/// highest acknowledged one.
#[derive(Debug, Default)]
struct Ledger {
    next: BTreeMap<usize, u64>,
    acked: BTreeMap<usize, u64>,
}

/// `ops` writes and reads at random replicas during the faults, then a read
/// of every key once they stop.
async fn client(ops: u32) -> sim_core::Result {
    let mut rng = sim_core::rng();
    let ledger = RefCell::new(Ledger::default());
    for _ in 0..ops {
        tokio::time::sleep(Duration::from_millis(rng.random_range(THINK_MS))).await;
        let key = rng.random_range(0..KEYS);
        let coordinator = REPLICAS[rng.random_range(0..REPLICAS.len())];
        if rng.random::<bool>() {
            let version = {
                let mut l = ledger.borrow_mut();
                let next = l.next.entry(key).or_insert(1);
                *next += 1;
                *next - 1
            };
            let request = format!("PUT k{key} {version} v{version}");
            if let Ok(reply) = ask_line(coordinator, &request, CLIENT_TIMEOUT).await {
                if reply == "OK" {
                    let mut l = ledger.borrow_mut();
                    let acked = l.acked.entry(key).or_insert(0);
                    *acked = (*acked).max(version);
                }
            }
        } else if let Some(v) = read(coordinator, key).await {
            let acked = ledger.borrow().acked.get(&key).copied().unwrap_or(0);
            always!(
                v.version >= acked,
                "reads are never older than the last acknowledged write"
            );
        }
    }
    sim_core::nemesis::wait_for_quiet().await;
    let deadline = sim_core::nemesis::quiet_period().map(|q| q.end);
    for key in 0..KEYS {
        let acked = ledger.borrow().acked.get(&key).copied().unwrap_or(0);
        let mut attempt = 0;
        let v = loop {
            let coordinator = REPLICAS[attempt % REPLICAS.len()];
            attempt += 1;
            if let Some(v) = read(coordinator, key).await {
                break Some(v);
            }
            if deadline.is_some_and(|d| sim_core::sim_time().is_some_and(|now| now >= d)) {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        always!(v.is_some(), "after the faults stop, every key can be read");
        let Some(v) = v else {
            return Err(format!("key k{key} could not be read in the quiet period").into());
        };
        always!(v.version >= acked, "no acknowledged write is lost");
    }
    Ok(())
}

/// A quorum read of key `key` through `coordinator`, if one succeeds.
async fn read(coordinator: &str, key: usize) -> Option<Versioned> {
    let reply = ask_line(coordinator, &format!("GET k{key}"), CLIENT_TIMEOUT)
        .await
        .ok()?;
    let parts: Vec<&str> = reply.split(' ').collect();
    let ["VAL", version, value] = parts[..] else {
        return None;
    };
    let v = Versioned::decode(version, value).ok()?;
    let expected = if v.version == 0 {
        String::new()
    } else {
        format!("v{}", v.version)
    };
    always!(
        v.value == expected,
        "a read returns the value written with its version"
    );
    Some(v)
}
