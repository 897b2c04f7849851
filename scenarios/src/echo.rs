//! `echo`: a TCP echo server and `--clients` clients, each behind a link
//! of its own seed-drawn latency, exchanging `--messages` messages of
//! seed-drawn sizes and contents.
//!
//! It checks the basic promises of sim-net's TCP: the connection opens in
//! exactly one round trip, every reply is exactly the message sent (bytes,
//! length, order), and every round trip takes exactly twice the link's
//! one-way latency. The links have no bandwidth limit and messages fit in
//! the default 64 KiB window, so a message of several segments still
//! crosses in one latency: any extra delay is a bug (a timer where none
//! should be, a lost wake-up, a segment held back).

use std::time::Duration;

use rand::Rng;
use sim_core::Sim;
use sim_net::{LinkConfig, Net};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use crate::params::{Param, Params};
use crate::pattern::Pattern;
use crate::registry::Scenario;

/// The registry entry.
pub const SCENARIO: Scenario = Scenario {
    name: "echo",
    description: "a TCP echo server and clients behind links of seed-drawn latency; asserts every \
                  reply is exact and every connect and round trip takes exactly 2x the latency",
    params: &[Param::Clients, Param::Messages],
    in_all: true,
    setup,
    virtual_duration,
};

const SERVER: &str = "echo-server";
const PORT: u16 = 7;
/// Bounds of a client's one-way latency, in nanoseconds (any nanosecond:
/// the model keeps nanosecond times, unlike tokio's 1 ms timer wheel).
const LATENCY_NS: std::ops::RangeInclusive<u64> = 100_000..=50_000_000;
/// Bounds of a message's length: up to several segments, inside the window.
const MESSAGE_LEN: std::ops::RangeInclusive<usize> = 1..=16 * 1024;
/// Bounds of a client's pause between messages, in ms.
const THINK_MS: std::ops::RangeInclusive<u64> = 0..=20;

fn virtual_duration(params: &Params) -> Duration {
    let round_trip = Duration::from_nanos(2 * LATENCY_NS.end());
    let per_message = round_trip + Duration::from_millis(*THINK_MS.end());
    round_trip + per_message * params.messages
}

fn client_name(index: u32) -> String {
    format!("echo-client-{index}")
}

/// What the setup draws for one client.
#[derive(Clone, Copy, Debug)]
struct ClientPlan {
    latency: Duration,
    pattern: Pattern,
}

/// Adds the server, the clients, and a link of its own for each client.
pub fn setup(sim: &mut Sim, params: &Params) {
    let mut rng = sim_core::rng();
    sim.host(SERVER, server);
    let mut plans = Vec::new();
    for i in 0..params.clients {
        let plan = ClientPlan {
            latency: Duration::from_nanos(rng.random_range(LATENCY_NS)),
            pattern: Pattern::new(rng.random()),
        };
        sim.client(client_name(i), client(plan, params.messages));
        plans.push(plan);
    }
    let net = Net::builder().install(sim);
    for (i, plan) in plans.iter().enumerate() {
        let link = LinkConfig::fixed(plan.latency.as_nanos() as u64);
        net.set_link_both(&client_name(i as u32), SERVER, link)
            .expect("the echo hosts exist");
    }
}

/// Accepts forever; each connection echoes on a task of its own.
async fn server() -> sim_core::Result {
    let listener = TcpListener::bind(("0.0.0.0", PORT)).await?;
    loop {
        let (stream, _) = listener.accept().await?;
        tokio::spawn(echo(stream));
    }
}

/// Writes back everything read, until EOF. An error ends only this
/// connection: the client that owns it reports what went wrong.
async fn echo(mut stream: TcpStream) -> std::io::Result<()> {
    let mut buf = vec![0u8; 4096];
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            return Ok(());
        }
        stream.write_all(&buf[..n]).await?;
    }
}

/// Connects, then sends `messages` messages one at a time, checking each
/// reply and its round trip.
async fn client(plan: ClientPlan, messages: u32) -> sim_core::Result {
    let round_trip = plan.latency * 2;
    let started = tokio::time::Instant::now();
    let mut stream = TcpStream::connect((SERVER, PORT)).await?;
    let connect = started.elapsed();
    if connect != round_trip {
        return Err(format!(
            "connecting took {connect:?}, expected one round trip of {round_trip:?} \
             (one-way latency {:?})",
            plan.latency
        )
        .into());
    }
    // Each host draws from a stream of its own, so a client's sizes do not
    // depend on how the scheduler interleaves it with the other clients.
    let mut rng = sim_core::rng();
    let mut offset = 0u64;
    for m in 0..messages {
        tokio::time::sleep(Duration::from_millis(rng.random_range(THINK_MS))).await;
        let mut message = vec![0u8; rng.random_range(MESSAGE_LEN)];
        plan.pattern.fill(offset, &mut message);
        let sent_at = tokio::time::Instant::now();
        stream.write_all(&message).await?;
        let mut reply = vec![0u8; message.len()];
        stream.read_exact(&mut reply).await.map_err(|e| {
            format!(
                "message {m} ({} bytes): reading the reply failed: {e}",
                message.len()
            )
        })?;
        let took = sent_at.elapsed();
        plan.pattern
            .check(offset, &reply)
            .map_err(|e| format!("message {m}: the reply differs from the message: {e}"))?;
        if took != round_trip {
            return Err(format!(
                "message {m} ({} bytes) came back after {took:?}, expected exactly {round_trip:?}",
                message.len()
            )
            .into());
        }
        sim_core::trace_note("echo.reply_bytes", message.len() as u64);
        offset += message.len() as u64;
    }
    // Nothing more may come back than was sent.
    stream.shutdown().await?;
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await?;
    if !rest.is_empty() {
        return Err(format!("the server sent {} bytes nobody asked for", rest.len()).into());
    }
    Ok(())
}
