//! `SO_REUSEPORT`, as on Linux: sockets that all set it before `bind` share
//! an address and port, and each connection or datagram goes to one of
//! them, by a hash of its addresses (keyed by the seed here, by a boot-time
//! secret on Linux). A socket without it still finds the port taken.
//!
//! Links: fixed 10 ms one way. The server is 10.0.0.1, the client 10.0.0.2.

use std::io::ErrorKind;
use std::sync::{Arc, Mutex};

use crate::helpers::sockets::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream, UdpSocket};

/// A listener on `0.0.0.0:80` with `SO_REUSEPORT` as given.
fn listener(reuse_port: bool) -> std::io::Result<TcpListener> {
    let socket = TcpSocket::new_v4()?;
    socket.set_reuseport(reuse_port)?;
    assert_eq!(socket.reuseport()?, reuse_port);
    socket.bind("0.0.0.0:80".parse().unwrap())?;
    socket.listen(128)
}

/// A UDP socket on `0.0.0.0:53` with `SO_REUSEPORT`.
fn udp_member() -> std::io::Result<UdpSocket> {
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::DGRAM, None)?;
    socket.set_reuse_port(true)?;
    socket.set_nonblocking(true)?;
    socket.bind(&"0.0.0.0:53".parse::<std::net::SocketAddr>().unwrap().into())?;
    UdpSocket::from_std(socket.into())
}

/// Which of the two listeners answered each of 16 connections, in order.
fn connections_spread(seed: u64) -> Vec<u8> {
    let answers = Arc::new(Mutex::new(Vec::new()));
    let seen = answers.clone();
    run_seed(seed, move |sim| {
        sim.host("server", || async {
            let a = listener(true)?;
            let b = listener(true)?;
            // Without SO_REUSEPORT the port is taken, as on Linux.
            let err = listener(false).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            for (l, name) in [(a, b"a"), (b, b"b")] {
                tokio::spawn(async move {
                    loop {
                        let (mut s, _) = l.accept().await.unwrap();
                        s.write_all(name).await.unwrap();
                    }
                });
            }
            std::future::pending().await
        });
        sim.client("client", async move {
            for _ in 0..16 {
                let mut s = TcpStream::connect("10.0.0.1:80").await?;
                let mut buf = [0u8; 1];
                s.read_exact(&mut buf).await?;
                seen.lock().unwrap().push(buf[0]);
            }
            Ok(())
        });
        install(sim, 10);
    });
    let answers = answers.lock().unwrap().clone();
    answers
}

#[test]
fn a_reuseport_group_shares_connections_by_the_seed() {
    let first = connections_spread(1);
    assert_eq!(first.len(), 16);
    assert!(first.contains(&b'a') && first.contains(&b'b'), "{first:?}");
    assert_eq!(connections_spread(1), first, "a seed replays the spread");
    assert!(
        (2..10).any(|seed| connections_spread(seed) != first),
        "other seeds spread the connections otherwise"
    );
}

#[test]
fn a_listener_without_reuseport_keeps_the_port_from_a_group() {
    run(|sim| {
        sim.client("server", async {
            let _plain = listener(false)?;
            let err = listener(true).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn a_reuseport_group_gives_each_flow_of_datagrams_one_socket() {
    run(|sim| {
        sim.host("server", || async {
            for name in [b"a", b"b"] {
                let socket = udp_member()?;
                tokio::spawn(async move {
                    let mut buf = [0u8; 8];
                    loop {
                        let (_, from) = socket.recv_from(&mut buf).await.unwrap();
                        socket.send_to(name, from).await.unwrap();
                    }
                });
            }
            std::future::pending().await
        });
        sim.client("client", async {
            let mut seen = Vec::new();
            for _ in 0..8 {
                let socket = UdpSocket::bind("0.0.0.0:0").await?;
                let mut answers = Vec::new();
                for _ in 0..2 {
                    socket.send_to(b"?", "10.0.0.1:53").await?;
                    let mut buf = [0u8; 1];
                    socket.recv_from(&mut buf).await?;
                    answers.push(buf[0]);
                }
                assert_eq!(answers[0], answers[1], "one flow, one socket");
                seen.push(answers[0]);
            }
            assert!(seen.contains(&b'a') && seen.contains(&b'b'), "{seen:?}");
            Ok(())
        });
        install(sim, 10);
    });
}
