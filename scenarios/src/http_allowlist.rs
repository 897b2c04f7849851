//! `http-allowlist`: an axum service that answers 403 to peers outside an
//! allow-list of networks, judged by the peer address axum's `ConnectInfo`
//! reports.
//!
//! It checks what production HTTP code gets from the simulated network:
//!
//! - `ConnectInfo<SocketAddr>` is exactly the address a connection comes
//!   from: for `--clients` connections injected into the service's
//!   `tokio::net::TcpListener` with `SocketExt::inject_connection` from
//!   seed-drawn addresses (IPv4 and IPv6, inside and outside the list), and
//!   for real client hosts dialling through hyper-util's `HttpConnector`
//!   (whose `HttpInfo` names both ends);
//! - the service is plain axum (`axum::serve` on tokio's listeners, a
//!   `from_fn` middleware), and HTTP/1.1 works over the simulated streams
//!   both through hyper's client connection and as raw bytes;
//! - every connection is judged once, by its own address.

use std::future::IntoFuture;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use hyper_util::client::legacy::connect::HttpInfo;
use rand::Rng;
use sim_core::Sim;
use sim_net::{LinkConfig, Net, SocketExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

use crate::params::{Param, Params};
use crate::registry::Scenario;
use crate::web;

mod probe;

use probe::Probe;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "http-allowlist",
    description:
        "an axum service answers 403 to peers outside an allow-list (ConnectInfo); probed \
                  over --clients injected connections from seed-drawn addresses and from client \
                  hosts through hyper-util's HttpConnector",
    params: &[Param::Clients],
    in_all: true,
    setup,
    virtual_duration,
};

const API: &str = "api";
const TRUSTED: &str = "trusted";
const STRANGER: &str = "stranger";
const PROBER: &str = "prober";
const PORT: u16 = 80;

const API_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
/// The service's IPv6 address, for the IPv6 probes.
const API_IP6: Ipv6Addr = Ipv6Addr::new(0xfd00, 0, 0, 0, 0, 0, 0, 1);
/// Inside the allow-list (10.1.0.0/16).
const TRUSTED_IP: Ipv4Addr = Ipv4Addr::new(10, 1, 0, 7);
/// Outside it.
const STRANGER_IP: Ipv4Addr = Ipv4Addr::new(10, 9, 0, 9);
const PROBER_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 4);

/// The networks allowed in: the trusted host's /16, a private /12, and an
/// IPv6 /48.
const ALLOWED: [(IpAddr, u8); 3] = [
    (IpAddr::V4(Ipv4Addr::new(10, 1, 0, 0)), 16),
    (IpAddr::V4(Ipv4Addr::new(172, 16, 0, 0)), 12),
    (
        IpAddr::V6(Ipv6Addr::new(0x2001, 0xdb8, 0xa11, 0, 0, 0, 0, 0)),
        48,
    ),
];

/// Bounds of the one-way latency of every link, in ns.
const LATENCY_NS: std::ops::RangeInclusive<u64> = 1_000_000..=20_000_000;
/// Requests each client host makes (over one pooled connection).
const REQUESTS: u32 = 3;

fn virtual_duration(_: &Params) -> Duration {
    probe::MAX_DELAY + Duration::from_secs(2)
}

/// Whether `ip` is inside the network `net/prefix`.
fn in_network(ip: IpAddr, net: IpAddr, prefix: u8) -> bool {
    match (ip, net) {
        (IpAddr::V4(a), IpAddr::V4(n)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            u32::from(a) & mask == u32::from(n) & mask
        }
        (IpAddr::V6(a), IpAddr::V6(n)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            u128::from(a) & mask == u128::from(n) & mask
        }
        _ => false,
    }
}

/// The service's decision.
pub fn is_allowed(ip: IpAddr) -> bool {
    ALLOWED
        .iter()
        .any(|&(net, prefix)| in_network(ip, net, prefix))
}

/// What the service decided for each connection: peer and verdict.
type Verdicts = Arc<Mutex<Vec<(SocketAddr, bool)>>>;

/// Adds the service, the two client hosts and the prober; draws the probes.
pub fn setup(sim: &mut Sim, params: &Params) {
    let mut rng = sim_core::rng();
    let probes: Rc<[Probe]> = probe::draw(&mut rng, params.clients).into();
    let (tx, rx) = mpsc::unbounded_channel();
    let verdicts = Verdicts::default();
    let (p, v) = (probes.clone(), verdicts.clone());
    sim.host(API, move || api(p.clone(), tx.clone(), v.clone()));
    sim.client(TRUSTED, trusted());
    sim.client(STRANGER, stranger());
    sim.client(PROBER, probe::prober(probes, rx, verdicts));
    let latency = rng.random_range(LATENCY_NS);
    Net::builder()
        .default_link(LinkConfig::fixed(latency))
        .addrs(API, &[API_IP.into(), API_IP6.into()])
        .addrs(TRUSTED, &[TRUSTED_IP.into()])
        .addrs(STRANGER, &[STRANGER_IP.into()])
        .addrs(PROBER, &[PROBER_IP.into()])
        // One listener per family (see `api`), so `[::]` must not serve IPv4.
        .bindv6only(true)
        .install(sim);
}

/// Injects the probes' connections (handing each stream to the prober),
/// then serves.
async fn api(
    probes: Rc<[Probe]>,
    injected: mpsc::UnboundedSender<(Probe, TcpStream)>,
    verdicts: Verdicts,
) -> sim_core::Result {
    // One listener per family, as on Linux with `net.ipv6.bindv6only = 1`
    // (set in `setup`): without it `[::]:80` would also hold port 80 for
    // IPv4, and the second bind would fail with `AddrInUse`.
    let v4 = TcpListener::bind((Ipv4Addr::UNSPECIFIED, PORT)).await?;
    let v6 = TcpListener::bind((Ipv6Addr::UNSPECIFIED, PORT)).await?;
    for probe in probes.iter() {
        let listener = if probe.from.is_ipv4() { &v4 } else { &v6 };
        let stream = listener.inject_connection(probe.from)?;
        injected.send((*probe, stream))?;
    }
    let app = Router::new()
        .route("/secret", get(secret))
        .layer(from_fn_with_state(verdicts, guard));
    let serve = |listener| {
        let app = app
            .clone()
            .into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app).into_future()
    };
    tokio::try_join!(serve(v4), serve(v6))?;
    Ok(())
}

/// The allow-list, as a middleware in front of every route.
async fn guard(
    State(verdicts): State<Verdicts>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    request: Request,
    next: Next,
) -> Response {
    let allowed = is_allowed(peer.ip());
    verdicts
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((peer, allowed));
    if !allowed {
        return (axum::http::StatusCode::FORBIDDEN, forbidden_body(peer)).into_response();
    }
    next.run(request).await
}

async fn secret(ConnectInfo(peer): ConnectInfo<SocketAddr>) -> String {
    secret_body(peer)
}

/// What an allowed peer reads: its own address, as the service saw it.
fn secret_body(peer: SocketAddr) -> String {
    format!("secret for {peer}")
}

fn forbidden_body(peer: SocketAddr) -> String {
    format!("{} is not on the allow-list", peer.ip())
}

/// A host inside the allow-list: 200, and the address the service saw is
/// the client's own end of the connection.
async fn trusted() -> sim_core::Result {
    let client = web::client();
    for i in 0..REQUESTS {
        let request =
            hyper::Request::get(format!("http://{API}/secret")).body(Default::default())?;
        let response = client.request(request).await?;
        let info = response
            .extensions()
            .get::<HttpInfo>()
            .ok_or("the connector's HttpInfo is missing from the response")?
            .clone();
        let status = response.status();
        let body = http_body_util::BodyExt::collect(response.into_body())
            .await?
            .to_bytes();
        if status != 200 || body != secret_body(info.local_addr()) {
            return Err(format!(
                "request {i} from {TRUSTED} ({}): {status} {body:?}, expected 200 {:?}",
                info.local_addr(),
                secret_body(info.local_addr())
            )
            .into());
        }
        if info.remote_addr() != SocketAddr::from((API_IP, PORT)) {
            return Err(format!("connected to {}, not {API}", info.remote_addr()).into());
        }
    }
    Ok(())
}

/// A host outside the allow-list: 403 every time.
async fn stranger() -> sim_core::Result {
    let client = web::client();
    for i in 0..REQUESTS {
        let (status, body) = web::get(&client, &format!("http://{API}/secret")).await?;
        let expected = format!("{STRANGER_IP} is not on the allow-list");
        if status != 403 || body != expected {
            return Err(format!(
                "request {i} from {STRANGER}: {status} {body:?}, expected 403 {expected:?}"
            )
            .into());
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_allow_list_matches_by_prefix() {
        let ip = |s: &str| s.parse::<IpAddr>().unwrap();
        assert!(is_allowed(ip("10.1.255.3")));
        assert!(is_allowed(ip("172.31.0.1")));
        assert!(!is_allowed(ip("172.32.0.1")));
        assert!(!is_allowed(ip("10.9.0.9")));
        assert!(is_allowed(ip("2001:db8:a11:ffff::1")));
        assert!(!is_allowed(ip("2001:db8:a12::1")));
        assert!(!is_allowed(ip("::ffff:10.1.0.7")), "no mapped addresses");
        assert!(in_network(ip("1.2.3.4"), ip("0.0.0.0"), 0));
        assert!(in_network(ip("1.2.3.4"), ip("1.2.3.4"), 32));
    }
}
