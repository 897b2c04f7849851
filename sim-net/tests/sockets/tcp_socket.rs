//! `TcpSocket`: buffer sizes applied exactly, a chosen local address and
//! port, a chosen backlog, `SO_REUSEADDR` against TIME_WAIT, and the errors
//! of a bad bind or connect.

use std::io::ErrorKind;
use std::net::SocketAddr;
use std::time::Duration;

use crate::helpers::sockets::*;
use sim_net::TcpConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// The server's address (hosts get 10.0.0.1, 10.0.0.2 ... in the order they
/// first use the network).
async fn server_addr(port: u16) -> std::io::Result<SocketAddr> {
    let mut addrs = tokio::net::lookup_host(("server", port)).await?;
    Ok(addrs.next().expect("the server has an address"))
}

/// Writes until the socket would block; returns how much it took.
fn fill(stream: &TcpStream) -> usize {
    let chunk = [7u8; 1000];
    let mut total = 0;
    loop {
        match stream.try_write(&chunk) {
            Ok(n) => total += n,
            Err(e) if e.kind() == ErrorKind::WouldBlock => return total,
            Err(e) => panic!("write failed: {e}"),
        }
    }
}

/// A writer stops exactly when its send buffer and the reader's receive
/// window are full: the sizes set on the two sockets, not the defaults.
#[test]
fn buffer_sizes_set_on_the_sockets_bound_what_a_writer_can_queue() {
    run(|sim| {
        sim.host("server", || async {
            let socket = TcpSocket::new_v4()?;
            socket.set_recv_buffer_size(8_000)?;
            // Linux reports twice the size set; the window is the size set.
            assert_eq!(socket.recv_buffer_size()?, 16_000);
            socket.bind(addr("0.0.0.0:80"))?;
            let listener = socket.listen(8)?;
            let (_stream, _) = listener.accept().await?;
            std::future::pending().await // never reads
        });
        sim.client("client", async {
            let socket = TcpSocket::new_v4()?;
            assert_eq!(socket.send_buffer_size()?, 64 * 1024, "the default");
            socket.set_send_buffer_size(3_000)?;
            let stream = socket.connect(server_addr(80).await?).await?;
            let mut queued = fill(&stream);
            // Let the window fill and the ACKs come back, then fill again.
            for _ in 0..5 {
                tokio::time::sleep(ms(100)).await;
                queued += fill(&stream);
            }
            assert_eq!(queued, 3_000 + 8_000);
            Ok(())
        });
        install(sim, 10);
    });
}

/// A socket bound to a port connects from it; the server sees that port.
#[test]
fn a_bound_socket_connects_from_its_address_and_port() {
    run(|sim| {
        sim.host("server", || async {
            let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
            loop {
                let (mut stream, peer) = listener.accept().await?;
                stream.write_all(peer.to_string().as_bytes()).await?;
            }
        });
        sim.client("client", async {
            let me = sim_net::net()?.addrs("client")?[0];
            let socket = TcpSocket::new_v4()?;
            socket.set_nodelay(true)?;
            socket.bind(SocketAddr::new(me, 4000))?;
            assert_eq!(socket.local_addr()?, SocketAddr::new(me, 4000));
            let stream = socket.connect(server_addr(80).await?).await?;
            assert_eq!(now(), ms(20), "one round trip");
            assert_eq!(stream.local_addr()?, SocketAddr::new(me, 4000));
            assert!(stream.nodelay()?);
            let mut seen = [0u8; 32];
            stream.readable().await?;
            let n = stream.try_read(&mut seen)?;
            assert_eq!(
                std::str::from_utf8(&seen[..n]).unwrap(),
                format!("{me}:4000")
            );
            Ok(())
        });
        install(sim, 10);
    });
}

/// With a backlog of 1 and nobody accepting, Linux's accept queue holds two
/// connections: the third connection's SYNs are dropped until its connect
/// timeout; the first two complete at once.
#[test]
fn listen_keeps_the_backlog_it_was_given() {
    run(|sim| {
        sim.host("server", || async {
            let socket = TcpSocket::new_v4()?;
            socket.bind(addr("0.0.0.0:80"))?;
            let _listener = socket.listen(1)?;
            std::future::pending().await // never accepts
        });
        sim.client("client", async {
            let server = server_addr(80).await?;
            let _first = TcpStream::connect(server).await?;
            let _second = TcpStream::connect(server).await?;
            assert_eq!(now(), ms(40));
            let third = TcpStream::connect(server).await.unwrap_err();
            assert_eq!(third.kind(), ErrorKind::TimedOut);
            assert_eq!(now(), ms(40) + Duration::from_secs(3));
            Ok(())
        });
        install_tcp(sim, 10, tcp_connect_timeout(3));
    });
}

/// A client that closed first leaves its connection in TIME_WAIT on its
/// port: binding that port again fails with `AddrInUse`, unless the new
/// socket sets `SO_REUSEADDR`.
#[test]
fn reuseaddr_binds_a_port_held_in_time_wait() {
    run(|sim| {
        for port in [80, 81] {
            sim.host(format!("server{port}"), move || async move {
                let listener = tokio::net::TcpListener::bind(("0.0.0.0", port)).await?;
                loop {
                    let (mut stream, _) = listener.accept().await?;
                    tokio::task::spawn_local(async move {
                        // Reads to EOF, then closes its side too.
                        let mut all = Vec::new();
                        let _ = stream.read_to_end(&mut all).await;
                    });
                }
            });
        }
        sim.client("client", async {
            let net = sim_net::net()?;
            let me = net.addrs("client")?[0];
            let server80 = SocketAddr::new(net.addrs("server80")?[0], 80);
            let server81 = SocketAddr::new(net.addrs("server81")?[0], 81);
            let local = SocketAddr::new(me, 5000);

            let socket = TcpSocket::new_v4()?;
            socket.bind(local)?;
            let mut stream = socket.connect(server80).await?;
            stream.shutdown().await?; // the client closes first
            drop(stream);
            tokio::time::sleep(Duration::from_secs(1)).await;
            let states: Vec<_> = net
                .connections()?
                .into_iter()
                .filter(|c| c.local == local)
                .map(|c| c.state)
                .collect();
            assert_eq!(states, [sim_net::model::TcpState::TimeWait]);

            let plain = TcpSocket::new_v4()?;
            let err = plain.bind(local).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");

            let reusing = TcpSocket::new_v4()?;
            reusing.set_reuseaddr(true)?;
            assert!(reusing.reuseaddr()?);
            reusing.bind(local)?;
            let again = reusing.connect(server81).await?;
            assert_eq!(again.local_addr()?, local);
            Ok(())
        });
        install(sim, 10);
    });
}

/// Bad binds and connects are refused with the reason.
#[test]
fn bad_binds_and_connects_say_why() {
    run(|sim| {
        sim.host("server", || async {
            let _listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            tokio::time::sleep(ms(1)).await;
            let v4 = TcpSocket::new_v4()?;
            let err = v4.bind(addr("[::]:80")).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EAFNOSUPPORT));
            let err = v4.bind(addr("192.0.2.7:80")).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrNotAvailable, "{err}");
            v4.bind(addr("0.0.0.0:0"))?;
            let err = v4.bind(addr("0.0.0.0:1")).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput, "bound already");
            let err = v4.connect(addr("[2001:db8::1]:80")).await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EAFNOSUPPORT));

            let v6 = TcpSocket::new_v6()?;
            let err = v6.connect(server_addr(80).await?).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            Ok(())
        });
        sim.client("other", async {
            // A second listener on the server's port of another host is fine;
            // on the server itself it would be AddrInUse (tested below).
            let socket = TcpSocket::new_v4()?;
            socket.bind(addr("0.0.0.0:80"))?;
            let _l = socket.listen(4)?;
            Ok(())
        });
        install(sim, 10);
    });
    run(|sim| {
        sim.client("server", async {
            let _listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
            let socket = TcpSocket::new_v4()?;
            let err = socket.bind(addr("0.0.0.0:80")).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            Ok(())
        });
        install(sim, 10);
    });
}

/// `bind` takes the port at once, as on Linux: other binds of it fail with
/// `AddrInUse` until the socket is dropped; port 0 gets its ephemeral port
/// at bind, and the connection or listener made from the socket keeps it.
#[test]
fn bind_holds_the_port_until_the_socket_connects_listens_or_drops() {
    run(|sim| {
        sim.host("server", || async {
            let _listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let held = TcpSocket::new_v4()?;
            held.bind(addr("0.0.0.0:4000"))?;
            let other = TcpSocket::new_v4()?;
            let err = other.bind(addr("0.0.0.0:4000")).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            let err = tokio::net::TcpListener::bind("0.0.0.0:4000")
                .await
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            drop(held);
            other.bind(addr("0.0.0.0:4000"))?;
            drop(other);

            // Port 0: the first ephemeral port, chosen and shown at bind.
            let ephemeral = TcpSocket::new_v4()?;
            ephemeral.bind(addr("0.0.0.0:0"))?;
            assert_eq!(ephemeral.local_addr()?, addr("0.0.0.0:49152"));
            let err = TcpSocket::new_v4()?
                .bind(addr("0.0.0.0:49152"))
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse, "{err}");
            // An unbound connect skips the held port.
            let plain = TcpStream::connect(server_addr(80).await?).await?;
            assert_eq!(plain.local_addr()?.port(), 49153);
            let stream = ephemeral.connect(server_addr(80).await?).await?;
            assert_eq!(stream.local_addr()?.port(), 49152);

            // A listener made from a socket bound to port 0 keeps its port.
            let socket = TcpSocket::new_v4()?;
            socket.bind(addr("0.0.0.0:0"))?;
            let port = socket.local_addr()?.port();
            assert_eq!(port, 49154);
            let listener = socket.listen(4)?;
            assert_eq!(listener.local_addr()?.port(), port);
            Ok(())
        });
        install(sim, 10);
    });
}

/// `set_keepalive(true)` probes with Linux's defaults: a peer that vanished
/// (its machine crashed) is found after 2 hours of silence and 9 probes 75 s
/// apart.
#[test]
fn keepalive_uses_linux_timing() {
    on_fresh_thread(|| {
        // Past the default one-hour limit: keepalive starts after two.
        let mut sim = sim_core::Builder::new()
            .time_limit(Duration::from_secs(3 * 3600))
            .build();
        let sim = &mut sim;
        sim.host("server", || async {
            let listener = tokio::net::TcpListener::bind("0.0.0.0:80").await?;
            let (_stream, _) = listener.accept().await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let socket = TcpSocket::new_v4()?;
            socket.set_keepalive(true)?;
            assert!(socket.keepalive()?);
            let stream = socket.connect(server_addr(80).await?).await?;
            let connected = now();
            sim_core::crash("server")?;
            let mut buf = [0u8; 8];
            let err = loop {
                stream.readable().await?;
                match stream.try_read(&mut buf) {
                    Err(e) if e.kind() == ErrorKind::WouldBlock => continue,
                    Err(e) => break e,
                    Ok(n) => panic!("read {n} bytes from a crashed peer"),
                }
            };
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            let waited = now() - connected;
            assert_eq!(waited, Duration::from_secs(7200 + 9 * 75));
            Ok(())
        });
        install_tcp(sim, 10, TcpConfig::default());
        if let Err(e) = sim.run() {
            panic!("{e}");
        }
    });
}
