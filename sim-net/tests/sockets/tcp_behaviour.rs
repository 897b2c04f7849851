//! The TCP rows of the guide's behaviour table (docs/src/network.md, "TCP: what
//! the peer sees"), through the socket layer (`tokio::net::TcpStream` /
//! `TcpListener` inside hosts): each test asserts the exact `io::ErrorKind` and
//! the exact virtual time at which it appears.
//!
//! Every link has a fixed one-way latency of 10 ms, so one round trip is 20 ms.
//! Hosts are added server first: `server` is 10.0.0.1, `client` 10.0.0.2 (the
//! automatic addresses, in the order hosts are added).

use sim_net::SocketExt;
use std::io::ErrorKind;
use std::time::Duration;

use crate::helpers::sockets::*;
use sim_net::model::DropReason;
use sim_net::{LinkConfig, Loss, TcpConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Row 1: a live host with nothing listening answers the SYN with RST.
#[test]
fn connect_to_live_host_without_listener_is_refused_after_one_round_trip() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            let err = TcpStream::connect("server:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionRefused);
            assert_eq!(now(), ms(20), "SYN out, RST back: one round trip");
            // The RST was counted where the SYN found no socket.
            let drops = sim_net::net()?.drop_counts()?;
            assert_eq!(drops.get(DropReason::NoSocket), 1);
            Ok(())
        });
        install(sim, 10);
    });
}

/// Row 2: across a partition the SYN is retried after 1 s, 2 s, 4 s, 8 s
/// (sent at 0, 1, 3, 7, 15 s), then the connect timeout (20 s here) fails it.
#[test]
fn connect_across_partition_retries_syn_then_times_out_at_connect_timeout() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            let net = sim_net::net()?;
            net.partition("client", "server")?;
            let err = TcpStream::connect("server:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            assert_eq!(now(), Duration::from_secs(20));
            let stats = net.link_stats("client", "server")?;
            assert_eq!(stats.packets_sent, 5, "SYN at 0, 1, 3, 7 and 15 s");
            assert_eq!(stats.dropped.get(DropReason::Partition), 5);
            assert_eq!(stats.packets_delivered, 0);
            Ok(())
        });
        install_tcp(sim, 10, tcp_connect_timeout(20));
    });
}

/// Row 2, crashed host: the SYNs are dropped at the dead machine (silence,
/// no RST), then the connect times out.
#[test]
fn connect_to_crashed_host_retries_syn_then_times_out() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            sim_core::crash("server")?;
            let err = TcpStream::connect("server:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            assert_eq!(now(), Duration::from_secs(20));
            let drops = sim_net::net()?.drop_counts()?;
            assert_eq!(drops.get(DropReason::NodeDown), 5);
            assert_eq!(drops.get(DropReason::NoSocket), 0);
            Ok(())
        });
        install_tcp(sim, 10, tcp_connect_timeout(20));
    });
}

/// Row 2, default setting: Linux's 127 s (6 SYN retries).
#[test]
fn default_connect_timeout_is_127_seconds() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            sim_net::net()?.partition("client", "server")?;
            let err = TcpStream::connect("server:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            assert_eq!(now(), Duration::from_secs(127));
            Ok(())
        });
        install(sim, 10);
    });
}

/// Row 2, healed in time: the SYN retry sent at 3 s gets through.
#[test]
fn connect_succeeds_on_the_syn_retry_after_the_partition_heals() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let _conn = listener.accept().await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let net = sim_net::net()?;
            net.partition("client", "server")?;
            tokio::task::spawn_local(async move {
                sleep_until(Duration::from_secs(2)).await;
                net.heal("client", "server").unwrap();
            });
            let _s = TcpStream::connect("server:80").await?;
            assert_eq!(now(), Duration::from_secs(3) + ms(20));
            Ok(())
        });
        install_tcp(sim, 10, tcp_connect_timeout(20));
    });
}

/// Row 3: no host has the address: `HostUnreachable` at once, naming it.
#[test]
fn connect_to_address_no_host_has_is_host_unreachable_at_once() {
    run(|sim| {
        idle_host(sim, "server");
        sim.client("client", async {
            let err = TcpStream::connect("10.9.9.9:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::HostUnreachable);
            assert_eq!(now(), Duration::ZERO);
            // The same for an IPv6 address nobody owns.
            let err = TcpStream::connect("[fd00::99]:80").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::HostUnreachable, "no host has it");
            Ok(())
        });
        install(sim, 10);
    });
}

/// Row 4: tokio's `TcpListener::bind` listens with std's backlog of 128,
/// and Linux's accept queue holds one more. With 129 connections waiting
/// to be accepted, the next SYN is dropped (counted
/// as `BacklogFull`, no RST) and the client retries it 1 s later, as Linux
/// does; an accept in between makes room for the retry.
#[test]
fn full_backlog_drops_the_syn_and_the_client_retry_gets_in() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            // Accept one connection at 500 ms, then no more.
            sleep_until(ms(500)).await;
            assert!(listener.can_accept());
            let _first = listener.accept().await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut tasks = tokio::task::JoinSet::new();
            // tokio's listener listens with std's backlog, 128; Linux's
            // accept queue holds one more.
            for _ in 0..129 {
                tasks.spawn_local(async { TcpStream::connect("server:80").await });
            }
            let mut held = Vec::new();
            while let Some(r) = tasks.join_next().await {
                held.push(r.unwrap()?);
            }
            assert_eq!(now(), ms(20), "129 handshakes in one round trip");
            // The 130th SYN arrives at 30 ms and finds the backlog full.
            let start = now();
            let last = TcpStream::connect("server:80").await?;
            let net = sim_net::net()?;
            assert_eq!(net.drop_counts()?.get(DropReason::BacklogFull), 1);
            assert_eq!(net.drop_counts()?.get(DropReason::NoSocket), 0);
            // SYN at 20 ms (dropped), retried at 1.02 s, SYN-ACK back at 1.04 s.
            assert_eq!(now(), start + Duration::from_secs(1) + ms(20));
            held.push(last);
            Ok(())
        });
        install(sim, 10);
    });
}

/// Row 5: a full send buffer blocks the writer. Byte-based: with a 4096-byte
/// send buffer and a peer that never reads with an 8192-byte receive buffer,
/// exactly 4096 + 8192 bytes are accepted, then `try_write` says
/// `WouldBlock`; a read on the peer wakes the writer.
#[test]
fn full_send_buffer_is_would_block_after_exactly_buffer_plus_window() {
    const SEND: usize = 4096;
    const RECV: usize = 8192;
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (stream, _) = listener.accept().await?;
            // Read nothing until 1 s, then drain what the kernel holds.
            sleep_until(Duration::from_secs(1)).await;
            let mut buf = vec![0u8; 64 * 1024];
            let mut got = 0;
            loop {
                match stream.try_read(&mut buf) {
                    Ok(n) => got += n,
                    Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                    Err(e) => return Err(e.into()),
                }
            }
            assert_eq!(got, RECV, "the receive buffer held exactly its size");
            std::future::pending().await
        });
        sim.client("client", async {
            let stream = TcpStream::connect("server:80").await?;
            let data = pattern(100_000);
            let mut written = 0;
            let mut full_at = None;
            // Write whatever fits until 500 ms.
            while now() < ms(500) {
                match stream.try_write(&data[written..]) {
                    Ok(n) => {
                        written += n;
                        if written == SEND + RECV {
                            full_at = Some(now());
                        }
                    }
                    Err(e) => {
                        assert_eq!(e.kind(), ErrorKind::WouldBlock);
                        tokio::select! {
                            r = stream.writable() => r?,
                            _ = sleep_until(ms(500)) => {}
                        }
                    }
                }
            }
            assert_eq!(written, SEND + RECV);
            // 4096 at 20 ms, 4096 more as the first ACKs return at 40 ms,
            // the last 4096 at 60 ms (the peer's window is then closed).
            assert_eq!(full_at, Some(ms(60)));
            assert_eq!(
                stream.try_write(b"x").unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            assert!(!stream.can_write());
            let conns = sim_net::net()?.connections()?;
            let server_end = conns.iter().find(|c| c.local.port() == 80).unwrap();
            assert_eq!(server_end.recv_buffered, RECV);
            let client_end = conns.iter().find(|c| c.remote.port() == 80).unwrap();
            assert_eq!(client_end.send_buffered, SEND);
            // The peer reads at 1 s: window update back at 1.01 s, the queued
            // bytes reach it at 1.02 s, their ACK frees space at 1.03 s.
            stream.writable().await?;
            assert_eq!(now(), Duration::from_secs(1) + ms(30));
            assert!(stream.try_write(&data[written..])? > 0);
            Ok(())
        });
        install_tcp(
            sim,
            10,
            TcpConfig {
                send_buffer: SEND,
                recv_buffer: RECV,
                ..TcpConfig::default()
            },
        );
    });
}

/// Row 5, size 0: no kernel buffering at either end, a write completes only
/// as the peer reads (a rendezvous, like Go's `net.Pipe`).
#[test]
fn zero_buffers_make_writes_a_rendezvous_with_reads() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (mut stream, _) = listener.accept().await?;
            assert_eq!(now(), ms(30));
            // Nobody reads until 1 s: the writer stays blocked.
            sleep_until(Duration::from_secs(1)).await;
            let mut buf = [0u8; 3];
            // The read opens the window for exactly 3 bytes: the window
            // update reaches the writer at 1.01 s, the bytes arrive at 1.02 s.
            stream.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"hel");
            assert_eq!(now(), Duration::from_secs(1) + ms(20));
            std::future::pending().await
        });
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            assert_eq!(now(), ms(20));
            assert_eq!(
                stream.try_write(b"hello").unwrap_err().kind(),
                ErrorKind::WouldBlock
            );
            let n = stream.write(b"hello").await?;
            assert_eq!(n, 3, "only what the waiting read asked for");
            assert_eq!(now(), Duration::from_secs(1) + ms(10));
            Ok(())
        });
        install_tcp(
            sim,
            10,
            TcpConfig {
                send_buffer: 0,
                recv_buffer: 0,
                ..TcpConfig::default()
            },
        );
    });
}

/// Moves `len` bytes client -> server over `link`; returns (received bytes,
/// virtual time at EOF, retransmissions counted on the link).
fn transfer_over(link: LinkConfig, len: usize, seed: u64) -> (Vec<u8>, Duration, u64) {
    let out = std::sync::Arc::new(std::sync::Mutex::new(None));
    let out2 = out.clone();
    run_seed(seed, move |sim| {
        sim.host("server", move || {
            let out = out2.clone();
            async move {
                let listener = TcpListener::bind("0.0.0.0:80").await?;
                let (mut stream, _) = listener.accept().await?;
                let mut got = Vec::new();
                stream.read_to_end(&mut got).await?;
                let lost = sim_net::net()?
                    .link_stats("client", "server")?
                    .dropped
                    .get(DropReason::Loss);
                *out.lock().unwrap() = Some((got, now(), lost));
                drop(stream); // FIN: the client's read_to_end ends
                std::future::pending().await
            }
        });
        sim.client("client", async move {
            let mut stream = TcpStream::connect("server:80").await?;
            stream.write_all(&pattern(len)).await?;
            stream.shutdown().await?;
            let mut rest = Vec::new();
            stream.read_to_end(&mut rest).await?;
            Ok(())
        });
        sim_net::Net::builder().default_link(link).install(sim);
    });
    let result = out.lock().unwrap().take().expect("server read to EOF");
    result
}

/// Row 6: loss on a TCP path becomes delay: every byte arrives, in order,
/// exactly once, later than on a perfect link.
#[test]
fn loss_on_a_tcp_path_delays_data_but_delivers_it_in_order_exactly_once() {
    let len = 200_000;
    let (clean, clean_t, clean_lost) = transfer_over(LinkConfig::fixed(10 * MS), len, 7);
    assert_eq!(clean, pattern(len));
    assert_eq!(clean_lost, 0);
    let lossy = LinkConfig::fixed(10 * MS).with_loss(Loss::Bernoulli(0.1));
    let (got, lossy_t, lost) = transfer_over(lossy, len, 7);
    assert!(lost > 0, "the link lost some segments");
    assert_eq!(
        got.len(),
        len,
        "exactly once: nothing missing, nothing doubled"
    );
    assert_eq!(got, pattern(len), "in order");
    assert!(
        lossy_t > clean_t,
        "retransmission costs time: {lossy_t:?} vs {clean_t:?}"
    );
}

/// Row 7, healed in time: the connection stalls, then the retransmission
/// after the heal delivers the data and the connection goes on.
#[test]
fn partition_healed_before_user_timeout_stalls_then_data_flows_on() {
    let tcp = TcpConfig {
        user_timeout: Some(30 * SEC),
        ..TcpConfig::default()
    };
    run(move |sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (mut stream, _) = listener.accept().await?;
            let mut buf = [0u8; 5];
            stream.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"first");
            // Sent at 20 ms into the partition; RTO 200 ms (the minimum),
            // doubling: retransmitted at 0.22, 0.62, 1.42, 3.02, 6.22 and
            // 12.62 s; the heal at 10 s lets the last one through.
            assert_eq!(now(), Duration::from_millis(12_630));
            stream.read_exact(&mut buf).await?;
            assert_eq!(&buf, b"again");
            assert_eq!(now(), Duration::from_millis(12_650));
            std::future::pending().await
        });
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            let net = sim_net::net()?;
            net.partition("client", "server")?;
            stream.write_all(b"first").await?; // buffered: writes do not fail
            sleep_until(Duration::from_secs(10)).await;
            net.heal("client", "server")?;
            // The ACK of the retransmission comes back at 12.64 s.
            let mut buf = [0u8; 1];
            tokio::select! {
                _ = stream.read(&mut buf) => panic!("nothing to read"),
                _ = sleep_until(Duration::from_millis(12_640)) => {}
            }
            stream.write_all(b"again").await?;
            let c = net.connections()?;
            assert!(c.iter().all(|c| c.error.is_none()), "{c:?}");
            Ok(())
        });
        install_tcp(sim, 10, tcp);
    });
}

/// Row 7, not healed: the user timeout (`TcpStream::set_user_timeout`)
/// fails the connection with `TimedOut` exactly that long after the first
/// unacknowledged send; reads and writes both report it.
#[test]
fn partition_longer_than_user_timeout_fails_with_timed_out() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (_stream, _) = listener.accept().await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            socket2::SockRef::from(&stream).set_tcp_user_timeout(Some(Duration::from_secs(30)))?;
            sim_net::net()?.partition("client", "server")?;
            stream.write_all(b"lost").await?;
            let sent_at = now();
            let mut buf = [0u8; 8];
            let err = stream.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            assert_eq!(now(), sent_at + Duration::from_secs(30));
            assert_eq!(now(), Duration::from_secs(30) + ms(20));
            // The read took the error (Linux reports it once): the write
            // finds a dead connection.
            let err = stream.write(b"more").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            assert!(stream.is_closed());
            Ok(())
        });
        install(sim, 10);
    });
}

/// Row 7, idle connection: nothing is sent, so only keepalive notices the
/// partition: probes after 10 s of silence, every 2 s, `TimedOut` after 4
/// unanswered ones.
#[test]
fn partition_on_an_idle_connection_is_noticed_by_keepalive() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (_stream, _) = listener.accept().await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            let sock = socket2::SockRef::from(&stream);
            sock.set_keepalive(true)?;
            sock.set_tcp_keepalive(
                &socket2::TcpKeepalive::new()
                    .with_time(Duration::from_secs(10))
                    .with_interval(Duration::from_secs(2))
                    .with_retries(4),
            )?;
            sim_net::net()?.partition("client", "server")?;
            let err = stream.read(&mut [0u8; 1]).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::TimedOut);
            // Last heard at 20 ms; probes at 10.02, 12.02, 14.02, 16.02 s.
            assert_eq!(now(), Duration::from_millis(18_020));
            Ok(())
        });
        install(sim, 10);
    });
}

/// Row 8: `shutdown(Write)`: the peer reads all the data, then EOF; it can
/// still write back, and the half-closed side reads the answer.
#[test]
fn shutdown_write_gives_peer_eof_after_all_data_and_peer_can_write_back() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (mut stream, _) = listener.accept().await?;
            let mut request = Vec::new();
            stream.read_to_end(&mut request).await?;
            assert_eq!(request, pattern(10_000));
            // Data and FIN left at 20 ms, 10 ms away.
            assert_eq!(now(), ms(30));
            assert_eq!(stream.read(&mut [0u8; 4]).await?, 0, "EOF stays EOF");
            stream.write_all(b"response").await?;
            stream.shutdown().await?;
            std::future::pending().await
        });
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            stream.write_all(&pattern(10_000)).await?;
            stream.shutdown().await?;
            let err = stream.write(b"late").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            let mut response = Vec::new();
            stream.read_to_end(&mut response).await?;
            assert_eq!(response, b"response");
            assert_eq!(now(), ms(40));
            Ok(())
        });
        install(sim, 10);
    });
}

/// Row 9: dropping a stream with unread received data sends RST: the peer's
/// read fails with `ConnectionReset`, its write with `BrokenPipe`.
#[test]
fn drop_with_unread_data_resets_the_peer() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (stream, _) = listener.accept().await?;
            sleep_until(ms(100)).await;
            assert!(stream.can_read(), "the request is there, unread");
            drop(stream); // RST at 100 ms
            std::future::pending().await
        });
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            stream.write_all(b"request").await?;
            let mut buf = [0u8; 16];
            let err = stream.read(&mut buf).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::ConnectionReset);
            assert_eq!(now(), ms(110));
            let err = stream.write(b"more").await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::BrokenPipe);
            assert!(stream.is_closed());
            Ok(())
        });
        install(sim, 10);
    });
}

/// The contrast to row 9: dropping a stream whose data was all read closes
/// with FIN: the peer reads EOF, not an error.
#[test]
fn drop_after_reading_everything_is_a_clean_fin() {
    run(|sim| {
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (mut stream, _) = listener.accept().await?;
            let mut buf = [0u8; 7];
            stream.read_exact(&mut buf).await?;
            sleep_until(ms(100)).await;
            drop(stream); // FIN at 100 ms
            std::future::pending().await
        });
        sim.client("client", async {
            let mut stream = TcpStream::connect("server:80").await?;
            stream.write_all(b"request").await?;
            let mut buf = [0u8; 16];
            assert_eq!(stream.read(&mut buf).await?, 0);
            assert_eq!(now(), ms(110));
            Ok(())
        });
        install(sim, 10);
    });
}
