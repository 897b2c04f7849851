//! Sans-IO network model: the simulated network as plain data and state machines.
//!
//! [`Network`] holds nodes (hosts as the network sees them, each with IPv4 and
//! optionally IPv6 addresses), a switch that routes packets by destination IP, one
//! [`LinkConfig`] per ordered pair of nodes (latency distribution, jitter, bandwidth
//! with a FIFO queue, loss, UDP duplication and corruption), partitions and holds,
//! UDP and TCP sockets, and the queue of packets in flight ordered by
//! `(delivery time, sequence number)`.
//!
//! Nothing in here knows about tokio, threads or the wall clock, in the style of
//! quinn-proto and smoltcp:
//!
//! - every operation takes `now` (virtual nanoseconds, [`Time`]) as input;
//! - [`Network::next_deadline`] says when something happens next inside the
//!   network (a packet arrives, a TCP timer fires), and the scheduler calls
//!   [`Network::advance`] at that instant;
//! - operations that cannot complete return `io::ErrorKind::WouldBlock`; readiness
//!   changes are collected as [`Notification`]s, which the async socket layer drains
//!   with [`Network::drain_notifications_into`] to wake exactly the tasks waiting on each
//!   socket (after it registered interest and got `WouldBlock`);
//! - all randomness comes from ChaCha streams derived from the seed and a name
//!   ([`sim_core::rng::stream`], the scheduler's own): one per link direction (`link:a->b`) and one per node
//!   (`node:a`, for TCP initial sequence numbers), so adding a host or a link never
//!   changes the draws of the others. No hash map is iterated anywhere.
//!
//! Operations also run any event due strictly *before* their `now`, so the model
//! stays causal even when the caller did not advance; events due exactly at `now`
//! are left to the scheduler, which owns the tie-break between simultaneous events.
//!
//! What each layer models, and what it leaves out, is documented in its module:
//! links ([`LinkConfig`]), UDP (`udp`), TCP (`tcp`: a simplified but honest TCP
//! with handshake, flow control, retransmission, persist and keepalive timers,
//! half close and reset, and NewReno congestion control when
//! [`TcpConfig::congestion`] asks for it; no SACK, no delayed ACK), IPv4/IPv6 dual stack as
//! Linux does it by default (`dual_stack`, switched off per socket with
//! `IPV6_V6ONLY` or for the network with [`NetConfig::bindv6only`]; ports
//! shared with `SO_REUSEPORT`: [`BindOptions`]), node crashes, restarts and kills (`lifecycle`),
//! and fault injection ([`InjectedError`]).
//!
//! # Example
//!
//! Two nodes, 10 ms apart; a client connects, sends a request, half-closes; the
//! server reads it to EOF. The loop is what a scheduler does: advance to the next
//! deadline, then let the host code retry what returned `WouldBlock`.
//!
//! ```
//! use std::io::ErrorKind;
//! use sim_net::model::{LinkConfig, Network, MILLIS};
//!
//! let mut net = Network::new(7);
//! let client = net.add_node("client", &["10.0.0.1".parse().unwrap()]).unwrap();
//! let server = net.add_node("server", &["10.0.0.2".parse().unwrap()]).unwrap();
//! net.set_default_link(LinkConfig::fixed(10 * MILLIS)).unwrap();
//!
//! let listener = net.tcp_listen(0, server, "10.0.0.2:80".parse().unwrap(), 128).unwrap();
//! let stream = net.tcp_connect(0, client, "10.0.0.2:80".parse().unwrap()).unwrap();
//! assert_eq!(net.tcp_connect_result(stream).unwrap_err().kind(), ErrorKind::WouldBlock);
//!
//! // SYN, SYN-ACK: the client is connected after one round trip.
//! while net.tcp_connect_result(stream).is_err() {
//!     let t = net.next_deadline().expect("the handshake is in flight");
//!     net.advance(t);
//! }
//! assert_eq!(net.now(), 20 * MILLIS);
//! net.tcp_write(net.now(), stream, b"GET / HTTP/1.0\r\n\r\n").unwrap();
//! net.tcp_shutdown_write(net.now(), stream).unwrap();
//!
//! // The server accepts once the final ACK arrived, then reads until EOF.
//! let mut accepted = None;
//! let mut request = Vec::new();
//! let mut buf = [0u8; 64];
//! let eof_at = 'run: loop {
//!     let now = net.now();
//!     if accepted.is_none() {
//!         if let Ok((s, peer)) = net.tcp_accept(now, listener) {
//!             assert_eq!(peer, net.local_addr(stream).unwrap());
//!             accepted = Some(s);
//!         }
//!     }
//!     if let Some(s) = accepted {
//!         loop {
//!             match net.tcp_read(now, s, &mut buf) {
//!                 Ok(0) => break 'run now, // EOF: the FIN came after the data
//!                 Ok(n) => request.extend_from_slice(&buf[..n]),
//!                 Err(e) if e.kind() == ErrorKind::WouldBlock => break,
//!                 Err(e) => panic!("{e}"),
//!             }
//!         }
//!     }
//!     // A real scheduler wakes tasks from these notifications instead of polling.
//!     let mut woken = Vec::new();
//!     net.drain_notifications_into(&mut woken);
//!     let t = net.next_deadline().expect("more is in flight");
//!     net.advance(t);
//! };
//! assert_eq!(request, b"GET / HTTP/1.0\r\n\r\n");
//! assert_eq!(eof_at, 30 * MILLIS); // data and FIN left at 20 ms, 10 ms away
//! ```

//! # Layout
//!
//! One concern per file. [`Network`] (`network`) owns the state: nodes, the
//! socket table, links, the in-flight queue and the timer index. The calls on
//! it are spread by concern: `event_loop` (deadlines, advancing time,
//! notifications), `switch` (routing, links, partitions on the way),
//! `ports` (bind checks, ephemeral ports), `socket_api` (calls every socket
//! answers), `tcp/` and `udp/` (the protocols), `lifecycle`, `topology`,
//! `introspection`. Plain data types (`socket`, `stats`, `packet`, `link`,
//! `tcp::conn`, `udp::socket`, ...) never import `network`, so the module
//! graph has no cycle (a test in `sim-net/tests/model/` checks it). Imports
//! use `super::` for a module's parent and siblings, and `crate::model::` to
//! reach from `tcp/` or `udp/` files back to the model's own modules.

#![warn(missing_docs)]

mod bind_options;
pub(crate) mod capture;
mod capture_hooks;
mod config;
mod dual_stack;
mod event_loop;
mod fault;
mod icmp;
pub(crate) mod id_window;
mod ids;
mod introspection;
mod latency;
mod lifecycle;
mod link;
mod loss;
mod network;
mod node;
mod notify;
pub(crate) mod packet;
mod partition;
mod ports;
mod socket;
mod socket_api;
mod socket_table;
mod stats;
mod switch;
mod tcp;
mod timer_index;
mod topology;
mod udp;
mod validate;

pub use bind_options::BindOptions;
pub use config::{Congestion, Keepalive, NetConfig, TcpConfig};
pub use fault::{FaultOp, InjectedError};
pub use ids::{NodeId, SocketId, Time, MILLIS, SECS};
pub use latency::{Latency, MAX_LATENCY};
pub use link::LinkConfig;
pub use loss::Loss;
pub use network::Network;
pub use notify::{Notification, Readiness};
pub use socket_api::StreamPoll;
pub use stats::{ConnectionInfo, DropCounts, DropReason, LinkStats, SocketStats};
pub use tcp::TcpState;
