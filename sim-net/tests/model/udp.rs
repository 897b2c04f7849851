//! UDP at the model level: bind rules, MTU, receive buffer, broadcast, multicast,
//! faults, and bad input that must give clear errors and never panic.
use std::io::ErrorKind;
use std::net::IpAddr;

use crate::helpers::model::*;
use sim_net::model::{
    DropReason, InjectedError, LinkConfig, Loss, Network, Readiness, MILLIS, SECS,
};

const L: u64 = 5 * MILLIS;

fn recv(net: &mut Network, s: sim_net::model::SocketId) -> Option<(Vec<u8>, std::net::SocketAddr)> {
    let mut buf = [0u8; 2048];
    let now = net.now();
    net.udp_recv_from(now, s, &mut buf)
        .ok()
        .map(|(n, from)| (buf[..n].to_vec(), from))
}

#[test]
fn datagram_arrives_after_latency_and_wakes_reader() {
    let (mut net, a, b) = two_nodes(L);
    let sa = net.udp_bind(0, a, addr("0.0.0.0:0")).unwrap();
    let sb = net.udp_bind(0, b, addr("10.0.0.2:53")).unwrap();
    assert_eq!(net.local_addr(sa).unwrap(), addr("0.0.0.0:49152"));
    assert_eq!(
        net.udp_send_to(0, sa, b"ping", addr("10.0.0.2:53"))
            .unwrap(),
        4
    );
    assert!(recv(&mut net, sb).is_none());
    assert_eq!(step(&mut net), Some(L));
    let notes = notifications(&mut net);
    assert_eq!(notes.len(), 1);
    assert_eq!(
        (notes[0].socket, notes[0].readiness),
        (sb, Readiness::Readable)
    );
    let (data, from) = recv(&mut net, sb).unwrap();
    assert_eq!(data, b"ping");
    assert_eq!(
        from,
        addr("10.0.0.1:49152"),
        "source address chosen from the node"
    );
}

#[test]
fn bind_errors_are_clear() {
    let (mut net, a, _b) = two_nodes(L);
    let e = net.udp_bind(0, a, addr("10.0.0.2:53")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrNotAvailable);
    assert!(
        e.to_string().contains("10.0.0.2:53") && e.to_string().contains("10.0.0.1"),
        "{e}"
    );
    net.udp_bind(0, a, addr("10.0.0.1:53")).unwrap();
    let e = net.udp_bind(0, a, addr("0.0.0.0:53")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrInUse);
    assert!(e.to_string().contains("53"), "{e}");
    // TCP and UDP ports are separate; loopback is always bindable.
    net.tcp_listen(0, a, addr("10.0.0.1:53"), 1).unwrap();
    net.udp_bind(0, a, addr("127.0.0.1:54")).unwrap();
    // No IPv6 address on the node.
    let e = net.udp_bind(0, a, addr("[fd00::1]:53")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrNotAvailable);
    // `[::]` is dual stack, so it would take IPv4's port 53 too.
    let e = net.udp_bind(0, a, addr("[::]:53")).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::AddrInUse);
    // Ephemeral ports are handed out in order.
    let p1 = net.udp_bind(0, a, addr("0.0.0.0:0")).unwrap();
    let p2 = net.udp_bind(0, a, addr("0.0.0.0:0")).unwrap();
    assert_eq!(net.local_addr(p1).unwrap().port(), 49152);
    assert_eq!(net.local_addr(p2).unwrap().port(), 49153);
}

#[test]
fn family_mismatch_mtu_and_unknown_address() {
    let (mut net, a, _b) = two_nodes(L);
    let s = net.udp_bind(0, a, addr("10.0.0.1:9000")).unwrap();
    let e = net
        .udp_send_to(0, s, b"x", addr("[2001:db8::1]:9000"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(e.to_string().contains("address family mismatch"), "{e}");
    let big = vec![0u8; 1473];
    let e = net
        .udp_send_to(0, s, &big, addr("10.0.0.2:9000"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        e.to_string()
            .contains("datagram of 1473 bytes exceeds MTU 1472"),
        "{e}"
    );
    assert_eq!(net.socket_stats(s).unwrap().dropped.get(DropReason::Mtu), 1);
    assert_eq!(
        net.udp_send_to(0, s, &big[..1472], addr("10.0.0.2:9000"))
            .unwrap(),
        1472
    );
    // Unconnected, to an address nobody has: sent, then dropped and counted,
    // as on a host whose ARP goes unanswered.
    assert_eq!(
        net.udp_send_to(0, s, b"x", addr("10.7.7.7:9000")).unwrap(),
        1
    );
    assert_eq!(net.drop_counts().get(DropReason::NoRoute), 1);
    assert_eq!(
        net.socket_stats(s)
            .unwrap()
            .dropped
            .get(DropReason::NoRoute),
        1
    );
    assert_eq!(net.packets_in_flight(), 1, "only the 1472-byte datagram");
    let e = net.udp_send(0, s, b"x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::NotConnected);
    // Connected to it: the error is the socket's to report.
    net.udp_connect(0, s, addr("10.7.7.7:9000")).unwrap();
    let e = net.udp_send(0, s, b"x").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::HostUnreachable);
    assert!(e.to_string().contains("10.7.7.7"), "{e}");
}

#[test]
fn a_datagram_over_what_ip_can_carry_is_refused_whatever_the_mtu() {
    let cfg = sim_net::model::NetConfig {
        mtu: 200_000,
        ..Default::default()
    };
    let mut net = Network::with_config(1, cfg).unwrap();
    let v6a: IpAddr = "2001:db8::1".parse().unwrap();
    let v6b: IpAddr = "2001:db8::2".parse().unwrap();
    let a = net
        .add_node("a", &["10.0.0.1".parse().unwrap(), v6a])
        .unwrap();
    net.add_node("b", &["10.0.0.2".parse().unwrap(), v6b])
        .unwrap();
    let s = net.udp_bind(0, a, addr("[::]:0")).unwrap();
    let big = vec![0u8; 65_528];
    for (dst, max) in [("10.0.0.2:9", 65_507), ("[2001:db8::2]:9", 65_527)] {
        let dst = addr(dst);
        assert_eq!(net.udp_max_payload(&dst), max);
        assert_eq!(net.udp_send_to(0, s, &big[..max], dst).unwrap(), max);
        let e = net.udp_send_to(0, s, &big[..max + 1], dst).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidInput);
        assert!(e.to_string().contains("EMSGSIZE"), "{e}");
        assert!(e.to_string().contains(&format!("{max} bytes")), "{e}");
    }
}

#[test]
fn joining_a_multicast_group_twice_is_addr_in_use() {
    let (mut net, a, _b) = two_nodes(L);
    let s = net.udp_bind(0, a, addr("[::]:5000")).unwrap();
    for group in ["239.1.2.3", "ff02::1:3"] {
        let group: IpAddr = group.parse().unwrap();
        net.udp_join_multicast(s, group).unwrap();
        let e = net.udp_join_multicast(s, group).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::AddrInUse, "{group}");
        assert!(e.to_string().contains("already a member"), "{e}");
        net.udp_leave_multicast(s, group).unwrap();
        net.udp_join_multicast(s, group).unwrap();
    }
}

#[test]
fn recv_on_an_unconnected_socket_takes_a_datagram_from_any_sender() {
    let (mut net, a, b) = two_nodes(L);
    let sa = net.udp_bind(0, a, addr("10.0.0.1:7000")).unwrap();
    let sb = net.udp_bind(0, b, addr("10.0.0.2:53")).unwrap();
    net.udp_send_to(0, sa, b"hi", addr("10.0.0.2:53")).unwrap();
    let mut buf = [0u8; 8];
    let e = net.udp_recv(0, sb, &mut buf).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::WouldBlock);
    step(&mut net);
    assert_eq!(net.udp_recv(L, sb, &mut buf).unwrap(), 2);
    assert_eq!(&buf[..2], b"hi");
}

#[test]
fn ipv6_nodes_and_mtu() {
    let mut net = Network::new(1);
    let v6a: IpAddr = "2001:db8::1".parse().unwrap();
    let v6b: IpAddr = "2001:db8::2".parse().unwrap();
    let a = net
        .add_node("a", &["10.0.0.1".parse().unwrap(), v6a])
        .unwrap();
    let b = net
        .add_node("b", &["10.0.0.2".parse().unwrap(), v6b])
        .unwrap();
    let sa = net.udp_bind(0, a, addr("[::]:0")).unwrap();
    let sb = net.udp_bind(0, b, addr("[2001:db8::2]:7")).unwrap();
    let e = net
        .udp_send_to(0, sa, &[0; 1453], addr("[2001:db8::2]:7"))
        .unwrap_err();
    assert!(e.to_string().contains("exceeds MTU 1452"), "{e}");
    net.udp_send_to(0, sa, b"six", addr("[2001:db8::2]:7"))
        .unwrap();
    step(&mut net);
    let (d, from) = recv(&mut net, sb).unwrap();
    assert_eq!((d.as_slice(), from.ip()), (&b"six"[..], v6a));
    // IPv6 only allowed, no address refused, special addresses refused,
    // duplicates refused.
    net.add_node("v6only", &["2001:db8::3".parse().unwrap()])
        .unwrap();
    assert_eq!(
        net.add_node("c", &[]).unwrap_err().kind(),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        net.add_node("c", &[v6a]).unwrap_err().kind(),
        ErrorKind::AddrInUse
    );
    assert_eq!(
        net.add_node("d", &["10.0.0.1".parse().unwrap()])
            .unwrap_err()
            .kind(),
        ErrorKind::AddrInUse
    );
    assert_eq!(
        net.add_node("a", &["10.0.0.9".parse().unwrap()])
            .unwrap_err()
            .kind(),
        ErrorKind::AlreadyExists
    );
    assert!(net.add_node("e", &["127.0.0.1".parse().unwrap()]).is_err());
}

#[test]
fn receive_buffer_overflow_is_counted() {
    let (mut net, a, b) = two_nodes(L);
    let sa = net.udp_bind(0, a, addr("0.0.0.0:0")).unwrap();
    let sb = net.udp_bind(0, b, addr("0.0.0.0:7")).unwrap();
    net.udp_set_recv_buffer(sb, 2500).unwrap();
    for _ in 0..5 {
        net.udp_send_to(0, sa, &[1; 1000], addr("10.0.0.2:7"))
            .unwrap();
    }
    run_until(&mut net, SECS, |_| false);
    assert_eq!(net.udp_queued_bytes(sb), Some(2000));
    let st = net.socket_stats(sb).unwrap();
    assert_eq!(st.packets_received, 2);
    assert_eq!(st.dropped.get(DropReason::BufferOverflow), 3);
    assert_eq!(net.drop_counts().get(DropReason::BufferOverflow), 3);
}

#[test]
fn connected_socket_filters_and_truncates() {
    let (mut net, a, b) = two_nodes(L);
    let sa = net.udp_bind(0, a, addr("0.0.0.0:1000")).unwrap();
    let sa2 = net.udp_bind(0, a, addr("0.0.0.0:1001")).unwrap();
    let sb = net.udp_bind(0, b, addr("0.0.0.0:7")).unwrap();
    net.udp_connect(0, sb, addr("10.0.0.1:1000")).unwrap();
    net.udp_send_to(0, sa2, b"stranger", addr("10.0.0.2:7"))
        .unwrap();
    net.udp_send_to(0, sa, b"friend-long", addr("10.0.0.2:7"))
        .unwrap();
    run_until(&mut net, SECS, |_| false);
    let mut small = [0u8; 6];
    assert_eq!(net.udp_recv(net.now(), sb, &mut small).unwrap(), 6);
    assert_eq!(&small, b"friend");
    assert_eq!(
        net.udp_recv(net.now(), sb, &mut small).unwrap_err().kind(),
        ErrorKind::WouldBlock
    );
    net.udp_send(net.now(), sb, b"back").unwrap();
    step(&mut net);
    assert_eq!(recv(&mut net, sa).unwrap().0, b"back");
    assert_eq!(net.peer_addr(sb).unwrap(), addr("10.0.0.1:1000"));
}

#[test]
fn broadcast_and_multicast() {
    let mut net = Network::new(3);
    let ids: Vec<_> = (1..=4)
        .map(|i| {
            net.add_node(&format!("n{i}"), &[format!("10.0.0.{i}").parse().unwrap()])
                .unwrap()
        })
        .collect();
    let other = net.add_node("far", &["10.1.0.1".parse().unwrap()]).unwrap();
    let socks: Vec<_> = ids
        .iter()
        .chain([&other])
        .map(|&n| net.udp_bind(0, n, addr("0.0.0.0:5000")).unwrap())
        .collect();
    let sender = socks[0];
    let e = net
        .udp_send_to(0, sender, b"hi", addr("10.0.0.255:5000"))
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::PermissionDenied);
    net.udp_set_broadcast(sender, true).unwrap();
    // Subnet broadcast: the three other nodes of 10.0.0.0/24, not 10.1.0.1.
    net.udp_send_to(0, sender, b"subnet", addr("10.0.0.255:5000"))
        .unwrap();
    run_until(&mut net, SECS, |_| false);
    for &s in &socks[1..4] {
        assert_eq!(recv(&mut net, s).unwrap().0, b"subnet");
    }
    assert!(recv(&mut net, socks[4]).is_none());
    // Looped back to the sending node, whose own socket is bound to the
    // port: Linux does the same.
    assert_eq!(recv(&mut net, sender).unwrap().0, b"subnet");
    // Limited broadcast reaches every node, the sender's included.
    net.udp_send_to(net.now(), sender, b"all", addr("255.255.255.255:5000"))
        .unwrap();
    run_until(&mut net, 2 * SECS, |_| false);
    for &s in &socks {
        assert_eq!(recv(&mut net, s).unwrap().0, b"all");
    }
    // Multicast: members only; leaving stops delivery.
    let group: IpAddr = "239.1.2.3".parse().unwrap();
    net.udp_join_multicast(socks[2], group).unwrap();
    net.udp_join_multicast(socks[4], group).unwrap();
    net.udp_send_to(net.now(), sender, b"group", addr("239.1.2.3:5000"))
        .unwrap();
    run_until(&mut net, 3 * SECS, |_| false);
    assert_eq!(recv(&mut net, socks[2]).unwrap().0, b"group");
    assert_eq!(recv(&mut net, socks[4]).unwrap().0, b"group");
    assert!(recv(&mut net, socks[1]).is_none());
    net.udp_leave_multicast(socks[2], group).unwrap();
    net.udp_send_to(net.now(), sender, b"again", addr("239.1.2.3:5000"))
        .unwrap();
    run_until(&mut net, 4 * SECS, |_| false);
    assert!(recv(&mut net, socks[2]).is_none());
    assert_eq!(recv(&mut net, socks[4]).unwrap().0, b"again");
    assert_eq!(
        net.udp_join_multicast(socks[1], "10.0.0.1".parse().unwrap())
            .unwrap_err()
            .kind(),
        ErrorKind::InvalidInput
    );
}

#[test]
fn loss_duplication_corruption_are_counted() {
    let (mut net, a, b) = two_nodes(L);
    net.set_link(
        a,
        b,
        LinkConfig::fixed(L)
            .with_loss(Loss::Bernoulli(0.3))
            .with_udp_faults(0.2, 0.1),
    )
    .unwrap();
    let sa = net.udp_bind(0, a, addr("0.0.0.0:0")).unwrap();
    let sb = net.udp_bind(0, b, addr("0.0.0.0:7")).unwrap();
    for i in 0..1000u32 {
        net.udp_send_to(
            u64::from(i) * MILLIS,
            sa,
            &i.to_be_bytes(),
            addr("10.0.0.2:7"),
        )
        .unwrap();
    }
    run_until(&mut net, 10 * SECS, |_| false);
    let st = net.link_stats(a, b);
    let lost = st.dropped.get(DropReason::Loss);
    assert!((200..400).contains(&lost), "{lost}");
    assert!(st.duplicated > 50 && st.corrupted > 20, "{st:?}");
    let mut received = 0;
    while recv(&mut net, sb).is_some() {
        received += 1;
    }
    assert_eq!(received, 1000 - lost + st.duplicated);
    assert_eq!(st.packets_delivered, received);
}

#[test]
fn faults_and_crash() {
    let (mut net, a, b) = two_nodes(L);
    let sa = net.udp_bind(0, a, addr("0.0.0.0:0")).unwrap();
    let sb = net.udp_bind(0, b, addr("0.0.0.0:7")).unwrap();
    net.set_write_error(
        sa,
        Some(InjectedError::new(ErrorKind::Other, "nic on fire")),
    )
    .unwrap();
    let e = net
        .udp_send_to(0, sa, b"x", addr("10.0.0.2:7"))
        .unwrap_err();
    assert_eq!(e.to_string(), "nic on fire");
    net.set_write_error(sa, None).unwrap();
    net.udp_send_to(0, sa, b"x", addr("10.0.0.2:7")).unwrap();
    step(&mut net);
    assert!(net.can_read(sb));
    net.set_read_error(sb, Some(InjectedError::new(ErrorKind::Other, "bad")))
        .unwrap();
    assert!(recv(&mut net, sb).is_none());
    net.set_read_error(sb, None).unwrap();
    assert!(recv(&mut net, sb).is_some());
    // Datagrams to a crashed node are dropped; its sockets are gone.
    net.node_crashed(net.now(), b);
    assert!(net.is_closed(sb));
    net.udp_send_to(net.now(), sa, b"x", addr("10.0.0.2:7"))
        .unwrap();
    step(&mut net);
    assert_eq!(net.link_stats(a, b).dropped.get(DropReason::NodeDown), 1);
    assert_eq!(
        net.udp_bind(net.now(), b, addr("0.0.0.0:7"))
            .unwrap_err()
            .kind(),
        ErrorKind::NotConnected
    );
    net.node_restarted(net.now(), b);
    let sb2 = net.udp_bind(net.now(), b, addr("0.0.0.0:7")).unwrap();
    net.udp_send_to(net.now(), sa, b"y", addr("10.0.0.2:7"))
        .unwrap();
    step(&mut net);
    assert_eq!(recv(&mut net, sb2).unwrap().0, b"y");
    // No socket on the port: dropped and counted.
    net.udp_send_to(net.now(), sa, b"z", addr("10.0.0.2:8"))
        .unwrap();
    step(&mut net);
    assert_eq!(net.drop_counts().get(DropReason::NoSocket), 1);
    net.close(net.now(), sb2).unwrap();
    assert_eq!(
        net.udp_send_to(net.now(), sb2, b"z", addr("10.0.0.1:1"))
            .unwrap_err()
            .kind(),
        ErrorKind::NotConnected
    );
}

#[test]
fn loopback_and_own_address() {
    let (mut net, a, _b) = two_nodes(L);
    let s1 = net.udp_bind(0, a, addr("0.0.0.0:1")).unwrap();
    let s2 = net.udp_bind(0, a, addr("0.0.0.0:2")).unwrap();
    net.udp_send_to(0, s1, b"lo", addr("127.0.0.1:2")).unwrap();
    net.udp_send_to(0, s1, b"own", addr("10.0.0.1:2")).unwrap();
    assert_eq!(
        step(&mut net),
        Some(0),
        "loopback has no latency by default"
    );
    run_until(&mut net, 1, |_| false);
    assert_eq!(
        recv(&mut net, s2).unwrap(),
        (b"lo".to_vec(), addr("127.0.0.1:1"))
    );
    assert_eq!(
        recv(&mut net, s2).unwrap(),
        (b"own".to_vec(), addr("10.0.0.1:1"))
    );
}
