//! The socket types (`tokio::net::TcpStream`, `UdpSocket`, ...) inside
//! simulations: the guide's behaviour table through tokio's API, faults,
//! lifecycle, dual stack, congestion and swizzle, with exact virtual times.

#[path = "../helpers/mod.rs"]
mod helpers;

mod acks;
mod api;
mod artifacts;
mod congestion;
mod dual_stack;
mod faults;
mod lifecycle;
mod reuseport;
mod swizzle;
mod tcp_behaviour;
mod tcp_socket;
mod tcp_stream_ready_and_options;
mod udp;
mod udp_linux_behaviour;
