//! When acknowledgements leave: a connection owes an ACK at the instant data
//! arrives, and sends it at the end of that instant unless a segment it sends
//! meanwhile (the application's reply) carries it. Either way the ACK leaves
//! at the same virtual instant; only the packet count differs.
//!
//! Links: fixed 10 ms one way. The client connects at 0 ms, is established
//! at 20 ms and writes 100 bytes at once; they reach the server at 30 ms.

use std::time::Duration;

use crate::helpers::sockets::*;
use sim_core::Sim;
use sim_net::Net;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Bytes in flight (sent, not yet acknowledged) on the connection whose
/// local port is `port`.
fn in_flight(net: &Net, port: u16) -> u64 {
    net.connections()
        .unwrap()
        .iter()
        .find(|c| c.local.port() == port)
        .map(|c| c.in_flight)
        .expect("the connection exists")
}

/// Packets delivered from `from` to `to`.
fn delivered(net: &Net, from: &str, to: &str) -> u64 {
    net.link_stats(from, to).unwrap().packets_delivered
}

/// A server that reads 100 bytes and, if `reply`, writes them back at once;
/// a client that writes 100 bytes and, if `reply`, reads the answer.
fn exchange(sim: &mut Sim, reply: bool) -> Net {
    sim.host("server", move || async move {
        let listener = TcpListener::bind("0.0.0.0:80").await?;
        let (mut s, _) = listener.accept().await?;
        let mut buf = [0u8; 100];
        s.read_exact(&mut buf).await?;
        if reply {
            s.write_all(&buf).await?;
        }
        std::future::pending().await
    });
    sim.host("client", move || async move {
        let mut s = TcpStream::connect("server:80").await?;
        s.write_all(&[7u8; 100]).await?;
        if reply {
            let mut buf = [0u8; 100];
            s.read_exact(&mut buf).await?;
        }
        std::future::pending().await
    });
    install(sim, 10)
}

/// Runs every event before `at` (from the start), none at `at`.
fn run_to_just_before(sim: &mut Sim, at: Duration) {
    let now = sim.now().as_duration();
    sim.run_for(at - now - Duration::from_nanos(1)).unwrap();
}

#[test]
fn a_reply_written_at_once_carries_the_ack() {
    on_fresh_thread(|| {
        let mut sim = sim_core::Builder::new().seed(3).build();
        let net = exchange(&mut sim, true);
        // The reply leaves the server at 30 ms and acknowledges the request:
        // the client's 100 bytes are acknowledged when it arrives, at 40 ms.
        run_to_just_before(&mut sim, ms(40));
        assert_eq!(in_flight(&net, 49152), 100);
        sim.run_for(Duration::from_nanos(1)).unwrap();
        assert_eq!(in_flight(&net, 49152), 0);
        // The client has nothing to send back: its pure ACK leaves at 40 ms
        // and reaches the server at 50 ms.
        run_to_just_before(&mut sim, ms(50));
        assert_eq!(in_flight(&net, 80), 100);
        sim.run_for(Duration::from_nanos(1)).unwrap();
        assert_eq!(in_flight(&net, 80), 0);
        // Up: SYN, the handshake's ACK, the request, the pure ACK.
        assert_eq!(delivered(&net, "client", "server"), 4);
        // Down: SYN-ACK and the reply; no pure ACK of the request.
        assert_eq!(delivered(&net, "server", "client"), 2);
    });
}

#[test]
fn an_ack_nothing_carries_leaves_at_the_instant_the_data_arrived() {
    on_fresh_thread(|| {
        let mut sim = sim_core::Builder::new().seed(3).build();
        let net = exchange(&mut sim, false);
        // The request arrives at 30 ms; the server reads it and stays silent.
        // Its pure ACK leaves at 30 ms and arrives at 40 ms.
        run_to_just_before(&mut sim, ms(40));
        assert_eq!(in_flight(&net, 49152), 100);
        sim.run_for(Duration::from_nanos(1)).unwrap();
        assert_eq!(in_flight(&net, 49152), 0);
        // Down: SYN-ACK and the pure ACK.
        assert_eq!(delivered(&net, "server", "client"), 2);
        assert_eq!(delivered(&net, "client", "server"), 3);
    });
}

/// Several segments arriving at one instant are acknowledged by one ACK.
#[test]
fn segments_arriving_together_get_one_cumulative_ack() {
    on_fresh_thread(|| {
        let mut sim = sim_core::Builder::new().seed(3).build();
        sim.host("server", || async {
            let listener = TcpListener::bind("0.0.0.0:80").await?;
            let (_s, _) = listener.accept().await?;
            std::future::pending().await
        });
        sim.host("client", || async {
            let mut s = TcpStream::connect("server:80").await?;
            // Three segments of at most 1460 bytes, sent at 20 ms.
            s.write_all(&[1u8; 4000]).await?;
            std::future::pending().await
        });
        let net = install(&mut sim, 10);
        run_to_just_before(&mut sim, ms(40));
        assert_eq!(in_flight(&net, 49152), 4000);
        sim.run_for(Duration::from_nanos(1)).unwrap();
        assert_eq!(in_flight(&net, 49152), 0);
        assert_eq!(delivered(&net, "client", "server"), 5);
        assert_eq!(delivered(&net, "server", "client"), 2);
    });
}
