//! Helpers shared by the model tests: a small network, stepping, transfers.

use std::io;
use std::net::SocketAddr;

use sim_net::model::{LinkConfig, NetConfig, Network, NodeId, SocketId, Time};

pub fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

/// Two nodes, a = 10.0.0.1 and b = 10.0.0.2, with a fixed one-way latency.
pub fn two_nodes(latency: Time) -> (Network, NodeId, NodeId) {
    two_nodes_with(latency, NetConfig::default())
}

pub fn two_nodes_with(latency: Time, mut cfg: NetConfig) -> (Network, NodeId, NodeId) {
    cfg.default_link = LinkConfig::fixed(latency);
    let mut net = Network::with_config(42, cfg).unwrap();
    let a = net.add_node("a", &["10.0.0.1".parse().unwrap()]).unwrap();
    let b = net.add_node("b", &["10.0.0.2".parse().unwrap()]).unwrap();
    (net, a, b)
}

/// Advances to the next deadline; its time, or `None` when idle.
pub fn step(net: &mut Network) -> Option<Time> {
    let t = net.next_deadline()?;
    net.advance(t);
    Some(t)
}

/// Steps until `done` holds (checked after each step) or time passes `limit`.
/// Returns the time `done` first held.
pub fn run_until(
    net: &mut Network,
    limit: Time,
    mut done: impl FnMut(&mut Network) -> bool,
) -> Option<Time> {
    if done(net) {
        return Some(net.now());
    }
    while let Some(t) = net.next_deadline() {
        if t > limit {
            return None;
        }
        net.advance(t);
        if done(net) {
            return Some(t);
        }
    }
    None
}

/// The time of the first step at which `op` stops returning `WouldBlock`.
pub fn wait_for<T>(
    net: &mut Network,
    limit: Time,
    mut op: impl FnMut(&mut Network) -> io::Result<T>,
) -> (Time, io::Result<T>) {
    let mut result = None;
    let t = run_until(net, limit, |n| match op(n) {
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => false,
        r => {
            result = Some(r);
            true
        }
    });
    match (t, result) {
        (Some(t), Some(r)) => (t, r),
        _ => panic!("operation still blocked at the time limit {limit}"),
    }
}

/// Listener on b:port, client a -> b:port, accepted. Returns (client, server).
pub fn connected_pair(net: &mut Network, a: NodeId, b: NodeId, port: u16) -> (SocketId, SocketId) {
    let ip = net.node_addrs(b)[0];
    connected_pair_via(net, a, b, SocketAddr::new(ip, port))
}

/// Like [`connected_pair`], with `b` listening on `listen` (`[::]:80` for a
/// dual-stack listener that accepts the IPv4 connection).
pub fn connected_pair_via(
    net: &mut Network,
    a: NodeId,
    b: NodeId,
    listen: SocketAddr,
) -> (SocketId, SocketId) {
    let (ip, port) = (net.node_addrs(b)[0], listen.port());
    let l = net.tcp_listen(net.now(), b, listen, 16).unwrap();
    let c = net
        .tcp_connect(net.now(), a, SocketAddr::new(ip, port))
        .unwrap();
    let limit = net.now() + 10_000_000_000;
    let (_, r) = wait_for(net, limit, |n| n.tcp_connect_result(c));
    r.unwrap();
    let (_, r) = wait_for(net, limit, |n| {
        let now = n.now();
        n.tcp_accept(now, l)
    });
    let (s, _) = r.unwrap();
    (c, s)
}

/// Writes `data` from `from` and reads it at `to`, stepping the network, until
/// all of it arrived or `limit`. Returns what was read and when the last byte came.
pub fn transfer(
    net: &mut Network,
    from: SocketId,
    to: SocketId,
    data: &[u8],
    limit: Time,
) -> (Vec<u8>, Time) {
    let mut written = 0;
    let mut got = Vec::new();
    let mut buf = vec![0u8; 8192];
    let mut last = net.now();
    loop {
        let now = net.now();
        while written < data.len() {
            match net.tcp_write(now, from, &data[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("write failed: {e}"),
            }
        }
        loop {
            match net.tcp_read(now, to, &mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    got.extend_from_slice(&buf[..n]);
                    last = now;
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) => panic!("read failed: {e}"),
            }
        }
        if got.len() >= data.len() {
            return (got, last);
        }
        match net.next_deadline() {
            Some(t) if t <= limit => net.advance(t),
            _ => return (got, last),
        }
    }
}

/// Deterministic test data.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i * 31 % 251) as u8).collect()
}

/// Reads until `n` bytes arrived (stepping the network), EOF, or `limit`.
pub fn read_n(net: &mut Network, sock: SocketId, n: usize, limit: Time) -> Vec<u8> {
    let mut got = Vec::new();
    let mut buf = vec![0u8; 8192];
    while got.len() < n {
        let now = net.now();
        match net.tcp_read(now, sock, &mut buf) {
            Ok(0) => break,
            Ok(k) => got.extend_from_slice(&buf[..k]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => match net.next_deadline() {
                Some(t) if t <= limit => net.advance(t),
                _ => break,
            },
            Err(e) => panic!("read failed: {e}"),
        }
    }
    got
}

/// The readiness changes since the last call, in order.
pub fn notifications(net: &mut Network) -> Vec<sim_net::model::Notification> {
    let mut out = Vec::new();
    net.drain_notifications_into(&mut out);
    out
}
