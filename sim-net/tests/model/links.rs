//! Links and partitions through the network: one-way and two-way partitions,
//! isolation, splits, heal, hold and release, and per-link random streams.
use crate::helpers::model::*;
use sim_net::model::{
    DropReason, Latency, LinkConfig, Loss, Network, NodeId, SocketId, MILLIS, SECS,
};
use std::io::ErrorKind;

const L: u64 = 10 * MILLIS;

fn udp_pair(net: &mut Network, a: NodeId, b: NodeId) -> (SocketId, SocketId) {
    let sa = net.udp_bind(0, a, addr("0.0.0.0:9")).unwrap();
    let sb = net.udp_bind(0, b, addr("0.0.0.0:9")).unwrap();
    (sa, sb)
}

fn drain(net: &mut Network, s: SocketId) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = [0u8; 64];
    while let Ok((n, _)) = net.udp_recv_from(net.now(), s, &mut buf) {
        out.push(buf[..n].to_vec());
    }
    out
}

#[test]
fn one_way_partition_blocks_one_direction() {
    let (mut net, a, b) = two_nodes(L);
    let (sa, sb) = udp_pair(&mut net, a, b);
    net.partition_one_way(a, b);
    assert!(net.is_partitioned(a, b) && !net.is_partitioned(b, a));
    net.udp_send_to(0, sa, b"a->b", addr("10.0.0.2:9")).unwrap();
    net.udp_send_to(0, sb, b"b->a", addr("10.0.0.1:9")).unwrap();
    run_until(&mut net, SECS, |_| false);
    assert!(drain(&mut net, sb).is_empty());
    assert_eq!(drain(&mut net, sa), vec![b"b->a".to_vec()]);
    assert_eq!(net.link_stats(a, b).dropped.get(DropReason::Partition), 1);
    net.heal(a, b);
    net.udp_send_to(net.now(), sa, b"again", addr("10.0.0.2:9"))
        .unwrap();
    run_until(&mut net, 2 * SECS, |_| false);
    assert_eq!(drain(&mut net, sb), vec![b"again".to_vec()]);
}

#[test]
fn partition_drops_packets_already_in_flight() {
    let (mut net, a, b) = two_nodes(L);
    let (sa, sb) = udp_pair(&mut net, a, b);
    net.udp_send_to(0, sa, b"x", addr("10.0.0.2:9")).unwrap();
    net.advance(L / 2);
    net.partition(a, b);
    run_until(&mut net, SECS, |_| false);
    assert!(drain(&mut net, sb).is_empty());
    assert_eq!(net.drop_counts().get(DropReason::Partition), 1);
}

#[test]
fn isolate_split_and_heal_all() {
    let mut net = Network::new(5);
    let n: Vec<_> = (1..=4)
        .map(|i| {
            net.add_node(&format!("n{i}"), &[format!("10.0.0.{i}").parse().unwrap()])
                .unwrap()
        })
        .collect();
    net.isolate(n[0]);
    assert!(net.is_partitioned(n[0], n[1]) && net.is_partitioned(n[3], n[0]));
    assert!(!net.is_partitioned(n[1], n[2]));
    net.heal_node(n[0]);
    assert!(!net.is_partitioned(n[0], n[1]));
    net.split(&[&[n[0], n[1]], &[n[2]]]);
    assert!(!net.is_partitioned(n[0], n[1]));
    assert!(net.is_partitioned(n[0], n[2]) && net.is_partitioned(n[2], n[1]));
    assert!(
        !net.is_partitioned(n[3], n[2]),
        "nodes in no group are untouched"
    );
    net.heal_all();
    assert!(!net.is_partitioned(n[0], n[2]));
}

#[test]
fn hold_then_release_delivers_in_order_with_latency_from_release() {
    let (mut net, a, b) = two_nodes(L);
    let (sa, sb) = udp_pair(&mut net, a, b);
    net.hold(a, b);
    for i in 0..5u8 {
        net.udp_send_to(u64::from(i) * MILLIS, sa, &[i], addr("10.0.0.2:9"))
            .unwrap();
    }
    run_until(&mut net, 10 * SECS, |_| false);
    assert!(drain(&mut net, sb).is_empty());
    assert_eq!(net.held_packets(a, b), 5);
    let t = 10 * SECS;
    net.release(t, a, b);
    assert_eq!(net.next_deadline(), Some(t + L));
    run_until(&mut net, t + SECS, |_| false);
    let got = drain(&mut net, sb);
    assert_eq!(got, (0..5u8).map(|i| vec![i]).collect::<Vec<_>>());
}

#[test]
fn hold_stalls_tcp_and_release_resumes_it() {
    let (mut net, a, b) = two_nodes(L);
    let (c, s) = connected_pair(&mut net, a, b, 80);
    net.hold(a, b);
    let t0 = net.now();
    net.tcp_write(t0, c, b"held data").unwrap();
    // Held packets are not lost, but retransmissions pile up behind the hold too.
    run_until(&mut net, t0 + 500 * MILLIS, |_| false);
    assert!(!net.can_read(s));
    net.release(t0 + 500 * MILLIS, a, b);
    let got = read_n(&mut net, s, 9, t0 + 10 * SECS);
    assert_eq!(got, b"held data");
    assert_eq!(net.held_packets(a, b), 0);
}

#[test]
fn adding_a_host_does_not_reshuffle_other_links() {
    fn arrivals(extra: bool) -> Vec<u64> {
        let mut net = Network::new(99);
        let a = net.add_node("a", &["10.0.0.1".parse().unwrap()]).unwrap();
        let c = if extra {
            Some(net.add_node("c", &["10.0.0.3".parse().unwrap()]).unwrap())
        } else {
            None
        };
        let b = net.add_node("b", &["10.0.0.2".parse().unwrap()]).unwrap();
        net.set_default_link(
            LinkConfig::fixed(0)
                .with_latency(Latency::Exponential { mean: 5 * MILLIS })
                .with_jitter(MILLIS),
        )
        .unwrap();
        let sa = net.udp_bind(0, a, addr("0.0.0.0:9")).unwrap();
        let sb = net.udp_bind(0, b, addr("0.0.0.0:9")).unwrap();
        if let Some(c) = c {
            // Traffic on another link draws from that link's own stream.
            let sc = net.udp_bind(0, c, addr("0.0.0.0:9")).unwrap();
            for _ in 0..10 {
                net.udp_send_to(0, sc, b"noise", addr("10.0.0.1:9"))
                    .unwrap();
            }
        }
        let mut times = Vec::new();
        for i in 0..20u64 {
            net.udp_send_to(i * MILLIS, sa, b"x", addr("10.0.0.2:9"))
                .unwrap();
        }
        while let Some(t) = net.next_deadline() {
            net.advance(t);
            if net.can_read(sb) {
                drain(&mut net, sb);
                times.push(t);
            }
        }
        times
    }
    assert_eq!(arrivals(false), arrivals(true));
}

#[test]
fn jitter_and_distributions_stay_in_bounds() {
    let (mut net, a, b) = two_nodes(L);
    net.set_link(
        a,
        b,
        LinkConfig::fixed(0)
            .with_latency(Latency::Uniform {
                min: 2 * MILLIS,
                max: 4 * MILLIS,
            })
            .with_jitter(MILLIS),
    )
    .unwrap();
    let (sa, sb) = udp_pair(&mut net, a, b);
    for _ in 0..50 {
        net.udp_send_to(0, sa, b"x", addr("10.0.0.2:9")).unwrap();
    }
    let mut arrivals = Vec::new();
    while let Some(t) = step(&mut net) {
        arrivals.push(t);
    }
    assert_eq!(drain(&mut net, sb).len(), 50);
    assert!(arrivals
        .iter()
        .all(|&t| (2 * MILLIS..=5 * MILLIS).contains(&t)));
    assert!(arrivals.first() != arrivals.last());
    assert_eq!(net.link_config(a, b).jitter, MILLIS);
    assert_eq!(
        net.link_config(b, a).jitter,
        0,
        "the other direction keeps the default"
    );
}

#[test]
fn queue_limit_tail_drops_on_a_slow_link() {
    let (mut net, a, b) = two_nodes(L);
    // 80 kbit/s: 1000 wire bytes take 100 ms; queue holds 3 such packets.
    net.set_link(
        a,
        b,
        LinkConfig::fixed(L).with_bandwidth(80_000, Some(3000)),
    )
    .unwrap();
    let (sa, sb) = udp_pair(&mut net, a, b);
    for _ in 0..5 {
        net.udp_send_to(0, sa, &[0; 972], addr("10.0.0.2:9"))
            .unwrap();
    }
    let mut arrivals = Vec::new();
    while let Some(t) = step(&mut net) {
        arrivals.push(t);
    }
    assert_eq!(arrivals, vec![110 * MILLIS, 210 * MILLIS, 310 * MILLIS]);
    assert_eq!(drain(&mut net, sb).len(), 3);
    assert_eq!(net.link_stats(a, b).dropped.get(DropReason::QueueFull), 2);
}

/// Bad settings are refused where they are set, with an error naming the
/// field and the value; the link keeps its settings.
#[test]
fn bad_link_settings_are_refused_naming_field_and_value() {
    use sim_net::model::{NetConfig, MAX_LATENCY};
    let (mut net, a, b) = two_nodes(MILLIS);
    let cases: Vec<(LinkConfig, &str)> = vec![
        (
            LinkConfig::fixed(MILLIS).with_loss(Loss::Bernoulli(f64::NAN)),
            "LinkConfig::loss (Bernoulli) = NaN",
        ),
        (
            LinkConfig::fixed(MILLIS).with_loss(Loss::Bernoulli(1.5)),
            "LinkConfig::loss (Bernoulli) = 1.5",
        ),
        (
            LinkConfig::fixed(MILLIS).with_loss(Loss::Bernoulli(-0.1)),
            "= -0.1",
        ),
        (
            LinkConfig::fixed(MILLIS).with_loss(Loss::GilbertElliott {
                p_good_to_bad: 0.1,
                p_bad_to_good: 2.0,
                loss_good: 0.0,
                loss_bad: 1.0,
            }),
            "LinkConfig::loss.p_bad_to_good = 2",
        ),
        (
            LinkConfig::fixed(MILLIS).with_udp_faults(f64::NAN, 0.0),
            "LinkConfig::duplicate = NaN",
        ),
        (
            LinkConfig::fixed(MILLIS).with_udp_faults(0.0, 1.01),
            "LinkConfig::corrupt = 1.01",
        ),
        (
            LinkConfig::fixed(MILLIS).with_latency(Latency::Pareto {
                scale: MILLIS,
                shape: 0.0,
            }),
            "LinkConfig::latency.shape = 0",
        ),
        (
            LinkConfig::fixed(MILLIS).with_latency(Latency::Pareto {
                scale: MILLIS,
                shape: f64::NAN,
            }),
            "LinkConfig::latency.shape = NaN",
        ),
        (
            LinkConfig::fixed(MAX_LATENCY + 1),
            "LinkConfig::latency (Fixed) = 3600000000001 ns",
        ),
        (
            LinkConfig::fixed(MILLIS).with_latency(Latency::Uniform { min: 5, max: 2 }),
            "LinkConfig::latency.min = 5 ns",
        ),
        (
            LinkConfig::fixed(MILLIS).with_jitter(MAX_LATENCY + 1),
            "LinkConfig::jitter",
        ),
    ];
    for (cfg, names) in cases {
        for e in [
            net.set_link(a, b, cfg.clone()).unwrap_err(),
            net.set_link_both(a, b, cfg.clone()).unwrap_err(),
            net.set_default_link(cfg.clone()).unwrap_err(),
        ] {
            assert_eq!(e.kind(), ErrorKind::InvalidInput, "{e}");
            assert!(e.to_string().contains(names), "{e} should name {names}");
        }
    }
    assert_eq!(
        net.link_config(a, b),
        &LinkConfig::fixed(MILLIS),
        "unchanged"
    );
    // The edges are allowed.
    net.set_link(
        a,
        b,
        LinkConfig::fixed(MAX_LATENCY).with_loss(Loss::Bernoulli(1.0)),
    )
    .unwrap();
    let bad = NetConfig {
        default_link: LinkConfig::fixed(MILLIS).with_loss(Loss::Bernoulli(f64::NAN)),
        ..NetConfig::default()
    };
    let e = Network::with_config(1, bad).unwrap_err();
    assert!(
        e.to_string().contains("LinkConfig::loss (Bernoulli) = NaN"),
        "{e}"
    );
    let bad = NetConfig {
        ephemeral_first: 60_000,
        ephemeral_last: 50_000,
        ..NetConfig::default()
    };
    let e = Network::with_config(1, bad).unwrap_err();
    assert!(
        e.to_string().contains("NetConfig::ephemeral_first = 60000"),
        "{e}"
    );
}
