//! UDP as Linux behaves beyond send and receive: ICMP port unreachable
//! turned into `ConnectionRefused` on connected sockets (and only there),
//! broadcast and multicast looped back to the sender's host, the multicast
//! loop and TTL switches, peeking, `ready` and `take_error`. Exact times.
//!
//! Links: fixed 10 ms one way. Hosts get 10.0.0.1, .2, .3 in the order they
//! are added.

use sim_net::SocketExt;
use std::io::ErrorKind;
use std::net::{Ipv4Addr, SocketAddr};

use crate::helpers::sockets::*;
use sim_net::model::DropReason;
use tokio::io::Interest;
use tokio::net::UdpSocket;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A connected socket whose datagram found no socket on a live host hears
/// of it one round trip later: its next receive fails with
/// `ConnectionRefused`, once; the next send after a later ICMP fails the
/// same way (and sends nothing); `take_error` reads and clears it.
#[test]
fn connected_socket_gets_connection_refused_from_port_unreachable() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            let socket = UdpSocket::bind("0.0.0.0:5000").await?;
            socket.connect("server:9").await?;
            socket.send(b"anyone?").await?;
            let mut buf = [0u8; 16];
            let err = socket.recv(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            assert_eq!(now(), ms(20), "datagram out, ICMP back");
            // Reported once.
            let again = socket.try_recv(&mut buf).unwrap_err();
            assert_eq!(again.kind(), ErrorKind::WouldBlock);
            assert!(socket.take_error()?.is_none());

            // Reported by the next send, which sends nothing.
            socket.send(b"second").await?;
            tokio::time::sleep(ms(25)).await; // its ICMP is back at 40 ms
            let net = sim_net::net()?;
            let sent = net.link_stats("client", "server")?.packets_sent;
            let err = socket.send(b"third").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            assert_eq!(net.link_stats("client", "server")?.packets_sent, sent);
            socket.send(b"fourth").await?;

            // `take_error` reads it too (fourth's ICMP is back at 65 ms).
            tokio::time::sleep(ms(25)).await;
            let err = socket.take_error()?.expect("a pending error");
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            assert!(socket.take_error()?.is_none(), "cleared by reading it");

            let drops = net.drop_counts()?;
            assert_eq!(drops.get(DropReason::NoSocket), 3, "three datagrams");
            assert_eq!(net.link_stats("server", "client")?.packets_sent, 3);
            Ok(())
        });
        install(sim, 10);
    });
}

/// `readable()` wakes for the pending error, at the instant the ICMP
/// arrives; `ready` says READABLE.
#[test]
fn readable_wakes_for_the_error() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            socket.connect("server:9").await?;
            let ready = socket.ready(Interest::WRITABLE).await?;
            assert!(ready.is_writable() && !ready.is_readable());
            socket.send(b"x").await?;
            socket.readable().await?;
            assert_eq!(now(), ms(20));
            let ready = socket.ready(Interest::READABLE).await?;
            assert!(ready.is_readable());
            let mut buf = [0u8; 4];
            let err = socket.try_recv(&mut buf).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            Ok(())
        });
        install(sim, 10);
    });
}

/// As on Linux without `IP_RECVERR`: an unconnected socket, or one
/// connected to another address, never sees the error, though the ICMP
/// comes back.
#[test]
fn unconnected_sockets_never_see_port_unreachable() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            socket.send_to(b"x", "server:9").await?;
            let other = UdpSocket::bind("0.0.0.0:0").await?;
            other.connect("server:10").await?;
            other.send_to(b"y", "server:9").await?;
            tokio::time::sleep(ms(50)).await;
            let mut buf = [0u8; 4];
            for s in [&socket, &other] {
                let err = s.try_recv_from(&mut buf).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::WouldBlock);
                assert!(s.take_error()?.is_none());
            }
            let net = sim_net::net()?;
            assert_eq!(net.link_stats("server", "client")?.packets_sent, 2);
            Ok(())
        });
        install(sim, 10);
    });
}

/// A socket bound to the port but connected to someone else does not take
/// a stranger's datagram: the stranger is refused, as on Linux.
#[test]
fn a_socket_connected_elsewhere_does_not_take_the_datagram() {
    run(|sim| {
        sim.host("server", || async {
            let socket = UdpSocket::bind("0.0.0.0:9000").await?;
            socket.connect("10.0.0.3:1").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            tokio::time::sleep(ms(1)).await;
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            socket.connect("server:9000").await?;
            socket.send(b"hello").await?;
            let mut buf = [0u8; 8];
            let err = socket.recv(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            assert_eq!(now(), ms(21));
            Ok(())
        });
        idle_host(sim, "third");
        install(sim, 10);
    });
}

/// A killed process leaves the machine up, and the kernel answers; a
/// crashed machine answers nothing; a one-way partition loses the ICMP.
#[test]
fn only_a_live_machine_answers_and_the_answer_crosses_the_network() {
    for case in ["killed", "crashed", "partitioned"] {
        run(move |sim| {
            sim.host("server", || async {
                let _socket = UdpSocket::bind("0.0.0.0:9").await?;
                std::future::pending().await
            });
            sim.client("client", async move {
                let net = sim_net::net()?;
                tokio::time::sleep(ms(1)).await;
                match case {
                    "killed" => sim_core::kill("server")?,
                    "crashed" => sim_core::crash("server")?,
                    _ => net.partition_one_way("server", "client")?,
                }
                let socket = UdpSocket::bind("0.0.0.0:0").await?;
                socket.connect("server:9").await?;
                socket.send(b"x").await?;
                let mut buf = [0u8; 4];
                let got = tokio::time::timeout(ms(100), socket.recv(&mut buf)).await;
                if case == "killed" {
                    let err = got.expect("refused in time").unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
                    assert_eq!(now(), ms(21));
                } else {
                    assert!(got.is_err(), "{case}: no answer");
                    assert!(socket.take_error()?.is_none());
                }
                Ok(())
            });
            install(sim, 10);
        });
    }
}

/// Multicast reaches members on the sender's own host (the sender too,
/// if it joined) unless `set_multicast_loop_v4(false)`; a multicast TTL of
/// 0 keeps it on the sender's host.
#[test]
fn multicast_loops_back_unless_turned_off_and_ttl_zero_stays_home() {
    let group = Ipv4Addr::new(239, 1, 2, 3);
    run(move |sim| {
        sim.client("a", async move {
            let socket = UdpSocket::bind("0.0.0.0:7000").await?;
            socket.join_multicast_v4(group, Ipv4Addr::UNSPECIFIED)?;
            assert!(socket.multicast_loop_v4()?);
            assert_eq!(socket.multicast_ttl_v4()?, 1);
            tokio::time::sleep(ms(1)).await; // b has joined
            let mut buf = [0u8; 8];
            socket.send_to(b"one", (group, 7000)).await?;
            let (n, from) = socket.recv_from(&mut buf).await?;
            assert_eq!((&buf[..n], from), (&b"one"[..], sa("10.0.0.1:7000")));
            assert_eq!(now(), ms(1), "looped back at once");

            socket.set_multicast_loop_v4(false)?;
            socket.send_to(b"two", (group, 7000)).await?;
            socket.set_multicast_loop_v4(true)?;
            socket.set_multicast_ttl_v4(0)?;
            socket.send_to(b"three", (group, 7000)).await?;
            let (n, _) = socket.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], b"three", "two was not looped back");
            let err = socket.set_multicast_ttl_v4(256).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            Ok(())
        });
        sim.client("b", async move {
            let socket = UdpSocket::bind("0.0.0.0:7000").await?;
            socket.join_multicast_v4(group, Ipv4Addr::UNSPECIFIED)?;
            let got = receive_datagrams(&socket, 2).await?;
            assert_eq!(
                got,
                vec![(b"one".to_vec(), ms(11)), (b"two".to_vec(), ms(11))]
            );
            tokio::time::sleep(ms(50)).await;
            assert!(!socket.can_read(), "TTL 0 kept three on a's host");
            Ok(())
        });
        install(sim, 10);
    });
}

/// Peeking copies the next datagram without taking it (a short buffer
/// truncates the copy, not the datagram); the next receive gets it whole.
#[test]
fn peek_leaves_the_datagram_for_the_next_receive() {
    run(|sim| {
        sim.host("server", || async {
            let socket = UdpSocket::bind("0.0.0.0:9000").await?;
            let mut small = [0u8; 4];
            let (n, from) = socket.peek_from(&mut small).await?;
            assert_eq!((&small[..n], from), (&b"hell"[..], sa("10.0.0.2:5000")));
            assert_eq!(now(), ms(10));
            assert_eq!(socket.peek_sender().await?, from);
            assert_eq!(socket.try_peek_sender()?, from);
            assert_eq!(socket.try_peek_from(&mut small)?, (4, from));
            let mut buf = [0u8; 16];
            let (n, _) = socket.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], b"hello");
            let err = socket.try_peek_from(&mut buf).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);

            socket.connect("10.0.0.2:5000").await?;
            assert_eq!(socket.peek(&mut buf).await?, 5);
            assert_eq!(socket.try_peek(&mut buf)?, 5);
            assert_eq!(&buf[..5], b"again");
            assert_eq!(socket.recv(&mut buf).await?, 5);
            assert_eq!(now(), ms(30));
            std::future::pending().await
        });
        sim.client("client", async {
            let socket = UdpSocket::bind("0.0.0.0:5000").await?;
            socket.send_to(b"hello", "server:9000").await?;
            tokio::time::sleep(ms(20)).await;
            socket.send_to(b"again", "server:9000").await?;
            Ok(())
        });
        install(sim, 10);
    });
}

/// `IP_TTL`: Linux's default of 64, and its limits.
#[test]
fn ttl_has_linux_defaults_and_limits() {
    run(|sim| {
        sim.client("client", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            assert_eq!(socket.ttl()?, 64);
            socket.set_ttl(1)?;
            assert_eq!(socket.ttl()?, 1);
            for bad in [0, 256] {
                let err = socket.set_ttl(bad).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            }
            assert!(socket.multicast_loop_v6()?);
            socket.set_multicast_loop_v6(false)?;
            assert!(!socket.multicast_loop_v6()?);
            Ok(())
        });
        install(sim, 10);
    });
}
