//! Clogging hosts (`Net::hold_node`, `release_node`) and swizzle-clogging
//! (`Swizzle`): which datagrams wait, until which instant, and which subset
//! and order a seed picks.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::ErrorKind;
use std::rc::Rc;
use std::time::Duration;

use crate::helpers::sockets::*;
use sim_core::Sim;
use sim_net::Swizzle;
use tokio::net::UdpSocket;

const HOSTS: [&str; 3] = ["a", "b", "c"];
/// Each host sends one datagram to each other host every 10 ms, at 5, 15,
/// 25 ... ms, so no send shares an instant with a clog or an unclog.
const SENDS: u64 = 80;

/// `(from, to, k)` -> arrival time of datagram `k` from `from` to `to`.
type Arrivals = Rc<RefCell<BTreeMap<(String, String, u64), Duration>>>;

/// Hosts that send to each other on a fixed schedule and record when each
/// datagram arrives.
fn chatty_hosts(sim: &mut Sim, arrivals: &Arrivals) {
    for me in HOSTS {
        let arrivals = arrivals.clone();
        sim.host(me, move || {
            let arrivals = arrivals.clone();
            async move {
                let socket = Rc::new(UdpSocket::bind("0.0.0.0:9000").await?);
                let receiver = socket.clone();
                tokio::task::spawn_local(async move {
                    let mut buf = [0u8; 16];
                    while let Ok((n, _)) = receiver.recv_from(&mut buf).await {
                        let text = std::str::from_utf8(&buf[..n]).unwrap();
                        let (from, k) = text.split_once(' ').unwrap();
                        let key = (from.to_string(), me.to_string(), k.parse().unwrap());
                        arrivals.borrow_mut().insert(key, now());
                    }
                });
                for k in 0..SENDS {
                    sleep_until(ms(5 + 10 * k)).await;
                    for peer in HOSTS.iter().filter(|&&p| p != me) {
                        let msg = format!("{me} {k}");
                        socket.send_to(msg.as_bytes(), (*peer, 9000)).await?;
                    }
                }
                std::future::pending().await
            }
        });
    }
}

/// The three hosts are clogged 100 ms apart from 50 ms, stay clogged 200 ms
/// after the last, and are unclogged in the reverse order. A direction is
/// held from the first clog of its two ends to that end's unclog (the last
/// of the two), and its datagrams then arrive together, in order.
#[test]
fn swizzle_clogs_in_order_and_unclogs_in_reverse() {
    run(|sim| {
        let arrivals: Arrivals = Rc::default();
        chatty_hosts(sim, &arrivals);
        sim.client("chaos", async move {
            sleep_until(ms(50)).await;
            let order = Swizzle::new(HOSTS)
                .count(3)
                .interval(ms(100))
                .hold_for(ms(200))
                .run()
                .await?;
            assert_eq!(now(), ms(650), "3 clogs, the hold, 3 unclogs");
            let mut sorted = order.clone();
            sorted.sort();
            assert_eq!(sorted, HOSTS);
            sleep_until(ms(1000)).await;

            let rank = |h: &str| order.iter().position(|o| o == h).unwrap() as u64;
            let mut held = 0;
            for (from, to, k) in all_sends() {
                let first = rank(&from).min(rank(&to));
                let (clog, unclog) = (50 + 100 * first, 650 - 100 * first);
                let sent = 5 + 10 * k;
                let expected = if (clog..unclog).contains(&sent) {
                    held += 1;
                    ms(unclog + 1)
                } else {
                    ms(sent + 1)
                };
                let got = arrivals.borrow()[&(from.clone(), to.clone(), k)];
                assert_eq!(
                    got, expected,
                    "datagram {k} from {from} to {to}, sent at {sent} ms"
                );
            }
            assert!(held > 100, "the swizzle held {held} datagrams");
            Ok(())
        });
        install(sim, 1);
    });
}

fn all_sends() -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for from in HOSTS {
        for to in HOSTS.iter().filter(|&&t| t != from) {
            for k in 0..SENDS {
                out.push((from.to_string(), to.to_string(), k));
            }
        }
    }
    out
}

/// The subset and its order come from the seed: the same seed picks the same
/// ones, other seeds pick others, of varying sizes.
#[test]
fn the_seed_picks_the_subset_and_its_order() {
    let orders: Vec<Vec<String>> = (1..=12).map(swizzle_order).collect();
    assert_eq!(swizzle_order(3), orders[2], "the same seed picks the same");
    let sizes: std::collections::BTreeSet<usize> = orders.iter().map(Vec::len).collect();
    assert!(sizes.len() >= 3, "sizes over 12 seeds: {sizes:?}");
    let distinct: std::collections::BTreeSet<&Vec<String>> = orders.iter().collect();
    assert!(
        distinct.len() >= 8,
        "{} distinct picks of 12",
        distinct.len()
    );
    for order in &orders {
        assert!(!order.is_empty() && order.len() <= 5);
        let unique: std::collections::BTreeSet<&String> = order.iter().collect();
        assert_eq!(
            unique.len(),
            order.len(),
            "a host is clogged once: {order:?}"
        );
    }
}

/// The order a swizzle over five hosts picks with `seed`.
fn swizzle_order(seed: u64) -> Vec<String> {
    on_fresh_thread(move || {
        let mut sim = sim_core::Builder::new().seed(seed).build();
        let names = ["n1", "n2", "n3", "n4", "n5"];
        for name in names {
            idle_host(&mut sim, name);
        }
        let picked: Rc<RefCell<Vec<String>>> = Rc::default();
        let out = picked.clone();
        sim.client("chaos", async move {
            *out.borrow_mut() = Swizzle::new(names)
                .interval(ms(1))
                .hold_for(ms(1))
                .run()
                .await?;
            Ok(())
        });
        install(&mut sim, 1);
        sim.run().unwrap();
        let order = picked.borrow().clone();
        order
    })
}

/// Bad input is refused before anything is clogged.
#[test]
fn bad_swizzles_are_refused_with_the_reason() {
    run(|sim| {
        sim.client("chaos", async {
            let kind = |r: std::io::Result<Vec<String>>| r.unwrap_err().kind();
            let none: [&str; 0] = [];
            assert_eq!(
                kind(Swizzle::new(none).run().await),
                ErrorKind::InvalidInput
            );
            let zero = Swizzle::new(["a", "b"]).count(0).run().await;
            assert_eq!(kind(zero), ErrorKind::InvalidInput);
            let err = Swizzle::new(["a", "b"]).count(3).run().await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert!(err.to_string().contains("3 hosts out of 2"), "{err}");
            let err = Swizzle::new(["a", "nobody"]).run().await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            assert!(err.to_string().contains("nobody"), "{err}");
            assert_eq!(now(), Duration::ZERO, "nothing waited");
            Ok(())
        });
        // Nothing was clogged: a datagram sent after the attempts takes the
        // link's latency.
        sim.client("b", async {
            let socket = UdpSocket::bind("0.0.0.0:9000").await?;
            socket.recv_from(&mut [0u8; 8]).await?;
            assert_eq!(now(), ms(2));
            Ok(())
        });
        sim.client("a", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            sleep_until(ms(1)).await;
            socket.send_to(b"x", "b:9000").await?;
            Ok(())
        });
        install(sim, 1);
    });
}

/// A swizzle dropped before its end (here by a timeout) unclogs the hosts
/// it had clogged at that instant; their held datagrams leave then.
#[test]
fn a_dropped_swizzle_unclogs_what_it_clogged() {
    run(|sim| {
        sim.client("b", async {
            let socket = UdpSocket::bind("0.0.0.0:9000").await?;
            assert_eq!(
                receive_datagrams(&socket, 2).await?,
                vec![(b"held".to_vec(), ms(251)), (b"free".to_vec(), ms(301))]
            );
            Ok(())
        });
        sim.client("a", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            sleep_until(ms(200)).await;
            socket.send_to(b"held", "b:9000").await?;
            sleep_until(ms(300)).await;
            socket.send_to(b"free", "b:9000").await?;
            Ok(())
        });
        sim.client("chaos", async {
            let swizzle = Swizzle::new(["a", "b"])
                .count(2)
                .interval(ms(100))
                .hold_for(Duration::from_secs(10))
                .run();
            let timed_out = tokio::time::timeout(ms(250), swizzle).await;
            assert!(timed_out.is_err(), "the swizzle was still holding");
            Ok(())
        });
        install(sim, 1);
    });
}

/// A clogged host holds every direction to and from it; releasing it frees
/// those that nothing else holds, and a direction held on its own waits for
/// its own release.
#[test]
fn a_released_host_frees_only_what_nothing_else_holds() {
    run(|sim| {
        sim.client("b", async {
            let socket = UdpSocket::bind("0.0.0.0:9000").await?;
            assert_eq!(
                receive_datagrams(&socket, 2).await?,
                vec![(b"from c".to_vec(), ms(101)), (b"from a".to_vec(), ms(201))]
            );
            Ok(())
        });
        for sender in ["a", "c"] {
            sim.client(sender, async move {
                let socket = UdpSocket::bind("0.0.0.0:0").await?;
                sleep_until(ms(10)).await;
                let msg = format!("from {sender}");
                socket.send_to(msg.as_bytes(), "b:9000").await?;
                Ok(())
            });
        }
        sim.client("chaos", async {
            let net = sim_net::net()?;
            net.hold_node("b")?;
            net.hold("a", "b")?;
            sleep_until(ms(100)).await;
            net.release_node("b")?;
            sleep_until(ms(200)).await;
            net.release("a", "b")?;
            let err = net.hold_node("nobody").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            Ok(())
        });
        install(sim, 1);
    });
}
