//! `tokio::net` itself inside simulated hosts: the sockets tokio, mio,
//! std and socket2 open are virtual descriptors on the simulated network,
//! with the timings, faults and `errno` values of the behaviour table.

#[path = "../helpers/mod.rs"]
mod helpers;

mod bad_input;
mod ext;
mod smoke;
mod std_and_socket2;
mod unix;
