//! Seeded property test: a TCP connection driven through random loss, reordering,
//! duplicates (retransmissions, held-then-released packets), partitions, holds
//! (of one direction, and of a whole node) and heals. Every byte arrives once
//! and in order, or the connection ends with an error, and nothing panics. Half
//! the runs accept the IPv4 connection through a dual-stack `[::]` listener. Replay a failure with the seed proptest prints
//! (the run itself is fixed: `RngSeed::Fixed`). The same property runs twice:
//! without congestion control (the default) and with NewReno (its reassembly
//! queue, duplicate ACKs, fast retransmit and recovery under the same abuse).
use std::io::ErrorKind;

use crate::helpers::model::*;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestCaseError};
use sim_net::model::{Congestion, Latency, LinkConfig, Loss, NetConfig, Network, MILLIS, SECS};

#[derive(Debug, Clone)]
enum Action {
    Write(usize),
    Read(usize),
    Partition,
    PartitionOneWay(bool),
    Heal,
    Hold(bool),
    Release,
    /// Clog the client's (`true`) or the server's node.
    HoldNode(bool),
    ReleaseNode(bool),
    ShutdownWrite,
}

fn action() -> impl Strategy<Value = Action> {
    prop_oneof![
        6 => (1usize..20_000).prop_map(Action::Write),
        6 => (1usize..30_000).prop_map(Action::Read),
        1 => Just(Action::Partition),
        1 => any::<bool>().prop_map(Action::PartitionOneWay),
        2 => Just(Action::Heal),
        1 => any::<bool>().prop_map(Action::Hold),
        1 => Just(Action::Release),
        1 => any::<bool>().prop_map(Action::HoldNode),
        1 => any::<bool>().prop_map(Action::ReleaseNode),
        1 => Just(Action::ShutdownWrite),
    ]
}

fn link() -> impl Strategy<Value = LinkConfig> {
    (
        1u64..30,
        0u64..20,
        0.0f64..0.25,
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(0u64), 1_000_000u64..50_000_000],
    )
        .prop_map(|(lat, jit, p, bursty, reorder, bw)| {
            let loss = if bursty {
                Loss::GilbertElliott {
                    p_good_to_bad: p / 4.0,
                    p_bad_to_good: 0.3,
                    loss_good: p / 10.0,
                    loss_bad: 0.8,
                }
            } else {
                Loss::Bernoulli(p)
            };
            LinkConfig::fixed(0)
                .with_latency(Latency::Uniform {
                    min: lat * MILLIS / 2,
                    max: lat * MILLIS,
                })
                .with_jitter(jit * MILLIS)
                .with_loss(loss)
                .with_tcp_reordering(reorder)
                .with_bandwidth(bw, Some(256 * 1024))
        })
}

struct Outcome {
    written: Vec<u8>,
    read: Vec<u8>,
    failed: bool,
}

#[allow(clippy::too_many_arguments)]
fn run(
    congestion: Congestion,
    seed: u64,
    ab: LinkConfig,
    ba: LinkConfig,
    small_buffers: bool,
    dual_stack: bool,
    actions: &[(u64, Action)],
) -> Outcome {
    let mut cfg = NetConfig::default();
    cfg.tcp.user_timeout = Some(40 * SECS);
    cfg.tcp.connect_timeout = 30 * SECS;
    cfg.tcp.congestion = congestion;
    if small_buffers {
        cfg.tcp.send_buffer = 3000;
        cfg.tcp.recv_buffer = 2000;
    }
    let (mut net, a, b) = two_nodes_with(MILLIS, cfg);
    net = reseed(net, seed);
    // Connect over a clean link, then make it hostile.
    let listen = if dual_stack { "[::]:80" } else { "10.0.0.2:80" };
    let (c, s) = connected_pair_via(&mut net, a, b, listen.parse().unwrap());
    if dual_stack {
        // The server's end is the IPv6 socket's view of an IPv4 connection.
        assert_eq!(net.peer_addr(s).unwrap(), addr("[::ffff:10.0.0.1]:49152"));
    }
    net.set_link(a, b, ab).unwrap();
    net.set_link(b, a, ba).unwrap();
    let data = pattern(200_000);
    let mut out = Outcome {
        written: Vec::new(),
        read: Vec::new(),
        failed: false,
    };
    let mut shut = false;
    let mut buf = vec![0u8; 30_000];
    let mut read = |net: &mut Network, out: &mut Outcome, max: usize| {
        let now = net.now();
        match net.tcp_read(now, s, &mut buf[..max]) {
            Ok(n) => out.read.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::WouldBlock => {}
            Err(_) => out.failed = true,
        }
    };
    let mut t = net.now();
    for (gap, act) in actions {
        t += gap * MILLIS;
        net.advance(t);
        match act {
            Action::Write(n) if !shut => {
                let start = out.written.len();
                let end = (start + n).min(data.len());
                match net.tcp_write(t, c, &data[start..end]) {
                    Ok(k) => out.written.extend_from_slice(&data[start..start + k]),
                    Err(e) if e.kind() == ErrorKind::WouldBlock => {}
                    Err(_) => out.failed = true,
                }
            }
            Action::Write(_) => {}
            Action::Read(n) => read(&mut net, &mut out, *n),
            Action::Partition => net.partition(a, b),
            Action::PartitionOneWay(fwd) => {
                if *fwd {
                    net.partition_one_way(a, b)
                } else {
                    net.partition_one_way(b, a)
                }
            }
            Action::Heal => net.heal_all(),
            Action::Hold(fwd) => {
                if *fwd {
                    net.hold(a, b)
                } else {
                    net.hold(b, a)
                }
            }
            Action::Release => net.release_all(t),
            Action::HoldNode(client) => net.hold_node(if *client { a } else { b }),
            Action::ReleaseNode(client) => net.release_node(t, if *client { a } else { b }),
            Action::ShutdownWrite => {
                if net.tcp_shutdown_write(t, c).is_ok() {
                    shut = true;
                }
            }
        }
    }
    // Let the network recover and drain everything written.
    net.heal_all();
    net.release_all(net.now());
    let limit = net.now() + 900 * SECS;
    loop {
        // Read everything available before deciding to wait.
        loop {
            let before = out.read.len();
            read(&mut net, &mut out, 30_000);
            if out.read.len() == before || out.failed {
                break;
            }
        }
        if out.read.len() >= out.written.len() || out.failed {
            break;
        }
        match net.next_deadline() {
            Some(t) if t <= limit => net.advance(t),
            _ => break,
        }
    }
    if net.connection(c).is_some_and(|i| i.error.is_some()) {
        out.failed = true;
    }
    out
}

/// The same two nodes with a network seeded by `seed`.
fn reseed(net: Network, seed: u64) -> Network {
    let mut fresh = Network::with_config(seed, net.config().clone()).unwrap();
    for id in net.nodes() {
        let addrs = net.node_addrs(id).to_vec();
        fresh.add_node(net.node_name(id).unwrap(), &addrs).unwrap();
    }
    fresh
}

/// Every byte once and in order: what was read is a prefix of what was
/// written, and all of it unless the connection failed.
fn check_delivery(out: &Outcome) -> Result<(), TestCaseError> {
    prop_assert!(out.read.len() <= out.written.len());
    prop_assert!(
        out.read[..] == out.written[..out.read.len()],
        "bytes out of order or duplicated"
    );
    if !out.failed {
        prop_assert_eq!(
            out.read.len(),
            out.written.len(),
            "stalled without an error"
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(Config {
        cases: 128,
        rng_seed: RngSeed::Fixed(0x5eed),
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn bytes_arrive_once_in_order_or_the_connection_fails(
        seed in any::<u64>(),
        ab in link(),
        ba in link(),
        small in any::<bool>(),
        dual in any::<bool>(),
        actions in proptest::collection::vec((0u64..3000, action()), 1..40),
    ) {
        check_delivery(&run(Congestion::None, seed, ab, ba, small, dual, &actions))?;
    }

    #[test]
    fn with_newreno_bytes_arrive_once_in_order_or_the_connection_fails(
        seed in any::<u64>(),
        ab in link(),
        ba in link(),
        small in any::<bool>(),
        dual in any::<bool>(),
        actions in proptest::collection::vec((0u64..3000, action()), 1..40),
    ) {
        check_delivery(&run(Congestion::NewReno, seed, ab, ba, small, dual, &actions))?;
    }
}
