//! The tokio-shaped API of the simulated sockets: clear errors for bad
//! input (never a panic), ports, IPv6, name lookup, and the `TcpStream`
//! methods (peek, try_*, readiness, split halves, addresses, nodelay).
//!
//! Links: fixed 10 ms one way. Hosts get 10.0.0.1, .2, ... in the order they
//! are added, unless `NetBuilder::addrs` says otherwise.

use sim_net::SocketExt;
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::helpers::sockets::*;
use sim_net::{LinkConfig, Net, NetConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

fn sa(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn binding_an_address_the_host_does_not_have_is_addr_not_available() {
    run(|sim| {
        sim.client("client", async {
            let err = TcpListener::bind("10.0.0.9:80").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EADDRNOTAVAIL));
            let err = UdpSocket::bind("192.168.1.1:53").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
            // An IPv6 address on a host without IPv6. (The IPv6 wildcard
            // binds: dual stack makes it serve IPv4, see
            // sockets/dual_stack.rs.)
            let err = UdpSocket::bind("[fd00::9]:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrNotAvailable);
            // Its own address, the wildcard and loopback are fine.
            let _a = TcpListener::bind("10.0.0.1:80").await?;
            let _b = UdpSocket::bind("127.0.0.1:80").await?;
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn bad_names_and_addresses_are_clear_errors() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            // getaddrinfo's EAI_NONAME, as std reports it.
            let not_known = "failed to lookup address information: Name or service not known";
            let err = TcpStream::connect("nope:80").await.unwrap_err();
            assert_eq!(err.to_string(), not_known);
            let err = tokio::net::lookup_host("nope:1").await.err().unwrap();
            assert_eq!(err.to_string(), not_known);
            let err = TcpListener::bind("nope:80").await.unwrap_err();
            assert_eq!(err.to_string(), not_known);
            let err = TcpStream::connect("server").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "no port");
            let err = TcpStream::connect("server:http").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let err = TcpStream::connect("server:0").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let err = TcpStream::connect("0.0.0.0:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let err = TcpStream::connect("224.0.0.1:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            let none: &[SocketAddr] = &[];
            let err = TcpStream::connect(none).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            assert_eq!(now(), Duration::ZERO, "all refused at once");
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn ip_version_mismatch_is_a_clear_error() {
    run(|sim| {
        sim.host("dual", || async {
            let _l = TcpListener::bind("[::]:80").await?;
            std::future::pending().await
        });
        sim.client("v4only", async {
            let err = TcpStream::connect("[fd00::1]:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NetworkUnreachable);
            let udp = UdpSocket::bind("0.0.0.0:0").await?;
            let err = udp.send_to(b"x", "[fd00::1]:80").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EAFNOSUPPORT));
            Ok(())
        });
        Net::builder()
            .default_link(LinkConfig::fixed(10 * MS))
            .addrs("dual", &[ip("10.0.0.1"), ip("fd00::1")])
            .install(sim);
    });
}

/// A host of a simulation without a network cannot open a socket: the
/// run ends with an error saying how to install one (see also
/// sim-core's errors tests).
#[test]
fn a_socket_in_a_simulation_without_a_network_ends_the_run() {
    let err = on_fresh_thread(|| {
        let mut sim = sim_core::Builder::new().build();
        sim.client("client", async {
            let err = TcpStream::connect("10.0.0.1:80").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EPERM));
            Ok(())
        });
        sim.run().unwrap_err()
    });
    assert!(err.to_string().contains("Net::install"), "{err}");
}

/// A stream that leaves its simulation (moved out of the thread) reports
/// errors and drops quietly.
#[test]
fn a_stream_outliving_its_simulation_errors_instead_of_panicking() {
    let slot: Arc<Mutex<Option<TcpStream>>> = Arc::new(Mutex::new(None));
    let out = slot.clone();
    run(move |sim| {
        sim.host("server", || async {
            let l = TcpListener::bind("0.0.0.0:80").await?;
            let _s = l.accept().await?;
            std::future::pending().await
        });
        sim.client("client", async move {
            let s = TcpStream::connect("server:80").await?;
            *out.lock().unwrap() = Some(s);
            Ok(())
        });
        install(sim, 10);
    });
    let stream = slot.lock().unwrap().take().unwrap();
    assert!(stream.peer_addr().is_err());
    assert!(stream.try_write(b"x").is_err());
    assert!(!stream.can_read());
    drop(stream);
}

#[test]
fn ports_collide_and_ephemeral_ports_come_from_the_configured_range() {
    run(|sim| {
        sim.client("client", async {
            let _l = TcpListener::bind("0.0.0.0:80").await?;
            let err = TcpListener::bind("10.0.0.1:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
            // TCP and UDP ports are separate.
            let _u = UdpSocket::bind("0.0.0.0:80").await?;
            let err = UdpSocket::bind("0.0.0.0:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
            // Ephemeral ports: 50000..=50001 here.
            let a = UdpSocket::bind("0.0.0.0:0").await?;
            let b = UdpSocket::bind("0.0.0.0:0").await?;
            assert_eq!(a.local_addr()?.port(), 50000);
            assert_eq!(b.local_addr()?.port(), 50001);
            let err = UdpSocket::bind("0.0.0.0:0").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
            drop(a);
            let c = UdpSocket::bind("0.0.0.0:0").await?;
            assert_eq!(c.local_addr()?.port(), 50000, "freed, reused");
            // A listener on port 0 gets an ephemeral port too, and TCP has its
            // own range cursor.
            let l = TcpListener::bind("0.0.0.0:0").await?;
            assert_eq!(l.local_addr()?, sa("0.0.0.0:50000"));
            // Outgoing connections use the range.
            let s = TcpStream::connect("server:7").await?;
            assert_eq!(s.local_addr()?, sa("10.0.0.1:50001"));
            Ok(())
        });
        sim.host("server", || async {
            let l = TcpListener::bind("0.0.0.0:7").await?;
            let _s = l.accept().await?;
            std::future::pending().await
        });
        Net::builder()
            .config(NetConfig {
                ephemeral_first: 50000,
                ephemeral_last: 50001,
                default_link: LinkConfig::fixed(10 * MS),
                ..NetConfig::default()
            })
            .install(sim);
    });
}

#[test]
fn lookup_host_resolves_names_literals_and_localhost() {
    run(|sim| {
        idle_host(sim, "db");
        sim.client("app", async {
            let v: Vec<_> = tokio::net::lookup_host("db:5432").await?.collect();
            assert_eq!(v, vec![sa("10.0.0.1:5432")]);
            let v: Vec<_> = tokio::net::lookup_host(("db", 1)).await?.collect();
            assert_eq!(v, vec![sa("10.0.0.1:1")]);
            let v: Vec<_> = tokio::net::lookup_host("10.7.7.7:9").await?.collect();
            assert_eq!(v, vec![sa("10.7.7.7:9")]);
            let v: Vec<_> = tokio::net::lookup_host("localhost:8").await?.collect();
            assert_eq!(v, vec![sa("127.0.0.1:8")]);
            let v: Vec<_> = tokio::net::lookup_host("[::1]:8").await?.collect();
            assert_eq!(v, vec![sa("[::1]:8")]);
            assert_eq!(sim_net::net()?.addrs("app")?, vec![ip("10.0.0.2")]);
            let err = sim_net::net()?.addrs("ghost").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::NotFound);
            Ok(())
        });
        install(sim, 10);
    });
}

/// A dual-stack host (`NetBuilder::addrs`): its name resolves to both
/// addresses (IPv4 first), TCP and UDP work over IPv6, and with
/// `bindv6only` IPv4 and IPv6 listeners on one port coexist (without it,
/// `[::]:80` serves both families: see sockets/dual_stack.rs).
#[test]
fn ipv6_with_builder_addrs() {
    run(|sim| {
        sim.host("server", || async {
            let v4 = TcpListener::bind("0.0.0.0:80").await?;
            let v6 = TcpListener::bind("[::]:80").await?;
            let (mut s6, peer6) = v6.accept().await?;
            assert_eq!(peer6, sa("[fd00::2]:49152"));
            assert_eq!(s6.local_addr()?, sa("[fd00::1]:80"));
            s6.write_all(b"six").await?;
            let (mut s4, peer4) = v4.accept().await?;
            assert_eq!(peer4.ip(), ip("10.0.0.2"));
            s4.write_all(b"four").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let addrs: Vec<_> = tokio::net::lookup_host("server:80").await?.collect();
            assert_eq!(addrs, vec![sa("10.0.0.1:80"), sa("[fd00::1]:80")]);
            let mut s6 = TcpStream::connect("[fd00::1]:80").await?;
            assert_eq!(now(), ms(20));
            assert_eq!(s6.peer_addr()?, sa("[fd00::1]:80"));
            let mut buf = [0u8; 3];
            s6.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"six");
            let mut s4 = TcpStream::connect("server:80").await?;
            assert_eq!(s4.peer_addr()?, sa("10.0.0.1:80"));
            let mut buf = [0u8; 4];
            s4.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"four");
            // UDP over IPv6.
            let u = UdpSocket::bind("[::]:0").await?;
            assert!(u.local_addr()?.is_ipv6());
            u.send_to(b"v6", "[fd00::1]:9").await?;
            Ok(())
        });
        Net::builder()
            .default_link(LinkConfig::fixed(10 * MS))
            .addrs("server", &[ip("10.0.0.1"), ip("fd00::1")])
            .addrs("client", &[ip("10.0.0.2"), ip("fd00::2")])
            .bindv6only(true)
            .install(sim);
    });
}

#[test]
fn stream_peek_try_read_try_write_readiness_addresses_nodelay() {
    run(|sim| {
        sim.host("server", || async {
            let l = TcpListener::bind("0.0.0.0:80").await?;
            let (s, peer) = l.accept().await?;
            assert_eq!(s.peer_addr()?, peer);
            assert_eq!(s.local_addr()?, sa("10.0.0.1:80"));
            s.writable().await?;
            assert_eq!(s.try_write(b"hello world")?, 11);
            std::future::pending().await
        });
        sim.client("client", async {
            let mut s = TcpStream::connect("server:80").await?;
            assert_eq!(s.local_addr()?, sa("10.0.0.2:49152"));
            assert_eq!(s.peer_addr()?, sa("10.0.0.1:80"));
            assert!(!s.nodelay()?);
            s.set_nodelay(true)?;
            assert!(s.nodelay()?);
            let mut buf = [0u8; 5];
            assert_eq!(
                s.try_read(&mut buf).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            // The server wrote at 30 ms (when its accept completed).
            s.readable().await?;
            assert_eq!(now(), ms(40));
            assert_eq!(s.peek(&mut buf).await?, 5);
            assert_eq!(&buf, b"hello");
            assert_eq!(s.peek(&mut buf).await?, 5, "peek does not consume");
            assert_eq!(s.try_read(&mut buf)?, 5);
            assert_eq!(&buf, b"hello");
            let mut rest = [0u8; 16];
            let n = s.read(&mut rest).await?;
            assert_eq!(&rest[..n], b" world");
            // tokio cleared the readiness on that short read (the socket
            // is drained), so it does not even ask the socket.
            assert_eq!(
                s.try_read(&mut []).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            s.writable().await?;
            assert_eq!(s.try_write(b"")?, 0);
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn split_into_split_and_reunite() {
    run(|sim| {
        sim.host("server", || async {
            let l = TcpListener::bind("0.0.0.0:80").await?;
            loop {
                let (mut s, _) = l.accept().await?;
                tokio::task::spawn_local(async move {
                    // Echo until EOF, then answer "bye" and close.
                    let mut buf = [0u8; 64];
                    loop {
                        let n = s.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        s.write_all(&buf[..n]).await.unwrap();
                    }
                    s.write_all(b"bye").await.unwrap();
                });
            }
        });
        sim.client("client", async {
            // Borrowed halves.
            let mut s = TcpStream::connect("server:80").await?;
            {
                let (mut r, mut w) = s.split();
                w.write_all(b"abc").await?;
                let mut buf = [0u8; 3];
                r.read_exact(&mut buf).await?;
                assert_eq!(&buf, b"abc");
            }
            // Owned halves, used from two tasks.
            let (mut r, mut w) = s.into_split();
            assert_eq!(r.peer_addr()?, sa("10.0.0.1:80"));
            assert_eq!(w.local_addr()?, r.local_addr()?);
            let writer = tokio::task::spawn_local(async move {
                w.write_all(b"xyz").await.unwrap();
                w
            });
            let mut buf = [0u8; 3];
            r.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"xyz");
            let w = writer.await.unwrap();
            // Halves of different streams do not reunite.
            let other = TcpStream::connect("server:80").await?;
            let (or, ow) = other.into_split();
            let err = r.reunite(ow).unwrap_err();
            let (r, ow) = (err.0, err.1);
            ow.forget(); // no shutdown for this one
            drop(or);
            let mut s = r.reunite(w).expect("same stream");
            s.write_all(b"again").await?;
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"again");
            // Dropping an owned write half shuts the write direction down:
            // the server sees EOF, answers "bye" and closes.
            let (mut r, w) = s.into_split();
            let t = now();
            drop(w);
            let mut rest = Vec::new();
            r.read_to_end(&mut rest).await?;
            assert_eq!(rest, b"bye");
            assert_eq!(now(), t + ms(20));
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn loopback_and_own_address_connect_at_once() {
    run(|sim| {
        sim.client("solo", async {
            let l = TcpListener::bind("0.0.0.0:80").await?;
            let mut a = TcpStream::connect("127.0.0.1:80").await?;
            let (mut b, peer) = l.accept().await?;
            assert_eq!(peer.ip(), ip("127.0.0.1"));
            let mut c = TcpStream::connect("solo:80").await?;
            let (_d, peer) = l.accept().await?;
            assert_eq!(peer.ip(), ip("10.0.0.1"));
            assert_eq!(now(), Duration::ZERO, "loopback latency is 0 by default");
            a.write_all(b"lo").await?;
            let mut buf = [0u8; 2];
            b.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"lo");
            c.shutdown().await?;
            // Nothing listens on 81: refused, at once.
            let err = TcpStream::connect("127.0.0.1:81").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            assert_eq!(now(), Duration::ZERO);
            Ok(())
        });
        install(sim, 10);
    });
}
