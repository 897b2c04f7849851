//! Non-blocking `std::net` and socket2 sockets inside hosts, handed to
//! tokio as production code does.

use crate::helpers::sockets::*;
use socket2::{Domain, Protocol, SockAddr, Socket, Type};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[test]
fn a_std_listener_made_non_blocking_serves_through_tokio() {
    run(|sim| {
        sim.host("server", || async {
            let std = std::net::TcpListener::bind("0.0.0.0:80")?;
            std.set_nonblocking(true)?;
            let listener = tokio::net::TcpListener::from_std(std)?;
            let (mut s, _) = listener.accept().await?;
            s.write_all(b"hi").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut s = tokio::net::TcpStream::connect("10.0.0.1:80").await?;
            let mut buf = [0u8; 2];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"hi");
            // The handshake completes at the server at 30 ms (the third
            // segment), which then writes: 10 ms more.
            assert_eq!(now(), ms(40));
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn a_socket2_socket_with_options_connects_from_a_chosen_port() {
    run(|sim| {
        sim.host("server", || async {
            let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
            let (_s, peer) = listener.accept().await?;
            assert_eq!(peer.port(), 4000);
            std::future::pending().await
        });
        sim.client("client", async {
            let socket = Socket::new(Domain::IPV4, Type::STREAM, Some(Protocol::TCP))?;
            socket.set_nonblocking(true)?;
            socket.set_reuse_address(true)?;
            socket.set_tcp_nodelay(true)?;
            socket.set_keepalive(true)?;
            socket.set_tcp_keepalive(
                &socket2::TcpKeepalive::new()
                    .with_time(std::time::Duration::from_secs(30))
                    .with_interval(std::time::Duration::from_secs(5))
                    .with_retries(3),
            )?;
            socket.set_send_buffer_size(8192)?;
            // Linux reports twice the size set.
            assert_eq!(socket.send_buffer_size()?, 16384);
            assert!(socket.tcp_nodelay()?);
            assert_eq!(
                socket.tcp_keepalive_time()?,
                std::time::Duration::from_secs(30)
            );
            socket.bind(&SockAddr::from(
                "0.0.0.0:4000".parse::<std::net::SocketAddr>().unwrap(),
            ))?;
            let target: std::net::SocketAddr = "10.0.0.1:80".parse().unwrap();
            let err = socket.connect(&target.into()).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EINPROGRESS));
            let stream = tokio::net::TcpStream::from_std(socket.into())?;
            stream.writable().await?;
            assert_eq!(now(), ms(20));
            assert!(stream.take_error()?.is_none());
            assert_eq!(stream.local_addr()?.port(), 4000);
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn getsockopt_reports_type_domain_and_the_connect_error_once() {
    run(|sim| {
        sim.host("server", || async { std::future::pending().await });
        sim.client("client", async {
            let socket = Socket::new(Domain::IPV6, Type::DGRAM, None)?;
            assert_eq!(socket.r#type()?, Type::DGRAM);
            assert_eq!(socket.domain()?, Domain::IPV6);
            assert!(!socket.only_v6()?);
            let socket = Socket::new(Domain::IPV4, Type::STREAM, None)?;
            socket.set_nonblocking(true)?;
            let target: std::net::SocketAddr = "10.0.0.1:81".parse().unwrap();
            let _ = socket.connect(&target.into());
            let stream = tokio::net::TcpStream::from_std(socket.into())?;
            stream.writable().await?;
            assert_eq!(now(), ms(20), "the RST comes back after one round trip");
            let err = stream.take_error()?.expect("refused");
            assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
            assert!(stream.take_error()?.is_none(), "SO_ERROR clears on read");
            Ok(())
        });
        install(sim, 10);
    });
}
