//! Unix domain stream sockets inside hosts: tokio's and std's
//! `UnixListener`/`UnixStream`, named by path or abstract name in a
//! namespace of each host's own, `socketpair`, shutdown, close and a full
//! buffer, with Linux's errno. Nothing touches the file system.

use std::io::ErrorKind;
use std::os::linux::net::SocketAddrExt;

use crate::helpers::sockets::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{UnixDatagram, UnixListener, UnixStream};

const PATH: &str = "/run/simnet-test/app.sock";

#[test]
fn a_host_serves_itself_over_a_unix_socket_without_a_file() {
    run(|sim| {
        sim.client("app", async {
            let listener = UnixListener::bind(PATH)?;
            assert_eq!(
                listener.local_addr()?.as_pathname(),
                Some(std::path::Path::new(PATH))
            );
            assert!(!std::path::Path::new(PATH).exists(), "no socket file");
            let client = tokio::spawn(async {
                let mut s = UnixStream::connect(PATH).await?;
                assert_eq!(
                    s.peer_addr()?.as_pathname(),
                    Some(std::path::Path::new(PATH))
                );
                assert!(s.local_addr()?.is_unnamed());
                s.write_all(b"ping").await?;
                let mut buf = [0u8; 4];
                s.read_exact(&mut buf).await?;
                assert_eq!(&buf, b"pong");
                std::io::Result::Ok(now())
            });
            let (mut s, peer) = listener.accept().await?;
            assert!(peer.is_unnamed());
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"ping");
            s.write_all(b"pong").await?;
            let done = client.await??;
            assert_eq!(done, ms(0), "local, so no virtual time passes");
            // The name is taken while the listener lives, free after. A
            // connection it never accepted is reset when it closes.
            let err = UnixListener::bind(PATH).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
            let mut waiting = UnixStream::connect(PATH).await?;
            drop(listener);
            let err = waiting.read(&mut buf).await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ECONNRESET));
            assert_eq!(waiting.read(&mut buf).await?, 0, "then EOF");
            UnixListener::bind(PATH)?;
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn each_host_has_its_own_names_and_linux_errors_for_missing_ones() {
    run(|sim| {
        sim.host("server", || async {
            let _l = UnixListener::bind(PATH)?;
            std::future::pending().await
        });
        sim.client("other", async {
            tokio::time::sleep(ms(1)).await;
            // The server's name is on another host: no such file here.
            let err = UnixStream::connect(PATH).await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
            // Bound but not listening: refused.
            let bound = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)?;
            bound.bind(&socket2::SockAddr::unix("/run/quiet.sock")?)?;
            let err = UnixStream::connect("/run/quiet.sock").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
            // Listening needs a name, as on Linux.
            let unbound = socket2::Socket::new(socket2::Domain::UNIX, socket2::Type::STREAM, None)?;
            assert_eq!(
                unbound.listen(1).unwrap_err().raw_os_error(),
                Some(libc::EINVAL)
            );
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn abstract_names_serve_std_and_tokio_sockets() {
    run(|sim| {
        sim.client("app", async {
            let name = std::os::unix::net::SocketAddr::from_abstract_name(b"simnet")?;
            let listener = std::os::unix::net::UnixListener::bind_addr(&name)?;
            listener.set_nonblocking(true)?;
            let listener = UnixListener::from_std(listener)?;
            assert_eq!(
                listener.local_addr()?.as_abstract_name(),
                Some(&b"simnet"[..])
            );
            let std_client = std::os::unix::net::UnixStream::connect_addr(&name)?;
            let (mut s, _) = listener.accept().await?;
            std_client.set_nonblocking(true)?;
            let mut client = UnixStream::from_std(std_client)?;
            client.write_all(b"abc").await?;
            let mut buf = [0u8; 3];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"abc");
            let unknown = std::os::unix::net::SocketAddr::from_abstract_name(b"nobody")?;
            let err = std::os::unix::net::UnixStream::connect_addr(&unknown).unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ECONNREFUSED));
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn a_socket_pair_carries_bytes_shutdown_and_close() {
    run(|sim| {
        sim.client("app", async {
            let (mut a, mut b) = UnixStream::pair()?;
            a.write_all(b"hello").await?;
            let mut buf = [0u8; 5];
            b.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"hello");
            a.shutdown().await?;
            assert_eq!(b.read(&mut buf).await?, 0, "EOF after the peer's shutdown");
            b.write_all(b"still").await?;
            a.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"still");
            let err = sim_net::SocketExt::set_read_error(&a, None).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
            drop(a);
            let err = b.write_all(b"x").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn a_full_buffer_makes_the_writer_wait_for_the_reader() {
    run(|sim| {
        sim.client("app", async {
            let (mut a, mut b) = UnixStream::pair()?;
            let data: Vec<u8> = (0..500_000u32).map(|i| i as u8).collect();
            let expected = data.clone();
            let writer = tokio::spawn(async move {
                a.write_all(&data).await?;
                std::io::Result::Ok(a)
            });
            // The writer stops at the buffer's size until this side reads.
            tokio::task::yield_now().await;
            assert!(!writer.is_finished());
            let mut got = Vec::new();
            let mut chunk = [0u8; 65536];
            while got.len() < expected.len() {
                let n = b.read(&mut chunk).await?;
                got.extend_from_slice(&chunk[..n]);
            }
            assert_eq!(got, expected);
            writer.await??;
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn datagrams_carry_their_senders_name_and_keep_their_bounds() {
    run(|sim| {
        sim.client("app", async {
            let server = UnixDatagram::bind("/run/dgram/server")?;
            let named = UnixDatagram::bind("/run/dgram/client")?;
            named.send_to(b"hello", "/run/dgram/server").await?;
            let mut buf = [0u8; 16];
            let (n, from) = server.recv_from(&mut buf).await?;
            assert_eq!(&buf[..n], b"hello");
            assert_eq!(
                from.as_pathname(),
                Some(std::path::Path::new("/run/dgram/client"))
            );
            server.send_to(b"hi", "/run/dgram/client").await?;
            let n = named.recv(&mut buf).await?;
            assert_eq!(&buf[..n], b"hi");

            // An unbound sender is unnamed; a short buffer truncates.
            let anon = UnixDatagram::unbound()?;
            anon.send_to(b"0123456789", "/run/dgram/server").await?;
            let (n, from) = server.recv_from(&mut buf[..4]).await?;
            assert_eq!((&buf[..n], from.is_unnamed()), (&b"0123"[..], true));

            // Ten datagrams wait at most (Linux's max_dgram_qlen).
            anon.connect("/run/dgram/server")?;
            for i in 0..10u8 {
                anon.try_send(&[i])?;
            }
            let err = anon.try_send(b"x").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);
            let sender = tokio::spawn(async move {
                anon.send(b"late").await?;
                std::io::Result::Ok(anon)
            });
            tokio::task::yield_now().await;
            assert!(!sender.is_finished(), "the sender waits for room");
            server.recv(&mut buf).await?;
            let anon = sender.await??;
            for _ in 0..9 {
                server.recv(&mut buf).await?;
            }
            let n = server.recv(&mut buf).await?;
            assert_eq!(&buf[..n], b"late");

            // Names and kinds, as Linux checks them.
            let err = anon.send_to(b"x", "/run/nobody").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENOENT));
            let _stream = UnixListener::bind("/run/dgram/stream")?;
            let err = anon.send_to(b"x", "/run/dgram/stream").await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::EPROTOTYPE));
            let err = UnixDatagram::bind("/run/dgram/server").unwrap_err();
            assert_eq!(err.kind(), ErrorKind::AddrInUse);
            drop(server);
            let err = anon.send(b"x").await.unwrap_err();
            assert_eq!(
                err.raw_os_error(),
                Some(libc::ECONNREFUSED),
                "its peer closed"
            );
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn a_datagram_pair_talks_both_ways() {
    run(|sim| {
        sim.client("app", async {
            let (a, b) = UnixDatagram::pair()?;
            a.send(b"one").await?;
            b.send(b"two").await?;
            let mut buf = [0u8; 8];
            let n = b.recv(&mut buf).await?;
            assert_eq!(&buf[..n], b"one");
            let n = a.recv(&mut buf).await?;
            assert_eq!(&buf[..n], b"two");
            Ok(())
        });
        install(sim, 10);
    });
}
