//! IPv4/IPv6 dual stack, as Linux does by default (`net.ipv6.bindv6only =
//! 0`): a TCP listener on `[::]:p` accepts IPv4 connections, which it shows
//! with IPv4-mapped addresses; `[::]:p` and IPv4 bindings of `p` exclude
//! each other (TCP and UDP); an IPv6 socket connects to a mapped address
//! over IPv4; a UDP socket on `[::]` talks IPv4 with mapped addresses; and
//! `NetBuilder::bindv6only(true)` turns it all off.
//!
//! Links: fixed 10 ms one way, so a handshake takes `ms(20)`. Hosts get
//! 10.0.0.1, .2, ... in the order they are added, unless
//! `NetBuilder::addrs` says otherwise.

use sim_net::SocketExt;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};

use crate::helpers::sockets::*;
use sim_net::{LinkConfig, Net, NetBuilder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

/// 10 ms links; the server (10.0.0.1, fd00::1) and the client (10.0.0.2,
/// fd00::2) have both families.
fn two_families() -> NetBuilder {
    Net::builder()
        .default_link(LinkConfig::fixed(10 * MS))
        .addrs("server", &[ip("10.0.0.1"), ip("fd00::1")])
        .addrs("client", &[ip("10.0.0.2"), ip("fd00::2")])
}

/// The bug report: a server on `[::]:8080` (on a host with IPv4 only, the
/// default) and a client connecting to its name, which resolves to IPv4.
/// The connect completes after one round trip; the server's side shows
/// IPv4-mapped addresses, the client's plain IPv4; the packets on the wire
/// are IPv4 (20-byte IP headers).
#[test]
fn a_v6_wildcard_listener_accepts_ipv4_and_shows_mapped_addresses() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("[::]:8080").await?;
            assert_eq!(listener.local_addr()?, sa("[::]:8080"));
            let (mut s, peer) = listener.accept().await?;
            // The client's final ACK (with its data) arrives at 30 ms.
            assert_eq!(now(), ms(30));
            assert_eq!(peer, sa("[::ffff:10.0.0.2]:49152"));
            assert_eq!(s.peer_addr()?, peer);
            assert_eq!(s.local_addr()?, sa("[::ffff:10.0.0.1]:8080"));
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"ping");
            s.write_all(b"pong").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut s = TcpStream::connect("server:8080").await?;
            assert_eq!(now(), ms(20), "one round trip");
            assert_eq!(s.local_addr()?, sa("10.0.0.2:49152"));
            assert_eq!(s.peer_addr()?, sa("10.0.0.1:8080"));
            s.write_all(b"ping").await?;
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"pong");
            assert_eq!(now(), ms(40));

            // The connection list shows each end as its socket does.
            let net = sim_net::net()?;
            let mut ends: Vec<_> = net
                .connections()?
                .into_iter()
                .map(|c| (c.local, c.remote))
                .collect();
            ends.sort();
            assert_eq!(
                ends,
                [
                    (sa("10.0.0.2:49152"), sa("10.0.0.1:8080")),
                    (sa("[::ffff:10.0.0.1]:8080"), sa("[::ffff:10.0.0.2]:49152")),
                ]
            );
            // IPv4 on the wire: every packet carries 20 + 20 header bytes.
            for (from, to) in [("client", "server"), ("server", "client")] {
                let link = net.link_stats(from, to)?;
                assert_eq!(link.bytes_sent, link.packets_sent * 40 + 4, "{from}");
            }
            Ok(())
        });
        install(sim, 10);
    });
}

/// On a host with both families, one `[::]:80` listener serves an IPv4
/// client (mapped addresses) and an IPv6 one (plain addresses); the name
/// resolves to IPv4 first, and that connect succeeds.
#[test]
fn one_v6_wildcard_listener_serves_both_families() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("[::]:80").await?;
            for _ in 0..2 {
                let (mut s, peer) = listener.accept().await?;
                let local = s.local_addr()?;
                s.write_all(format!("{local} {peer}").as_bytes()).await?;
                s.shutdown().await?;
            }
            std::future::pending().await
        });
        sim.client("client", async {
            let mut seen = String::new();
            let mut v4 = TcpStream::connect("server:80").await?;
            assert_eq!(now(), ms(20));
            assert_eq!(v4.peer_addr()?, sa("10.0.0.1:80"));
            v4.read_to_string(&mut seen).await?;
            assert_eq!(seen, "[::ffff:10.0.0.1]:80 [::ffff:10.0.0.2]:49152");

            let t0 = now();
            let mut v6 = TcpStream::connect("[fd00::1]:80").await?;
            assert_eq!(now() - t0, ms(20));
            assert_eq!(v6.local_addr()?, sa("[fd00::2]:49153"));
            seen.clear();
            v6.read_to_string(&mut seen).await?;
            assert_eq!(seen, "[fd00::1]:80 [fd00::2]:49153");
            Ok(())
        });
        two_families().install(sim);
    });
}

/// With `bindv6only`, `[::]:80` and `0.0.0.0:80` coexist, each serving its
/// own family, and IPv4 `[::]` and `0.0.0.0` UDP binds of one port too.
#[test]
fn bindv6only_lets_a_listener_per_family_share_a_port() {
    run(|sim| {
        sim.host("server", || async {
            let v6 = TcpListener::bind("[::]:80").await?;
            let v4 = TcpListener::bind("0.0.0.0:80").await?;
            let _u6 = UdpSocket::bind("[::]:53").await?;
            let _u4 = UdpSocket::bind("0.0.0.0:53").await?;
            let (mut s4, peer4) = v4.accept().await?;
            assert_eq!(peer4, sa("10.0.0.2:49152"));
            s4.write_all(b"4").await?;
            let (mut s6, peer6) = v6.accept().await?;
            assert_eq!(peer6, sa("[fd00::2]:49153"));
            s6.write_all(b"6").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut buf = [0u8; 1];
            let mut s4 = TcpStream::connect("10.0.0.1:80").await?;
            assert_eq!(now(), ms(20));
            s4.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"4");
            let mut s6 = TcpStream::connect("[fd00::1]:80").await?;
            s6.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"6");
            Ok(())
        });
        two_families().bindv6only(true).install(sim);
    });
}

/// With `bindv6only`, an IPv4 connect to a host whose only listener is
/// `[::]:80` is refused after one round trip; IPv4-mapped addresses are
/// refused at once (bind: `InvalidInput`, connect: `NetworkUnreachable`, as
/// Linux's `EINVAL` and `ENETUNREACH`); and `[::]` on a host without IPv6
/// is `AddrNotAvailable`, since it could serve nothing but `::1`.
#[test]
fn bindv6only_keeps_ipv4_away_from_v6_sockets() {
    run(|sim| {
        sim.host("server", || async {
            let _l = TcpListener::bind("[::]:80").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let err = TcpStream::connect("10.0.0.1:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
            assert_eq!(now(), ms(20));

            let err = TcpStream::connect("[::ffff:10.0.0.1]:80")
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NetworkUnreachable, "{err}");
            let err = TcpListener::bind("[::ffff:10.0.0.2]:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
            assert_eq!(now(), ms(20), "refused at once");
            Ok(())
        });
        sim.client("v4only", async {
            let err = TcpListener::bind("[::]:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "{err}");
            Ok(())
        });
        two_families().bindv6only(true).install(sim);
    });
}

/// A dual-stack `[::]:p` and any IPv4 binding of `p` exclude each other, in
/// either order, for listeners, bound sockets and UDP sockets alike (TCP
/// and UDP ports stay separate); once the holder is gone, the port is free.
#[test]
fn a_dual_stack_wildcard_and_ipv4_bindings_of_a_port_conflict_in_either_order() {
    run(|sim| {
        sim.client("server", async {
            let in_use = |r: std::io::Result<TcpListener>| {
                let err = r.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
                err
            };
            // `[::]` first.
            let dual = TcpListener::bind("[::]:80").await?;
            in_use(TcpListener::bind("0.0.0.0:80").await);
            in_use(TcpListener::bind("10.0.0.1:80").await);
            in_use(TcpListener::bind("127.0.0.1:80").await);
            in_use(TcpListener::bind("[::ffff:10.0.0.1]:80").await);
            let v4 = TcpSocket::new_v4()?;
            assert_eq!(
                v4.bind(sa("0.0.0.0:80")).unwrap_err().kind(),
                ErrorKind::AddrInUse
            );
            drop(dual);
            let _v4_now = TcpListener::bind("0.0.0.0:80").await?;

            // IPv4 first: the wildcard, a host address, a bound socket.
            let _any = TcpListener::bind("0.0.0.0:81").await?;
            in_use(TcpListener::bind("[::]:81").await);
            let _one = TcpListener::bind("10.0.0.1:82").await?;
            in_use(TcpListener::bind("[::]:82").await);
            let bound = TcpSocket::new_v4()?;
            bound.bind(sa("10.0.0.1:83"))?;
            let v6 = TcpSocket::new_v6()?;
            assert_eq!(
                v6.bind(sa("[::]:83")).unwrap_err().kind(),
                ErrorKind::AddrInUse
            );

            // UDP, both orders; TCP's port 80 does not hold UDP's.
            let u6 = UdpSocket::bind("[::]:90").await?;
            let err = UdpSocket::bind("0.0.0.0:90").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            let _u4 = UdpSocket::bind("0.0.0.0:91").await?;
            let err = UdpSocket::bind("[::]:91").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            let _u80 = UdpSocket::bind("[::]:80").await?;
            drop(u6);
            let _u4_now = UdpSocket::bind("0.0.0.0:90").await?;
            Ok(())
        });
        two_families().install(sim);
    });
}

/// `[::1]:p` and specific IPv6 addresses hold `p` for IPv6 only: they
/// coexist with `0.0.0.0:p` (TCP and UDP), while `[::]:p` still conflicts
/// with them as IPv6 bindings.
#[test]
fn v6_loopback_and_specific_v6_addresses_do_not_conflict_with_ipv4() {
    run(|sim| {
        sim.client("server", async {
            let _any4 = TcpListener::bind("0.0.0.0:80").await?;
            let _lo6 = TcpListener::bind("[::1]:80").await?;
            let _own6 = TcpListener::bind("[fd00::1]:80").await?;
            let err = TcpListener::bind("[::]:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            let _u4 = UdpSocket::bind("0.0.0.0:90").await?;
            let _u6 = UdpSocket::bind("[::1]:90").await?;
            Ok(())
        });
        two_families().install(sim);
    });
}

/// An IPv6 socket connecting to an IPv4-mapped address speaks IPv4: the
/// handshake takes one round trip, its addresses show mapped, and a plain
/// IPv4 listener sees a plain IPv4 peer. A `TcpSocket::new_v6` bound to
/// `[::]:p` connects from the host's IPv4 address on port `p`; bound to a
/// real IPv6 address it cannot (`InvalidInput`). Unreachable and refused
/// mapped addresses fail as their IPv4 addresses do.
#[test]
fn an_ipv6_socket_connects_to_a_v4_mapped_address_over_ipv4() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            loop {
                let (mut s, peer) = listener.accept().await?;
                s.write_all(peer.to_string().as_bytes()).await?;
                s.shutdown().await?;
            }
        });
        sim.client("client", async {
            let mut s = TcpStream::connect("[::ffff:10.0.0.1]:80").await?;
            assert_eq!(now(), ms(20), "one round trip");
            assert_eq!(s.local_addr()?, sa("[::ffff:10.0.0.2]:49152"));
            assert_eq!(s.peer_addr()?, sa("[::ffff:10.0.0.1]:80"));
            let mut seen = String::new();
            s.read_to_string(&mut seen).await?;
            assert_eq!(seen, "10.0.0.2:49152");

            let socket = TcpSocket::new_v6()?;
            socket.bind(sa("[::]:5000"))?;
            let t0 = now();
            let mut s = socket.connect(sa("[::ffff:10.0.0.1]:80")).await?;
            assert_eq!(now() - t0, ms(20));
            assert_eq!(s.local_addr()?, sa("[::ffff:10.0.0.2]:5000"));
            seen.clear();
            s.read_to_string(&mut seen).await?;
            assert_eq!(seen, "10.0.0.2:5000");

            let socket = TcpSocket::new_v6()?;
            socket.bind(sa("[fd00::2]:0"))?;
            let err = socket
                .connect(sa("[::ffff:10.0.0.1]:80"))
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");

            let t0 = now();
            let err = TcpStream::connect("[::ffff:10.0.0.9]:80")
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::HostUnreachable, "{err}");
            assert_eq!(now(), t0, "at once");
            let err = TcpStream::connect("[::ffff:10.0.0.1]:81")
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
            assert_eq!(now() - t0, ms(20));
            Ok(())
        });
        two_families().install(sim);
    });
}

/// A listener bound to an IPv4-mapped address listens on that IPv4 address
/// (mapped peers), holds it against IPv4 binds, and is no IPv6 listener.
/// Mapped addresses the host does not have are `AddrNotAvailable`; the
/// mapped wildcard, broadcast and multicast are refused as connect targets.
#[test]
fn a_listener_on_a_v4_mapped_address_serves_that_ipv4_address() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("[::ffff:10.0.0.1]:80").await?;
            assert_eq!(listener.local_addr()?, sa("[::ffff:10.0.0.1]:80"));
            let err = TcpListener::bind("0.0.0.0:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            let err = TcpListener::bind("[::ffff:10.0.0.9]:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "{err}");
            let (mut s, peer) = listener.accept().await?;
            // The refused IPv6 attempt had 49152.
            assert_eq!(peer, sa("[::ffff:10.0.0.2]:49153"));
            assert_eq!(s.local_addr()?, sa("[::ffff:10.0.0.1]:80"));
            s.write_all(b"ok").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let err = TcpStream::connect("[fd00::1]:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused, "{err}");
            assert_eq!(now(), ms(20));
            let mut s = TcpStream::connect("10.0.0.1:80").await?;
            assert_eq!(now(), ms(40));
            let mut buf = [0u8; 2];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"ok");
            for bad in [
                "[::ffff:0.0.0.0]:80",
                "[::ffff:224.0.0.1]:80",
                "[::ffff:10.0.0.1]:0",
            ] {
                let err = TcpStream::connect(bad).await.unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}: {err}");
            }
            Ok(())
        });
        two_families().install(sim);
    });
}

/// `inject_connection` into a `[::]` listener from an IPv4 address works
/// like an IPv4 SYN would: the accepted stream shows mapped addresses.
#[test]
fn inject_connection_from_ipv4_into_a_dual_stack_listener() {
    run(|sim| {
        sim.client("server", async {
            let listener = TcpListener::bind("[::]:80").await?;
            let mut other = listener.inject_connection(sa("192.0.2.7:4000"))?;
            let (mut s, peer) = listener.accept().await?;
            assert_eq!(peer, sa("[::ffff:192.0.2.7]:4000"));
            assert_eq!(s.local_addr()?, sa("[::ffff:10.0.0.1]:80"));
            assert_eq!(other.local_addr()?, sa("192.0.2.7:4000"));
            assert_eq!(other.peer_addr()?, sa("10.0.0.1:80"));
            other.write_all(b"hi").await?;
            let mut buf = [0u8; 2];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"hi");
            Ok(())
        });
        install(sim, 10);
    });
}

/// UDP on `[::]` serves IPv4 too: a datagram to the server's IPv4 address
/// reaches it, with the sender shown mapped; the reply to that mapped
/// address (or to the plain IPv4 one) goes out as IPv4; a connected `[::]`
/// socket filters by the mapped peer and hears an ICMP port unreachable.
#[test]
fn a_v6_wildcard_udp_socket_serves_ipv4() {
    run(|sim| {
        sim.host("server", || async {
            let socket = UdpSocket::bind("[::]:53").await?;
            let mut buf = [0u8; 16];
            let (n, from) = socket.recv_from(&mut buf).await?;
            assert_eq!(
                (&buf[..n], from),
                (&b"query"[..], sa("[::ffff:10.0.0.2]:5000"))
            );
            assert_eq!(now(), ms(10));
            socket.send_to(b"mapped", from).await?;
            socket.send_to(b"plain", "10.0.0.2:5000").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let socket = UdpSocket::bind("0.0.0.0:5000").await?;
            socket.send_to(b"query", "server:53").await?;
            let mut buf = [0u8; 16];
            for expected in [&b"mapped"[..], b"plain"] {
                let (n, from) = socket.recv_from(&mut buf).await?;
                assert_eq!((&buf[..n], from), (expected, sa("10.0.0.1:53")));
                assert_eq!(now(), ms(20));
            }

            // A connected dual-stack socket: peer shown mapped, refused by
            // a live host with nothing on the port.
            let v6 = UdpSocket::bind("[::]:0").await?;
            v6.connect("10.0.0.1:99").await?;
            assert_eq!(v6.peer_addr()?, sa("[::ffff:10.0.0.1]:99"));
            v6.send(b"anyone?").await?;
            let err = v6.recv(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            assert_eq!(now(), ms(40));
            Ok(())
        });
        install(sim, 10);
    });
}

/// With `bindv6only`, an IPv6 UDP socket cannot send to IPv4
/// (`NetworkUnreachable`, Linux's `ENETUNREACH`) nor hear it. Without it, a
/// socket on a real IPv6 address still cannot reach IPv4, nor an IPv4
/// socket IPv6 (`InvalidInput`).
#[test]
fn v6_only_udp_sockets_do_not_talk_ipv4() {
    run(|sim| {
        sim.host("server", || async {
            let v4 = UdpSocket::bind("0.0.0.0:53").await?;
            let v6 = UdpSocket::bind("[::]:53").await?;
            let err = v6.send_to(b"x", "10.0.0.2:5000").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NetworkUnreachable, "{err}");
            let mut buf = [0u8; 8];
            let (n, from) = v4.recv_from(&mut buf).await?;
            assert_eq!((&buf[..n], from), (&b"v4"[..], sa("10.0.0.2:5000")));
            assert!(!v6.can_read(), "IPv4 went to the IPv4 socket only");
            std::future::pending().await
        });
        sim.client("client", async {
            let socket = UdpSocket::bind("0.0.0.0:5000").await?;
            socket.send_to(b"v4", "10.0.0.1:53").await?;
            Ok(())
        });
        two_families().bindv6only(true).install(sim);
    });
    run(|sim| {
        sim.client("client", async {
            let specific = UdpSocket::bind("[fd00::2]:0").await?;
            let err = specific.send_to(b"x", "10.0.0.1:53").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EINVAL), "{err}");
            let v4 = UdpSocket::bind("0.0.0.0:0").await?;
            let err = v4.send_to(b"x", "[fd00::1]:53").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EAFNOSUPPORT), "{err}");
            Ok(())
        });
        idle_host(sim, "server");
        two_families().install(sim);
    });
}

/// A host with IPv6 addresses only: its name resolves to IPv6, TCP to it
/// works over IPv6, and it cannot reach an IPv4 address (no IPv4 source:
/// `NetworkUnreachable`, as on Linux without an IPv4 route).
#[test]
fn an_ipv6_only_host_talks_ipv6_and_cannot_reach_ipv4() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("[::]:80").await?;
            let (mut stream, peer) = listener.accept().await?;
            assert_eq!(peer, sa("[fd00::2]:49152"));
            stream.write_all(b"v6").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let addrs: Vec<_> = tokio::net::lookup_host("server:80").await?.collect();
            assert_eq!(addrs, [sa("[fd00::1]:80")]);
            let mut stream = TcpStream::connect("server:80").await?;
            assert_eq!(now(), ms(20));
            let mut buf = [0u8; 2];
            stream.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"v6");
            let e = TcpStream::connect("10.0.0.3:80").await.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NetworkUnreachable, "{e}");
            Ok(())
        });
        idle_host(sim, "v4");
        Net::builder()
            .default_link(LinkConfig::fixed(10 * MS))
            .addrs("server", &[ip("fd00::1")])
            .addrs("client", &[ip("fd00::2")])
            .install(sim);
    });
}

/// A `[::]` socket2 socket made v6-only with `IPV6_V6ONLY` (socket2's
/// `set_only_v6`), before `bind`.
fn v6only_listener(port: u16, only: bool) -> std::io::Result<TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::IPV6, Type::STREAM, None)?;
    socket.set_only_v6(only)?;
    assert_eq!(socket.only_v6()?, only);
    socket.set_nonblocking(true)?;
    socket.bind(&sa(&format!("[::]:{port}")).into())?;
    // Linux's do_ipv6_setsockopt: not once bound.
    let err = socket.set_only_v6(!only).unwrap_err();
    assert_eq!(err.raw_os_error(), Some(libc::EINVAL));
    socket.listen(128)?;
    TcpListener::from_std(socket.into())
}

/// `IPV6_V6ONLY` on one socket, in a dual-stack network: the v6-only `[::]:80`
/// shares its port with `0.0.0.0:80`, each serving its family, while a
/// dual-stack `[::]:81` still holds port 81 for IPv4 and serves it; a v6-only
/// UDP socket cannot send to IPv4.
#[test]
fn ipv6_v6only_on_one_socket_makes_it_ipv6_only() {
    run(|sim| {
        sim.host("server", || async {
            let v6 = v6only_listener(80, true)?;
            let v4 = TcpListener::bind("0.0.0.0:80").await?;
            let dual = v6only_listener(81, false)?;
            let err = TcpListener::bind("0.0.0.0:81").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            let (mut s4, peer4) = v4.accept().await?;
            assert_eq!(peer4, sa("10.0.0.2:49152"));
            s4.write_all(b"4").await?;
            let (mut s6, peer6) = v6.accept().await?;
            assert_eq!(peer6, sa("[fd00::2]:49153"));
            s6.write_all(b"6").await?;
            let (mut sd, peerd) = dual.accept().await?;
            assert_eq!(peerd, sa("[::ffff:10.0.0.2]:49154"));
            sd.write_all(b"d").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut buf = [0u8; 1];
            for (to, answer) in [
                ("10.0.0.1:80", b"4"),
                ("[fd00::1]:80", b"6"),
                ("10.0.0.1:81", b"d"),
            ] {
                let mut s = TcpStream::connect(to).await?;
                s.read_exact(&mut buf).await?;
                assert_eq!(&buf, answer, "{to}");
            }
            let udp = socket2::Socket::new(socket2::Domain::IPV6, socket2::Type::DGRAM, None)?;
            udp.set_only_v6(true)?;
            udp.set_nonblocking(true)?;
            let udp = UdpSocket::from_std(udp.into())?;
            let err = udp.send_to(b"x", "10.0.0.1:53").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENETUNREACH));
            Ok(())
        });
        two_families().install(sim);
    });
}

/// The other way round: in a `bindv6only` network, a socket that clears
/// `IPV6_V6ONLY` is dual stack again, and shows IPv4 peers mapped.
#[test]
fn clearing_ipv6_v6only_makes_one_socket_dual_stack_in_a_v6only_network() {
    run(|sim| {
        sim.host("server", || async {
            let dual = v6only_listener(80, false)?;
            let (_, peer) = dual.accept().await?;
            assert_eq!(peer, sa("[::ffff:10.0.0.2]:49152"));
            std::future::pending().await
        });
        sim.client("client", async {
            TcpStream::connect("10.0.0.1:80").await?;
            Ok(())
        });
        two_families().bindv6only(true).install(sim);
    });
}
