//! The basic paths: listen, connect, accept, echo; UDP send and receive.

use crate::helpers::sockets::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

#[test]
fn tcp_echo_through_tokio_net() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:9000").await?;
            loop {
                let (mut s, peer) = listener.accept().await?;
                assert_eq!(peer.ip().to_string(), "10.0.0.2");
                tokio::spawn(async move {
                    let mut buf = [0u8; 64];
                    loop {
                        let n = s.read(&mut buf).await.unwrap();
                        if n == 0 {
                            break;
                        }
                        s.write_all(&buf[..n]).await.unwrap();
                    }
                });
            }
        });
        sim.client("client", async {
            let mut s = TcpStream::connect("10.0.0.1:9000").await?;
            assert_eq!(now(), ms(20), "one round trip");
            assert_eq!(s.peer_addr()?.to_string(), "10.0.0.1:9000");
            s.write_all(b"hello").await?;
            let mut buf = [0u8; 5];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"hello");
            assert_eq!(now(), ms(40));
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn connect_refused_is_econnrefused_after_one_round_trip() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            let err = TcpStream::connect("10.0.0.1:80").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
            assert_eq!(now(), ms(20));
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn udp_round_trip_through_tokio_net() {
    run(|sim| {
        sim.host("echo", || async {
            let sock = UdpSocket::bind("0.0.0.0:7000").await?;
            let mut buf = [0u8; 100];
            loop {
                let (n, from) = sock.recv_from(&mut buf).await?;
                sock.send_to(&buf[..n], from).await?;
            }
        });
        sim.client("client", async {
            let sock = UdpSocket::bind("0.0.0.0:0").await?;
            sock.send_to(b"ping", "10.0.0.1:7000").await?;
            let mut buf = [0u8; 100];
            let (n, from) = sock.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], b"ping");
            assert_eq!(from.to_string(), "10.0.0.1:7000");
            assert_eq!(now(), ms(20));
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn connect_by_host_name_resolves_through_the_simulation() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:9000").await?;
            let _ = listener.accept().await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let s = TcpStream::connect("server:9000").await?;
            assert_eq!(s.peer_addr()?.to_string(), "10.0.0.1:9000");
            assert_eq!(now(), ms(20), "the lookup takes no virtual time");
            Ok(())
        });
        install(sim, 10);
    });
}
