//! `grpc-ping`: a tonic Pinger service (unary `Ping`, server-streaming
//! `PingStream`, protobuf from `proto/pinger.proto`) and a client, on
//! tonic's default transport (`Server::builder()...serve(addr)` and
//! `Channel::from_shared(uri)?.connect()`, unchanged), in three phases of `--messages` calls each (every
//! fifth a stream):
//!
//! 1. **clean**: what grpc-go's bufconn example does (a server on an
//!    in-process listener, a client dialing it through a custom dialer,
//!    calls checked), on a link of seed-drawn latency. The channel connects
//!    in exactly one round trip and every call, streams included, takes
//!    exactly one more: gRPC adds no timer and no extra flight.
//! 2. **loss**: 5% Bernoulli loss both ways. Every call still succeeds with
//!    the exact replies (TCP retransmits under HTTP/2), never faster than a
//!    round trip.
//! 3. **partition**: the hosts are cut apart for a seed-drawn time. A unary
//!    call and a stream with a deadline shorter than the partition fail at
//!    exactly their deadline of virtual time, as tonic reports an expired
//!    client deadline (`Cancelled`, "Timeout expired"); a call without a
//!    deadline waits and completes after the heal, within the bound the
//!    retransmission backoff implies; after it, calls are exact again.
//!
//! Every reply is checked: number, stream index, payload, and the client's
//! address as the server saw it (`request.remote_addr()`).

use std::net::IpAddr;
use std::time::Duration;

use rand::Rng;
use sim_core::{BoxError, Sim};
use sim_net::{LinkConfig, Loss, Net, TcpConfig};
use tokio::time::Instant;
use tonic::transport::{Channel, Server};
use tonic::Code;

use crate::grpc_caller::{Caller, Method};
use crate::params::{Param, Params};
use crate::pinger::proto::pinger_server::PingerServer;
use crate::pinger::PingService;
use crate::registry::Scenario;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "grpc-ping",
    description:
        "tonic unary and streaming calls on tonic's default transport: exact round trips, \
                  then 5% loss, then a partition where deadlines fail exactly on time",
    params: &[Param::Messages],
    in_all: true,
    setup,
    virtual_duration,
};

/// The server's host name.
pub const SERVER: &str = "grpc-server";
/// The client's host name.
pub const CLIENT: &str = "grpc-client";
/// The port the server listens on.
pub const PORT: u16 = 50051;
/// The loss of the second phase.
pub const LOSS: f64 = 0.05;
/// Bounds of the one-way latency in whole ms; half a ms is added, so that
/// no arrival shares an instant with a host timer (tokio's wheel fires on
/// whole ms) and no outcome depends on a tie-break.
const LATENCY_MS: std::ops::RangeInclusive<u64> = 1..=20;
/// Bounds of the partition's length, in ms.
const PARTITION_MS: std::ops::RangeInclusive<u64> = 1_000..=4_000;
/// Virtual time allowed per call under loss (for the run's time limit:
/// a few retransmission timeouts, far more than a passing run needs).
const LOSSY_CALL: Duration = Duration::from_secs(3);

/// What the setup draws.
#[derive(Clone, Copy, Debug)]
struct Plan {
    latency: Duration,
    partition: Duration,
    /// Deadline of the calls made during the partition (under a third of
    /// it, so two of them expire before the heal).
    deadline: Duration,
}

impl Plan {
    fn round_trip(&self) -> Duration {
        self.latency * 2
    }

    /// How long after the heal a call held by the partition may take: the
    /// request's next retransmission leaves less than `partition + rto +
    /// 2 * latency` after the heal (as in `partition-heal`, with the 1 s
    /// initial RTO as the largest the backoff starts from), then crosses
    /// and the reply comes back.
    fn resume_bound(&self) -> Duration {
        let rto = Duration::from_nanos(TcpConfig::default().rto_initial);
        self.partition + rto + self.latency * 4
    }
}

fn virtual_duration(params: &Params) -> Duration {
    let longest = Duration::from_millis(*PARTITION_MS.end());
    let round_trip = Duration::from_millis(2 * LATENCY_MS.end() + 1);
    let clean = round_trip * (2 * params.messages + 4);
    let lossy = LOSSY_CALL * params.messages;
    clean + lossy + longest * 2 + Duration::from_secs(1)
}

/// Adds the server, the client, and the network.
pub fn setup(sim: &mut Sim, params: &Params) {
    let mut rng = sim_core::rng();
    let latency = Duration::from_micros(rng.random_range(LATENCY_MS) * 1000 + 500);
    let partition = Duration::from_millis(rng.random_range(PARTITION_MS));
    let deadline = Duration::from_millis(rng.random_range(100..partition.as_millis() as u64 / 3));
    let plan = Plan {
        latency,
        partition,
        deadline,
    };
    sim.host(SERVER, server);
    sim.client(CLIENT, client(plan, params.messages));
    Net::builder()
        .default_link(LinkConfig::fixed(latency.as_nanos() as u64))
        .install(sim);
}

/// tonic's server: it binds its own `tokio::net` listener.
async fn server() -> sim_core::Result {
    Server::builder()
        .add_service(PingerServer::new(PingService))
        .serve(([0, 0, 0, 0], PORT).into())
        .await?;
    Ok(())
}

/// Fails unless `took` is exactly `expected`.
fn exact(what: &str, took: Duration, expected: Duration) -> sim_core::Result {
    if took != expected {
        return Err(format!("{what} took {took:?}, expected exactly {expected:?}").into());
    }
    Ok(())
}

/// The method of call `i` of a phase: every fifth is a stream.
fn method(i: u32) -> Method {
    if i % 5 == 4 {
        Method::Stream
    } else {
        Method::Unary
    }
}

async fn client(plan: Plan, messages: u32) -> sim_core::Result {
    let net = sim_net::net()?;
    let own_ip: IpAddr = net.addrs(CLIENT)?[0];
    let started = Instant::now();
    let channel = Channel::from_shared(format!("http://{SERVER}:{PORT}"))?
        .connect()
        .await?;
    exact(
        "connecting the channel",
        started.elapsed(),
        plan.round_trip(),
    )?;
    let mut caller = Caller::new(channel, own_ip);

    for i in 0..messages {
        let took = caller.must_succeed(method(i), "clean").await?;
        exact(&format!("clean call {i}"), took, plan.round_trip())?;
    }

    let clean = LinkConfig::fixed(plan.latency.as_nanos() as u64);
    net.set_link_both(
        CLIENT,
        SERVER,
        clean.clone().with_loss(Loss::Bernoulli(LOSS)),
    )?;
    let mut slow = 0u64;
    for i in 0..messages {
        let took = caller.must_succeed(method(i), "under loss").await?;
        if took < plan.round_trip() {
            return Err(format!("lossy call {i} took {took:?}, under a round trip").into());
        }
        slow += u64::from(took > plan.round_trip());
    }
    net.set_link_both(CLIENT, SERVER, clean)?;
    sim_core::trace_note("grpc-ping.slow_under_loss", slow);

    partition(&mut caller, plan).await
}

/// The third phase: deadlines during a partition, a call held across it.
async fn partition(caller: &mut Caller, plan: Plan) -> sim_core::Result {
    let net = sim_net::net()?;
    // Start on a whole millisecond, where host timers fire, so that a
    // deadline's expiry is exact.
    tokio::time::sleep(Duration::from_millis(1)).await;
    let cut = Instant::now();
    net.partition(CLIENT, SERVER)?;
    for method in [Method::Unary, Method::Stream] {
        let started = Instant::now();
        match caller.call(method, Some(plan.deadline)).await {
            Ok(()) => return Err(format!("a {method:?} call crossed the partition").into()),
            Err(Err(wrong)) => return Err(wrong),
            Err(Ok(status)) => {
                if status.code() != Code::Cancelled || status.message() != "Timeout expired" {
                    return Err(format!(
                        "a {method:?} call past its deadline failed with {status:?}, expected \
                         tonic's Cancelled \"Timeout expired\""
                    )
                    .into());
                }
                exact("a call with a deadline", started.elapsed(), plan.deadline)?;
            }
        }
    }

    let heal = cut + plan.partition;
    let healer = async {
        tokio::time::sleep_until(heal).await;
        net.heal(CLIENT, SERVER)
    };
    let (held, healed) = tokio::join!(caller.must_succeed(Method::Unary, "held"), healer);
    healed?;
    held?;
    let after_heal = heal.elapsed();
    if after_heal < plan.round_trip() || after_heal > plan.resume_bound() {
        return Err(format!(
            "the call held by the partition completed {after_heal:?} after the heal, expected \
             between {:?} and {:?}",
            plan.round_trip(),
            plan.resume_bound()
        )
        .into());
    }
    sim_core::trace_note("grpc-ping.held_ns", after_heal.as_nanos() as u64);

    for method in [Method::Unary, Method::Stream] {
        let started = Instant::now();
        caller
            .call(method, Some(plan.deadline))
            .await
            .map_err(|e| -> BoxError {
                match e {
                    Ok(status) => format!("{method:?} call after the heal: {status:?}").into(),
                    Err(wrong) => wrong,
                }
            })?;
        exact(
            "a call after the heal",
            started.elapsed(),
            plan.round_trip(),
        )?;
    }
    Ok(())
}
