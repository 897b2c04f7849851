//! UDP through the socket layer (`tokio::net::UdpSocket` inside hosts): send,
//! receive, connect filtering, the `try_*` variants, MTU, broadcast,
//! multicast, receive-buffer overflow and link faults, with exact times.
//!
//! Links: fixed 10 ms one way. Hosts get 10.0.0.1, .2, .3 in the order they
//! are added.

use sim_net::SocketExt;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;

use crate::helpers::sockets::*;
use sim_net::model::DropReason;
use sim_net::{LinkConfig, Loss, Net};
use tokio::net::UdpSocket;

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// A host that binds `0.0.0.0:port` and sends `msg` to `to` at time 0.
fn sender(sim: &mut sim_core::Sim, name: &str, port: u16, to: &'static str, msg: &'static [u8]) {
    sim.host(name, move || async move {
        let socket = UdpSocket::bind(("0.0.0.0", port)).await?;
        socket.send_to(msg, to).await?;
        std::future::pending().await
    });
}

#[test]
fn connected_socket_receives_only_from_its_peer() {
    run(|sim| {
        sim.client("a", async {
            let socket = UdpSocket::bind("0.0.0.0:9000").await?;
            socket.connect("b:9000").await?;
            assert_eq!(socket.peer_addr()?, sa("10.0.0.2:9000"));
            assert_eq!(socket.local_addr()?.port(), 9000);
            let mut buf = [0u8; 64];
            let n = socket.recv(&mut buf).await?;
            assert_eq!(&buf[..n], b"from b");
            assert_eq!(now(), ms(10));
            // c's datagram arrived at the same instant and was filtered out.
            assert_eq!(
                socket.try_recv(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            assert!(!socket.can_read());
            // send goes to the connected peer.
            assert_eq!(socket.send(b"reply").await?, 5);
            Ok(())
        });
        sender(sim, "b", 9000, "a:9000", b"from b");
        sender(sim, "c", 9000, "a:9000", b"from c");
        install(sim, 10);
    });
}

#[test]
fn send_to_recv_from_and_the_try_variants() {
    run(|sim| {
        sim.host("echo", || async {
            let socket = UdpSocket::bind("0.0.0.0:7").await?;
            let mut buf = [0u8; 1500];
            loop {
                let (len, from) = socket.peek_from(&mut [0u8; 1500]).await?;
                let (n, from2) = socket.recv_from(&mut buf).await?;
                assert_eq!((len, from), (n, from2), "peek saw the same datagram");
                socket.send_to(&buf[..n], from).await?;
            }
        });
        sim.client("client", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            let local = socket.local_addr()?;
            assert_eq!(local.port(), 49152, "the first ephemeral port");
            let mut buf = [0u8; 16];
            assert_eq!(
                socket.try_recv_from(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            // Unconnected: send needs a peer; recv takes from anyone, as
            // on Linux.
            let err = socket.send(b"x").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EDESTADDRREQ));
            assert_eq!(
                socket.try_recv(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            let echo = sa("10.0.0.1:7");
            assert_eq!(socket.try_send_to(b"ping", echo)?, 4);
            assert_eq!(socket.send_to(b"pong!", "echo:7").await?, 5);
            assert_eq!(socket.send_to(b"again", "echo:7").await?, 5);
            socket.readable().await?;
            assert_eq!(now(), ms(20));
            let (n, from) = socket.try_recv_from(&mut buf)?;
            assert_eq!((&buf[..n], from), (&b"ping"[..], echo));
            let (n, from) = socket.recv_from(&mut buf).await?;
            assert_eq!((&buf[..n], from), (&b"pong!"[..], echo));
            let n = socket.recv(&mut buf).await?;
            assert_eq!(&buf[..n], b"again");
            // A datagram longer than the buffer is truncated, the rest lost.
            socket.send_to(b"0123456789", echo).await?;
            let mut small = [0u8; 4];
            let (n, _) = socket.recv_from(&mut small).await?;
            assert_eq!((n, &small), (4, b"0123"));
            assert_eq!(now(), ms(40));
            assert!(!socket.can_read());
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn datagram_over_the_mtu_is_emsgsize() {
    let v6: IpAddr = "fd00::1".parse().unwrap();
    let v6b: IpAddr = "fd00::2".parse().unwrap();
    run(move |sim| {
        sim.host("peer", || async {
            let _v4 = UdpSocket::bind("0.0.0.0:9").await?;
            let _v6 = UdpSocket::bind("[::]:9").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let v4 = UdpSocket::bind("0.0.0.0:0").await?;
            // MTU 1500 less 20 (IPv4) and 8 (UDP) header bytes.
            assert_eq!(v4.send_to(&[0u8; 1472], "10.0.0.1:9").await?, 1472);
            let err = v4.send_to(&[0u8; 1473], "10.0.0.1:9").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE));
            // IPv6: a 40-byte header.
            let v6 = UdpSocket::bind("[::]:0").await?;
            assert_eq!(v6.send_to(&[0u8; 1452], "[fd00::1]:9").await?, 1452);
            let err = v6.send_to(&[0u8; 1453], "[fd00::1]:9").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EMSGSIZE));
            let drops = sim_net::net()?.drop_counts()?;
            assert_eq!(
                drops.get(DropReason::Mtu),
                0,
                "refused at send, not a network drop"
            );
            Ok(())
        });
        Net::builder()
            .default_link(LinkConfig::fixed(10 * MS))
            .addrs("peer", &["10.0.0.1".parse().unwrap(), v6])
            .addrs("client", &["10.0.0.2".parse().unwrap(), v6b])
            // A socket per family on port 9: `[::]:9` IPv6 only.
            .bindv6only(true)
            .install(sim);
    });
}

#[test]
fn bad_destinations_are_clear_errors() {
    run(|sim| {
        idle_host(sim, "peer");
        sim.client("client", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            // No host has the address: sent, then dropped and counted, as
            // on a host whose ARP goes unanswered.
            assert_eq!(socket.send_to(b"x", "10.9.9.9:9").await?, 1);
            let drops = sim_net::net()?.drop_counts()?;
            assert_eq!(drops.get(DropReason::NoRoute), 1);
            let err = socket.send_to(b"x", "[fd00::9]:9").await.unwrap_err();
            assert_eq!(
                err.raw_os_error(),
                Some(libc::EAFNOSUPPORT),
                "IPv4 socket, IPv6 target"
            );
            let err = socket.connect("[fd00::9]:9").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EAFNOSUPPORT));
            let err = socket.send_to(b"x", "nobody:9").await.unwrap_err();
            assert!(
                err.to_string().ends_with("Name or service not known"),
                "{err}"
            );
            let err = socket.send_to(b"x", "peer:0").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            // A live host with nothing on the port: dropped and counted (no
            // ICMP is modelled), the sender sees nothing.
            socket.send_to(b"x", "peer:9").await?;
            tokio::time::sleep(ms(11)).await; // it arrived at 10 ms
            let drops = sim_net::net()?.drop_counts()?;
            assert_eq!(drops.get(DropReason::NoSocket), 1);
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn broadcast_needs_set_broadcast_and_reaches_every_host() {
    run(|sim| {
        sim.client("a", async {
            let socket = UdpSocket::bind("0.0.0.0:7000").await?;
            assert!(!socket.broadcast()?);
            let err = socket
                .send_to(b"hi", "255.255.255.255:7000")
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::PermissionDenied);
            socket.set_broadcast(true)?;
            assert!(socket.broadcast()?);
            socket.send_to(b"all", "255.255.255.255:7000").await?;
            socket.send_to(b"subnet", "10.0.0.255:7000").await?;
            // Looped back to the sender's own socket on that port, at the
            // same instant (loopback has no latency by default), as on Linux.
            let mut buf = [0u8; 8];
            for expected in [&b"all"[..], b"subnet"] {
                let (n, from) = socket.recv_from(&mut buf).await?;
                assert_eq!((&buf[..n], from), (expected, sa("10.0.0.1:7000")));
            }
            assert_eq!(now(), ms(0));
            Ok(())
        });
        for name in ["b", "c"] {
            sim.client(name, async {
                let socket = UdpSocket::bind("0.0.0.0:7000").await?;
                let mut buf = [0u8; 8];
                let (n, from) = socket.recv_from(&mut buf).await?;
                assert_eq!((&buf[..n], from), (&b"all"[..], sa("10.0.0.1:7000")));
                assert_eq!(now(), ms(10));
                let (n, _) = socket.recv_from(&mut buf).await?;
                assert_eq!(&buf[..n], b"subnet");
                assert_eq!(now(), ms(10));
                Ok(())
            });
        }
        install(sim, 10);
    });
}

#[test]
fn multicast_reaches_group_members_only() {
    let group = Ipv4Addr::new(239, 1, 2, 3);
    run(move |sim| {
        sim.client("a", async move {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            tokio::time::sleep(ms(1)).await; // members have joined
            socket.send_to(b"m1", (group, 7000)).await?;
            tokio::time::sleep(ms(20)).await;
            socket.send_to(b"m2", (group, 7000)).await?;
            Ok(())
        });
        sim.client("member", async move {
            let socket = UdpSocket::bind("0.0.0.0:7000").await?;
            socket.join_multicast_v4(group, Ipv4Addr::UNSPECIFIED)?;
            let mut buf = [0u8; 8];
            let (n, from) = socket.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], b"m1");
            assert_eq!(from.ip(), IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)));
            assert_eq!(now(), ms(11));
            socket.leave_multicast_v4(group, Ipv4Addr::UNSPECIFIED)?;
            let err = socket
                .leave_multicast_v4(group, Ipv4Addr::UNSPECIFIED)
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
            // m2 was sent after we left.
            tokio::time::sleep(ms(40)).await;
            assert!(!socket.can_read());
            let err = socket
                .join_multicast_v4(Ipv4Addr::new(10, 0, 0, 1), Ipv4Addr::UNSPECIFIED)
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            Ok(())
        });
        sim.client("outsider", async {
            let socket = UdpSocket::bind("0.0.0.0:7000").await?;
            tokio::time::sleep(ms(60)).await;
            assert!(!socket.can_read(), "not a member");
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn ipv6_multicast_join_and_receive() {
    let group: Ipv6Addr = "ff02::1:3".parse().unwrap();
    run(move |sim| {
        sim.client("a", async move {
            let socket = UdpSocket::bind("[::]:0").await?;
            tokio::time::sleep(ms(1)).await;
            socket
                .send_to(b"v6", SocketAddr::new(group.into(), 7000))
                .await?;
            Ok(())
        });
        sim.client("b", async move {
            let socket = UdpSocket::bind("[::]:7000").await?;
            socket.join_multicast_v6(&group, 0)?;
            let mut buf = [0u8; 4];
            let (n, from) = socket.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], b"v6");
            assert_eq!(from.ip(), "fd00::a".parse::<IpAddr>().unwrap());
            assert_eq!(now(), ms(11));
            socket.leave_multicast_v6(&group, 0)?;
            Ok(())
        });
        Net::builder()
            .default_link(LinkConfig::fixed(10 * MS))
            .addrs(
                "a",
                &["10.0.0.1".parse().unwrap(), "fd00::a".parse().unwrap()],
            )
            .addrs(
                "b",
                &["10.0.0.2".parse().unwrap(), "fd00::b".parse().unwrap()],
            )
            .install(sim);
    });
}

#[test]
fn receive_buffer_overflow_drops_and_counts() {
    run(|sim| {
        sim.client("receiver", async {
            let socket = UdpSocket::bind("0.0.0.0:9000").await?;
            socket2::SockRef::from(&socket).set_recv_buffer_size(1000)?;
            tokio::time::sleep(ms(20)).await;
            let mut buf = [0u8; 512];
            let mut got = Vec::new();
            while let Ok((n, _)) = socket.try_recv_from(&mut buf) {
                got.push(n);
            }
            assert_eq!(got, vec![300, 300, 300], "1000 bytes hold three of five");
            let net = sim_net::net()?;
            assert_eq!(net.drop_counts()?.get(DropReason::BufferOverflow), 2);
            let stats = net.link_stats("sender", "receiver")?;
            assert_eq!(stats.packets_delivered, 5, "the link delivered them all");
            Ok(())
        });
        sim.client("sender", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            for _ in 0..5 {
                socket.send_to(&[7u8; 300], "receiver:9000").await?;
            }
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn link_loss_duplication_and_partition_are_seen_by_udp() {
    run(|sim| {
        sim.client("receiver", async {
            let socket = UdpSocket::bind("0.0.0.0:9000").await?;
            tokio::time::sleep(ms(100)).await;
            let mut buf = [0u8; 16];
            let mut got = Vec::new();
            while let Ok((n, _)) = socket.try_recv_from(&mut buf) {
                got.push(buf[..n].to_vec());
            }
            // The duplicating link doubled "dup"; the lossy one lost
            // everything; the partitioned one dropped its datagram.
            assert_eq!(got, vec![b"dup".to_vec(), b"dup".to_vec()]);
            let net = sim_net::net()?;
            assert_eq!(net.link_stats("dup", "receiver")?.duplicated, 1);
            let lossy = net.link_stats("lossy", "receiver")?;
            assert_eq!(lossy.dropped.get(DropReason::Loss), 3);
            let cut = net.link_stats("cut", "receiver")?;
            assert_eq!(cut.dropped.get(DropReason::Partition), 1);
            Ok(())
        });
        sim.client("dup", async {
            let s = UdpSocket::bind("0.0.0.0:0").await?;
            s.send_to(b"dup", "receiver:9000").await?;
            Ok(())
        });
        sim.client("lossy", async {
            let s = UdpSocket::bind("0.0.0.0:0").await?;
            for _ in 0..3 {
                s.send_to(b"lost", "receiver:9000").await?;
            }
            Ok(())
        });
        sim.client("cut", async {
            let s = UdpSocket::bind("0.0.0.0:0").await?;
            sim_net::net()?.partition_one_way("cut", "receiver")?;
            s.send_to(b"cut", "receiver:9000").await?;
            Ok(())
        });
        let net = install(sim, 10);
        net_links(net);
    });
}

/// Called in the setup (on the simulation thread, outside any host).
fn net_links(net: Net) {
    net.set_link(
        "dup",
        "receiver",
        LinkConfig::fixed(10 * MS).with_udp_faults(1.0, 0.0),
    )
    .unwrap();
    net.set_link(
        "lossy",
        "receiver",
        LinkConfig::fixed(10 * MS).with_loss(Loss::Bernoulli(1.0)),
    )
    .unwrap();
}

#[test]
fn udp_readable_waits_for_a_datagram() {
    run(|sim| {
        sim.client("a", async {
            let socket = UdpSocket::bind("0.0.0.0:5000").await?;
            socket.writable().await?; // never waits
            assert_eq!(now(), Duration::ZERO);
            socket.readable().await?;
            assert_eq!(now(), ms(1_010));
            assert!(socket.can_read());
            Ok(())
        });
        sim.client("b", async {
            let socket = UdpSocket::bind("0.0.0.0:0").await?;
            socket.connect("a:5000").await?;
            sleep_until(Duration::from_secs(1)).await;
            socket.send(b"wake").await?;
            Ok(())
        });
        install(sim, 10);
    });
}
