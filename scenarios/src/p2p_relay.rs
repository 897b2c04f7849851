//! `p2p-relay`: two peers find each other through a relay (axum on the
//! relay, hyper-util's client on the peers) and then exchange files
//! directly over TCP, each checking every byte of the other's file.
//!
//! Each peer listens on a seed-drawn port, registers it with the relay
//! (`PUT /peers/<name>`, body: the port; the relay takes the address from
//! `ConnectInfo`) and keeps re-registering as a heartbeat; it looks the
//! other up (`GET /peers/<name>`) until the relay knows it, then downloads
//! the other's file straight from the other peer, retrying (and looking up
//! again) after any failure. Four variants, each its own scenario:
//!
//! | scenario | fault | also checks |
//! |---|---|---|
//! | `p2p-relay` | none | each download succeeds at its first attempt |
//! | `p2p-relay-peer-restart` | `peer-a` is killed mid-transfer and restarted on a new port | `peer-b` reconnects to the new address; the new `peer-a` downloads again |
//! | `p2p-relay-relay-crash` | the relay crashes at the first registration and restarts empty | peers retry, re-register, find each other after the restart |
//! | `p2p-relay-partition` | `peer-a`/`peer-b` partitioned mid-transfer, then healed | the relay stays reachable from both; the transfer resumes on the same connection and ends after the heal |

use std::cell::Cell;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use sim_core::{Sim, SimTime};
use sim_net::{LinkConfig, Net};
use tokio::sync::Notify;

use crate::params::{Param, Params};
use crate::pattern::Pattern;
use crate::registry::Scenario;

mod chaos;
mod peer;
mod relay;

/// `p2p-relay`: no fault.
pub const SCENARIO: Scenario = variant(
    "p2p-relay",
    "two peers find each other through an axum relay (hyper client) and exchange --bytes files \
     directly over TCP; asserts every byte",
    setup_plain,
);

/// `p2p-relay-peer-restart`: a peer disconnects (killed) and comes back.
pub const PEER_RESTART: Scenario = variant(
    "p2p-relay-peer-restart",
    "p2p-relay with peer-a killed mid-transfer and restarted on a new port; asserts peer-b \
     reconnects through the relay and both files arrive whole",
    setup_peer_restart,
);

/// `p2p-relay-relay-crash`: the relay crashes and restarts with no memory.
pub const RELAY_CRASH: Scenario = variant(
    "p2p-relay-relay-crash",
    "p2p-relay with the relay crashed at the first registration and restarted empty; asserts \
     peers retry registration and finish after the restart",
    setup_relay_crash,
);

/// `p2p-relay-partition`: the peers lose each other, not the relay.
pub const PARTITION: Scenario = variant(
    "p2p-relay-partition",
    "p2p-relay with peer-a and peer-b partitioned mid-transfer while the relay stays reachable; \
     asserts the transfer completes after the heal",
    setup_partition,
);

const fn variant(
    name: &'static str,
    description: &'static str,
    setup: fn(&mut Sim, &Params),
) -> Scenario {
    Scenario {
        name,
        description,
        params: &[Param::Bytes],
        in_all: true,
        setup,
        virtual_duration,
    }
}

const RELAY: &str = "relay";
const PEERS: [&str; 2] = ["peer-a", "peer-b"];
const CHECKER: &str = "checker";
const RELAY_PORT: u16 = 80;

/// The smallest file: more than twice the default TCP window, so that a
/// fault at half the file always leaves bytes that have not been sent yet.
pub const MIN_FILE_BYTES: u64 = 192 * 1024;
/// Bandwidth of the direct links between the peers.
const PEER_LINK_BPS: u64 = 20_000_000;
/// Bounds of the one-way latency of every link, in ns.
const LATENCY_NS: std::ops::RangeInclusive<u64> = 1_000_000..=30_000_000;

fn virtual_duration(params: &Params) -> Duration {
    // Two files over one link, faults, retries and look-ups: generous, as a
    // passing run ends when the checker is satisfied, not at this bound.
    let transfer = Duration::from_nanos(file_len(params) * 8 * 2 * 1_000_000_000 / PEER_LINK_BPS);
    transfer * 2 + Duration::from_secs(40)
}

fn file_len(params: &Params) -> u64 {
    params.bytes.max(MIN_FILE_BYTES)
}

/// Which fault the scenario injects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fault {
    None,
    PeerRestart,
    RelayCrash,
    Partition,
}

/// What the setup draws, shared by every host of the run.
#[derive(Clone, Copy, Debug)]
struct Plan {
    fault: Fault,
    file_len: u64,
    /// The content of each peer's file.
    files: [Pattern; 2],
    /// Bytes of `peer-a`'s file `peer-b` must have read before the fault.
    fault_at_bytes: u64,
    /// How long the fault lasts (down time, partition).
    fault_for: Duration,
}

/// What one peer has done, as its current incarnation sees it.
#[derive(Debug, Default)]
struct PeerProgress {
    incarnation: Cell<u32>,
    /// Bytes the current download attempt has read of the other's file.
    progress: Cell<u64>,
    /// Download attempts of the current incarnation.
    attempts: Cell<u32>,
    /// When the current incarnation first learned the other's address.
    found_at: Cell<Option<SimTime>>,
    /// When the current incarnation had the other's whole file, checked.
    done_at: Cell<Option<SimTime>>,
}

/// What the peers share with the checker, across incarnations (all on the
/// simulation's thread).
#[derive(Debug, Default)]
struct World {
    peers: [PeerProgress; 2],
    /// Signalled on every change above.
    changed: Notify,
}

impl World {
    fn changed(&self) {
        self.changed.notify_waiters();
    }

    /// Waits until `done` holds, checking after every change.
    async fn until(&self, done: impl Fn(&World) -> bool) {
        loop {
            // Registered before the check, so a change cannot slip between.
            let changed = self.changed.notified();
            if done(self) {
                return;
            }
            changed.await;
        }
    }
}

/// Registrations the relay served, over all its incarnations: axum's
/// handlers must be `Send`, hence `Arc` and `Mutex`.
#[derive(Debug, Default)]
struct RelayLog {
    /// Peer name and virtual time of each registration.
    registrations: Mutex<Vec<(String, SimTime)>>,
    changed: Notify,
}

impl RelayLog {
    fn registrations(&self) -> Vec<(String, SimTime)> {
        self.registrations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

fn setup_plain(sim: &mut Sim, params: &Params) {
    setup(sim, params, Fault::None);
}

fn setup_peer_restart(sim: &mut Sim, params: &Params) {
    setup(sim, params, Fault::PeerRestart);
}

fn setup_relay_crash(sim: &mut Sim, params: &Params) {
    setup(sim, params, Fault::RelayCrash);
}

fn setup_partition(sim: &mut Sim, params: &Params) {
    setup(sim, params, Fault::Partition);
}

/// Adds the relay, the two peers and the checker (which also injects the
/// fault), and the links.
fn setup(sim: &mut Sim, params: &Params, fault: Fault) {
    let mut rng = sim_core::rng();
    let file_len = file_len(params);
    let plan = Plan {
        fault,
        file_len,
        files: [Pattern::new(rng.random()), Pattern::new(rng.random())],
        fault_at_bytes: rng.random_range(1..=file_len / 2),
        fault_for: Duration::from_millis(rng.random_range(1000..=8000)),
    };
    let world = Rc::new(World::default());
    let log = Arc::new(RelayLog::default());
    let relay_log = log.clone();
    sim.host(RELAY, move || relay::serve(relay_log.clone()));
    for (i, name) in PEERS.into_iter().enumerate() {
        let world = world.clone();
        sim.host(name, move || peer::run(i, plan, world.clone()));
    }
    sim.client(CHECKER, chaos::check(plan, world, log));

    let net = Net::builder()
        .default_link(LinkConfig::fixed(rng.random_range(LATENCY_NS)))
        .install(sim);
    // Distinct latencies to the relay, so the two registrations never
    // arrive at the same instant (the relay-crash variant relies on it).
    let to_relay_a = rng.random_range(LATENCY_NS);
    let to_relay_b = to_relay_a + 1_000_000 + rng.random_range(LATENCY_NS);
    let direct = LinkConfig {
        bandwidth_bps: PEER_LINK_BPS,
        ..LinkConfig::fixed(rng.random_range(LATENCY_NS))
    };
    let links = [
        (PEERS[0], RELAY, LinkConfig::fixed(to_relay_a)),
        (PEERS[1], RELAY, LinkConfig::fixed(to_relay_b)),
        (PEERS[0], PEERS[1], direct),
    ];
    for (a, b, link) in links {
        net.set_link_both(a, b, link).expect("the p2p hosts exist");
    }
}
