//! The rest of tokio's `TcpStream` API: `ready` for several interests,
//! vectored reads and writes, `poll_peek`, `take_error`, an abortive close
//! with `set_zero_linger`, and `IP_TTL`.

use std::future::poll_fn;
use std::io::{ErrorKind, IoSlice, IoSliceMut};

use crate::helpers::sockets::*;
use tokio::io::{AsyncReadExt, AsyncWriteExt, Interest, ReadBuf, Ready};
use tokio::net::{TcpListener, TcpStream};

/// Accepts one connection, waits 50 ms, writes "hello world", then echoes
/// what it reads until EOF.
async fn greeter() -> sim_core::Result {
    let listener = TcpListener::bind("0.0.0.0:80").await?;
    let (mut stream, _) = listener.accept().await?;
    sleep_until(ms(50)).await;
    stream.write_all(b"hello world").await?;
    let mut buf = [0u8; 64];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        stream.write_all(&buf[..n]).await?;
    }
    std::future::pending().await
}

/// `ready` says at once that a fresh stream is writable and not readable,
/// then waits for the data to make it readable, at its arrival instant.
#[test]
fn ready_reports_each_interest_when_it_holds() {
    run(|sim| {
        sim.host("server", greeter);
        sim.client("client", async {
            let stream = TcpStream::connect("server:80").await?;
            let both = stream
                .ready(Interest::READABLE | Interest::WRITABLE)
                .await?;
            assert!(both.is_writable() && !both.is_readable());
            assert_eq!(now(), ms(20), "at once, after the handshake");
            let readable = stream.ready(Interest::READABLE).await?;
            assert_eq!(readable, Ready::READABLE);
            assert_eq!(now(), ms(60), "written at 50 ms, 10 ms on the wire");
            Ok(())
        });
        install(sim, 10);
    });
}

/// Vectored reads fill the buffers in order; vectored writes send them in
/// order; a peek leaves the bytes for the next read.
#[test]
fn vectored_io_and_poll_peek_keep_the_byte_order() {
    run(|sim| {
        sim.host("server", greeter);
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            stream.readable().await?;
            let mut peeked = [0u8; 5];
            let n = poll_fn(|cx| {
                let mut buf = ReadBuf::new(&mut peeked);
                stream.poll_peek(cx, &mut buf)
            })
            .await?;
            assert_eq!(&peeked[..n], b"hello");

            let (mut a, mut b) = ([0u8; 5], [0u8; 10]);
            let n = stream
                .try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])?;
            assert_eq!(n, 11);
            assert_eq!((&a, &b[..6]), (b"hello", &b" world"[..]));
            let err = stream
                .try_read_vectored(&mut [IoSliceMut::new(&mut a)])
                .unwrap_err();
            assert_eq!(err.kind(), ErrorKind::WouldBlock);

            let n = stream.try_write_vectored(&[
                IoSlice::new(b"ab"),
                IoSlice::new(b""),
                IoSlice::new(b"cd"),
            ])?;
            assert_eq!(n, 4);
            let mut echo = [0u8; 4];
            stream.read_exact(&mut echo).await?;
            assert_eq!(&echo, b"abcd");
            Ok(())
        });
        install(sim, 10);
    });
}

/// After `set_zero_linger`, dropping the stream resets the connection: the
/// peer reads `ConnectionReset` one latency later, and `take_error` then
/// reports it. A plain drop gives the peer EOF instead.
#[test]
fn zero_linger_makes_close_abortive() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            for expect_reset in [true, false] {
                let (mut stream, _) = listener.accept().await?;
                assert!(stream.take_error()?.is_none());
                let mut buf = [0u8; 8];
                let read = stream.read(&mut buf).await;
                if expect_reset {
                    let err = read.unwrap_err();
                    assert_eq!(err.kind(), ErrorKind::ConnectionReset);
                    assert_eq!(now(), ms(40), "dropped at 30 ms, 10 ms on the wire");
                    // The read took the error, as on Linux: SO_ERROR is clear.
                    assert!(stream.take_error()?.is_none());
                } else {
                    assert_eq!(read?, 0, "EOF");
                }
            }
            std::future::pending().await
        });
        sim.client("client", async {
            let abortive = TcpStream::connect("server:80").await?;
            assert_eq!(abortive.linger()?, None);
            abortive.set_zero_linger()?;
            assert_eq!(abortive.linger()?, Some(std::time::Duration::ZERO));
            sleep_until(ms(30)).await;
            drop(abortive);
            let graceful = TcpStream::connect("server:80").await?;
            drop(graceful);
            sleep_until(ms(200)).await;
            Ok(())
        });
        install(sim, 10);
    });
}

/// `IP_TTL` starts at Linux's 64 and takes 1 to 255.
#[test]
fn ttl_takes_linux_values() {
    run(|sim| {
        sim.host("server", greeter);
        sim.client("client", async {
            let stream = TcpStream::connect("server:80").await?;
            assert_eq!(stream.ttl()?, 64);
            stream.set_ttl(128)?;
            assert_eq!(stream.ttl()?, 128);
            for bad in [0, 256] {
                let err = stream.set_ttl(bad).unwrap_err();
                assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad}");
            }
            assert_eq!(stream.ttl()?, 128);
            Ok(())
        });
        install(sim, 10);
    });
}

/// A listener's `IP_TTL` takes the same values, and the streams it accepts
/// inherit it, as on Linux.
#[test]
fn accepted_streams_inherit_the_listeners_ttl() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            assert_eq!(listener.ttl()?, 64);
            let err = listener.set_ttl(0).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::InvalidInput);
            listener.set_ttl(17)?;
            let (stream, _) = listener.accept().await?;
            assert_eq!(stream.ttl()?, 17);
            std::future::pending().await
        });
        sim.client("client", async {
            let _stream = TcpStream::connect("server:80").await?;
            tokio::time::sleep(ms(50)).await;
            Ok(())
        });
        install(sim, 10);
    });
}

/// The halves, borrowed and owned, carry the stream's API: readiness,
/// peeking, vectored I/O, addresses; the write half can reunite too.
#[test]
fn halves_offer_the_streams_api() {
    run(|sim| {
        sim.host("server", greeter);
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            let local = stream.local_addr()?;
            {
                let (mut r, w) = stream.split();
                assert_eq!(w.ready(Interest::WRITABLE).await?, Ready::WRITABLE);
                assert_eq!(r.ready(Interest::READABLE).await?, Ready::READABLE);
                assert_eq!(now(), ms(60));
                let mut peeked = [0u8; 5];
                assert_eq!(r.peek(&mut peeked).await?, 5);
                assert_eq!(&peeked, b"hello");
                let n = poll_fn(|cx| r.poll_peek(cx, &mut ReadBuf::new(&mut peeked))).await?;
                assert_eq!(&peeked[..n], b"hello");
                let (mut a, mut b) = ([0u8; 6], [0u8; 5]);
                let n =
                    r.try_read_vectored(&mut [IoSliceMut::new(&mut a), IoSliceMut::new(&mut b)])?;
                assert_eq!((n, &a, &b), (11, b"hello ", b"world"));
                assert_eq!((r.local_addr()?, w.local_addr()?), (local, local));
                assert_eq!(r.peer_addr()?, w.peer_addr()?);
                let n = w.try_write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")])?;
                assert_eq!(n, 4);
            }
            let (mut r, w) = stream.into_split();
            r.readable().await?;
            let mut echo = [0u8; 4];
            assert_eq!(r.peek(&mut echo).await?, 4);
            assert_eq!(now(), ms(80), "echoed after one round trip");
            assert_eq!(r.try_read_vectored(&mut [IoSliceMut::new(&mut echo)])?, 4);
            assert_eq!(&echo, b"abcd");
            assert!(w.ready(Interest::WRITABLE).await?.is_writable());
            assert_eq!(w.try_write_vectored(&[IoSlice::new(b"x")])?, 1);
            // tokio keeps a socket readable until a read finds it empty.
            assert_eq!(
                r.try_read(&mut [0u8; 1]).unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            assert!(r.ready(Interest::READABLE).await?.is_readable());
            assert_eq!(now(), ms(100));
            let stream = w.reunite(r).expect("halves of one stream");
            assert_eq!(stream.local_addr()?, local);
            Ok(())
        });
        install(sim, 10);
    });
}
