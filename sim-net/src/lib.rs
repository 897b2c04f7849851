//! The simulated network: the sockets of simulated hosts — `tokio::net`'s,
//! std's, socket2's, and so those of every crate built on them — on links
//! with latency, bandwidth, loss and partitions, under the simulation's
//! virtual clock and seed.
//!
//! Install it in a simulation; host code then opens sockets as it does in
//! production. Host names resolve through the simulation's DNS; each host
//! has an IPv4 address (10.0.0.1 for the first host, and so on). Faults
//! come from [`Net`] and the free functions ([`partition`], [`hold`], ...,
//! link settings, clogged hosts) and [`Swizzle`]; [`SocketExt`] adds
//! nettest-style socket faults and probes to any socket.
//!
//! ```
//! use std::time::Duration;
//! use sim_net::{LinkConfig, Net};
//! use tokio::io::{AsyncReadExt, AsyncWriteExt};
//! use tokio::net::{TcpListener, TcpStream};
//!
//! std::thread::spawn(|| {
//!     let mut sim = sim_core::Builder::new().seed(1).build();
//!     sim.host("server", || async {
//!         let listener = TcpListener::bind("0.0.0.0:9000").await?;
//!         let (mut stream, peer) = listener.accept().await?;
//!         assert_eq!(peer.ip().to_string(), "10.0.0.2");
//!         stream.write_all(b"hello").await?;
//!         std::future::pending().await
//!     });
//!     sim.client("client", async {
//!         let t0 = tokio::time::Instant::now();
//!         let mut stream = TcpStream::connect("server:9000").await?;
//!         // SYN and SYN-ACK: one round trip of 2 x 10 ms.
//!         assert_eq!(t0.elapsed(), Duration::from_millis(20));
//!         let mut buf = [0u8; 5];
//!         stream.read_exact(&mut buf).await?;
//!         assert_eq!(&buf, b"hello");
//!         Ok(())
//!     });
//!     Net::builder()
//!         .default_link(LinkConfig::fixed(10_000_000)) // 10 ms, in ns
//!         .install(&mut sim);
//!     sim.run().unwrap();
//! }).join().unwrap();
//! ```
//!
//! Underneath is [`model`], a sans-IO model of the network (no tokio, no
//! threads, no wall clock) that the scheduler steps as an actor. A socket
//! a host opens is a virtual descriptor (see `sim_clock::vfd`) whose object
//! holds a socket of the model. Unix domain stream and datagram sockets
//! (`tokio::net::UnixStream`, `UnixListener`, `UnixDatagram`) connect the
//! code of one host, in a namespace of names per host, with no model in
//! between.

#![cfg(target_os = "linux")]
#![warn(missing_docs)]

mod artifacts;
mod dns;
mod ext;
mod faults;
mod fd;
pub mod model;
mod nemesis;
mod net;
mod state;
mod swizzle;
mod unix;

pub use ext::SocketExt;
pub use faults::{
    heal, heal_all, heal_node, heal_one_way, hold, hold_node, isolate, partition,
    partition_one_way, release, release_all, release_node,
};
pub use model::{
    Congestion, InjectedError, Keepalive, Latency, LinkConfig, Loss, NetConfig, TcpConfig,
};
pub use net::{net, Net, NetBuilder};
pub use swizzle::Swizzle;
