//! The simulation's DNS: host names resolve to the addresses of their
//! nodes.
//!
//! Every host of the simulation has a name and an IPv4 address (10.0.0.1
//! for the first host, 10.0.0.2 for the second, ...), or the IPv4 and IPv6
//! addresses (IPv6 only is allowed) chosen with
//! [`NetBuilder::addrs`](crate::NetBuilder::addrs). `getaddrinfo`, which
//! sim-clock interposes, asks this module, so `tokio::net::lookup_host`,
//! `TcpStream::connect("server:80")` and std's `ToSocketAddrs` resolve
//! through the simulation:
//!
//! ```
//! use sim_core::Builder;
//!
//! std::thread::spawn(|| {
//!     let mut sim = Builder::new().build();
//!     sim.host("db", || async { std::future::pending().await });
//!     sim.client("app", async {
//!         let addrs: Vec<_> = tokio::net::lookup_host("db:5432").await?.collect();
//!         assert_eq!(addrs, vec!["10.0.0.1:5432".parse().unwrap()]);
//!         let err = tokio::net::lookup_host("nope:1").await.err().expect("no such host");
//!         assert!(err.to_string().ends_with("Name or service not known"));
//!         Ok(())
//!     });
//!     sim_net::Net::install(&mut sim);
//!     sim.run().unwrap();
//! }).join().unwrap();
//! ```

use std::net::IpAddr;

use crate::state::NetState;

/// The addresses of the host called `name` (creating its node, with its
/// planned or automatic addresses, the first time), or `None` if no host
/// has that name. This is the simulation's DNS: `getaddrinfo` asks it (see
/// [`register_resolver`]).
pub(crate) fn host_addrs(name: &str) -> Option<Vec<IpAddr>> {
    let state = NetState::current().ok()?;
    let host = sim_core::host_id(name)?;
    let node = state.node_of(host).ok()?;
    let ips = state.model.borrow().node_addrs(node).to_vec();
    Some(ips)
}

/// Makes `getaddrinfo` on this simulation thread (and on the blocking
/// threads of its hosts: `tokio::net::lookup_host`, `std::net`'s
/// `ToSocketAddrs`) answer host names from [`host_addrs`].
pub(crate) fn register_resolver() {
    sim_clock::names::set_resolver(Box::new(host_addrs));
}
