//! The behaviour table of the guide (docs/src/network.md, "TCP: what the peer
//! sees"), at the model level, with exact error kinds and exact virtual times
//! (fixed latencies make every instant predictable).
use std::io::ErrorKind;

use crate::helpers::model::*;
use sim_net::model::{
    DropReason, InjectedError, Keepalive, LinkConfig, Loss, NetConfig, Network, Readiness,
    TcpConfig, TcpState, MILLIS, SECS,
};

const L: u64 = 10 * MILLIS;

#[test]
fn connect_to_live_host_without_listener_is_refused_after_one_round_trip() {
    let (mut net, a, _b) = two_nodes(L);
    let c = net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    let (t, r) = wait_for(&mut net, 10 * SECS, |n| n.tcp_connect_result(c));
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::ConnectionRefused);
    assert!(e.to_string().contains("10.0.0.2:80"), "{e}");
    assert_eq!(t, 2 * L);
    assert_eq!(net.drop_counts().get(DropReason::NoSocket), 1);
    assert!(net.is_closed(c));
}

#[test]
fn connect_to_unknown_address_fails_at_once_naming_it() {
    let (mut net, a, _b) = two_nodes(L);
    let e = net.tcp_connect(0, a, addr("10.9.9.9:80")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HostUnreachable);
    assert!(e.to_string().contains("10.9.9.9"), "{e}");
    assert_eq!(net.next_deadline(), None);
}

fn syn_timeout_cfg() -> NetConfig {
    let mut cfg = NetConfig::default();
    cfg.tcp.connect_timeout = 20 * SECS;
    cfg
}

#[test]
fn connect_across_partition_retries_syn_then_times_out() {
    let (mut net, a, b) = two_nodes_with(L, syn_timeout_cfg());
    net.tcp_listen(0, b, addr("10.0.0.2:80"), 8).unwrap();
    net.partition(a, b);
    let c = net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    let (t, r) = wait_for(&mut net, 100 * SECS, |n| n.tcp_connect_result(c));
    assert_eq!(r.unwrap_err().kind(), ErrorKind::TimedOut);
    assert_eq!(t, 20 * SECS);
    // SYNs at 0, 1, 3, 7, 15 s (backoff 1, 2, 4, 8 s) all dropped by the partition.
    let st = net.link_stats(a, b);
    assert_eq!(st.packets_sent, 5);
    assert_eq!(st.dropped.get(DropReason::Partition), 5);
}

#[test]
fn connect_heals_during_syn_retries() {
    let (mut net, a, b) = two_nodes_with(L, syn_timeout_cfg());
    net.tcp_listen(0, b, addr("10.0.0.2:80"), 8).unwrap();
    net.partition(a, b);
    let c = net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    run_until(&mut net, 2 * SECS, |_| false);
    net.heal(a, b);
    // The third SYN goes at 3 s and is answered one round trip later.
    let (t, r) = wait_for(&mut net, 100 * SECS, |n| n.tcp_connect_result(c));
    r.unwrap();
    assert_eq!(t, 3 * SECS + 2 * L);
}

#[test]
fn connect_to_crashed_host_times_out() {
    let (mut net, a, b) = two_nodes_with(L, syn_timeout_cfg());
    net.tcp_listen(0, b, addr("10.0.0.2:80"), 8).unwrap();
    net.node_crashed(0, b);
    let c = net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    let (t, r) = wait_for(&mut net, 100 * SECS, |n| n.tcp_connect_result(c));
    assert_eq!(r.unwrap_err().kind(), ErrorKind::TimedOut);
    assert_eq!(t, 20 * SECS);
    assert_eq!(net.link_stats(a, b).dropped.get(DropReason::NodeDown), 5);
}

#[test]
fn default_connect_timeout_is_linux_127_seconds() {
    let (mut net, a, b) = two_nodes(L);
    net.isolate(b);
    let c = net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    let (t, r) = wait_for(&mut net, 1000 * SECS, |n| n.tcp_connect_result(c));
    assert_eq!(r.unwrap_err().kind(), ErrorKind::TimedOut);
    assert_eq!(t, 127 * SECS);
    assert_eq!(net.link_stats(a, b).packets_sent, 7);
}

#[test]
fn full_backlog_drops_syn_and_client_retries() {
    let (mut net, a, b) = two_nodes(L);
    let l = net.tcp_listen(0, b, addr("10.0.0.2:80"), 1).unwrap();
    let c1 = net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    let c2 = net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    let (t1, r) = wait_for(&mut net, SECS, |n| n.tcp_connect_result(c1));
    r.unwrap();
    assert_eq!(t1, 2 * L);
    assert_eq!(net.drop_counts().get(DropReason::BacklogFull), 1);
    // The server side completes one latency later, when the final ACK arrives.
    let t = run_until(&mut net, SECS, |n| n.can_accept(l)).unwrap();
    assert_eq!(t, 3 * L);
    let (s1, _) = net.tcp_accept(t, l).unwrap();
    // Accepting made room; c2's SYN retry at 1 s gets through.
    let (t2, r) = wait_for(&mut net, 10 * SECS, |n| n.tcp_connect_result(c2));
    r.unwrap();
    assert_eq!(t2, SECS + 2 * L);
    assert!(net.connection(s1).is_some());
}

#[test]
fn full_send_buffer_gives_would_block_and_space_wakes_writer() {
    let mut cfg = NetConfig::default();
    cfg.tcp.send_buffer = 4096;
    cfg.tcp.recv_buffer = 4096;
    let (mut net, a, b) = two_nodes_with(L, cfg);
    let (c, s) = connected_pair(&mut net, a, b, 80);
    let data = pattern(20_000);
    let mut written = 0;
    // Fill: the send buffer (4096) plus, once it flowed, the peer's window (4096).
    // The sender then only sends zero-window probes, so stop after a while.
    let t0 = net.now();
    while net.now() < t0 + 5 * SECS {
        let now = net.now();
        match net.tcp_write(now, c, &data[written..]) {
            Ok(n) => written += n,
            Err(e) => {
                assert_eq!(e.kind(), ErrorKind::WouldBlock);
                step(&mut net).unwrap();
            }
        }
    }
    assert_eq!(written, 8192);
    assert!(!net.can_write(c));
    let info = net.connection(s).unwrap();
    assert_eq!(info.recv_buffered, 4096);
    notifications(&mut net);
    let mut buf = vec![0; 4096];
    let now = net.now();
    assert_eq!(net.tcp_read(now, s, &mut buf).unwrap(), 4096);
    // The window update travels, the sender's buffer drains, the writer is woken.
    run_until(&mut net, 10 * SECS, |n| n.can_write(c)).unwrap();
    let notes = notifications(&mut net);
    assert!(notes
        .iter()
        .any(|n| n.socket == c && n.readiness == Readiness::Writable));
}

#[test]
fn zero_buffers_make_a_rendezvous() {
    let mut cfg = NetConfig::default();
    cfg.tcp.send_buffer = 0;
    cfg.tcp.recv_buffer = 0;
    let (mut net, a, b) = two_nodes_with(L, cfg);
    let (c, s) = connected_pair(&mut net, a, b, 80);
    let t0 = net.now();
    // Nobody reads: the write cannot complete.
    assert_eq!(
        net.tcp_write(t0, c, b"hello").unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    run_until(&mut net, t0 + SECS, |_| false);
    assert_eq!(
        net.tcp_write(net.now(), c, b"hello").unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    // A reader waits for 3 bytes: the window opens for exactly 3.
    let t1 = net.now();
    let mut buf = [0u8; 3];
    assert_eq!(
        net.tcp_read(t1, s, &mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    let (t2, r) = wait_for(&mut net, t1 + SECS, |n| {
        let now = n.now();
        n.tcp_write(now, c, b"hello")
    });
    assert_eq!(r.unwrap(), 3);
    assert_eq!(t2, t1 + L);
    let (t3, r) = wait_for(&mut net, t2 + SECS, |n| {
        let now = n.now();
        n.tcp_read(now, s, &mut buf)
    });
    assert_eq!(r.unwrap(), 3);
    assert_eq!(&buf, b"hel");
    assert_eq!(t3, t2 + L);
}

#[test]
fn loss_becomes_delay_in_order_exactly_once() {
    let (mut net, a, b) = two_nodes(L);
    let lossy = LinkConfig::fixed(L).with_loss(Loss::Bernoulli(0.2));
    net.set_link_both(a, b, lossy).unwrap();
    let (c, s) = connected_pair(&mut net, a, b, 80);
    let data = pattern(200_000);
    let (got, _) = transfer(&mut net, c, s, &data, 600 * SECS);
    assert_eq!(got.len(), data.len());
    assert!(got == data);
    assert!(net.socket_stats(c).unwrap().retransmits > 0);
    assert!(net.link_stats(a, b).dropped.get(DropReason::Loss) > 0);
}

#[test]
fn partition_healed_before_user_timeout_loses_nothing() {
    let mut cfg = NetConfig::default();
    cfg.tcp.user_timeout = Some(30 * SECS);
    let (mut net, a, b) = two_nodes_with(L, cfg);
    let (c, s) = connected_pair(&mut net, a, b, 80);
    net.partition(a, b);
    let data = pattern(50_000);
    let t0 = net.now();
    assert_eq!(net.tcp_write(t0, c, &data).unwrap(), data.len());
    run_until(&mut net, t0 + 10 * SECS, |_| false);
    assert_eq!(
        net.connection(s).unwrap().recv_buffered,
        0,
        "nothing crossed"
    );
    assert_eq!(net.connection(c).unwrap().send_buffered, data.len());
    net.heal(a, b);
    let got = read_n(&mut net, s, data.len(), t0 + 100 * SECS);
    assert!(got == data);
    assert!(net.connection(c).unwrap().error.is_none());
}

#[test]
fn partition_longer_than_user_timeout_fails_with_timed_out_exactly() {
    let mut cfg = NetConfig::default();
    cfg.tcp.user_timeout = Some(30 * SECS);
    let (mut net, a, b) = two_nodes_with(L, cfg);
    let (c, _s) = connected_pair(&mut net, a, b, 80);
    net.partition(a, b);
    let t0 = net.now();
    net.tcp_write(t0, c, b"stuck").unwrap();
    let mut buf = [0u8; 8];
    let (t, r) = wait_for(&mut net, t0 + 100 * SECS, |n| {
        let now = n.now();
        n.tcp_read(now, c, &mut buf)
    });
    assert_eq!(r.unwrap_err().kind(), ErrorKind::TimedOut);
    assert_eq!(t, t0 + 30 * SECS);
    let e = net.tcp_write(t, c, b"x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(e.to_string().contains("10.0.0.2:80"), "{e}");
}

#[test]
fn shutdown_write_gives_peer_eof_after_data_and_peer_can_write_back() {
    let (mut net, a, b) = two_nodes(L);
    let (c, s) = connected_pair(&mut net, a, b, 80);
    let t0 = net.now();
    net.tcp_write(t0, c, b"request").unwrap();
    net.tcp_shutdown_write(t0, c).unwrap();
    assert_eq!(
        net.tcp_write(t0, c, b"more").unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    let mut buf = [0u8; 64];
    let (t, r) = wait_for(&mut net, t0 + SECS, |n| {
        let now = n.now();
        n.tcp_read(now, s, &mut buf)
    });
    assert_eq!(r.unwrap(), 7);
    assert_eq!(t, t0 + L);
    assert_eq!(
        net.tcp_read(t, s, &mut buf).unwrap(),
        0,
        "EOF after the data"
    );
    assert_eq!(net.connection(s).unwrap().state, TcpState::CloseWait);
    net.tcp_write(t, s, b"response").unwrap();
    let (t2, r) = wait_for(&mut net, t + SECS, |n| {
        let now = n.now();
        n.tcp_read(now, c, &mut buf)
    });
    assert_eq!(r.unwrap(), 8);
    assert_eq!(&buf[..8], b"response");
    assert_eq!(t2, t + L);
    net.tcp_shutdown_write(t2, s).unwrap();
    run_until(&mut net, t2 + SECS, |n| n.is_closed(c) && n.is_closed(s)).unwrap();
    assert_eq!(net.tcp_read(net.now(), c, &mut buf).unwrap(), 0);
}

#[test]
fn drop_with_unread_data_resets_peer() {
    let (mut net, a, b) = two_nodes(L);
    let (c, s) = connected_pair(&mut net, a, b, 80);
    let t0 = net.now();
    net.tcp_write(t0, c, b"unread").unwrap();
    run_until(&mut net, t0 + SECS, |n| n.can_read(s)).unwrap();
    let t1 = net.now();
    net.close(t1, s).unwrap();
    let mut buf = [0u8; 8];
    let (t, r) = wait_for(&mut net, t1 + SECS, |n| {
        let now = n.now();
        n.tcp_read(now, c, &mut buf)
    });
    assert_eq!(r.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert_eq!(t, t1 + L);
    assert_eq!(
        net.tcp_write(t, c, b"x").unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    assert!(net.is_closed(c));
}

#[test]
fn clean_close_sends_fin() {
    let (mut net, a, b) = two_nodes(L);
    let (c, s) = connected_pair(&mut net, a, b, 80);
    let t0 = net.now();
    net.tcp_write(t0, c, b"bye").unwrap();
    net.close(t0, c).unwrap();
    let mut buf = [0u8; 8];
    let (_, r) = wait_for(&mut net, t0 + SECS, |n| {
        let now = n.now();
        n.tcp_read(now, s, &mut buf)
    });
    assert_eq!(r.unwrap(), 3);
    assert_eq!(net.tcp_read(net.now(), s, &mut buf).unwrap(), 0);
    // The closing side lingers in TIME_WAIT after the peer closes too, then vanishes.
    net.close(net.now(), s).unwrap();
    run_until(&mut net, t0 + SECS, |n| {
        n.connection(c)
            .is_some_and(|i| i.state == TcpState::TimeWait)
    })
    .unwrap();
    run_until(&mut net, t0 + 100 * SECS, |n| n.connections().is_empty()).unwrap();
}

#[test]
fn process_kill_closes_sockets_like_the_kernel() {
    let (mut net, a, b) = two_nodes(L);
    let (c1, s1) = connected_pair(&mut net, a, b, 80);
    let (c2, s2) = connected_pair(&mut net, a, b, 81);
    let t0 = net.now();
    // s2 has unread data, s1 has none.
    net.tcp_write(t0, c2, b"pending").unwrap();
    run_until(&mut net, t0 + SECS, |n| n.can_read(s2)).unwrap();
    let t1 = net.now();
    net.node_killed(t1, b);
    let mut buf = [0u8; 8];
    let (t, r) = wait_for(&mut net, t1 + SECS, |n| {
        let now = n.now();
        n.tcp_read(now, c1, &mut buf)
    });
    assert_eq!(r.unwrap(), 0, "FIN: EOF");
    assert_eq!(t, t1 + L);
    let (_, r) = wait_for(&mut net, t1 + SECS, |n| {
        let now = n.now();
        n.tcp_read(now, c2, &mut buf)
    });
    assert_eq!(r.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert!(net.is_up(b));
    let _ = s1;
}

#[test]
fn machine_crash_is_silent_then_restart_answers_rst() {
    let (mut net, a, b) = two_nodes(L);
    let (c, _s) = connected_pair(&mut net, a, b, 80);
    let t0 = net.now();
    net.node_crashed(t0, b);
    net.tcp_write(t0, c, b"anyone?").unwrap();
    // Silence: retransmissions into the void, no error.
    run_until(&mut net, t0 + 5 * SECS, |_| false);
    assert!(net.connection(c).unwrap().error.is_none());
    assert!(net.link_stats(a, b).dropped.get(DropReason::NodeDown) >= 2);
    let t1 = net.now();
    net.node_restarted(t1, b);
    let mut buf = [0u8; 8];
    let (_, r) = wait_for(&mut net, t1 + 100 * SECS, |n| {
        let now = n.now();
        n.tcp_read(now, c, &mut buf)
    });
    assert_eq!(r.unwrap_err().kind(), ErrorKind::ConnectionReset);
    assert!(net.drop_counts().get(DropReason::NoSocket) >= 1);
}

#[test]
fn keepalive_fails_a_silent_peer() {
    let mut cfg = NetConfig::default();
    cfg.tcp.keepalive = Some(Keepalive {
        idle: 10 * SECS,
        interval: SECS,
        count: 3,
    });
    let (mut net, a, b) = two_nodes_with(L, cfg);
    let (c, s) = connected_pair(&mut net, a, b, 80);
    let t0 = net.now();
    // An answering peer keeps the connection alive through several idle periods.
    run_until(&mut net, t0 + 60 * SECS, |_| false);
    assert!(net.connection(c).unwrap().error.is_none());
    assert!(net.connection(s).unwrap().error.is_none());
    // Then the peer goes silent: the last segment c heard was the answer to its probe.
    let t1 = net.now();
    net.partition(a, b);
    let mut buf = [0u8; 4];
    let (t, r) = wait_for(&mut net, t1 + 100 * SECS, |n| {
        let now = n.now();
        n.tcp_read(now, c, &mut buf)
    });
    assert_eq!(r.unwrap_err().kind(), ErrorKind::TimedOut);
    let heard = t;
    // idle + count * interval after the last answer.
    assert!(heard > t1 && heard <= t1 + 13 * SECS, "{heard} vs {t1}");
}

#[test]
fn keepalive_exact_time_after_crash() {
    let cfg = NetConfig::default();
    let ka = Keepalive {
        idle: 10 * SECS,
        interval: 2 * SECS,
        count: 4,
    };
    let (mut net, a, b) = two_nodes_with(L, cfg);
    let (c, _s) = connected_pair(&mut net, a, b, 80);
    let t0 = net.now();
    net.node_crashed(t0, b);
    net.tcp_set_keepalive(t0, c, Some(ka)).unwrap();
    let mut buf = [0u8; 4];
    let (t, r) = wait_for(&mut net, t0 + 100 * SECS, |n| {
        let now = n.now();
        n.tcp_read(now, c, &mut buf)
    });
    let e = r.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::TimedOut);
    assert!(e.to_string().contains("keepalive"), "{e}");
    // c last heard from b when the SYN-ACK arrived (2 L); keepalive counts from
    // there: idle, then `count` probes `interval` apart, then failure.
    assert_eq!(t, 2 * L + 10 * SECS + 4 * 2 * SECS);
}

#[test]
fn injected_faults_and_introspection() {
    let (mut net, a, b) = two_nodes(L);
    let l = net.tcp_listen(0, b, addr("10.0.0.2:80"), 8).unwrap();
    net.set_accept_error(l, Some(InjectedError::new(ErrorKind::Other, "accept boom")))
        .unwrap();
    let c = net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    run_until(&mut net, SECS, |n| n.can_accept(l)).unwrap();
    let e = net.tcp_accept(net.now(), l).unwrap_err();
    assert_eq!(
        (e.kind(), e.to_string().as_str()),
        (ErrorKind::Other, "accept boom")
    );
    net.set_accept_error(l, None).unwrap();
    let (s, peer) = net.tcp_accept(net.now(), l).unwrap();
    assert_eq!(peer, net.local_addr(c).unwrap());
    assert!(!net.can_read(s));
    net.set_read_error(
        s,
        Some(InjectedError::new(
            ErrorKind::ConnectionAborted,
            "read boom",
        )),
    )
    .unwrap();
    net.set_write_error(
        c,
        Some(InjectedError::new(ErrorKind::BrokenPipe, "write boom")),
    )
    .unwrap();
    let mut buf = [0u8; 4];
    assert_eq!(
        net.tcp_read(net.now(), s, &mut buf).unwrap_err().kind(),
        ErrorKind::ConnectionAborted
    );
    assert_eq!(
        net.tcp_write(net.now(), c, b"x").unwrap_err().kind(),
        ErrorKind::BrokenPipe
    );
    net.set_write_error(c, None).unwrap();
    net.set_read_error(s, None).unwrap();
    net.tcp_write(net.now(), c, b"ok").unwrap();
    run_until(&mut net, 10 * SECS, |n| n.can_read(s)).unwrap();
    assert_eq!(net.tcp_read(net.now(), s, &mut buf).unwrap(), 2);
    net.set_close_error(
        s,
        Some(InjectedError::new(ErrorKind::Interrupted, "close boom")),
    )
    .unwrap();
    assert_eq!(
        net.close(net.now(), s).unwrap_err().kind(),
        ErrorKind::Interrupted
    );
    assert!(net.is_closed(s), "closed despite the error");
    // The closed server end lingers in the kernel until its FIN is acknowledged.
    let conns = net.connections();
    assert_eq!(conns.len(), 2);
    let ci = conns.iter().find(|i| i.socket == c).unwrap();
    assert_eq!(ci.local, net.local_addr(c).unwrap());
    assert_eq!(ci.remote, addr("10.0.0.2:80"));
    assert_eq!(ci.state, TcpState::Established);
    let si = conns.iter().find(|i| i.socket == s).unwrap();
    assert_eq!(si.state, TcpState::FinWait);
    assert_eq!((si.send_buffered, si.recv_buffered), (0, 0));
}

#[test]
fn inject_connection_from_any_address() {
    let (mut net, _a, b) = two_nodes(L);
    let l = net.tcp_listen(0, b, addr("0.0.0.0:443"), 8).unwrap();
    let from = addr("203.0.113.7:4444");
    let peer = net.inject_connection(0, l, from).unwrap();
    assert!(net.can_accept(l));
    let (s, remote) = net.tcp_accept(0, l).unwrap();
    assert_eq!(remote, from);
    assert_eq!(net.local_addr(s).unwrap(), addr("10.0.0.2:443"));
    net.tcp_write(0, peer, b"GET /").unwrap();
    let mut buf = [0u8; 16];
    let (t, r) = wait_for(&mut net, SECS, |n| {
        let now = n.now();
        n.tcp_read(now, s, &mut buf)
    });
    assert_eq!(r.unwrap(), 5);
    assert_eq!(t, 0, "the injected path has no latency");
    net.tcp_write(t, s, b"200").unwrap();
    let (_, r) = wait_for(&mut net, SECS, |n| {
        let now = n.now();
        n.tcp_read(now, peer, &mut buf)
    });
    assert_eq!(&buf[..r.unwrap()], b"200");
    net.close(t, peer).unwrap();
    let (_, r) = wait_for(&mut net, SECS, |n| {
        let now = n.now();
        n.tcp_read(now, s, &mut buf)
    });
    assert_eq!(r.unwrap(), 0);
}

#[test]
fn bandwidth_limited_transfer_takes_n_times_8_over_b_plus_latency() {
    // 1 Mbit/s, 10 ms: 125 KB of payload. Ideal: N*8/B + L = 1.01 s. Each 1460-byte
    // segment carries 40 header bytes (2.7 %), and the first segments wait for the
    // handshake; so allow 4 %.
    let (mut net, a, b) = two_nodes(L);
    let link = LinkConfig::fixed(L).with_bandwidth(1_000_000, None);
    net.set_link_both(a, b, link).unwrap();
    let (c, s) = connected_pair(&mut net, a, b, 80);
    let start = net.now();
    let n = 125_000;
    let (got, end) = transfer(&mut net, c, s, &pattern(n), start + 100 * SECS);
    assert_eq!(got.len(), n);
    let took = (end - start) as f64;
    let ideal = (n as f64 * 8.0 / 1e6) * 1e9 + L as f64;
    let ratio = took / ideal;
    assert!(
        (1.0..1.04).contains(&ratio),
        "took {took} ns, ideal {ideal} ns, ratio {ratio}"
    );
}

#[test]
fn same_seed_same_trace() {
    fn run(seed: u64) -> Vec<(u64, u64, String)> {
        let cfg = NetConfig {
            default_link: LinkConfig::fixed(L)
                .with_jitter(5 * MILLIS)
                .with_loss(Loss::Bernoulli(0.1)),
            ..NetConfig::default()
        };
        let mut net = sim_net::model::Network::with_config(seed, cfg).unwrap();
        let a = net.add_node("a", &["10.0.0.1".parse().unwrap()]).unwrap();
        let b = net.add_node("b", &["10.0.0.2".parse().unwrap()]).unwrap();
        let (c, s) = connected_pair(&mut net, a, b, 80);
        let mut trace = Vec::new();
        let data = pattern(30_000);
        let mut w = 0;
        let mut buf = vec![0; 4096];
        let mut got = 0;
        while got < data.len() {
            let now = net.now();
            if w < data.len() {
                if let Ok(n) = net.tcp_write(now, c, &data[w..]) {
                    w += n;
                }
            }
            if let Ok(n) = net.tcp_read(now, s, &mut buf) {
                got += n;
            }
            for n in notifications(&mut net) {
                trace.push((now, n.socket.0, format!("{:?}", n.readiness)));
            }
            step(&mut net).unwrap();
        }
        trace
    }
    assert_eq!(run(7), run(7));
    assert_ne!(run(7), run(8));
}

#[test]
fn tcp_config_per_connection() {
    let (mut net, a, b) = two_nodes(L);
    net.tcp_listen(0, b, addr("10.0.0.2:80"), 8).unwrap();
    let cfg = TcpConfig {
        connect_timeout: 3 * SECS,
        ..TcpConfig::default()
    };
    net.partition(a, b);
    let c = net
        .tcp_connect_with(0, a, Some(addr("10.0.0.1:5555")), addr("10.0.0.2:80"), cfg)
        .unwrap();
    assert_eq!(net.local_addr(c).unwrap(), addr("10.0.0.1:5555"));
    let (t, r) = wait_for(&mut net, 100 * SECS, |n| n.tcp_connect_result(c));
    assert_eq!(r.unwrap_err().kind(), ErrorKind::TimedOut);
    assert_eq!(t, 3 * SECS);
}

#[test]
fn connect_with_every_ephemeral_port_taken_is_addr_not_available_and_bind_addr_in_use() {
    let cfg = NetConfig {
        ephemeral_first: 50_000,
        ephemeral_last: 50_001,
        ..NetConfig::default()
    };
    let (mut net, a, b) = two_nodes_with(10 * MILLIS, cfg);
    net.tcp_listen(0, b, addr("10.0.0.2:80"), 16).unwrap();
    net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap();
    // Linux: EADDRNOTAVAIL from connect, EADDRINUSE from bind to port 0.
    let e = net.tcp_connect(0, a, addr("10.0.0.2:80")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrNotAvailable);
    assert!(e.to_string().contains("no free ephemeral port"), "{e}");
    let e = net.tcp_listen(0, a, addr("0.0.0.0:0"), 16).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrInUse);
}

#[test]
fn bad_tcp_settings_are_refused_naming_the_field() {
    let (mut net, a, b) = two_nodes(L);
    let bad = TcpConfig {
        rto_min: 10 * SECS,
        rto_max: SECS,
        ..TcpConfig::default()
    };
    let e = net
        .tcp_listen_with(0, b, addr("10.0.0.2:80"), 16, bad.clone())
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("TcpConfig::rto_min"), "{e}");
    let e = net
        .tcp_connect_with(0, a, None, addr("10.0.0.2:80"), bad)
        .unwrap_err();
    assert!(e.to_string().contains("TcpConfig::rto_min"), "{e}");
    let zero_mss = TcpConfig {
        mss: 0,
        ..TcpConfig::default()
    };
    let e = Network::with_config(
        1,
        NetConfig {
            tcp: zero_mss,
            ..NetConfig::default()
        },
    )
    .unwrap_err();
    assert!(e.to_string().contains("TcpConfig::mss = 0"), "{e}");
}
