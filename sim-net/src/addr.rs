//! Addresses and the simulation's DNS: host names resolve to the addresses
//! of their nodes.
//!
//! Every host of the simulation has a name and an IPv4 address (10.0.0.1
//! for the first host, 10.0.0.2 for the second, ...), or the IPv4 and IPv6
//! addresses (IPv6 only is allowed) chosen with
//! [`NetBuilder::addrs`](crate::NetBuilder::addrs). Wherever
//! tokio takes an address, the simulated sockets take a [`ToSocketAddrs`]:
//! `"server:80"`, `("server", 80)`, `"10.0.0.1:80"`, a `SocketAddr`.
//!
//! ```
//! use sim_core::Builder;
//!
//! std::thread::spawn(|| {
//!     let mut sim = Builder::new().build();
//!     sim.host("db", || async { std::future::pending().await });
//!     sim.client("app", async {
//!         let addrs: Vec<_> = sim_net::lookup_host("db:5432").await?.collect();
//!         assert_eq!(addrs, vec!["10.0.0.1:5432".parse().unwrap()]);
//!         let err = sim_net::lookup_host("nope:1").await.err().expect("no such host");
//!         assert_eq!(err.kind(), std::io::ErrorKind::NotFound);
//!         Ok(())
//!     });
//!     sim_net::Net::install(&mut sim);
//!     sim.run().unwrap();
//! }).join().unwrap();
//! ```

use std::io;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};

use crate::state::NetState;

/// Something that names one or more socket addresses inside the simulation
/// (the simulated counterpart of `tokio::net::ToSocketAddrs`).
pub trait ToSocketAddrs {
    /// Resolves to addresses, looking host names up in the simulation.
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>>;
}

/// Resolves `host:port` (or an IP literal with a port) through the
/// simulation's DNS.
pub async fn lookup_host(host: impl ToSocketAddrs) -> io::Result<impl Iterator<Item = SocketAddr>> {
    Ok(host.to_socket_addrs()?.into_iter())
}

/// The addresses of `name` on `port`.
fn resolve_name(name: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if name == "localhost" {
        return Ok(vec![SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port)]);
    }
    if let Ok(ip) = name
        .trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
    {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    NetState::current()?;
    let Some(ips) = host_addrs(name) else {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("failed to look up `{name}`: no host of the simulation has that name"),
        ));
    };
    Ok(ips
        .into_iter()
        .map(|ip| SocketAddr::new(ip, port))
        .collect())
}

/// The addresses of the host called `name` (creating its node, with its
/// planned or automatic addresses, the first time), or `None` if no host
/// has that name. This is the simulation's DNS: `getaddrinfo` asks it too
/// (see [`register_resolver`]).
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

fn split_host_port(s: &str) -> io::Result<(&str, u16)> {
    let invalid = || {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("invalid socket address `{s}`: expected `host:port`"),
        )
    };
    let (host, port) = s.rsplit_once(':').ok_or_else(invalid)?;
    let port = port.parse().map_err(|_| invalid())?;
    Ok((host, port))
}

impl ToSocketAddrs for SocketAddr {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![*self])
    }
}

impl ToSocketAddrs for SocketAddrV4 {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::V4(*self)])
    }
}

impl ToSocketAddrs for SocketAddrV6 {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::V6(*self)])
    }
}

impl ToSocketAddrs for (IpAddr, u16) {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::new(self.0, self.1)])
    }
}

impl ToSocketAddrs for (Ipv4Addr, u16) {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::new(IpAddr::V4(self.0), self.1)])
    }
}

impl ToSocketAddrs for (Ipv6Addr, u16) {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(vec![SocketAddr::new(IpAddr::V6(self.0), self.1)])
    }
}

impl ToSocketAddrs for (&str, u16) {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        resolve_name(self.0, self.1)
    }
}

impl ToSocketAddrs for (String, u16) {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        resolve_name(&self.0, self.1)
    }
}

impl ToSocketAddrs for str {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        if let Ok(addr) = self.parse::<SocketAddr>() {
            return Ok(vec![addr]);
        }
        let (host, port) = split_host_port(self)?;
        resolve_name(host, port)
    }
}

impl ToSocketAddrs for String {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        self.as_str().to_socket_addrs()
    }
}

impl ToSocketAddrs for [SocketAddr] {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        Ok(self.to_vec())
    }
}

impl<T: ToSocketAddrs + ?Sized> ToSocketAddrs for &T {
    fn to_socket_addrs(&self) -> io::Result<Vec<SocketAddr>> {
        (**self).to_socket_addrs()
    }
}

/// Resolves `addrs`, failing with a clear error if it names nothing.
pub(crate) fn resolve(addrs: impl ToSocketAddrs) -> io::Result<Vec<SocketAddr>> {
    let list = addrs.to_socket_addrs()?;
    if list.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "could not resolve to any address",
        ));
    }
    Ok(list)
}
