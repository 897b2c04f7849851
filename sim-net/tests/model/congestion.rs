//! NewReno at the model level (`TcpConfig::congestion`), driven directly
//! with exact virtual times: the receiver's reassembly queue stays inside
//! its receive buffer, and a NewReno sender facing a receiver without
//! congestion control gets no duplicate ACKs, so its losses wait for the
//! retransmission timeout.
//!
//! Links have a fixed one-way latency of 10 ms. `connected_pair` returns at
//! 30 ms (the server accepts when the handshake's last ACK arrives); the
//! client's SYN sample makes its RTO 200 ms.
use crate::helpers::model::*;
use sim_net::model::{Congestion, NetConfig, Network, NodeId, SocketId, Time, MILLIS, SECS};

const L: Time = 10 * MILLIS;
const MSS: usize = 1460;

/// Two nodes whose sockets use `client` and `server` congestion control,
/// connected; the client's segment number `lost` (0-based) of `data` is
/// dropped as it leaves, and all of `data` is written at 30 ms.
fn lossy_pair(
    client: Congestion,
    server: Congestion,
    recv_buffer: usize,
    data: &[u8],
    lost: usize,
) -> (Network, NodeId, NodeId, SocketId, SocketId) {
    let mut cfg = NetConfig::default();
    cfg.tcp.congestion = server;
    cfg.tcp.recv_buffer = recv_buffer;
    let (mut net, a, b) = two_nodes_with(L, cfg);
    let l = net.tcp_listen(0, b, addr("10.0.0.2:80"), 8).unwrap();
    let mut ccfg = net.config().tcp.clone();
    ccfg.congestion = client;
    let c = net
        .tcp_connect_with(0, a, None, addr("10.0.0.2:80"), ccfg)
        .unwrap();
    let (_, r) = wait_for(&mut net, SECS, |n| {
        let now = n.now();
        n.tcp_accept(now, l)
    });
    let (s, _) = r.unwrap();
    assert_eq!(net.now(), 3 * L);
    let now = net.now();
    let cut = lost * MSS;
    assert_eq!(net.tcp_write(now, c, &data[..cut]).unwrap(), cut);
    net.partition_one_way(a, b);
    assert_eq!(net.tcp_write(now, c, &data[cut..cut + MSS]).unwrap(), MSS);
    net.heal(a, b);
    let rest = &data[cut + MSS..];
    assert_eq!(net.tcp_write(now, c, rest).unwrap(), rest.len());
    (net, a, b, c, s)
}

/// A receiver that does not read, with room for 8 segments, loses the
/// first: the 7 behind it (the window allows no more) arrive at 40 ms and
/// wait in the reassembly queue, the sender's fast retransmit at 50 ms
/// fills the hole at 60 ms, and the receive buffer then holds exactly its
/// capacity, window closed. Reading reopens it and every byte arrives once,
/// in order.
#[test]
fn the_reassembly_queue_stays_inside_the_receive_buffer() {
    let data = pattern(20 * MSS);
    let nr = Congestion::NewReno;
    let (mut net, a, b, c, s) = lossy_pair(nr, nr, 8 * MSS, &data, 0);
    // 30 ms: the lost segment and 7 more (the receiver's window) left.
    assert_eq!(net.link_stats(a, b).packets_sent, 2 + 8);
    run_until(&mut net, 40 * MILLIS, |_| false);
    // 40 ms: a duplicate ACK for each; nothing readable yet.
    assert_eq!(net.link_stats(b, a).packets_sent, 1 + 7);
    assert_eq!(net.connection(s).unwrap().recv_buffered, 0);
    run_until(&mut net, 50 * MILLIS, |_| false);
    assert_eq!(
        net.link_stats(a, b).packets_sent,
        10 + 1,
        "the retransmission"
    );
    run_until(&mut net, 60 * MILLIS, |_| false);
    // One cumulative ACK for the 8 segments.
    assert_eq!(net.link_stats(b, a).packets_sent, 8 + 1);
    assert_eq!(net.connection(s).unwrap().recv_buffered, 8 * MSS);
    run_until(&mut net, 70 * MILLIS, |_| false);
    let client = net.connection(c).unwrap();
    assert_eq!(client.in_flight, 0);
    assert_eq!(client.ssthresh, Some(4 * MSS as u64));
    let stats = net.socket_stats(c).unwrap();
    assert_eq!((stats.retransmits, stats.fast_retransmits), (1, 1));
    let got = read_n(&mut net, s, data.len(), 10 * SECS);
    assert_eq!(got, data);
}

/// A NewReno sender and a receiver without congestion control (each
/// socket's own setting): the receiver discards what follows the hole and
/// sends one ACK for the instant, so no third duplicate ACK ever comes and
/// the loss waits for the RTO (230 ms, 200 ms after the flight left), as
/// without congestion control. The timeout collapses the window to one
/// segment, and with one ACK per round trip slow start adds one segment per
/// round trip: 1, 2, 3, 4 segments, then 5 (ssthresh), then the last 5,
/// read at 340 ms. (Without congestion control all 20 would be resent at
/// 230 ms and read at 240 ms.)
#[test]
fn a_newreno_sender_facing_a_receiver_without_it_waits_for_the_rto() {
    let data = pattern(20 * MSS);
    let (mut net, _a, _b, c, s) =
        lossy_pair(Congestion::NewReno, Congestion::None, 64 * 1024, &data, 0);
    let got = read_n(&mut net, s, data.len(), 10 * SECS);
    assert_eq!(got, data);
    let stats = net.socket_stats(c).unwrap();
    assert_eq!(stats.fast_retransmits, 0);
    let info = net.connection(c).unwrap();
    assert_eq!(
        info.ssthresh,
        Some(5 * MSS as u64),
        "half the 10 segments in flight at the RTO"
    );
    assert_eq!(net.now(), 340 * MILLIS);
    let none = Congestion::None;
    let (mut net, _a, _b, _c, s) = lossy_pair(none, none, 64 * 1024, &data, 0);
    assert_eq!(read_n(&mut net, s, data.len(), 10 * SECS), data);
    assert_eq!(net.now(), 240 * MILLIS);
}
