//! Names resolve through the simulation: `tokio::net::lookup_host`,
//! `std::net::ToSocketAddrs` and `getaddrinfo` itself, from a host's async
//! code or its blocking tasks, answer from the simulation's DNS and never
//! from a real resolver.

use std::net::{IpAddr, SocketAddr, ToSocketAddrs};

use sim_core::Builder;
use sim_net::Net;

fn on_fresh_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f).join().unwrap()
}

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

#[test]
fn tokio_lookup_host_from_a_client_answers_the_servers_address_at_the_same_instant() {
    on_fresh_thread(|| {
        let mut sim = Builder::new().seed(3).build();
        sim.host("server", || async { std::future::pending().await });
        sim.client("client", async {
            let t0 = tokio::time::Instant::now();
            let found: Vec<_> = tokio::net::lookup_host("server:80").await?.collect();
            assert_eq!(found, vec![addr("10.0.0.1:80")]);
            assert_eq!(t0.elapsed(), std::time::Duration::ZERO);
            Ok(())
        });
        Net::install(&mut sim);
        sim.run().unwrap();
        assert!(!sim_clock::forwarded_calls()
            .iter()
            .any(|(call, _)| *call == "getaddrinfo"));
    });
}
