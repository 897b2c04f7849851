//! Network faults as free functions, for use inside hosts and tests: one
//! call and one `?`, as `sim_core::crash` is (turmoil's ease, with a clear
//! error instead of a panic when a host name is unknown or no network is
//! installed).
//!
//! ```
//! # std::thread::spawn(|| {
//! let mut sim = sim_core::Builder::new().build();
//! sim.host("db", || std::future::pending());
//! sim.client("app", async {
//!     sim_net::partition("app", "db")?;
//!     sim_net::heal("app", "db")?;
//!     Ok(())
//! });
//! sim_net::Net::install(&mut sim);
//! sim.run().unwrap();
//! # }).join().unwrap();
//! ```
//!
//! Each is [`net()`](crate::net) followed by the [`Net`](crate::Net) method
//! of the same name; see there for what it does.

use std::io;

use crate::net::net;

/// Drops everything between `a` and `b`, both ways ([`Net::partition`](crate::Net::partition)).
pub fn partition(a: &str, b: &str) -> io::Result<()> {
    net()?.partition(a, b)
}

/// Drops everything sent from `from` to `to` ([`Net::partition_one_way`](crate::Net::partition_one_way)).
pub fn partition_one_way(from: &str, to: &str) -> io::Result<()> {
    net()?.partition_one_way(from, to)
}

/// Cuts host `name` off from every other host ([`Net::isolate`](crate::Net::isolate)).
pub fn isolate(name: &str) -> io::Result<()> {
    net()?.isolate(name)
}

/// Heals the partition between `a` and `b` ([`Net::heal`](crate::Net::heal)).
pub fn heal(a: &str, b: &str) -> io::Result<()> {
    net()?.heal(a, b)
}

/// Heals `from -> to` only ([`Net::heal_one_way`](crate::Net::heal_one_way)).
pub fn heal_one_way(from: &str, to: &str) -> io::Result<()> {
    net()?.heal_one_way(from, to)
}

/// Heals every partition involving `name` ([`Net::heal_node`](crate::Net::heal_node)).
pub fn heal_node(name: &str) -> io::Result<()> {
    net()?.heal_node(name)
}

/// Heals every partition ([`Net::heal_all`](crate::Net::heal_all)).
pub fn heal_all() -> io::Result<()> {
    net()?.heal_all()
}

/// Holds packets from `from` to `to` until released ([`Net::hold`](crate::Net::hold)).
pub fn hold(from: &str, to: &str) -> io::Result<()> {
    net()?.hold(from, to)
}

/// Releases what `from -> to` held ([`Net::release`](crate::Net::release)).
pub fn release(from: &str, to: &str) -> io::Result<()> {
    net()?.release(from, to)
}

/// Holds every packet to and from `name` ([`Net::hold_node`](crate::Net::hold_node)).
pub fn hold_node(name: &str) -> io::Result<()> {
    net()?.hold_node(name)
}

/// Releases host `name` ([`Net::release_node`](crate::Net::release_node)).
pub fn release_node(name: &str) -> io::Result<()> {
    net()?.release_node(name)
}

/// Releases every hold ([`Net::release_all`](crate::Net::release_all)).
pub fn release_all() -> io::Result<()> {
    net()?.release_all()
}
