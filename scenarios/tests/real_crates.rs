//! Production crates, unmodified, inside simulated hosts: `reqwest` against
//! `axum::serve` on a `tokio::net::TcpListener`, tonic's default transport
//! (`Server::builder()...serve(addr)`, `Channel::from_static(..).connect()`)
//! with protobuf messages, `mini-redis`'s server and client, and
//! hyper-util's `HttpConnector`. Every socket they open is a virtual
//! descriptor on the simulated network, and every name they dial is
//! answered by the simulation's DNS; `sim_core` and `sim_net` appear only
//! to build the network and inject its faults.
//!
//! Each test runs three phases on 20 seeds (`sim_core::Harness`, so
//! `SIM_SEED=S` replays one seed, `SIM_SEEDS=N` widens the sweep and
//! `SIM_CHECK_DETERMINISM=1` runs every seed twice and compares the traces):
//!
//! 1. **clean**, on a link of seed-drawn fixed latency: connecting takes
//!    exactly one round trip (the TCP handshake; name lookups take no
//!    virtual time) and every request on an open connection exactly one
//!    more;
//! 2. **loss**: 5% Bernoulli loss both ways; every request still gets its
//!    exact answer (TCP retransmits), never in less than a round trip;
//! 3. **partition** for a seed-drawn time: a request or connect with a
//!    deadline shorter than the partition fails exactly at its deadline, a
//!    request without one is held and completes after the heal, within the
//!    bound the retransmission backoff implies; after that, requests take
//!    exactly one round trip again.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::routing::post;
use axum::Router;
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use rand::Rng;
use scenarios::pinger::proto::pinger_client::PingerClient;
use scenarios::pinger::proto::pinger_server::PingerServer;
use scenarios::pinger::proto::PingRequest;
use scenarios::pinger::PingService;
use sim_core::{Harness, Sim};
use sim_net::{LinkConfig, Loss, Net, TcpConfig};
use tokio::net::TcpListener;
use tokio::time::Instant;
use tonic::transport::{Channel, Server};
use tower::Service;

/// Seeds of each sweep.
const SEEDS: std::ops::Range<u64> = 0..20;
/// Requests per phase.
const CALLS: u32 = 10;
/// Loss of the second phase, each way.
const LOSS: f64 = 0.05;
/// The client host (added second: 10.0.0.2).
const CLIENT: &str = "client";

/// What each seed draws: the link's latency and the partition.
#[derive(Clone, Copy, Debug)]
struct Plan {
    /// One-way latency: whole milliseconds plus a half, so that no arrival
    /// shares an instant with a host timer (tokio's wheel fires on whole
    /// ms) and no outcome depends on a tie-break.
    latency: Duration,
    /// How long the partition lasts.
    partition: Duration,
    /// The deadline of what is tried during the partition (under a third
    /// of it, so it expires before the heal).
    deadline: Duration,
    /// Counts the requests loss slowed down (see [`sweep`]).
    slowed: &'static AtomicU64,
}

impl Plan {
    fn draw(slowed: &'static AtomicU64) -> Plan {
        let mut rng = sim_core::rng();
        let latency = Duration::from_micros(rng.random_range(1..=20u64) * 1000 + 500);
        let partition = Duration::from_millis(rng.random_range(1_000..=4_000));
        let deadline =
            Duration::from_millis(rng.random_range(100..partition.as_millis() as u64 / 3));
        Plan {
            latency,
            partition,
            deadline,
            slowed,
        }
    }

    fn round_trip(&self) -> Duration {
        self.latency * 2
    }

    /// The latest a request held by the partition may complete after the
    /// heal: its next retransmission (a SYN's or a segment's) leaves at
    /// most `partition + rto` after the heal (the backoff doubles from the
    /// 1 s initial RTO at most), and a new connection's handshake and the
    /// request then take two round trips.
    fn resume_bound(&self) -> Duration {
        let rto = Duration::from_nanos(TcpConfig::default().rto_initial);
        self.partition + rto + self.latency * 4
    }

    /// The network: every link with this plan's fixed latency.
    fn install(&self, sim: &mut Sim) -> Net {
        Net::builder().default_link(self.clean()).install(sim)
    }

    fn clean(&self) -> LinkConfig {
        LinkConfig::fixed(self.latency.as_nanos() as u64)
    }
}

/// Runs `setup` on every seed of the sweep; `slowed` counts the requests
/// that loss slowed down, on every seed: a sweep in which no packet was
/// lost would not test retransmission.
fn sweep(slowed: &'static AtomicU64, setup: impl Fn(&mut Sim) + Send + Sync + 'static) {
    let reports = Harness::new().seeds(SEEDS).run(setup);
    assert!(reports.iter().all(|r| r.events > 0));
    if reports.len() >= SEEDS.end as usize {
        assert!(
            slowed.load(Ordering::Relaxed) > 0,
            "no request was slowed by loss on any seed"
        );
    }
}

/// Fails unless `took` is exactly `expected`.
fn exact(what: &str, took: Duration, expected: Duration) -> sim_core::Result {
    if took != expected {
        return Err(format!("{what} took {took:?}, expected exactly {expected:?}").into());
    }
    Ok(())
}

/// Fails unless a request under loss took at least a round trip; counts
/// it if it took longer (a segment was lost and sent again).
fn not_faster(what: &str, took: Duration, plan: &Plan) -> sim_core::Result {
    if took < plan.round_trip() {
        return Err(format!("{what} took {took:?}, under a round trip").into());
    }
    if took > plan.round_trip() {
        plan.slowed.fetch_add(1, Ordering::Relaxed);
    }
    Ok(())
}

/// Fails unless `after_heal` is within what retransmission allows.
fn resumed(what: &str, after_heal: Duration, plan: &Plan) -> sim_core::Result {
    if after_heal < plan.round_trip() || after_heal > plan.resume_bound() {
        return Err(format!(
            "{what} completed {after_heal:?} after the heal, expected between {:?} and {:?}",
            plan.round_trip(),
            plan.resume_bound()
        )
        .into());
    }
    Ok(())
}

/// Puts 5% loss on the client's link to `server` in both directions.
fn lossy(net: &Net, server: &str, plan: &Plan) -> sim_core::Result {
    net.set_link_both(
        CLIENT,
        server,
        plan.clean().with_loss(Loss::Bernoulli(LOSS)),
    )?;
    Ok(())
}

/// Sleeps to the next whole millisecond, where host timers fire, so that a
/// deadline started there expires exactly on time.
async fn align_to_timer_tick() {
    tokio::time::sleep(Duration::from_millis(1)).await;
}

/// Heals the partition between the client and `server` at `at`.
async fn heal_at(net: &Net, server: &str, at: Instant) -> sim_core::Result {
    tokio::time::sleep_until(at).await;
    net.heal(CLIENT, server)?;
    Ok(())
}

// ---------------------------------------------------------------------------
// reqwest against axum::serve
// ---------------------------------------------------------------------------

/// The HTTP server's host (added first: 10.0.0.1).
const API: &str = "api";

/// An axum service on a tokio listener: `POST /echo` answers with the
/// caller's address and the body it sent.
async fn axum_api() -> sim_core::Result {
    let app = Router::new().route(
        "/echo",
        post(
            |ConnectInfo(peer): ConnectInfo<SocketAddr>, body: Bytes| async move {
                format!("{} {}", peer.ip(), String::from_utf8_lossy(&body))
            },
        ),
    );
    let listener = TcpListener::bind("0.0.0.0:80").await?;
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// The answer `axum_api` gives the client for `body`.
fn echoed(body: &str) -> String {
    format!("10.0.0.2 {body}")
}

/// One `POST http://api/echo` through reqwest: the time it took.
async fn reqwest_echo(
    client: &reqwest::Client,
    body: String,
    timeout: Option<Duration>,
) -> Result<Duration, reqwest::Error> {
    let started = Instant::now();
    let mut request = client.post(format!("http://{API}/echo")).body(body.clone());
    if let Some(timeout) = timeout {
        request = request.timeout(timeout);
    }
    let text = request.send().await?.error_for_status()?.text().await?;
    assert_eq!(text, echoed(&body), "reqwest got another answer");
    Ok(started.elapsed())
}

async fn reqwest_client(plan: Plan) -> sim_core::Result {
    let net = sim_net::net()?;
    // No proxy: a test must not depend on the machine's `http_proxy`.
    let client = reqwest::Client::builder().no_proxy().build()?;
    let took = reqwest_echo(&client, "first".into(), None).await?;
    exact(
        "the first request (handshake and request)",
        took,
        plan.round_trip() * 2,
    )?;
    for i in 0..CALLS {
        let took = reqwest_echo(&client, format!("clean {i}"), None).await?;
        exact(&format!("clean request {i}"), took, plan.round_trip())?;
    }

    lossy(&net, API, &plan)?;
    for i in 0..CALLS {
        let took = reqwest_echo(&client, format!("lossy {i}"), None).await?;
        not_faster(&format!("lossy request {i}"), took, &plan)?;
    }
    net.set_link_both(CLIENT, API, plan.clean())?;

    align_to_timer_tick().await;
    let cut = Instant::now();
    net.partition(CLIENT, API)?;
    let started = Instant::now();
    let err = reqwest_echo(&client, "cut off".into(), Some(plan.deadline))
        .await
        .expect_err("a request crossed the partition");
    if !err.is_timeout() {
        return Err(format!("a request past its timeout failed with {err:?}").into());
    }
    exact("a request with a timeout", started.elapsed(), plan.deadline)?;

    let heal = cut + plan.partition;
    let (held, healed) = tokio::join!(
        reqwest_echo(&client, "held".into(), None),
        heal_at(&net, API, heal)
    );
    healed?;
    held?;
    resumed("the held request", heal.elapsed(), &plan)?;

    for i in 0..CALLS {
        let took = reqwest_echo(&client, format!("healed {i}"), None).await?;
        exact(
            &format!("request {i} after the heal"),
            took,
            plan.round_trip(),
        )?;
    }
    Ok(())
}

#[test]
fn reqwest_reaches_axum_by_host_name_through_loss_and_a_healed_partition() {
    static SLOWED: AtomicU64 = AtomicU64::new(0);
    sweep(&SLOWED, |sim| {
        let plan = Plan::draw(&SLOWED);
        sim.host(API, axum_api);
        sim.client(CLIENT, reqwest_client(plan));
        plan.install(sim);
    });
}

// ---------------------------------------------------------------------------
// hyper-util's HttpConnector and legacy client against axum::serve
// ---------------------------------------------------------------------------

/// hyper-util's client on its own `HttpConnector` (the connector reqwest
/// and tonic build on).
type HyperClient = Client<HttpConnector, Full<Bytes>>;

/// One `POST http://api/echo` through hyper-util's client: the time it
/// took.
async fn hyper_echo(client: &HyperClient, body: String) -> sim_core::Result<Duration> {
    let started = Instant::now();
    let request = hyper::Request::post(format!("http://{API}/echo"))
        .body(Full::new(Bytes::from(body.clone())))?;
    let response = client.request(request).await?;
    if !response.status().is_success() {
        return Err(format!("answered {}", response.status()).into());
    }
    let text = response.into_body().collect().await?.to_bytes();
    assert_eq!(text, echoed(&body), "hyper-util got another answer");
    Ok(started.elapsed())
}

async fn hyper_client(plan: Plan) -> sim_core::Result {
    let net = sim_net::net()?;
    let client: HyperClient = Client::builder(TokioExecutor::new()).build_http();
    let took = hyper_echo(&client, "first".into()).await?;
    exact(
        "the first request (handshake and request)",
        took,
        plan.round_trip() * 2,
    )?;
    for i in 0..CALLS {
        let took = hyper_echo(&client, format!("clean {i}")).await?;
        exact(&format!("clean request {i}"), took, plan.round_trip())?;
    }

    lossy(&net, API, &plan)?;
    for i in 0..CALLS {
        let took = hyper_echo(&client, format!("lossy {i}")).await?;
        not_faster(&format!("lossy request {i}"), took, &plan)?;
    }
    net.set_link_both(CLIENT, API, plan.clean())?;

    align_to_timer_tick().await;
    let cut = Instant::now();
    net.partition(CLIENT, API)?;
    // The connector alone, with a connect timeout: the SYNs are lost, and
    // the connect fails exactly at the timeout.
    let mut connector = HttpConnector::new();
    connector.set_connect_timeout(Some(plan.deadline));
    let started = Instant::now();
    let uri: hyper::Uri = format!("http://{API}/").parse()?;
    let err = connector
        .call(uri)
        .await
        .expect_err("a connect crossed the partition");
    exact("a connect with a timeout", started.elapsed(), plan.deadline)?;
    let kind = std::error::Error::source(&err)
        .and_then(|cause| cause.downcast_ref::<std::io::Error>())
        .map(std::io::Error::kind);
    if kind != Some(std::io::ErrorKind::TimedOut) {
        return Err(format!("a connect past its timeout failed with {err:?}").into());
    }

    // The pooled connection: the request is retransmitted until the heal.
    let heal = cut + plan.partition;
    let (held, healed) = tokio::join!(hyper_echo(&client, "held".into()), heal_at(&net, API, heal));
    healed?;
    held?;
    resumed("the held request", heal.elapsed(), &plan)?;

    for i in 0..CALLS {
        let took = hyper_echo(&client, format!("healed {i}")).await?;
        exact(
            &format!("request {i} after the heal"),
            took,
            plan.round_trip(),
        )?;
    }
    Ok(())
}

#[test]
fn hyper_util_http_connector_reaches_axum_through_loss_and_a_healed_partition() {
    static SLOWED: AtomicU64 = AtomicU64::new(0);
    sweep(&SLOWED, |sim| {
        let plan = Plan::draw(&SLOWED);
        sim.host(API, axum_api);
        sim.client(CLIENT, hyper_client(plan));
        plan.install(sim);
    });
}

// ---------------------------------------------------------------------------
// tonic's default transport
// ---------------------------------------------------------------------------

/// The gRPC server's host (added first: 10.0.0.1).
const GRPC: &str = "grpc";

/// tonic's own server: it binds `0.0.0.0:50051` itself.
async fn tonic_server() -> sim_core::Result {
    Server::builder()
        .add_service(PingerServer::new(PingService))
        .serve("0.0.0.0:50051".parse()?)
        .await?;
    Ok(())
}

/// One `Ping` with payload `seq`: the time it took, or tonic's status.
async fn ping(
    client: &mut PingerClient<Channel>,
    seq: u64,
    deadline: Option<Duration>,
) -> Result<Duration, tonic::Status> {
    let started = Instant::now();
    let payload = seq.to_be_bytes().repeat(8);
    let mut request = tonic::Request::new(PingRequest {
        seq,
        payload: payload.clone(),
    });
    if let Some(deadline) = deadline {
        request.set_timeout(deadline);
    }
    let reply = client.ping(request).await?.into_inner();
    assert_eq!(reply.seq, seq, "the reply of another call");
    assert_eq!(reply.payload, payload, "the payload came back changed");
    let peer: SocketAddr = reply.peer.parse().expect("the server saw the peer");
    assert_eq!(
        peer.ip().to_string(),
        "10.0.0.2",
        "the server saw another peer"
    );
    Ok(started.elapsed())
}

async fn tonic_client(plan: Plan) -> sim_core::Result {
    let net = sim_net::net()?;
    let started = Instant::now();
    let channel = Channel::from_static("http://grpc:50051").connect().await?;
    exact(
        "connecting the channel",
        started.elapsed(),
        plan.round_trip(),
    )?;
    let mut client = PingerClient::new(channel);
    for seq in 0..u64::from(CALLS) {
        let took = ping(&mut client, seq, None).await?;
        exact(&format!("clean call {seq}"), took, plan.round_trip())?;
    }

    lossy(&net, GRPC, &plan)?;
    for seq in 100..100 + u64::from(CALLS) {
        let took = ping(&mut client, seq, None).await?;
        not_faster(&format!("lossy call {seq}"), took, &plan)?;
    }
    net.set_link_both(CLIENT, GRPC, plan.clean())?;

    align_to_timer_tick().await;
    let cut = Instant::now();
    net.partition(CLIENT, GRPC)?;
    let started = Instant::now();
    let status = ping(&mut client, 200, Some(plan.deadline))
        .await
        .expect_err("a call crossed the partition");
    // tonic reports an expired client deadline as Cancelled.
    if status.code() != tonic::Code::Cancelled || status.message() != "Timeout expired" {
        return Err(format!("a call past its deadline failed with {status:?}").into());
    }
    exact("a call with a deadline", started.elapsed(), plan.deadline)?;

    let heal = cut + plan.partition;
    let mut held_client = client.clone();
    let (held, healed) = tokio::join!(ping(&mut held_client, 201, None), heal_at(&net, GRPC, heal));
    healed?;
    held?;
    resumed("the held call", heal.elapsed(), &plan)?;

    for seq in 300..300 + u64::from(CALLS) {
        let took = ping(&mut client, seq, None).await?;
        exact(
            &format!("call {seq} after the heal"),
            took,
            plan.round_trip(),
        )?;
    }
    Ok(())
}

#[test]
fn tonic_default_transport_calls_through_loss_and_a_healed_partition() {
    static SLOWED: AtomicU64 = AtomicU64::new(0);
    sweep(&SLOWED, |sim| {
        let plan = Plan::draw(&SLOWED);
        sim.host(GRPC, tonic_server);
        sim.client(CLIENT, tonic_client(plan));
        plan.install(sim);
    });
}

// ---------------------------------------------------------------------------
// mini-redis
// ---------------------------------------------------------------------------

/// The redis server's host (added first: 10.0.0.1).
const REDIS: &str = "redis";

/// mini-redis's server on a tokio listener, never shut down.
async fn redis_server() -> sim_core::Result {
    let listener = TcpListener::bind("0.0.0.0:6379").await?;
    mini_redis::server::run(listener, std::future::pending::<()>())
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// `SET key value` then `GET key` through mini-redis's client: the time
/// each took.
async fn set_get(
    client: &mut mini_redis::client::Client,
    key: &str,
) -> sim_core::Result<(Duration, Duration)> {
    let value = Bytes::from(format!("value of {key}"));
    let started = Instant::now();
    client
        .set(key, value.clone())
        .await
        .map_err(|e| e.to_string())?;
    let set = started.elapsed();
    let started = Instant::now();
    let got = client.get(key).await.map_err(|e| e.to_string())?;
    if got.as_ref() != Some(&value) {
        return Err(format!("GET {key} gave {got:?}, expected {value:?}").into());
    }
    Ok((set, started.elapsed()))
}

async fn redis_client(plan: Plan) -> sim_core::Result {
    let net = sim_net::net()?;
    let started = Instant::now();
    let mut client = mini_redis::client::connect("redis:6379")
        .await
        .map_err(|e| e.to_string())?;
    exact("connecting", started.elapsed(), plan.round_trip())?;
    for i in 0..CALLS {
        let (set, get) = set_get(&mut client, &format!("clean-{i}")).await?;
        exact(&format!("clean SET {i}"), set, plan.round_trip())?;
        exact(&format!("clean GET {i}"), get, plan.round_trip())?;
    }

    lossy(&net, REDIS, &plan)?;
    for i in 0..CALLS {
        let (set, get) = set_get(&mut client, &format!("lossy-{i}")).await?;
        not_faster(&format!("lossy SET {i}"), set, &plan)?;
        not_faster(&format!("lossy GET {i}"), get, &plan)?;
    }
    net.set_link_both(CLIENT, REDIS, plan.clean())?;

    align_to_timer_tick().await;
    let cut = Instant::now();
    net.partition(CLIENT, REDIS)?;
    // A second connection with a deadline: its SYNs are lost.
    let started = Instant::now();
    let second = tokio::time::timeout(plan.deadline, mini_redis::client::connect("redis:6379"));
    if second.await.is_ok() {
        return Err("a connect across the partition ended before its deadline".into());
    }
    exact(
        "a connect with a deadline",
        started.elapsed(),
        plan.deadline,
    )?;

    let heal = cut + plan.partition;
    let (held, healed) = tokio::join!(set_get(&mut client, "held"), heal_at(&net, REDIS, heal));
    healed?;
    let (set, get) = held?;
    resumed("the held SET", heal.elapsed() - get, &plan)?;
    exact("the GET after the held SET", get, plan.round_trip())?;
    let _ = set;

    for i in 0..CALLS {
        let (set, get) = set_get(&mut client, &format!("healed-{i}")).await?;
        exact(&format!("SET {i} after the heal"), set, plan.round_trip())?;
        exact(&format!("GET {i} after the heal"), get, plan.round_trip())?;
    }
    Ok(())
}

#[test]
fn mini_redis_serves_its_client_through_loss_and_a_healed_partition() {
    static SLOWED: AtomicU64 = AtomicU64::new(0);
    sweep(&SLOWED, |sim| {
        let plan = Plan::draw(&SLOWED);
        sim.host(REDIS, redis_server);
        sim.client(CLIENT, redis_client(plan));
        plan.install(sim);
    });
}
