//! The network scenarios (`echo`, `udp-ping`, `partition-heal`, `swizzle`,
//! `bulk`) pass on a handful of seeds, replay identically, and draw a
//! different run from each seed. `pingpong` passes and replays too (its
//! seeds differ only in tie-breaks, which its strictly alternating run never
//! needs). Through `sim_core::Harness`, so `SIM_SEED=S` replays one seed and
//! `SIM_SEEDS=N` widens the sweep.

mod common;

use std::time::Duration;

use scenarios::{bulk, wire, Params};
use sim_core::RunReport;

/// Small enough for a debug build: a few clients and messages, and a
/// stream that still overflows the send buffer (so backpressure and the
/// partition's stall are exercised).
const SMALL: Params = Params {
    clients: 3,
    messages: 12,
    bytes: 200_000,
    ..Params::DEFAULT
};

const NETWORK: [&str; 5] = ["echo", "udp-ping", "partition-heal", "swizzle", "bulk"];

fn run(name: &str, seeds: impl IntoIterator<Item = u64>) -> Vec<RunReport> {
    common::run_included(name, &SMALL, seeds)
}

#[test]
fn echo_passes() {
    run("echo", 0..4);
}

#[test]
fn udp_ping_passes() {
    run("udp-ping", 0..6);
}

#[test]
fn partition_heal_passes() {
    run("partition-heal", 0..6);
}

#[test]
fn swizzle_passes() {
    run("swizzle", 0..6);
}

#[test]
fn bulk_passes() {
    run("bulk", 0..4);
}

#[test]
fn pingpong_passes() {
    run("pingpong", 0..3);
}

#[test]
fn each_seed_replays_event_for_event() {
    common::assert_replays_event_for_event(&NETWORK, &SMALL);
    common::assert_replays_event_for_event(&["pingpong"], &SMALL);
}

#[test]
fn every_seed_draws_another_run() {
    common::assert_seeds_differ(&NETWORK, &SMALL);
}

#[test]
fn bulk_prediction_is_size_over_bandwidth_plus_headers_and_three_latencies() {
    let latency = Duration::from_millis(2);
    // Ten full segments: 10 * 1500 wire bytes, plus SYN, SYN-ACK and ACK
    // (40 bytes each), at 10 Mbit/s: 0.8 us per byte.
    let bytes = 10 * wire::MSS;
    let wire_bytes = 10 * 1500 + 3 * 40;
    assert_eq!(wire::wire_bytes(bytes), 10 * 1500);
    assert_eq!(
        bulk::predicted(bytes, latency),
        latency * 3 + Duration::from_nanos(wire_bytes * 800)
    );
    assert_eq!(bulk::tolerance(bytes), Duration::from_nanos(13));
}
