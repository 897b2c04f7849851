//! `SocketExt` on tokio's own sockets: injected errors, probes, stats and
//! injected connections.

use std::io::ErrorKind;

use crate::helpers::sockets::*;
use sim_net::{InjectedError, SocketExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};

#[test]
fn injected_read_and_write_errors_reach_tokio_streams_as_their_errno() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (mut s, _) = listener.accept().await?;
            s.write_all(b"data").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut s = TcpStream::connect("10.0.0.1:80").await?;
            s.readable().await?;
            assert!(s.can_read() || now() < ms(30));
            s.set_read_error(Some(InjectedError::new(
                ErrorKind::ConnectionReset,
                "injected",
            )))?;
            assert!(s.can_read(), "an injected error makes the socket readable");
            let err = s.read(&mut [0u8; 8]).await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ECONNRESET));
            s.set_read_error(None)?;
            let mut buf = [0u8; 4];
            s.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"data");
            s.set_write_error(Some(InjectedError::new(ErrorKind::BrokenPipe, "injected")))?;
            let err = s.write(b"x").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            let stats = s.stats()?;
            assert_eq!(stats.bytes_received, 4);
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn an_injected_accept_error_wakes_a_waiting_accept() {
    run(|sim| {
        sim.client("server", async {
            let listener = std::sync::Arc::new(TcpListener::bind("0.0.0.0:80").await?);
            assert!(!listener.can_accept());
            let waiting = {
                let listener = listener.clone();
                tokio::spawn(async move { listener.accept().await.map(|_| now()) })
            };
            tokio::time::sleep(ms(5)).await;
            // A listener's own error (EMFILE-like), not a connection's.
            listener.set_accept_error(Some(InjectedError::new(ErrorKind::OutOfMemory, "x")))?;
            let err = waiting.await.unwrap().unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ENOMEM));
            assert_eq!(now(), ms(5), "the waiting accept fails at the same instant");
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn an_injected_connection_error_takes_one_queued_connection_as_linux_does() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            listener.set_accept_error(Some(InjectedError::new(
                ErrorKind::ConnectionAborted,
                "aborted",
            )))?;
            // The first client's final ACK queues its connection at 30 ms;
            // until then there is nothing to fail.
            let err = listener.accept().await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ECONNABORTED));
            assert_eq!(now(), ms(30));
            assert!(!listener.can_accept(), "the aborted connection is gone");
            // The error lasts, but with nothing queued accept waits: an
            // accept loop that retries at once does not spin.
            let waited = tokio::time::timeout(ms(20), listener.accept()).await;
            assert!(waited.is_err(), "accept returned with nothing queued");
            listener.set_accept_error(None)?;
            let (mut s, _) = listener.accept().await?;
            assert_eq!(now(), ms(70), "the second connection, queued at 70 ms");
            s.write_all(b"ok").await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut first = TcpStream::connect("10.0.0.1:80").await?;
            // The listener's side reset it at 30 ms.
            let err = first.read(&mut [0u8; 4]).await.unwrap_err();
            assert_eq!(err.raw_os_error(), Some(libc::ECONNRESET));
            assert_eq!(now(), ms(40));
            let mut second = TcpStream::connect("10.0.0.1:80").await?;
            let mut buf = [0u8; 2];
            second.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"ok");
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn an_injected_connection_reaches_a_tokio_listener() {
    run(|sim| {
        sim.client("server", async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let mut outside = listener.inject_connection("192.0.2.7:5555".parse().unwrap())?;
            let (mut inside, peer) = listener.accept().await?;
            assert_eq!(peer.to_string(), "192.0.2.7:5555");
            outside.write_all(b"GET /").await?;
            let mut buf = [0u8; 5];
            inside.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"GET /");
            Ok(())
        });
        install(sim, 10);
    });
}

#[test]
fn the_extras_refuse_a_descriptor_that_is_not_simulated() {
    let file = std::fs::File::open("/dev/null").unwrap();
    let err = file
        .set_read_error(Some(InjectedError::new(ErrorKind::Other, "x")))
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(!file.can_read());
}

#[test]
fn udp_probes_follow_arrivals() {
    run(|sim| {
        sim.host("a", || async {
            let s = UdpSocket::bind("0.0.0.0:9").await?;
            s.send_to(b"x", "10.0.0.2:9").await?;
            std::future::pending().await
        });
        sim.client("b", async {
            let s = UdpSocket::bind("0.0.0.0:9").await?;
            assert!(!s.can_read());
            s.readable().await?;
            assert_eq!(now(), ms(10));
            assert!(s.can_read());
            Ok(())
        });
        install(sim, 10);
    });
}
