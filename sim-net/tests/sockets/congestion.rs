//! Congestion control (`TcpConfig::congestion`), through the socket layer:
//! NewReno's slow start, fast retransmit and fast recovery, and its answer
//! to a retransmission timeout, against the default (no congestion
//! control), each at exact virtual times.
//!
//! Every link has a fixed one-way latency of 10 ms, so one round trip is
//! 20 ms, and unlimited bandwidth, so a window of segments leaves and
//! arrives at one instant. Hosts are added server first. The client connects
//! at 0 ms and is established at 20 ms (its SYN-ACK arrives); its SYN sample
//! makes the RTO 200 ms (20 ms + 4 × 10 ms, raised to the 200 ms minimum).
//! The MSS is 1460 bytes.
//!
//! A segment is lost by hand: the client cuts its direction of the path
//! (`partition_one_way`), writes exactly one segment, which the partition
//! drops as it leaves, and heals the path at the same instant.

use std::time::Duration;

use crate::helpers::sockets::*;
use sim_core::Sim;
use sim_net::model::{ConnectionInfo, SocketStats};
use sim_net::{Congestion, Net, TcpConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const MSS: usize = 1460;

/// `congestion` with buffers large enough that the receiver's window never
/// limits the sender here.
fn tcp(congestion: Congestion) -> TcpConfig {
    TcpConfig {
        congestion,
        send_buffer: 1 << 20,
        recv_buffer: 1 << 20,
        ..TcpConfig::default()
    }
}

/// Runs every event up to and including the instant `at`.
fn run_through(sim: &mut Sim, at: Duration) {
    let now = sim.now().as_duration();
    sim.run_for(at - now).unwrap();
}

/// Packets sent so far from `from` to `to` (dropped ones included).
fn sent(net: &Net, from: &str, to: &str) -> u64 {
    net.link_stats(from, to).unwrap().packets_sent
}

/// The client's end of the connection (the one whose peer is port 80).
fn client_end(net: &Net) -> ConnectionInfo {
    net.connections()
        .unwrap()
        .into_iter()
        .find(|c| c.remote.port() == 80)
        .expect("the client's connection exists")
}

/// Socket counters of the client's end.
fn client_stats(net: &Net) -> SocketStats {
    let id = client_end(net).socket;
    net.with_model(|m| m.socket_stats(id)).unwrap().unwrap()
}

/// A simulation (seed 1) where "client" writes 400,000 bytes to a
/// [`sink`] "server" as fast as TCP lets it; the network is not installed.
fn bulk_transfer() -> Sim {
    let mut sim = sim_core::Builder::new().seed(1).build();
    sink(&mut sim);
    sim.host("client", || async {
        let mut s = TcpStream::connect("server:80").await?;
        s.write_all(&pattern(400_000)).await?;
        std::future::pending().await
    });
    sim
}

/// A server that reads everything until EOF; it never writes.
fn sink(sim: &mut Sim) {
    sim.host("server", || async {
        let listener = TcpListener::bind("0.0.0.0:80").await?;
        let (mut s, _) = listener.accept().await?;
        let mut all = Vec::new();
        s.read_to_end(&mut all).await?;
        std::future::pending().await
    });
}

/// RFC 5681's slow start with Linux's initial window: 10 segments in the
/// first round trip, and every ACK (one per segment: the receiver
/// acknowledges each) opens the window by one more, so 20 in the second
/// round trip and 40 in the third, 80 in the fourth.
#[test]
fn slow_start_sends_10_then_20_then_40_segments_per_round_trip() {
    on_fresh_thread(|| {
        let mut sim = bulk_transfer();
        let net = install_tcp(&mut sim, 10, tcp(Congestion::NewReno));
        // 20 ms: the SYN, the handshake's ACK, then 10 segments.
        run_through(&mut sim, ms(20));
        assert_eq!(sent(&net, "client", "server"), 2 + 10);
        let c = client_end(&net);
        assert_eq!(c.cwnd, Some(10 * MSS as u64));
        assert_eq!(c.ssthresh, None, "unbounded until a loss");
        assert_eq!(c.in_flight, 10 * MSS as u64);
        // 30 ms: the server acknowledges each segment (after its SYN-ACK).
        run_through(&mut sim, ms(30));
        assert_eq!(sent(&net, "server", "client"), 1 + 10);
        assert_eq!(sent(&net, "client", "server"), 12, "nothing until the ACKs");
        // 40 ms: 10 ACKs, each opens the window by one segment: 20 leave.
        run_through(&mut sim, ms(40));
        assert_eq!(sent(&net, "client", "server"), 12 + 20);
        assert_eq!(client_end(&net).cwnd, Some(20 * MSS as u64));
        run_through(&mut sim, ms(50));
        assert_eq!(sent(&net, "server", "client"), 11 + 20);
        // 60 ms: 40 segments; 80 ms: 80.
        run_through(&mut sim, ms(60));
        assert_eq!(sent(&net, "client", "server"), 32 + 40);
        assert_eq!(client_end(&net).cwnd, Some(40 * MSS as u64));
        run_through(&mut sim, ms(79));
        assert_eq!(sent(&net, "client", "server"), 72);
        run_through(&mut sim, ms(80));
        assert_eq!(sent(&net, "client", "server"), 72 + 80);
        assert_eq!(client_end(&net).cwnd, Some(80 * MSS as u64));
        assert_eq!(client_stats(&net).retransmits, 0);
    });
}

/// Without congestion control the same sender puts the receiver's whole
/// window on the wire at once (here 64 KiB: 45 segments, the last short).
#[test]
fn without_congestion_control_the_first_flight_is_the_receivers_window() {
    on_fresh_thread(|| {
        let mut sim = bulk_transfer();
        let net = install_tcp(
            &mut sim,
            10,
            TcpConfig {
                send_buffer: 1 << 20,
                ..TcpConfig::default()
            },
        );
        run_through(&mut sim, ms(20));
        assert_eq!(sent(&net, "client", "server"), 2 + 45);
        let c = client_end(&net);
        assert_eq!(c.in_flight, 64 * 1024);
        assert_eq!((c.cwnd, c.ssthresh), (None, None));
    });
}

/// What [`lose_segments`] saw.
#[derive(Debug, Default)]
struct Outcome {
    /// When the server had read every byte.
    done: Duration,
    /// The client's counters then.
    stats: SocketStats,
    /// Packets the server sent by 35 ms: the SYN-ACK and its answers to
    /// the first flight (which arrives at 30 ms).
    server_packets_by_35ms: u64,
}

/// The client writes `segments` full segments at 20 ms; those whose
/// (0-based) index is in `lost` are dropped as they leave.
fn lose_segments(congestion: Congestion, segments: usize, lost: &'static [usize]) -> Outcome {
    let out = std::sync::Arc::new(std::sync::Mutex::new(Outcome::default()));
    let (out_server, out_client) = (out.clone(), out.clone());
    let len = segments * MSS;
    run(move |sim| {
        sim.host("server", move || {
            let out = out_server.clone();
            async move {
                let listener = TcpListener::bind("0.0.0.0:80").await?;
                let (mut s, _) = listener.accept().await?;
                let mut got = vec![0u8; len];
                s.read_exact(&mut got).await?;
                assert_eq!(got, pattern(len), "in order, exactly once");
                let stats = client_stats(&sim_net::net()?);
                {
                    let mut out = out.lock().unwrap();
                    out.done = now();
                    out.stats = stats;
                }
                std::future::pending().await
            }
        });
        sim.client("client", async move {
            let mut s = TcpStream::connect("server:80").await?;
            assert_eq!(now(), ms(20));
            let net = sim_net::net()?;
            let data = pattern(len);
            let mut from = 0;
            for &i in lost {
                s.write_all(&data[from..i * MSS]).await?;
                net.partition_one_way("client", "server")?;
                s.write_all(&data[i * MSS..(i + 1) * MSS]).await?;
                net.heal("client", "server")?;
                from = (i + 1) * MSS;
            }
            s.write_all(&data[from..]).await?;
            assert_eq!(now(), ms(20), "the writes were buffered at once");
            sleep_until(ms(35)).await;
            out_client.lock().unwrap().server_packets_by_35ms = sent(&net, "server", "client");
            // Long enough for every run here to finish.
            sleep_until(Duration::from_secs(2)).await;
            Ok(())
        });
        install_tcp(sim, 10, tcp(congestion));
    });
    let outcome = std::mem::take(&mut *out.lock().unwrap());
    assert!(outcome.done > Duration::ZERO, "the server read everything");
    outcome
}

/// One segment lost, the first of 20. NewReno: the 9 segments behind it
/// reach the server at 30 ms, which keeps them and answers each at once
/// with a duplicate ACK; at 40 ms the third duplicate makes the client
/// resend the lost segment (ssthresh 5 segments, window 8, inflated by the
/// next 6 duplicates to 14: segments 11 to 14 leave too). At 50 ms the
/// retransmission fills the hole: the server's `rcv_nxt` jumps over the 9
/// kept segments. At 60 ms the full acknowledgement ends fast recovery
/// (window 5 segments, congestion avoidance from there): segments 15 to 19
/// leave, the last one at 80 ms, read at 90 ms. Without congestion control
/// the server discards the 19 segments behind the hole and the client waits
/// for its 200 ms RTO: at 220 ms it goes back to the lost byte and resends
/// all 20, read at 230 ms.
#[test]
fn a_lost_segment_is_fast_retransmitted_with_newreno_and_waits_for_the_rto_without() {
    let fast = lose_segments(Congestion::NewReno, 20, &[0]);
    assert_eq!(fast.done, ms(90));
    assert_eq!(fast.stats.retransmits, 1, "only the lost segment");
    assert_eq!(fast.stats.fast_retransmits, 1);
    assert_eq!(
        fast.server_packets_by_35ms,
        1 + 9,
        "a duplicate ACK per segment"
    );
    let slow = lose_segments(Congestion::None, 20, &[0]);
    assert_eq!(slow.done, ms(230));
    assert_eq!(
        slow.stats.retransmits, 20,
        "go-back-N over the whole flight"
    );
    assert_eq!(slow.stats.fast_retransmits, 0);
    assert_eq!(
        slow.server_packets_by_35ms,
        1 + 1,
        "one ACK for the instant"
    );
}

/// Two segments lost in one window, the 1st and the 5th of 20. NewReno's
/// fast retransmit at 40 ms repairs the first hole; the acknowledgement it
/// brings back at 60 ms stops at the second (a partial acknowledgement),
/// which is resent at once, without leaving fast recovery and without a
/// timeout; it fills the second hole at 70 ms, and the last segments are
/// read at 90 ms. Without congestion control: the RTO again, 230 ms.
#[test]
fn two_losses_in_one_window_are_repaired_by_a_partial_acknowledgement() {
    let fast = lose_segments(Congestion::NewReno, 20, &[0, 4]);
    assert_eq!(fast.done, ms(90));
    assert_eq!(fast.stats.retransmits, 2);
    assert_eq!(fast.stats.fast_retransmits, 2);
    assert_eq!(fast.server_packets_by_35ms, 1 + 8);
    let slow = lose_segments(Congestion::None, 20, &[0, 4]);
    assert_eq!(slow.done, ms(230));
    assert_eq!(slow.stats.retransmits, 20);
}

/// A whole flight lost: no duplicate ACK comes back, so NewReno waits for
/// the RTO too (200 ms after the flight left at 20 ms). Then the window
/// collapses to one segment, ssthresh becomes half the 10 segments in
/// flight, and slow start begins again: 1 segment at 220 ms, 2 at 240 ms,
/// 4 at 260 ms; at 280 ms the window reaches ssthresh and grows by a fifth
/// of a segment per ACK after that (congestion avoidance): 5 segments.
#[test]
fn rto_collapses_the_window_to_one_segment_and_slow_starts_again() {
    on_fresh_thread(|| {
        let mut sim = sim_core::Builder::new().seed(1).build();
        sink(&mut sim);
        sim.host("client", || async {
            let mut s = TcpStream::connect("server:80").await?;
            let net = sim_net::net()?;
            net.partition_one_way("client", "server")?;
            s.write_all(&pattern(10 * MSS)).await?;
            net.heal("client", "server")?;
            s.write_all(&pattern(30_000)).await?;
            std::future::pending().await
        });
        let net = install_tcp(&mut sim, 10, tcp(Congestion::NewReno));
        let mss = MSS as u64;
        run_through(&mut sim, ms(219));
        assert_eq!(sent(&net, "client", "server"), 2 + 10);
        assert_eq!(client_end(&net).cwnd, Some(10 * mss));
        run_through(&mut sim, ms(220));
        assert_eq!(sent(&net, "client", "server"), 12 + 1);
        let c = client_end(&net);
        assert_eq!((c.cwnd, c.ssthresh), (Some(mss), Some(5 * mss)));
        run_through(&mut sim, ms(240));
        assert_eq!(sent(&net, "client", "server"), 13 + 2);
        assert_eq!(client_end(&net).cwnd, Some(2 * mss));
        run_through(&mut sim, ms(260));
        assert_eq!(sent(&net, "client", "server"), 15 + 4);
        assert_eq!(client_end(&net).cwnd, Some(4 * mss));
        run_through(&mut sim, ms(280));
        assert_eq!(sent(&net, "client", "server"), 19 + 5);
        // 4 + 1 segments (slow start up to ssthresh), then + 1460²/cwnd
        // per ACK: 7300 + 292 + 280 + 270.
        assert_eq!(client_end(&net).cwnd, Some(8142));
        let stats = client_stats(&net);
        assert_eq!(stats.retransmits, 10, "the lost flight, once each");
        assert_eq!(stats.fast_retransmits, 0);
    });
}

/// Random loss (10 %), jitter and reordering, with NewReno at both ends:
/// every byte still arrives once and in order, and some losses were
/// repaired by fast retransmit rather than by the timeout.
#[test]
fn random_loss_and_reordering_with_newreno_still_deliver_every_byte_once_in_order() {
    use sim_net::{LinkConfig, Loss};
    let len = 200_000;
    let mut fast_total = 0;
    for seed in 1..=4 {
        let out = std::sync::Arc::new(std::sync::Mutex::new(None));
        let out2 = out.clone();
        run_seed(seed, move |sim| {
            sim.host("server", move || {
                let out = out2.clone();
                async move {
                    let listener = TcpListener::bind("0.0.0.0:80").await?;
                    let (mut s, _) = listener.accept().await?;
                    let mut got = Vec::new();
                    s.read_to_end(&mut got).await?;
                    let stats = client_stats(&sim_net::net()?);
                    *out.lock().unwrap() = Some((got, stats));
                    std::future::pending().await
                }
            });
            sim.client("client", async move {
                let mut s = TcpStream::connect("server:80").await?;
                s.write_all(&pattern(len)).await?;
                s.shutdown().await?;
                sleep_until(Duration::from_secs(120)).await;
                Ok(())
            });
            let link = LinkConfig::fixed(10 * MS)
                .with_jitter(5 * MS)
                .with_tcp_reordering(true)
                .with_loss(Loss::Bernoulli(0.1));
            Net::builder()
                .default_link(link)
                .tcp(tcp(Congestion::NewReno))
                .install(sim);
        });
        let (got, stats) = out.lock().unwrap().take().expect("the server read to EOF");
        assert_eq!(got, pattern(len), "seed {seed}: in order, exactly once");
        fast_total += stats.fast_retransmits;
    }
    assert!(fast_total > 0, "no loss was repaired by fast retransmit");
}
